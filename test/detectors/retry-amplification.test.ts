import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/load.js';
import type { ClientModel } from '../../src/detectors/client-model.js';
import { MIN_RAMP_LOG_SIGMA, attemptsIndependent, bestModelShare, estimateAmplification, modelShares, failingRequestsFor, levelStandardError, modelAveragedInterval, type ModelMatch, matchModels, onsetWithin, overdispersion, plateauLogSigma, predictMultiplier, rampResidualSigma } from '../../src/detectors/retry-amplification.js';
import { tickFractionAt } from '../../src/detectors/retry-ramp.js';

const models = loadBundledClientModels();
const cargo = models.find((m) => m.name === 'cargo')!;

describe('attemptsIndependent: (1 − q^(R+1)) / (1 − q)', () => {
  it.each([
    // q, R, expected (computed by hand: 1 + q + q² + … + q^R)
    [0, 3, 1],
    [0.3, 3, 1 + 0.3 + 0.09 + 0.027],
    [0.7, 3, 1 + 0.7 + 0.49 + 0.343],
    [0.05, 3, 1 + 0.05 + 0.0025 + 0.000125],
    [1, 3, 4],
    [1, 5, 6],
  ])('q=%d R=%d -> %d', (q, r, expected) => {
    expect(attemptsIndependent(q, r)).toBeCloseTo(expected, 10);
  });
});

describe('the deterministic reading: M = 1 + p·r, E = p(1+r)/M', () => {
  it('recovers p and r from M and E: 10 % of requests failing, retried 3 times, read as ~31 % failing attempts', () => {
    const m = 1 + 0.1 * 3;
    const e = (0.1 * 4) / m;
    expect(e).toBeCloseTo(0.3077, 4);
    expect(failingRequestsFor(e, 3)).toBeCloseTo(0.1, 10);
    const est = estimateAmplification({ requests: 1300, requestsBaseline: 1000, logRateSigma: 0.01, failing: e, failingLow: e - 0.01, failingHigh: e + 0.01 }, models);
    expect(est.failingRequests).toBeCloseTo(0.1, 6);
    expect(est.retriesPerFailure).toBeCloseTo(3, 6);
    expect(est.regime).toBe('deterministic');
  });
});

describe('predictMultiplier', () => {
  it('gives cargo [3, 4] at a total outage: the build aborts on its first exhausted crate', () => {
    expect(predictMultiplier(cargo, 1)).toEqual([{ low: 3, high: 4, regime: 'total' }]);
  });

  it('gives both readings for a partial failure', () => {
    const [det, ind] = predictMultiplier(cargo, 0.3);
    expect(det!.regime).toBe('deterministic');
    expect(ind).toEqual({ low: attemptsIndependent(0.3, 3), high: attemptsIndependent(0.3, 3), regime: 'independent' });
  });
});

describe('estimateAmplification', () => {
  const storm = (requests: number, failing: number, sigma = 0.05) =>
    estimateAmplification({ requests, requestsBaseline: 1180, logRateSigma: sigma, failing, failingLow: Math.max(0, failing - 0.02), failingHigh: Math.min(1, failing + 0.02) }, models);

  it('2023-07-20: 4x while nothing completes -> every request failing, cargo first, demand unchanged', () => {
    const est = storm(4700, 1);
    expect(est.multiplier).toBeCloseTo(3.98, 2);
    expect(est.amplified).toBe(true);
    expect(est.regime).toBe('total');
    expect(est.failingRequests).toBe(1);
    expect(est.retriesPerFailure).toBeCloseTo(2.98, 2);
    // cargo and the generic policy both predict ~4x; the specific client is named first.
    expect(est.matches[0]!.model).toBe('cargo');
    expect(est.matches.map((m) => m.model)).toContain('generic-exponential');
    expect(est.matches.map((m) => m.model)).not.toContain('npm'); // 2 retries: at most 3x
    expect(est.logicalDemand).toBeGreaterThan(1180 * 0.85);
    expect(est.logicalDemand).toBeLessThan(1180 * 1.35);
  });

  it('30 % of attempts failing independently: 1.42x fits cargo retrying each failure', () => {
    const est = storm(1180 * attemptsIndependent(0.3, 3), 0.3, 0.02);
    expect(est.regime).toBe('independent');
    expect(est.matches.map((m) => m.model)).toContain('cargo');
    expect(est.failingRequests).toBeCloseTo(0.3 ** 4, 3);
  });

  it('a closed pool of clients: rate falls while everything fails', () => {
    const est = storm(330, 1);
    expect(est.amplified).toBe(false);
    expect(est.regime).toBe('closed-loop');
    expect(est.logicalDemand).toBeNaN();
  });

  it('no amplification: 5 % failing at 1.05x is within the noise', () => {
    const est = storm(1180 * 1.05, 0.05);
    expect(est.amplified).toBe(false);
    expect(est.matches).toEqual([]);
    expect(est.regime).toBe('none');
  });

  it('amplification no model explains: 12x at a total outage', () => {
    const est = storm(1180 * 12, 1);
    expect(est.amplified).toBe(true);
    expect(est.matches).toEqual([]);
  });
});

