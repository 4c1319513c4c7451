import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/load.js';
import { SlabPool } from '../../src/core/slab.js';
import type { Evaluation } from '../../src/core/types.js';
import { LEVEL_NOISE_MIN_TICKS, MAX_RAMP_TICKS, RampRecorder, fitRamp, levelTicks, onsetMarginal, walkChi2 } from '../../src/detectors/ramp-fit.js';
import { estimateAmplification } from '../../src/detectors/retry-amplification.js';
import { onsetPoints, tickFractionAt } from '../../src/detectors/retry-ramp.js';
import { columnScratch, encodeValue } from '../../src/core/column-encoder.js';
import { mulberry32 } from '../../scripts/sim/random.js';

const models = loadBundledClientModels();
const cargo = models.find((m) => m.name === 'cargo')!;
const legacy = models.find((m) => m.name === 'cargo-legacy')!;

/** Multipliers a storm of `model` shows over `n` ticks: demand at `level`, plateau 1 + excess, onset 70 % into the first tick. */
function storm(model: typeof cargo, tickMs: number, n: number, excess: number, level: number): number[] {
  const tau = onsetPoints(tickMs)[5]!;
  return Array.from({ length: n }, (_, i) => level * (1 + excess * tickFractionAt(model, tickMs, i + 1, tau)));
}

describe('fitRamp', () => {
  it('recovers the plateau of the model that made the ramp, demand level divided out', () => {
    const fit = fitRamp(cargo, { tickMs: 15_000, level: 1.1, multipliers: storm(cargo, 15_000, 4, 2.05, 1.1) });
    expect(fit.plateau).toBeCloseTo(3.05, 3);
    expect(fit.rss).toBeLessThan(1e-8);
    expect(fit.ticks).toBe(4);
  });

  it('cannot fit delayed retries with immediate ones: cargo\'s second tick is still climbing', () => {
    const fromCargo = storm(cargo, 5_000, 6, 2.05, 1);
    // Four times one tick's variance at σ = 0.05: a worse fit than noise explains. (The other way
    // round, an early onset lets cargo's short ramp pass for a step: their plateaus tell them apart.)
    expect(fitRamp(legacy, { tickMs: 5_000, level: 1, multipliers: fromCargo }).rss).toBeGreaterThan(4 * 0.05 ** 2);
    expect(fitRamp(cargo, { tickMs: 5_000, level: 1, multipliers: fromCargo }).rss).toBeLessThan(1e-8);
  });

  it('cannot place the onset from one tick: the plateau is given as a range', () => {
    const fit = fitRamp(cargo, { tickMs: 15_000, level: 1, multipliers: storm(cargo, 15_000, 1, 2.05, 1) }, 0, 0.05);
    expect(fit.plateauLow).toBeLessThan(3.05);
    expect(fit.plateauHigh).toBeGreaterThan(3.05);
  });

  it('fits only the onsets it is given: a step read as cargo\'s ramp fits worse once the onset is placed', () => {
    const tickMs = 15_000;
    const tau = onsetPoints(tickMs)[3]!;
    const step = Array.from({ length: 4 }, (_, i) => 1 + 1.5 * tickFractionAt(legacy, tickMs, i + 1, tau));
    const share = tau / (tickMs / 1000);
    const free = fitRamp(cargo, { tickMs, level: 1, multipliers: step });
    const placed = fitRamp(cargo, { tickMs, level: 1, multipliers: step, onsetWithin: { low: share - 0.01, high: share + 0.01 } });
    expect(placed.rss).toBeGreaterThan(free.rss + 0.01);
    expect(fitRamp(legacy, { tickMs, level: 1, multipliers: step, onsetWithin: { low: share - 0.01, high: share + 0.01 } }).rss).toBeLessThan(1e-8);
  });

  it('reads a flat plateau of lumpy ticks at their mean, ticks with no request counted, not at their geometric mean', () => {
    // 1 s ticks of whole builds retrying at once: each tick holds 0-2 builds' worth. The first tick
    // (the onset's) is a gap, so every tick read lies wholly after the onset: the ramp is flat.
    const lumps = [Number.NaN, 0, 5.6, 2.8, 1.4, 4.2, 0, 2.8, 5.6, 2.8, 2.8];
    const fit = fitRamp(legacy, { tickMs: 1000, level: 1, multipliers: lumps });
    // Their mean is 2.8. A least-squares fit in log M reads their geometric mean with the empty
    // ticks left out, exp(1.16695) = 3.21 (by hand); over many draws it reads low (ramp-fit.ts).
    // Against a level of 1.4 they read 2.
    expect(fit.plateau).toBeCloseTo(2.8, 3);
    expect(fitRamp(legacy, { tickMs: 1000, level: 1.4, multipliers: lumps }).plateau).toBeCloseTo(2, 3);
    // Only ticks with requests have a log residual: the shape's fit is over those.
    expect(fit.ticks).toBe(8);
  });

  it('skips gaps and says nothing without ticks', () => {
    const ticks = storm(cargo, 15_000, 3, 2, 1);
    ticks[1] = Number.NaN;
    expect(fitRamp(cargo, { tickMs: 15_000, level: 1, multipliers: ticks }).ticks).toBe(2);
    expect(fitRamp(cargo, { tickMs: 15_000, level: 1, multipliers: [] }).plateau).toBeNaN();
  });
});

