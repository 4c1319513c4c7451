import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/load.js';
import { totalFailurePrior } from '../../src/detectors/plateau-prior.js';
import { countObservation, rampPosterior, tridiagonalLogDensity } from '../../src/detectors/ramp-likelihood.js';
import { MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S } from '../../src/detectors/retry-amplification.js';
import { onsetPoints, tickFractionAt } from '../../src/detectors/retry-ramp.js';

const models = loadBundledClientModels();
const cargo = models.find((m) => m.name === 'cargo')!;
const legacy = models.find((m) => m.name === 'cargo-legacy')!;
const npm = models.find((m) => m.name === 'npm')!;

/** Ticks of a storm of `model`: demand 1 (times `wander(t)`), plateau `m`, onset `tau` seconds into the first tick. */
function storm(model: typeof cargo, tickMs: number, n: number, m: number, tau: number, wander: (t: number) => number = () => 1): number[] {
  return Array.from({ length: n }, (_, i) => wander(i + 1) * (1 + (m - 1) * tickFractionAt(model, tickMs, i + 1, tau)));
}

describe('rampPosterior', () => {
  it('matches numerical integration of the same model (numpy/scipy: log evidence 4.24828, mean 1.94111, 95 % 1.5026-2.1656)', () => {
    // A client retrying at once, a two-point prior (1.5x, 2x) widened by the mix slack, two healthy
    // ticks and four since; scipy.integrate.quad over the wander's σ (log-uniform, 0.01-0.5), a
    // 6001-point trapezoid in log M (.scratch reference script, not this grid).
    const atOnce = { maxRetries: 2, delaysSeconds: [{ min: 0, max: 0 }, { min: 0, max: 0 }], abortsOnFirstExhausted: true };
    const p = rampPosterior(atOnce, [{ logM: Math.log(2), weight: 0.5 }, { logM: Math.log(1.5), weight: 0.5 }], { tickMs: 15_000, before: [1.02, 0.97], multipliers: [1.5, 1.9, 1.85, 2.0] }, MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S)!;
    expect(p.logEvidence).toBeCloseTo(4.248284, 3);
    expect(p.multiplier).toBeCloseTo(1.941108, 3);
    // The interval's ends within one grid step (0.008 in log M).
    expect(Math.abs(Math.log(p.multiplierLow / 1.502605))).toBeLessThan(0.009);
    expect(Math.abs(Math.log(p.multiplierHigh / 2.165645))).toBeLessThan(0.009);
  });

  it('tells retries at once from delayed ones by the ramp at 5 s ticks, whichever the onset', () => {
    for (const tau of onsetPoints(5_000)) {
      const series = (model: typeof cargo, m: number) => ({ tickMs: 5_000, before: [1, 1, 1, 1], multipliers: storm(model, 5_000, 8, m, tau, (t) => 1 + 0.01 * Math.sin(t)) });
      const ev = (model: typeof cargo, s: ReturnType<typeof series>) => rampPosterior(model, totalFailurePrior(model), s, MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S)!.logEvidence;
      const fromLegacy = series(legacy, 1.8);
      expect(ev(legacy, fromLegacy)).toBeGreaterThan(ev(npm, fromLegacy) + 1);
      const fromCargo = series(cargo, 3.1);
      expect(ev(cargo, fromCargo)).toBeGreaterThan(ev(legacy, fromCargo));
    }
  });

  it('reads the plateau from the step at the onset, not from the minute of wander after it', () => {
    // Demand falls 2 % a tick after the onset: the ticks' mean reads ~10 % low, the step does not.
    const multipliers = storm(legacy, 15_000, 4, 1.6, 2, (t) => 0.98 ** t);
    const p = rampPosterior(legacy, totalFailurePrior(legacy), { tickMs: 15_000, before: [1, 1], multipliers }, MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S)!;
    expect(Math.abs(p.multiplier / 1.6 - 1)).toBeLessThan(0.05);
    expect(p.multiplierLow).toBeLessThan(1.6);
    expect(p.multiplierHigh).toBeGreaterThan(1.6);
  });

  it('cannot say without a healthy tick before the onset or a tick since', () => {
    expect(rampPosterior(legacy, totalFailurePrior(legacy), { tickMs: 15_000, before: [], multipliers: [1.5, 1.9] }, MIX_LOG_SIGMA, 1)).toBeUndefined();
    expect(rampPosterior(legacy, totalFailurePrior(legacy), { tickMs: 15_000, before: [1], multipliers: [Number.NaN] }, MIX_LOG_SIGMA, 1)).toBeUndefined();
  });
});