describe('matchModels', () => {
  it('ranks by fit, then specific before generic', () => {
    const generic: ClientModel = { name: 'any', maxRetries: 3, delaysSeconds: [], retryOn: [], abortsOnFirstExhausted: false, generic: true };
    const specific: ClientModel = { ...generic, name: 'specific', generic: false };
    const far: ClientModel = { ...generic, name: 'far', maxRetries: 9, generic: false };
    const ranked = matchModels([generic, far, specific], { multiplier: 4, multiplierLow: 3.8, multiplierHigh: 4.2, failing: 1 });
    expect(ranked.map((m) => [m.model, m.distance === 0])).toEqual([
      ['specific', true],
      ['any', true],
      ['far', false],
    ]);
  });
});

describe('attempts per request is never below one', () => {
  const base = { requestsBaseline: 1000, logRateSigma: 0.05, failing: 1, failingLow: 0.95, failingHigh: 1 };

  it('says "not estimable" for a closed client pool whose requests fell while failing', () => {
    const est = estimateAmplification({ ...base, requests: 100 }, models);
    expect(est.regime).toBe('closed-loop');
    expect(est.attemptsPerRequest).toBeNaN();
    expect(est.notEstimable).toMatch(/fixed pool of clients/);
  });

  it('says "not estimable" when attempts are below the baseline without a closed loop (builds aborting on a 404)', () => {
    // Clearly fewer attempts than the baseline (0.90x ± 4 %), yet not low enough for a stalled pool.
    const est = estimateAmplification({ ...base, requests: 900, logRateSigma: 0.02 }, models);
    expect(est.regime).not.toBe('closed-loop');
    expect(est.attemptsPerRequest).toBeNaN();
    expect(est.attemptsPerRequestLow).toBeNaN();
    expect(est.notEstimable).toMatch(/demand moved/);
  });

  it('reads a rate within noise of the baseline as about one attempt, never fewer', () => {
    const est = estimateAmplification({ ...base, requests: 950, logRateSigma: 0.2 }, models);
    expect(est.notEstimable).toBeUndefined();
    expect(est.attemptsPerRequest).toBe(1);
    expect(est.attemptsPerRequestLow).toBe(1);
    expect(est.attemptsPerRequestHigh).toBeCloseTo(950 * Math.exp(0.4) / 1000, 6);
  });

  it('keeps the estimate at or above one otherwise', () => {
    const est = estimateAmplification({ ...base, requests: 3200 }, models);
    // 3.2x at a total failure, read through what the named client can do.
    expect(est.attemptsPerRequest).toBe(est.matches[0]!.posterior!.multiplier);
    expect(est.attemptsPerRequestLow).toBeGreaterThanOrEqual(1);
    expect(est.attemptsPerRequest).toBeGreaterThan(3);
    expect(est.attemptsPerRequest).toBeLessThan(3.2);
    expect(est.notEstimable).toBeUndefined();
  });
});

/**
 * A total failure read 60 s in at 15 s ticks: demand level 1 before onset, then `plateau`, the
 * first tick 60 % of the way there; `logRateSigma` the run's σ, `tickLogSigma` one tick's.
 */