describe('walkChi2', () => {
  it('is the residuals\' quadratic form under a walking demand, rᵀΣ⁻¹r, a tick without requests skipped', () => {
    // numpy 2.4: j = [1, 2, 4, 5]; r = log([2.3, 3.8, 4.1, 4.3]) − log(1 + 2.9·[0.6, 1, 1, 1]);
    // S = 0.0013·I + 0.0043 + 0.0024·minimum.outer(j, j); r @ solve(S, r) = 9.50899386258743
    const points = [
      { r: 2.3, y: Math.log(2.3), f: 0.6, j: 1 },
      { r: 3.8, y: Math.log(3.8), f: 1, j: 2 },
      { r: 0, y: Number.NaN, f: 1, j: 3 },
      { r: 4.1, y: Math.log(4.1), f: 1, j: 4 },
      { r: 4.3, y: Math.log(4.3), f: 1, j: 5 },
    ];
    expect(walkChi2(points, 2.9, { white: 0.0013, walk: 0.0024, start: 0.0043 })).toBeCloseTo(9.50899386258743, 10);
  });

  it('is the sum of squares over the tick variance when demand does not walk', () => {
    const points = [1.5, 2.5, 2.4].map((m, i) => ({ r: m, y: Math.log(m), f: i === 0 ? 0.4 : 1, j: i + 1 }));
    const rss = points.reduce((s, p) => s + (p.y - Math.log(1 + 1.5 * p.f)) ** 2, 0);
    expect(walkChi2(points, 1.5, { white: 0.01, walk: 0, start: 0 })).toBeCloseTo(rss / 0.01, 12);
  });
});

describe('estimateAmplification through a walking demand', () => {
  const curl = models.find((m) => m.name === 'curl-retry-5')!;
  const tickMs = 15_000;
  /** Six ticks of a total failure from `tau` seconds into the first, demand rising by `drift` in log a tick. */
  function drifting(model: typeof cargo, excess: number, drift: number, tau: number, demandNoise?: { white: number; walk: number }) {
    const multipliers = Array.from({ length: 6 }, (_, i) => Math.exp(drift * (i + 1)) * (1 + excess * tickFractionAt(model, tickMs, i + 1, tau)));
    const runMean = multipliers.reduce((s, x) => s + x, 0) / multipliers.length;
    const rampTicks = { tickMs, level: 1, levelCount: 2, multipliers, tickLogSigma: 0.24, levelLogSigma: 0.055, beforeOnsetShare: tau / 15, ...(demandNoise ? { demandNoise } : {}) };
    return estimateAmplification({ requestsBaseline: 1000, logRateSigma: 0.24, failing: 1, failingLow: 0.97, failingHigh: 1, requests: 1000 * runMean, ramp: { tickMs, elapsedMs: 5 * tickMs }, rampTicks }, models);
  }
  // Demand wandering as the simulator's at twice its noise: σ 0.049 a 15 s tick, all of it walk.
  const walk = { white: 0, walk: 0.0024 };
  // Onsets all over the first tick, none on the fit's grid (onsetPoints): where the onset falls must not decide.
  const onsets = Array.from({ length: 24 }, (_, i) => ((i + 0.37) / 24) * 15);

  it('names cargo when demand rises 5 % a tick past its 11 s chain, wherever the onset falls, where independent ticks named a slower client', () => {
    // Builds of about ten crates: 3.1 attempts a request.
    const independent = onsets.map((tau) => drifting(cargo, 2.1, 0.05, tau).matches[0]?.model);
    expect(independent.filter((m) => m === 'curl-retry-5').length).toBeGreaterThanOrEqual(3);
    for (const tau of onsets) {
      const est = drifting(cargo, 2.1, 0.05, tau, walk);
      expect(est.matches[0]?.model).toBe('cargo');
      expect(est.attemptsPerRequest).toBeGreaterThanOrEqual(3);
      expect(est.attemptsPerRequest).toBeLessThanOrEqual(3.5);
    }
  });

  it('still names a slow chain for what it is: curl\'s 31 s ramp is no drift of demand', () => {
    for (const drift of [0, 0.05]) {
      for (const tau of [onsets[3]!, onsets[12]!, onsets[21]!]) {
        const est = drifting(curl, 5, drift, tau, walk);
        expect(est.matches[0]?.model).toBe('curl-retry-5');
        expect(est.attemptsPerRequest).toBeCloseTo(6, 0);
      }
    }
  });
});

