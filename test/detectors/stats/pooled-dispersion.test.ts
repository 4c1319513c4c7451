import { describe, expect, it } from 'vitest';
import { MAD_EFFICIENCY, pooledDispersion } from '../../../src/detectors/stats/pooled-dispersion.js';

describe('pooledDispersion', () => {
  it('weights the MAD by its efficiency at the normal (0.36752, scipy) and each tick as one degree of freedom', () => {
    // 8·φ(q)²·q², q the normal's upper quartile (scipy.stats.norm.ppf(0.75)), φ its density.
    const q = 0.6744897501960817;
    const density = Math.exp((-q * q) / 2) / Math.sqrt(2 * Math.PI);
    expect(MAD_EFFICIENCY).toBeCloseTo(8 * density * density * q * q, 5);
    // 7 buckets: 6 × 0.36752 = 2.205 dof at φ 14; 25 ticks at φ 5: (2.205·14 + 25·5) / 27.205 = 5.729.
    expect(pooledDispersion(14, 7, 5, 25)).toBeCloseTo(5.7294, 3);
  });

  it('is the MAD alone with no ticks, the residuals alone with one bucket, and never below Poisson', () => {
    expect(pooledDispersion(3, 7, 9, 0)).toBe(3);
    expect(pooledDispersion(3, 1, 9, 20)).toBe(9);
    expect(pooledDispersion(0.4, 7, 0.6, 20)).toBe(1);
  });

  it('falls back to whichever estimate exists when the other is not a number', () => {
    expect(pooledDispersion(Number.NaN, 7, 4, 20)).toBe(4);
    expect(pooledDispersion(6, 7, Number.NaN, 20)).toBe(6);
  });
});