function totalFailureRead(plateau: number, logRateSigma: number, tickLogSigma: number) {
  return estimateAmplification(
    {
      requests: 1000 * plateau, requestsBaseline: 1000, logRateSigma, failing: 1, failingLow: 0.97, failingHigh: 1,
      ramp: { tickMs: 15_000, elapsedMs: 45_000 },
      rampTicks: { tickMs: 15_000, level: 1, multipliers: [1 + (plateau - 1) * 0.6, plateau, plateau, plateau], tickLogSigma },
    },
    models,
  );
}

describe('a total failure read through demand noise', () => {
  // 15 s ticks, demand level 1 before onset, then a plateau of 2.75x: 10 % below cargo's 3x after
  // demand fell by as much, which one tick's σ of 0.15 (3x the bundled demand noise) allows.
  const noisy = (plateau: number) => totalFailureRead(plateau, 0.1, 0.15);

  it('names cargo for 2.75x and cargo <= 1.69 for 2.2x: the plateau nearer what each client can do', () => {
    expect(noisy(2.75).matches[0]!.model).toBe('cargo');
    expect(noisy(2.2).matches[0]!.model).toBe('cargo-legacy');
  });

  it('shrinks the estimate toward the named client total-failure range, and its interval holds the plateau read', () => {
    const est = noisy(2.75);
    expect(est.attemptsPerRequest).toBeGreaterThan(2.75);
    expect(est.attemptsPerRequest).toBeLessThan(3.25);
    expect(est.attemptsPerRequestLow).toBeLessThan(2.75);
    expect(est.attemptsPerRequestHigh).toBeGreaterThan(3.25);
  });
});

describe('the σ a ramp-fitted plateau is read through', () => {
  it('adds the noise and the onsets that fit as independent errors (numpy: hypot(0.1, log(3.2/2.8)/4) = 0.105425, not their sum 0.133383)', () => {
    expect(plateauLogSigma(Math.exp(0.2), 2.8, 3.2)).toBeCloseTo(0.105425, 5);
  });

  // 15 s ticks at the bundled noise: a storm of builds of 4 crates (3.25x) read 60 s in.
  const clean = (plateau: number) => totalFailureRead(plateau, 0.05, 0.08);

  it('lets clean data of small builds move the estimate off the prior bulk near R', () => {
    // Half-widths added in log made the plateau's σ 0.069 (0.053 combined), and the posterior leaned
    // further toward the prior's bulk near 3: 3.15 instead of 3.17.
    const est = clean(3.25);
    expect(est.matches[0]!.model).toBe('cargo');
    expect(est.matches[0]!.plateauLogSigma).toBeLessThan(0.06);
    expect(est.attemptsPerRequest).toBeGreaterThan(3.16);
    expect(est.attemptsPerRequest).toBeLessThan(3.25);
  });
});

