import { describe, expect, it } from 'vitest';
import { BAND_SIGMAS, fallFactor } from '../../../src/detectors/stats/band-floor.js';
import { poissonFactorFor } from '../../../src/detectors/stats/count-evidence.js';

/** Where a Poisson alternative f is indifferent: the count ratio (f − 1)/ln f at which evidence neither grows nor drains. */
const indifferenceOf = (f: number) => (f - 1) / Math.log(f);

describe('the collapse floor relative to the band', () => {
  const collapse = poissonFactorFor(0.2);

  it('keeps the configured factor while the band lies above it', () => {
    for (const sigma of [0.05, 0.3, 0.5, -Math.log(0.2) / BAND_SIGMAS - 1e-9]) expect(fallFactor(0.2, collapse, sigma)).toBe(collapse);
    expect(fallFactor(0.2, collapse, Number.NaN)).toBe(collapse);
  });

  it('is indifferent at the band edge once it lies below the floor, never inside the band, within half a percent', () => {
    for (const sigma of [0.6, 0.8, 1.2, 1.6]) {
      const down = indifferenceOf(fallFactor(0.2, collapse, sigma)) / Math.exp(-BAND_SIGMAS * sigma);
      expect(down).toBeLessThanOrEqual(1 + 1e-9);
      expect(down).toBeGreaterThanOrEqual(Math.exp(-0.005) * (1 - 1e-9));
    }
  });

  it('deepens with the band, down to e^-5 (1/148)', () => {
    expect(fallFactor(0.2, collapse, 1)).toBeLessThan(fallFactor(0.2, collapse, 0.7));
    expect(indifferenceOf(fallFactor(0.2, collapse, 4)) / Math.exp(-5)).toBeCloseTo(1, 6);
    expect(fallFactor(0.2, collapse, 40)).toBe(fallFactor(0.2, collapse, 4));
  });
});