describe('onsetMarginal', () => {
  it('is −2 log of the likelihoods averaged over the onsets (Python: −2·log(mean(exp(−s/2))) of [3, 5, 10] = 4.527029386303885)', () => {
    expect(onsetMarginal([3, 5, 10])).toBeCloseTo(4.527029386303885, 12);
    // Far from the best it stays exact (the best is factored out first), and one onset is its own score.
    expect(onsetMarginal([2003, 2005, 2010])).toBeCloseTo(2004.527029386303885, 9);
    expect(onsetMarginal([7])).toBe(7);
  });

  it('ranks a ramp that fits wherever the onset may lie above one that fits at a single onset as well', () => {
    expect(onsetMarginal([1, 1, 1, 1])).toBeLessThan(onsetMarginal([1, 9, 9, 9]));
  });
});

describe('estimateAmplification on ramps', () => {
  const base = { requestsBaseline: 1000, logRateSigma: 0.05, failing: 1, failingLow: 0.97, failingHigh: 1 };

  it.each([
    [cargo, 2.05, 15_000],
    [cargo, 2.05, 5_000],
    // cargo ≤ 1.69 builds of 20 crates (real cargo 1.65: 1.58 requests per crate).
    [legacy, 0.58, 15_000],
    [legacy, 0.58, 5_000],
  ])('names %s from its ramp and plateau, with its plateau as attempts per request', (model, excess, tickMs) => {
    const multipliers = storm(model, tickMs, 4, excess, 1);
    const runMean = multipliers.reduce((s, x) => s + x, 0) / multipliers.length;
    const est = estimateAmplification({ ...base, requests: 1000 * runMean, ramp: { tickMs, elapsedMs: 3 * tickMs }, rampTicks: { tickMs, level: 1, multipliers, tickLogSigma: 0.05 } }, models);
    expect(est.matches[0]?.model).toBe(model.name);
    // Within 3 %: onsets that fit as well as the best spread the plateau a little.
    expect(Math.abs(est.attemptsPerRequest / (1 + excess) - 1)).toBeLessThan(0.03);
    expect(est.attemptsPerRequestLow).toBeLessThanOrEqual(1 + excess);
    expect(est.attemptsPerRequestHigh).toBeGreaterThanOrEqual(1 + excess);
  });
});