describe('a ramp read through the demand level just before the onset', () => {
  const legacy = models.find((m) => m.name === 'cargo-legacy')!;
  const tickMs = 15_000;
  /** A storm of cargo <= 1.69 at 15 s ticks: demand at `level` of the baseline, onset 40 % into the first tick. */
  function legacyStorm(level: number, plateau: number, levelLogSigma: number | undefined) {
    const multipliers = [1, 2, 3, 4].map((j) => level * (1 + (plateau - 1) * tickFractionAt(legacy, tickMs, j, 6)));
    const runMean = multipliers.reduce((s, x) => s + x, 0) / multipliers.length;
    return estimateAmplification(
      {
        requests: 1000 * runMean, requestsBaseline: 1000, logRateSigma: 0.12, failing: 1, failingLow: 0.97, failingHigh: 1,
        ramp: { tickMs, elapsedMs: 45_000 },
        rampTicks: { tickMs, level, multipliers, tickLogSigma: 0.25, ...(levelLogSigma === undefined ? {} : { levelLogSigma, beforeOnsetShare: 0.4 }) },
      },
      models,
    );
  }

  it('reads the ramp through what demand strays within a tick or two, never more than one tick\'s σ', () => {
    expect(rampResidualSigma(0.25, 0.07)).toBe(0.07);
    expect(rampResidualSigma(0.05, 0.07)).toBe(0.05);
    expect(rampResidualSigma(0.25, 0.001)).toBe(MIN_RAMP_LOG_SIGMA);
    expect(rampResidualSigma(0.25, Number.NaN)).toBe(0.25);
  });

  it('places the onset around the first tick\'s successes at a total failure, and only bounds it otherwise', () => {
    const total = onsetWithin(0.4, 0.05, true)!;
    expect(total.low).toBeCloseTo(0.4 - 0.04 - 1 / 16, 9);
    expect(total.high).toBeCloseTo(0.4 + 0.04 + 1 / 16, 9);
    expect(onsetWithin(0.4, 0.05, false)!.low).toBe(0);
    expect(onsetWithin(Number.NaN, 0.05, true)).toBeUndefined();
  });

  it('names cargo <= 1.69 from its immediate ramp when its plateau sits where npm\'s prior crowds (2x at 3x demand noise)', () => {
    const est = legacyStorm(1, 2.05, 0.07);
    expect(est.matches[0]!.model).toBe('cargo-legacy');
  });

  it('sees a storm of 1.35x on demand 20 % below the baseline from the ticks around the onset, not from the baseline', () => {
    expect(legacyStorm(0.8, 1.35, undefined).amplified).toBe(false);
    expect(legacyStorm(0.8, 1.35, undefined).matches).toHaveLength(0);
    const est = legacyStorm(0.8, 1.35, 0.07);
    expect(est.amplified).toBe(true);
    expect(est.matches[0]!.model).toBe('cargo-legacy');
    expect(est.matches.map((x) => x.model)).not.toContain('go-modules');
    // Demand level moved, not attempts: no rise at the onset names no client.
    expect(legacyStorm(0.8, 1.02, 0.07).matches).toHaveLength(0);
  });
});

describe('a plateau read against a level of few noisy ticks', () => {
  const cargoModel = models.find((m) => m.name === 'cargo')!;
  const tickMs = 1000;
  /** A cargo storm at 1 s ticks (plateau 3.25), 40 ticks since the onset, its level from `levelCount` ticks of spread `levelLogSigma`. */
  function cargoStorm(levelCount: number, levelLogSigma: number) {
    const multipliers = Array.from({ length: 40 }, (_, i) => 1 + 2.25 * tickFractionAt(cargoModel, tickMs, i + 1, 0.5));
    const runMean = multipliers.reduce((s, x) => s + x, 0) / multipliers.length;
    return estimateAmplification(
      {
        requests: 12 * runMean, requestsBaseline: 12, logRateSigma: 0.35 / Math.sqrt(40), failing: 1, failingLow: 0.97, failingHigh: 1,
        ramp: { tickMs, elapsedMs: 40_000 },
        rampTicks: { tickMs, level: 1, levelCount, multipliers, tickLogSigma: 0.6, levelLogSigma, beforeOnsetShare: 0.5 },
      },
      models,
    );
  }

  it('adds the level\'s standard error to the plateau\'s: ticks\' spread over √(their number)', () => {
    expect(levelStandardError({ tickMs, level: 1, levelCount: 25, multipliers: [], levelLogSigma: 0.6 })).toBeCloseTo(0.12, 12);
    expect(levelStandardError({ tickMs, level: 1, multipliers: [], levelLogSigma: 0.6 })).toBe(0);
    expect(levelStandardError(undefined)).toBe(0);
  });

  it('widens the interval of attempts per request when the level is 8 bursty ticks rather than 30', () => {
    const few = cargoStorm(8, 0.6);
    const many = cargoStorm(30, 0.6);
    expect(few.matches[0]!.model).toBe('cargo');
    expect(many.matches[0]!.model).toBe('cargo');
    expect(Math.log(few.multiplierHigh / few.multiplierLow)).toBeGreaterThan(Math.log(many.multiplierHigh / many.multiplierLow) * 1.3);
    for (const est of [few, many]) {
      expect(est.attemptsPerRequestLow).toBeLessThanOrEqual(3.25);
      expect(est.attemptsPerRequestHigh).toBeGreaterThanOrEqual(3.25);
    }
  });
});

