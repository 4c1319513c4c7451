import { describe, expect, it } from 'vitest';
import { gamma, mulberry32 } from '../../../scripts/sim/random.js';

describe('gamma', () => {
  // A gamma variate of shape k (scale 1) has mean k and variance k (scipy.stats.gamma(k).stats()
  // gives (k, k) for each k here); 40,000 draws put the sample mean within 2 % and the variance
  // within 5 % of them.
  it.each([0.33, 1, 3, 12])('draws shape %d with mean and variance equal to the shape', (k) => {
    const random = mulberry32(99);
    const n = 40_000;
    const xs = Array.from({ length: n }, () => gamma(random, k));
    const mean = xs.reduce((a, x) => a + x, 0) / n;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
    expect(xs.every((x) => x > 0)).toBe(true);
    expect(Math.abs(mean / k - 1)).toBeLessThan(0.02);
    expect(Math.abs(variance / k - 1)).toBeLessThan(0.05);
  });
});