describe('RampRecorder', () => {
  it('reads demand from the healthy ticks before onset and the multipliers since', () => {
    const r = new RampRecorder(15_000);
    for (const m of [0.5, 1.0, 1.2]) r.observe(m, 1, undefined);
    expect(r.view()).toBeUndefined();
    r.observe(2, 1, 1000);
    r.observe(3, 1, 1000);
    // Only the last levelTicks healthy ticks count (2 at 15 s ticks).
    expect(levelTicks(15_000)).toBe(2);
    expect(r.view()).toMatchObject({ tickMs: 15_000, level: 1.1, multipliers: [2, 3] });
  });

  it('writes its columns as the generic encoder writes its snapshot, at every tick of healthy stretches, runs and gaps', () => {
    const random = mulberry32(8);
    for (const tickMs of [1_000, 15_000]) {
      const r = new RampRecorder(tickMs);
      let runSince: number | undefined;
      for (let k = 0; k < 400; k++) {
        // Healthy, then runs of a few ticks (some failing), a missing tick now and then; rates of every kind of value.
        if (k % 50 === 20) runSince = k * tickMs;
        if (k % 50 === 28) runSince = undefined;
        const requests = k % 37 === 5 ? Number.NaN : random() < 0.1 ? Math.round(100 * random()) : 50 + 10 * random();
        r.observe(requests, runSince === undefined ? 55 : k % 3 === 0 ? Number.NaN : 55, runSince, k % 4 === 0 ? Number.NaN : random());
        const direct = columnScratch();
        const viaValue = columnScratch();
        const template = r.encodeColumns(direct);
        expect(template).toBe(encodeValue(r.snapshot(), viaValue));
        for (const c of ['f64', 'f32', 'i16'] as const) expect(Array.from(direct[c].data.subarray(0, direct[c].length))).toEqual(Array.from(viaValue[c].data.subarray(0, viaValue[c].length)));
      }
    }
  });

  it("reads each run's own ticks when runs of several series end and begin in turn", () => {
    // A run's arrays are kept for the next run of any series once it ends: none may show another's ticks.
    const a = new RampRecorder(15_000);
    const b = new RampRecorder(15_000);
    for (const r of [a, b]) for (const m of [1, 1]) r.observe(m, 1, undefined);
    a.observe(2, 1, 1000);
    a.observe(3, 1, 1000);
    const seen = a.view()!.multipliers;
    a.observe(1, 1, undefined);
    expect(a.view()).toBeUndefined();
    b.observe(5, 1, 7000);
    a.observe(6, 1, 9000);
    b.observe(7, 1, 7000);
    expect(b.view()!.multipliers).toEqual([5, 7]);
    expect(a.view()!.multipliers).toEqual([6]);
    // What a view handed out is its own.
    expect(seen).toEqual([2, 3]);
  });

  it('keeps the last healthy ticks in order through its ring, and restores them from a snapshot', () => {
    const r = new RampRecorder(1_000);
    const k = levelTicks(1_000);
    const healthy = Array.from({ length: k + 3 }, (_, i) => 1 + i / 8);
    for (const m of healthy) r.observe(m, 1, undefined);
    r.observe(Number.NaN, 1, undefined);
    const saved = r.snapshot();
    expect(saved.before).toEqual(healthy.slice(-k));
    r.observe(4, 1, 5000);
    const copy = new RampRecorder(1_000);
    copy.restore(JSON.parse(JSON.stringify(saved)));
    copy.observe(4, 1, 5000);
    expect(copy.view()).toEqual(r.view());
    // The level is the mean of the last k, summed oldest first.
    expect(r.view()!.level).toBe(healthy.slice(-k).reduce((s, x) => s + x, 0) / k);
  });

  it('measures how far a healthy tick strays from the level before it, and keeps it through a snapshot', () => {
    const r = new RampRecorder(15_000);
    // Alternating 1.1 and 1/1.1: each tick is log 1.1 from the level (1.1 + 1/1.1) / 2 ≈ 1.0045 ± a little.
    // Until LEVEL_NOISE_MIN_TICKS ticks, the level's own ticks' spread, from 4 of them: never at
    // 15 s, where the level is 2 ticks.
    for (let i = 0; i < LEVEL_NOISE_MIN_TICKS + 1; i++) {
      expect(r.levelLogSigma()).toBeNaN();
      r.observe(i % 2 === 0 ? 1.1 : 1 / 1.1, 1, undefined);
    }
    for (let i = 0; i < 40; i++) r.observe(i % 2 === 0 ? 1.1 : 1 / 1.1, 1, undefined);
    const sigma = r.levelLogSigma();
    expect(sigma / (Math.log(1.1) * Math.sqrt(Math.PI / 2))).toBeCloseTo(1, 1);
    const copy = new RampRecorder(15_000);
    copy.restore(JSON.parse(JSON.stringify(r.snapshot())));
    expect(copy.levelLogSigma()).toBe(sigma);
    // A snapshot from before the level noise was kept: measured afresh (from the level's ticks meanwhile).
    const old = r.snapshot();
    delete old.levelNoise;
    copy.restore(JSON.parse(JSON.stringify(old)));
    expect(copy.levelLogSigma()).not.toBe(sigma);
    // One from before the level was kept as rates: its multipliers are dropped, the level read afresh.
    delete old.beforeRates;
    copy.restore(JSON.parse(JSON.stringify(old)));
    expect(copy.levelLogSigma()).toBeNaN();
    expect(copy.snapshot().before).toEqual([]);
  });

  it('splits healthy demand\'s noise into a tick\'s own and a random walk\'s, and keeps them through a snapshot', () => {
    // A seeded normal (Box-Muller over a 32-bit LCG): the test must not depend on luck.
    let state = 12345;
    const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const read = (tickMs: number, whiteSigma: number, walkSigma: number) => {
      const r = new RampRecorder(tickMs);
      let level = 0;
      for (let i = 0; i < 3000; i++) {
        level += walkSigma * normal();
        r.observe(1000 * Math.exp(level + whiteSigma * normal()), 1000, undefined);
      }
      return { recorder: r, noise: r.demandNoise()! };
    };
    // All walk (15 s ticks, the level 2 ticks), all tick noise, and at 1 s (the level 30 ticks) a
    // tick's own noise of lumpy builds over a slow walk: the walk's estimate is then loose (0-10x
    // over seeds: lag-30 differences overlap), but small beside the tick's noise.
    const walking = read(15_000, 0, 0.05).noise;
    expect(walking.walk / 0.05 ** 2).toBeGreaterThan(0.6);
    expect(walking.walk / 0.05 ** 2).toBeLessThan(1.5);
    expect(walking.white).toBeLessThan(0.25 * walking.walk);
    const white = read(15_000, 0.05, 0).noise;
    expect(white.white / 0.05 ** 2).toBeGreaterThan(0.6);
    expect(white.white / 0.05 ** 2).toBeLessThan(1.5);
    expect(white.walk).toBeLessThan(0.2 * white.white);
    const { recorder, noise: both } = read(1_000, 0.3, 0.01);
    expect(both.white / 0.3 ** 2).toBeGreaterThan(0.7);
    expect(both.white / 0.3 ** 2).toBeLessThan(1.4);
    expect(both.walk).toBeLessThan(0.05 * both.white);
    // Kept through a snapshot; one saved before the lags were kept measures them afresh.
    const copy = new RampRecorder(1_000);
    copy.restore(JSON.parse(JSON.stringify(recorder.snapshot())));
    expect(copy.demandNoise()).toEqual(both);
    const old = recorder.snapshot();
    old.levelNoise = [old.levelNoise![0], old.levelNoise![1]];
    copy.restore(JSON.parse(JSON.stringify(old)));
    expect(copy.demandNoise()).toBeUndefined();
    expect(copy.levelLogSigma()).toBe(recorder.levelLogSigma());
  });

  it('keeps the level as request rates, read over the baseline of the run when one starts', () => {
    const r = new RampRecorder(1_000);
    // A sidecar just started: its baseline is not known yet, the level is already measured.
    for (let i = 0; i < 30; i++) r.observe(i % 3 === 0 ? 0 : 18, Number.NaN, undefined);
    r.observe(30, 10, 5000);
    r.observe(36, 10, 5000);
    const view = r.view()!;
    expect(view.level).toBeCloseTo(1.2, 9);
    expect(view.levelCount).toBe(30);
    expect(view.multipliers).toEqual([3, 3.6]);
    // Bursty ticks (a third hold no request): the spread is their coefficient of variation, zeros included.
    const rates: number[] = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 0 : 18));
    const mean = 12;
    const sd = Math.sqrt(rates.reduce((s, x) => s + (x - mean) ** 2, 0) / 29);
    expect(view.levelLogSigma).toBeCloseTo(sd / mean, 9);
    const copy = new RampRecorder(1_000);
    copy.restore(JSON.parse(JSON.stringify(r.snapshot())));
    expect(copy.view()).toEqual(view);
  });

  it('reads where in the first tick the onset came from that tick\'s successes over the level', () => {
    const r = new RampRecorder(15_000);
    for (let i = 0; i < 3; i++) r.observe(1, 1, undefined);
    // 40 % of the tick healthy at the level, then every attempt failing at 2x: 0.4 + 0.6·2 = 1.6, 1.2 of it failing.
    r.observe(1.6, 1, 1000, 1.2 / 1.6);
    r.observe(2, 1, 1000, 1);
    expect(r.view()!.beforeOnsetShare).toBeCloseTo(0.4, 6);
    const copy = new RampRecorder(15_000);
    copy.restore(JSON.parse(JSON.stringify(r.snapshot())));
    expect(copy.view()!.beforeOnsetShare).toBeCloseTo(0.4, 6);
  });

  it('takes the first tick\'s failing fraction from its funnel when a run starts, not from later ticks', () => {
    const r = new RampRecorder(15_000);
    const spike = (sinceMs?: number): Evaluation => ({ kind: 'rate_spike', status: 'normal', score: 0, observed: 0, baseline: 100, sigma: 0.05, ...(sinceMs === undefined ? {} : { run: { sinceMs, multiplier: 1, logSigma: 0.05, seconds: 15 } }) });
    const funnel = (completion: number): Evaluation => ({ kind: 'funnel_drop', status: 'anomalous', score: -9, observed: completion, baseline: 0.9, sigma: 0.01 });
    for (let i = 0; i < 3; i++) r.observeTick(100, [spike(), funnel(0.9)]);
    // 160 requests, a quarter of the baseline completion: 75 % failing, 40 of the 160 succeed.
    r.observeTick(160, [spike(1000), funnel(0.225)]);
    r.observeTick(200, [spike(1000), funnel(0)]);
    expect(r.view()!.beforeOnsetShare).toBeCloseTo(0.4, 6);
  });

  it('moves a run\'s start forward to where the detector restarted it: the ticks before join the level', () => {
    const r = new RampRecorder(1_000);
    for (let t = 0; t < 20; t++) r.observe(10, 10, undefined);
    // Noise held the evidence up from t = 20 s: two ticks at the level, recorded as the run's.
    r.observe(11, 10, 20_000);
    r.observe(12, 10, 20_000);
    expect(r.view()!.multipliers).toEqual([1.1, 1.2]);
    // The failure alarms at t = 23 s and the run restarts at its rise, t = 22 s (the tick before).
    r.observe(30, 10, 22_000);
    const view = r.view()!;
    expect(view.multipliers).toEqual([3]);
    // The two dropped ticks end the level (rates, over the run's baseline of 10): not lost.
    const rates = [...Array<number>(20).fill(10), 11, 12].slice(-levelTicks(1_000));
    expect(view.levelCount).toBe(rates.length);
    expect(view.level).toBeCloseTo(rates.reduce((a, b) => a + b, 0) / rates.length / 10, 12);
    expect(Number.isNaN(view.beforeOnsetShare)).toBe(true);
    r.observe(40, 10, 22_000);
    expect(r.view()!.multipliers).toEqual([3, 4]);
  });

  it('starts over with a new run and stays bounded', () => {
    const r = new RampRecorder(1_000);
    for (let i = 0; i < MAX_RAMP_TICKS + 10; i++) r.observe(2, 1, 1000);
    expect(r.view()!.multipliers).toHaveLength(MAX_RAMP_TICKS);
    r.observe(5, 1, 9000);
    expect(r.view()!.multipliers).toEqual([5]);
  });
});

