import { describe, expect, it } from 'vitest';
import { mannWhitneyFloor, mannWhitneyU } from '../../../src/detectors/stats/mann-whitney.js';

describe('mannWhitneyU', () => {
  it('matches the normal approximation with continuity correction', () => {
    // By hand: n1 = n2 = 3, U = 0, mean 4.5, sd = sqrt(3·3·7/12) = 2.2913,
    // z = (4.5 − 0 − 0.5) / 2.2913 = 1.7457, p = 1 − Φ(1.7457) ≈ 0.0404
    // (R: wilcox.test(c(1,2,3), c(4,5,6), alternative = "less", exact = FALSE) gives 0.04043).
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6], 'less');
    expect(r.u).toBe(0);
    expect(r.z).toBeCloseTo(1.7457, 3);
    expect(r.pValue).toBeCloseTo(0.0404, 2);
    expect(r.superiority).toBe(0);
  });

  it('gives no evidence for the other direction', () => {
    expect(mannWhitneyU([1, 2, 3], [4, 5, 6], 'greater').pValue).toBeGreaterThan(0.9);
  });

  it('is overwhelming for 4 post-deploy points all below 120 pre-deploy ones', () => {
    const pre = Array.from({ length: 120 }, (_, i) => 0.99 + (i % 7) * 0.001);
    expect(mannWhitneyU([0, 0, 0, 0], pre, 'less').pValue).toBeLessThan(0.001);
  });

  it('is not significant for draws from the same values', () => {
    const pre = Array.from({ length: 60 }, (_, i) => 0.99 + (i % 10) * 0.001);
    const post = pre.filter((_, i) => i % 6 === 0);
    expect(mannWhitneyU(post, pre, 'less').pValue).toBeGreaterThan(0.2);
  });

  it('says the smallest p-value samples of given sizes can reach: that of complete separation', () => {
    // scipy.stats.mannwhitneyu([1,2,3,4], [5,6,7,8], alternative='less', method='asymptotic') = 0.015191;
    // with 6 against 4: 0.007107.
    expect(mannWhitneyFloor(4, 4)).toBeCloseTo(0.015191, 5);
    expect(mannWhitneyFloor(6, 4)).toBeCloseTo(0.007107, 5);
    expect(mannWhitneyFloor(4, 4)).toBe(mannWhitneyU([1, 2, 3, 4], [5, 6, 7, 8], 'less').pValue);
  });
});
