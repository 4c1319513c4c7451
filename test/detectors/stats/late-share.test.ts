import { describe, expect, it } from 'vitest';
import { MIN_LATE_DEN, breakLateShare, lateShareOf, learnLateShare, newLateShare } from '../../../src/detectors/stats/late-share.js';
import { lateCompletions } from '../../../scripts/sim/late-completions.js';
import { mulberry32, poisson } from '../../../scripts/sim/random.js';

/**
 * Healthy ticks of Poisson requests whose completions are counted late with probability `q` each
 * (the downstream scraped that share of a tick after the requests), as the lost counts a detector
 * reads: requests less the completions counted in the tick.
 */
function* laggedTicks(seed: number, perTick: number, q: number, ticks: number): Generator<{ n: number; lost: number }> {
  const random = mulberry32(seed);
  const counted = lateCompletions(random, q);
  for (let i = 0; i < ticks; i++) {
    const n = poisson(random, perTick);
    yield { n, lost: n - counted(n) };
  }
}

describe('the share of completions counted a tick late', () => {
  it.each([0, 0.1, 0.3, 0.5, 0.8])('recovers q = %s from healthy ticks at 12 requests a tick', (q) => {
    const estimates: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const s = newLateShare();
      for (const t of laggedTicks(seed, 12, q, 600)) learnLateShare(s, t.n, t.lost, 600);
      estimates.push(lateShareOf(s)!);
    }
    const mean = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    // The slope's standard error over 600 ticks is about 0.03 at q = 0.5.
    expect(mean).toBeCloseTo(q, 1);
    for (const e of estimates) expect(Math.abs(e - q)).toBeLessThan(0.12);
  });

  it('says nothing until the traffic has changed enough, and never across a gap', () => {
    const s = newLateShare();
    learnLateShare(s, 12, 0, 600);
    learnLateShare(s, 14, 1, 600);
    expect(s.lateDen).toBe(4);
    expect(lateShareOf(s)).toBeUndefined();
    breakLateShare(s);
    // The tick after a gap starts a new pair: 40 requests against 14 two ticks ago is no change.
    learnLateShare(s, 40, 13, 600);
    expect(s.lateDen).toBe(4);
    // Traffic moving 10, 14, 10, ... with half of each change still in flight: q = 0.5.
    breakLateShare(s);
    for (let i = 0; i < 20; i++) learnLateShare(s, i % 2 === 0 ? 10 : 14, i % 2 === 0 ? -2 : 2, 600);
    expect(s.lateDen).toBeGreaterThanOrEqual(MIN_LATE_DEN);
    expect(lateShareOf(s)).toBeCloseTo(0.5, 1);
  });
});