describe('RampRecorder in a pool of regions', () => {
  /** Healthy ticks, then a failure run of rising multipliers (its level, ring and run all used). */
  function feed(r: RampRecorder, seed: number): void {
    for (let i = 0; i < 12; i++) r.observe(100 + ((i * 7 + seed) % 5), 100, undefined);
    for (let i = 0; i < 6; i++) r.observe(120 + 40 * i + seed, 100, 1_000_000, 0.9);
  }

  it('reads as one of its own; released, keeps its numbers, and the next recorder in its region starts empty', () => {
    const pool = new SlabPool();
    const pooled = new RampRecorder(15_000, pool);
    const own = new RampRecorder(15_000);
    feed(pooled, 1);
    feed(own, 1);
    expect(pooled.snapshot()).toEqual(own.snapshot());
    const before = JSON.stringify(pooled.snapshot());
    pooled.release(pool);
    // The next recorder of the pool takes the released region: it starts as a new one does, and
    // what it records is not read by the released one.
    const next = new RampRecorder(15_000, pool);
    expect(next.snapshot()).toEqual(new RampRecorder(15_000).snapshot());
    feed(next, 3);
    expect(JSON.stringify(pooled.snapshot())).toBe(before);
    const alone = new RampRecorder(15_000);
    feed(alone, 3);
    expect(next.snapshot()).toEqual(alone.snapshot());
  });
});
