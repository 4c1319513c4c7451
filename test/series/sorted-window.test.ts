import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { SortedWindow } from '../../src/series/sorted-window.js';
import { mulberry32 } from '../../src/sim/random.js';

describe('SortedWindow', () => {
  it('agrees with simple-statistics on median and MAD as values come and go', () => {
    const random = mulberry32(7);
    for (const capacity of [1, 2, 5, 40, 240]) {
      const w = new SortedWindow(capacity);
      const kept: number[] = [];
      for (let i = 0; i < 600; i++) {
        // Ties on purpose: values on a coarse grid.
        const v = Math.round(random() * 20) / 4;
        w.push(v);
        kept.push(v);
        if (kept.length > capacity) kept.shift();
        expect(w.toArray()).toEqual(kept);
        expect(w.median()).toBeCloseTo(median(kept), 12);
        expect(w.medianAbsoluteDeviation()).toBeCloseTo(medianAbsoluteDeviation(kept), 12);
      }
    }
  });

  it('restores the newest values that fit', () => {
    const w = new SortedWindow(3);
    w.restore([5, 1, 4, 2]);
    expect(w.toArray()).toEqual([1, 4, 2]);
    expect(w.median()).toBe(2);
  });

  it('says NaN when empty', () => {
    expect(new SortedWindow(3).median()).toBeNaN();
    expect(new SortedWindow(3).medianAbsoluteDeviation()).toBeNaN();
  });
});
