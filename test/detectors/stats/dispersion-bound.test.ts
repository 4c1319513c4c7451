import { describe, expect, it } from 'vitest';
import { chiSquaredLowerQuantile, dispersionUpperBound } from '../../../src/detectors/stats/dispersion-bound.js';

describe('chiSquaredLowerQuantile', () => {
  // scipy.stats.chi2.ppf(0.1, dof), scipy 1.x.
  const reference: [number, number][] = [
    [5, 1.6103079869623227],
    [10, 4.865182051925328],
    [30, 20.599234614585345],
    [100, 82.35813581235715],
    [240, 212.38560793887967],
    [3600, 3491.693979210565],
  ];
  it.each(reference)('matches scipy at %i degrees of freedom within 0.1 %%', (dof, q) => {
    expect(Math.abs(chiSquaredLowerQuantile(dof) / q - 1)).toBeLessThan(1e-3);
  });
});

describe('dispersionUpperBound', () => {
  it('doubles a 10-tick estimate and tends to the estimate as the history grows', () => {
    expect(dispersionUpperBound(1, 10)).toBeCloseTo(10 / 4.865182051925328, 2);
    expect(dispersionUpperBound(3, 3600)).toBeCloseTo((3 * 3600) / 3491.693979210565, 2);
    const bounds = [10, 30, 100, 1000, 10000].map((n) => dispersionUpperBound(2, n));
    for (let i = 1; i < bounds.length; i++) expect(bounds[i]!).toBeLessThan(bounds[i - 1]!);
    expect(bounds.at(-1)!).toBeGreaterThan(2);
  });

  it('covers the true dispersion in about nine histories of ten (simulated overdispersed counts)', () => {
    // Counts with variance φ·mean (a mean-4 Poisson number of 4-request clumps: φ = 4 at mean 16).
    let seed = 7;
    const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const poisson = (mean: number) => {
      let k = 0;
      for (let p = uniform(); p > Math.exp(-mean); p *= uniform()) k++;
      return k;
    };
    const ticks = 12;
    let covered = 0;
    const histories = 2000;
    for (let h = 0; h < histories; h++) {
      let sum = 0;
      for (let t = 0; t < ticks; t++) {
        const n = 4 * poisson(4);
        sum += ((n - 16) * (n - 16)) / 16;
      }
      if (dispersionUpperBound(sum / ticks, ticks) >= 4) covered++;
    }
    // Skewed residuals make the χ² bound approximate; it must still cover most histories.
    expect(covered / histories).toBeGreaterThan(0.8);
    expect(covered / histories).toBeLessThan(0.97);
  });

  it('leaves an estimate without history as it is', () => {
    expect(dispersionUpperBound(1.5, 0)).toBe(1.5);
    expect(dispersionUpperBound(Number.NaN, 10)).toBeNaN();
  });
});
