import { describe, expect, it } from 'vitest';
import { bestCaseWithin } from '../../../scripts/scorecard/demand-bound.js';

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function phi(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

describe('bestCaseWithin', () => {
  it('matches the closed form for a plateau read at one instant', () => {
    // Read at t = 30 s only: log(seen / predicted) is normal with sd σ√(1 − ρ^60) and mean −s²/2.
    const sigma = 0.15;
    const rho = Math.exp(-1 / 120);
    const s = sigma * Math.sqrt(1 - rho ** 60);
    const m = -0.5 * s * s;
    const exact = phi((Math.log(1.1) - m) / s) - phi((Math.log(0.9) - m) / s);
    // scipy.stats.norm: norm.cdf((log(1.1) - m) / s) - norm.cdf((log(0.9) - m) / s) = 0.713733
    expect(exact).toBeCloseTo(0.713733, 4);
    const simulated = bestCaseWithin({ sigma, memoryS: 120, fromS: 29, toS: 30, tolerance: 0.1, runs: 40_000, seed: 1 });
    expect(Math.abs(simulated - exact)).toBeLessThan(0.01);
  });

  it('is certain without wobble and falls as the wobble grows or the window moves away from the onset', () => {
    const at = (sigma: number, fromS: number) => bestCaseWithin({ sigma, memoryS: 120, fromS, toS: 60, tolerance: 0.1, runs: 5000, seed: 2 });
    expect(at(0.001, 0)).toBe(1);
    expect(at(0.15, 0)).toBeLessThan(at(0.05, 0));
    expect(at(0.15, 45)).toBeLessThan(at(0.15, 0));
  });
});