/** A seeded uniform generator (mulberry32), for counts drawn in the tests. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poissonDraw(random: () => number, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/**
 * 1 s ticks of the real-cargo bench's load: 3 builds/s of 4 crates (12 requests a tick), each
 * build's requests at once; from tick 1 on a total failure of `model` multiplies the expected
 * count by its ramp (plateau `m`, onset `tau` into tick 1), the count in clusters of 4 (a
 * client retrying at once: of the build's attempts).
 */
function smallStorm(model: typeof cargo, m: number, tau: number, seed: number, before = 30, since = 45): { before: number[]; multipliers: number[] } {
  const random = uniform(seed);
  // A client retrying at once sends a build's attempts together: clusters of 4·M (cargo ≤ 1.69).
  const together = model.delaysSeconds.every((d) => d.max <= 0);
  const count = (mult: number) => (together ? 4 * mult * poissonDraw(random, 3) : 4 * poissonDraw(random, 3 * mult)) / 12;
  return {
    before: Array.from({ length: before }, () => count(1)),
    multipliers: Array.from({ length: since }, (_, i) => count(1 + (m - 1) * tickFractionAt(model, 1_000, i + 1, tau))),
  };
}

describe('rampPosterior on small counts (1 s ticks, a dozen requests)', () => {
  it('computes the Gaussian density of a tridiagonal covariance (scipy.stats.multivariate_normal.logpdf: -2.61543168)', () => {
    expect(tridiagonalLogDensity([0.3, -0.2, 0.5, 0.1], [0.5, 0.6, 0.7, 0.4], [-0.2, -0.1, -0.25])).toBeCloseTo(-2.61543168, 7);
  });

  it("reads a tick's count with little bias (exact sum over 4·Poisson(3) in numpy: mean -0.0298, v 0.2449)", () => {
    // Uncorrected, E log(count/12) is -∞ (a tick without requests); log of count + 2 alone reads +0.13.
    let mean = 0;
    let p = Math.exp(-3);
    for (let n = 0; n < 60; n++) {
      mean += p * countObservation((4 * n) / 12, 1, 12, 4).y;
      p *= 3 / (n + 1);
    }
    expect(mean).toBeCloseTo(-0.029771, 5);
    expect(countObservation(1, 1, 12, 4).v).toBeCloseTo(0.244898, 6);
  });

  it('names cargo over cargo ≤ 1.69 and reads its plateau within 10 % at 1 s ticks of builds of 4 (9 of 10 seeds at least)', () => {
    let met = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const s = smallStorm(cargo, 3.25, ((seed % 8) + 0.5) / 8, seed);
      const series = { tickMs: 1_000, countsPerTick: 12, ...s };
      const c = rampPosterior(cargo, totalFailurePrior(cargo), series, MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S)!;
      const l = rampPosterior(legacy, totalFailurePrior(legacy), series, MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S)!;
      if (c.logEvidence > l.logEvidence && Math.abs(c.multiplier / 3.25 - 1) <= 0.1) met++;
    }
    expect(met).toBeGreaterThanOrEqual(9);
  });

  it('names cargo ≤ 1.69 over cargo when its attempts come at once (8 of 10 seeds at least: the counting model must not cost the immediate retrier its name)', () => {
    let met = 0;
    for (let seed = 11; seed <= 20; seed++) {
      const s = smallStorm(legacy, 2.8, ((seed % 8) + 0.5) / 8, seed);
      const series = { tickMs: 1_000, countsPerTick: 12, ...s };
      const c = rampPosterior(cargo, totalFailurePrior(cargo), series, MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S)!;
      const l = rampPosterior(legacy, totalFailurePrior(legacy), series, MIX_LOG_SIGMA, RAMP_TIMING_SLACK_S)!;
      if (l.logEvidence > c.logEvidence) met++;
    }
    expect(met).toBeGreaterThanOrEqual(8);
  });
});
