import { medianAbsoluteDeviation, median as ssMedian } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { insertionSort, sortedMedian, sortedMedianDeviation } from '../../../src/detectors/stats/sorted-median.js';
import { mulberry32 } from '../../../scripts/sim/random.js';

function sorted(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

describe('sortedMedian and sortedMedianDeviation (Hampel 1974: median of |x − median|)', () => {
  // numpy: a = np.array(x); m = np.median(a); np.median(np.abs(a - m))
  it('matches numpy on an odd and an even run', () => {
    const odd = sorted([1, 2, 3, 4, 100]);
    expect(sortedMedian(odd, 5)).toBe(3);
    expect(sortedMedianDeviation(odd, 5, 3)).toBe(1);
    const even = sorted([0.3, -1.2, 2.5, 0.7, 0.1, -0.4]);
    const m = sortedMedian(even, 6);
    expect(m).toBeCloseTo(0.2, 12);
    expect(sortedMedianDeviation(even, 6, m)).toBeCloseTo(0.55, 12);
  });

  it('gives the same numbers bit for bit as sorting the deviations, on runs of every length and with ties', () => {
    const random = mulberry32(11);
    for (let n = 1; n <= 64; n++) {
      for (let trial = 0; trial < 20; trial++) {
        // Half the trials on a coarse grid, so that ties (and ties in the deviations) are common;
        // half spread wide and skewed, so that the two runs of deviations interleave unevenly.
        const values = Array.from({ length: n }, () => (trial % 2 ? Math.round(random() * 8) / 4 - 1 : Math.exp(6 * random()) - 20));
        const s = sorted(values);
        const m = sortedMedian(s, n);
        const deviations = Float64Array.from(s, (x) => Math.abs(x - m)).sort();
        const k = n >> 1;
        const expected = n % 2 ? deviations[k]! : (deviations[k - 1]! + deviations[k]!) / 2;
        expect(sortedMedianDeviation(s, n, m)).toBe(expected);
        // simple-statistics averages the middle pair its own way: equal to the last bit or two.
        expect(m).toBeCloseTo(ssMedian(values), 12);
        expect(sortedMedianDeviation(s, n, m)).toBeCloseTo(medianAbsoluteDeviation(values), 12);
      }
    }
  });

  it('reads only the first n of a longer scratch array', () => {
    const scratch = Float64Array.from([5, 1, 3, 1e9, -1e9]);
    insertionSort(scratch, 3);
    expect(Array.from(scratch)).toEqual([1, 3, 5, 1e9, -1e9]);
    expect(sortedMedian(scratch, 3)).toBe(3);
    expect(sortedMedianDeviation(scratch, 3, 3)).toBe(2);
  });
});

describe('insertionSort', () => {
  it('sorts as the typed array sort does, nearly sorted or reversed', () => {
    const random = mulberry32(5);
    for (const shape of ['random', 'nearly', 'reversed'] as const) {
      const n = 60;
      const values = Float64Array.from({ length: n }, (_, i) => (shape === 'random' ? random() : shape === 'nearly' ? i + 3 * (random() - 0.5) : n - i));
      const expected = Float64Array.from(values).sort();
      insertionSort(values, n);
      expect(Array.from(values)).toEqual(Array.from(expected));
    }
  });
});
