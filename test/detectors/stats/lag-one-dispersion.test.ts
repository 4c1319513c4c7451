import { describe, expect, it } from 'vitest';
import { breakLagOne, learnLagOne, longRunDispersion, newLagOne } from '../../../src/detectors/stats/lag-one-dispersion.js';
import { mulberry32, poisson } from '../../../scripts/sim/random.js';

describe('lag-one dispersion', () => {
  it('matches numpy on a short sequence: γ₀ = 51/9, γ₁ = −2 over its nine adjacent pairs', () => {
    // numpy: r = np.array([3,-1,-2,4,0,-3,1,2,-4,0.]); (r[1:]**2).mean(), (r[1:]*r[:-1]).mean()
    const s = newLagOne();
    for (const u of [3, -1, -2, 4, 0, -3, 1, 2, -4, 0]) learnLagOne(s, u, 1000, false, 10.8);
    expect(s.lagTicks).toBe(9);
    expect(s.lag0).toBeCloseTo(5.666666666666667, 12);
    expect(s.lag1).toBeCloseTo(-2, 12);
    expect(longRunDispersion(s)).toBeCloseTo(5.666666666666667 - 4, 12);
  });

  it('reads counts moved between ticks as noise that cancels over a run, and independent noise as it is', () => {
    const random = mulberry32(7);
    // e_t − e_{t−1} + b_t: bursts of 4 in flight at a boundary (Poisson 0.5 of them), binomial-like b of variance 1.
    const moved = newLagOne();
    const independent = newLagOne();
    let previous = 0;
    for (let i = 0; i < 20_000; i++) {
      const inFlight = 4 * poisson(random, 0.5);
      const b = poisson(random, 1) - 1;
      learnLagOne(moved, inFlight - previous + b, 20_000, false, 10.8);
      learnLagOne(independent, inFlight - 2 + b, 20_000, false, 10.8);
      previous = inFlight;
    }
    // Per tick 2·Var(e) + 1 = 17; over a run 1.
    expect(moved.lag0).toBeGreaterThan(15);
    expect(longRunDispersion(moved)).toBeLessThan(2);
    // Without the give-back nothing cancels: the run's dispersion is the tick's.
    expect(longRunDispersion(independent)).toBeGreaterThan(0.8 * independent.lag0);
  });

  it('does not pair ticks across a gap, and winsorises a misread tick once trusted', () => {
    const s = newLagOne();
    learnLagOne(s, 2, 100, false, 10.8);
    breakLagOne(s);
    learnLagOne(s, -2, 100, false, 10.8);
    expect(s.lagTicks).toBe(0);
    learnLagOne(s, 1, 100, false, 10.8);
    expect(s.lag1).toBe(-2);
    learnLagOne(s, 1000, 100, true, 10.8);
    // Capped at √(10.8 · max(1, γ₀)) before it is learnt.
    expect(s.lag0).toBeLessThan(100);
  });
});