describe('the interval of attempts per request averaged over the clients that fit', () => {
  /** A fitting match whose score (tick σ 1, no posterior, plateau at its prediction's centre) is its ramp RSS. */
  function match(model: string, rampRss: number, low: number, high: number, generic = false): ModelMatch {
    return { model, retries: 3, predictedLow: low, predictedHigh: high, regime: 'total', distance: 0, generic, centreGap: 0, rampRss, multiplier: Math.sqrt(low * high), multiplierLow: low, multiplierHigh: high };
  }

  // Reference: scipy 1.17 (norm.cdf, brentq) on the same log-normal mixture, weights exp(−Δscore/2):
  // Δ 1 -> 2.5 % point 1.438103; Δ 2·ln 20 -> 2.035499 (the 97.5 % points, 4.103 and 4.190, lie
  // inside the best model's own 4.2, which is kept).
  it('reads the 2.5 % and 97.5 % points of the models\' log-normal mixture, each weighted by its likelihood', () => {
    const best = match('cargo', 10, 2.7, 4.2);
    const [lo, hi] = modelAveragedInterval([best, match('cargo-legacy', 11, 1.3, 3.1)], 1, 2.7, 4.2);
    expect(lo).toBeCloseTo(1.438103, 4);
    expect(hi).toBe(4.2);
    expect(modelAveragedInterval([best, match('cargo-legacy', 10 + 2 * Math.log(20), 1.3, 3.1)], 1, 2.7, 4.2)[0]).toBeCloseTo(2.035499, 4);
  });

  it('keeps the best model\'s interval when no other fits, or only a catch-all', () => {
    const best = match('cargo', 10, 2.7, 4.2);
    expect(modelAveragedInterval([best], 1, 2.7, 4.2)).toEqual([2.7, 4.2]);
    expect(modelAveragedInterval([best, match('generic-exponential', 10, 1.05, 9, true)], 1, 2.7, 4.2)).toEqual([2.7, 4.2]);
    // One the data makes a thousand times less likely weighs nothing.
    expect(modelAveragedInterval([best, match('pip', 10 + 2 * Math.log(2000), 1.1, 9)], 1, 2.7, 4.2)).toEqual([2.7, 4.2]);
  });
});

describe('a client named only when the data can tell it apart', () => {
  // A total failure at 15 s ticks, read on its first tick (0.6 of the way to 3x) or on four.
  const read = (multipliers: number[]) =>
    estimateAmplification(
      {
        requests: 1000 * multipliers.at(-1)!, requestsBaseline: 1000, logRateSigma: 0.05, failing: 1, failingLow: 0.97, failingHigh: 1,
        ramp: { tickMs: 15_000, elapsedMs: (multipliers.length - 1) * 15_000 },
        rampTicks: { tickMs: 15_000, level: 1, multipliers, tickLogSigma: 0.05 },
      },
      models,
    );

  it('names none on a ramp of one tick, where one point fits every client\'s ramp, and says which fit', () => {
    const first = read([2.2]);
    expect(first.matches.length).toBeGreaterThan(1);
    expect(first.clientUndecided).toBe(true);
    expect(first.ambiguity).toContain('cannot tell them apart');
    // The interval still holds every client that fits.
    expect(first.attemptsPerRequestLow).toBeLessThan(first.attemptsPerRequestHigh);
  });

  it('names the best once the ramp has several ticks and it is likelier than the rest together', () => {
    const later = read([2.2, 3, 3, 3]);
    expect(later.clientUndecided).toBeUndefined();
    expect(bestModelShare(later.matches, 0.05)).toBeGreaterThan(0.5);
  });

  it('says how likely each client that fits is, the shares summing to one', () => {
    const later = read([2.2, 3, 3, 3]);
    const shares = later.shares!;
    expect(shares).toHaveLength(later.matches.length);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(shares[0]).toBe(Math.max(...shares));
    const specific = later.matches.flatMap((m, i) => (m.generic ? [] : [[m.model, shares[i]!] as const])).slice(0, 3);
    // cargo, npm and pip all retry 2-3 times with waits: more than one fits this ramp.
    expect(specific.length).toBeGreaterThan(1);
    const named = specific.map(([model, share]) => `${model} ${share < 0.01 ? '<1' : share > 0.99 ? '>99' : Math.round(share * 100)} %`);
    expect(later.ambiguity).toContain(`(as likely by the ramp and the plateau: ${named.join(', ')})`);
  });
});

