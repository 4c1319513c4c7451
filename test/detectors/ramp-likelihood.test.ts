import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/load.js';
import { totalFailurePrior } from '../../src/detectors/plateau-prior.js';
import { rampPosterior } from '../../src/detectors/ramp-likelihood.js';
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
