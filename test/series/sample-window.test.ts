import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { SampleWindow } from '../../src/series/sample-window.js';
import { mulberry32 } from '../../scripts/sim/random.js';

describe('SampleWindow', () => {
  it('agrees with simple-statistics on median and MAD as values come and go, ties included', () => {
    const random = mulberry32(7);
    for (const capacity of [1, 2, 5, 40, 240]) {
      const w = new SampleWindow(capacity);
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
    const w = new SampleWindow(3);
    w.restore([5, 1, 4, 2]);
    expect(w.toArray()).toEqual([1, 4, 2]);
    expect(w.median()).toBe(2);
  });

  it('says NaN when empty', () => {
    expect(new SampleWindow(3).median()).toBeNaN();
    expect(new SampleWindow(3).medianAbsoluteDeviation()).toBeNaN();
  });
});

describe('SampleWindow on shared storage', () => {
  it('keeps windows that share one buffer apart', () => {
    const storage = new Float32Array(4 * 2);
    const a = new SampleWindow(4, storage, 0);
    const b = new SampleWindow(4, storage, 4);
    for (const v of [5, 1, 4, 2, 3]) a.push(v);
    for (const v of [50, 10, 40]) b.push(v);
    expect(a.toArray()).toEqual([1, 4, 2, 3]);
    expect(a.median()).toBe(2.5);
    expect(b.toArray()).toEqual([50, 10, 40]);
    expect(b.median()).toBe(40);
  });

  it('refuses storage too small for it', () => {
    expect(() => new SampleWindow(4, new Float32Array(3))).toThrow('storage too small for the window');
  });
});

describe('SampleWindow.copyInto', () => {
  it('writes the values oldest first, as toArray gives them, after the ring wrapped', () => {
    const w = new SampleWindow(4);
    for (const v of [1, 2, 3, 4, 5, 6]) w.push(v);
    const out = new Float64Array(7).fill(-1);
    expect(w.copyInto(out, 2)).toBe(4);
    expect([...out]).toEqual([-1, -1, 3, 4, 5, 6, -1]);
    expect(w.toArray()).toEqual([3, 4, 5, 6]);
  });
});

describe('SampleWindow.copyToFloat32', () => {
  it('writes the float32s oldest first at every fill and wrap of the ring, within shared storage', () => {
    const random = mulberry32(11);
    const capacity = 5;
    // The window sits in the middle of a larger buffer: nothing outside it may be read or written.
    const storage = new Float32Array(capacity + 6).fill(99);
    const w = new SampleWindow(capacity, storage, 3);
    for (let i = 0; i < 13; i++) {
      w.push(random() * 100 - 50);
      const out = new Float32Array(capacity + 4).fill(-1);
      expect(w.copyToFloat32(out, 2)).toBe(w.size);
      const expected = [-1, -1, ...Array.from(new Float32Array(w.toArray())), ...Array.from({ length: capacity + 2 - w.size }, () => -1)];
      expect(Array.from(out), `after ${i + 1} values`).toEqual(expected);
    }
    expect([...storage.subarray(0, 3), ...storage.subarray(3 + capacity)]).toEqual([99, 99, 99, 99, 99, 99]);
  });
});