describe('bestModelShare', () => {
  const match = (model: string, centreGap: number, generic = false): ModelMatch => ({ model, retries: 3, predictedLow: 3, predictedHigh: 3, regime: 'total', distance: 0, generic, centreGap, multiplier: 3, multiplierLow: 2.9, multiplierHigh: 3.1, rampRss: 0 });

  it('is the best model\'s likelihood over the sum of those that fit, catch-alls left out', () => {
    // Equal fits: one half each. A catch-all weighs nothing.
    expect(bestModelShare([match('a', 0), match('b', 0), match('g', 0, true)], 0.1)).toBeCloseTo(0.5, 9);
    // One alone: all of it.
    expect(bestModelShare([match('a', 0)], 0.1)).toBe(1);
  });

  it('is not a number when nothing ranks them (no ramp, no posterior)', () => {
    expect(bestModelShare([match('a', 0), match('b', 0.1)], Number.NaN)).toBeNaN();
    expect(modelShares([match('a', 0), match('b', 0.1)], Number.NaN)).toBeUndefined();
  });

  it('gives every match its share: one off-centre by the plateau scale is exp(-1/2) as likely, a catch-all none', () => {
    // Scores 0 and (0.2 / PLATEAU_SCALE)² = 1: shares 1 / (1 + e^-0.5) and the rest (0.6224593312 by hand).
    const shares = modelShares([match('a', 0), match('b', 0.2), match('g', 0, true)], 0.1)!;
    expect(shares[0]).toBeCloseTo(0.6224593312, 9);
    expect(shares[1]).toBeCloseTo(0.3775406688, 9);
    expect(shares[2]).toBe(0);
    expect(bestModelShare([match('a', 0), match('b', 0.2)], 0.1)).toBe(shares[0]);
  });

  it('divides the likelihood ratios by how much more than its noise the best ramp strays (ĉ = χ²/dof)', () => {
    const strays = (chi2: number, dof: number) => ({ ...match('a', 0), rampFit: { chi2, dof } });
    // Score gap 1 between a and b: at ĉ = 4 the ratio is exp(-1/8), 1 / (1 + e^-0.125) = 0.5312093734 by hand.
    const shares = modelShares([strays(40, 10), match('b', 0.2)], 0.1)!;
    expect(shares[0]).toBeCloseTo(0.5312093734, 9);
    // A ramp within its noise, or too few ticks to say, leaves the ratios as they are.
    expect(modelShares([strays(8, 10), match('b', 0.2)], 0.1)![0]).toBeCloseTo(0.6224593312, 9);
    expect(modelShares([strays(40, 2), match('b', 0.2)], 0.1)![0]).toBeCloseTo(0.6224593312, 9);
    expect(overdispersion(strays(40, 10))).toBe(4);
    expect(overdispersion(strays(8, 10))).toBe(1);
    expect(overdispersion(match('a', 0))).toBe(1);
  });
});

describe('a single specific client among catch-alls', () => {
  it('is named on one tick: a catch-all is no rival to a name', () => {
    const est = estimateAmplification(
      {
        requests: 1000 * 1.45, requestsBaseline: 1000, logRateSigma: 0.05, failing: 1, failingLow: 0.97, failingHigh: 1,
        ramp: { tickMs: 15_000, elapsedMs: 0 },
        rampTicks: { tickMs: 15_000, level: 1, multipliers: [1.45], tickLogSigma: 0.05 },
      },
      [models.find((m) => m.name === 'cargo-legacy')!, ...models.filter((m) => m.generic === true)],
    );
    expect(est.matches[0]?.model).toBe('cargo-legacy');
    expect(est.matches.length).toBeGreaterThan(1);
    expect(est.clientUndecided).toBeUndefined();
  });
});
