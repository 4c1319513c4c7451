import { median, medianAbsoluteDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { SampleWindow, WINDOW_HEADER_FLOATS } from '../../src/series/sample-window.js';
import { asKept, codeTable } from '../../src/series/window-codes.js';
import { mulberry32 } from '../../scripts/sim/random.js';

describe('SampleWindow', () => {
  it('agrees with simple-statistics on median and MAD as values come and go, ties included, in either coding', () => {
    const random = mulberry32(7);
    for (const [capacity, coding] of [[1, 'ratio'], [2, 'log-rate'], [5, 'ratio'], [40, 'log-rate'], [240, 'ratio'], [240, 'log-rate']] as const) {
      const w = new SampleWindow(capacity, coding);
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

  it('gives median and MAD together, from its sort order or by selection, exactly as the two separate calls do', () => {
    const random = mulberry32(11);
    const out = new Float64Array(2);
    // Up to 256 the window keeps its sort order (the order may live in a shared buffer); 300 selects.
    const shared = new Uint8Array(1000);
    const windows = [1, 2, 5, 60, 256, 300].map((c) => new SampleWindow(c, 'log-rate')).concat([new SampleWindow(60, 'log-rate', new Float32Array(10), 4, new Int16Array(110), 40, shared, 900)]);
    for (const w of windows) {
      w.medianAndDeviation(out, 0);
      expect(out[0]).toBeNaN();
      expect(out[1]).toBeNaN();
      for (let i = 0; i < 1000; i++) {
        // Ties on a coarse grid, and values the code rounds (the order compares what is kept).
        w.push(i % 3 === 0 ? Math.round(random() * 8) / 4 : i % 3 === 1 ? -Math.log(1 + 100 * random()) : Math.log(1 + 100 * random()));
        w.medianAndDeviation(out, 0);
        expect(out[0]).toBe(w.median());
        expect(out[1]).toBe(w.medianAbsoluteDeviation());
      }
    }
    // numpy: x = [1, 2, 3, 4, 100]; np.median(x) = 3.0, np.median(np.abs(x - np.median(x))) = 1.0
    const w = new SampleWindow(5, 'ratio');
    for (const v of [1, 2, 3, 4, 100]) w.push(v);
    w.medianAndDeviation(out, 0);
    expect([...out]).toEqual([3, 1]);
  });

  it('makes its order anew when the leaving value is missing from it', () => {
    const order = new Uint8Array(5);
    const w = new SampleWindow(5, 'ratio', undefined, 0, undefined, 0, order, 0);
    for (const v of [5, 3, 9, 1, 7, 4]) w.push(v);
    // Slot 1 (the 3) leaves next; an order that lost it (bytes written by someone else) is rebuilt.
    order.fill(0);
    w.push(8);
    const out = new Float64Array(2);
    w.medianAndDeviation(out, 0);
    // numpy: x = [4, 8, 9, 1, 7]; np.median(x) = 7.0, np.median(np.abs(x - 7)) = 2.0
    expect([...out]).toEqual([7, 2]);
    w.push(2);
    w.medianAndDeviation(out, 0);
    expect([...out]).toEqual([w.median(), w.medianAbsoluteDeviation()]);
  });

  it('restores the newest values that fit', () => {
    const w = new SampleWindow(3, 'ratio');
    w.restore([5, 1, 4, 2]);
    expect(w.toArray()).toEqual([1, 4, 2]);
    expect(w.median()).toBe(2);
  });

  it('restores into the same slots and sort order as pushing the values one by one, ties and -0 included', () => {
    const random = mulberry32(11);
    for (const capacity of [1, 2, 7, 60, 256]) {
      for (const length of [0, 1, capacity - 1, capacity, capacity + 5]) {
        // A coarse grid for ties, zeros of both signs, and a value that the code rounds.
        const values = Array.from({ length: Math.max(0, length) }, () => {
          const r = random();
          return r < 0.1 ? -0 : r < 0.2 ? 0 : r < 0.25 ? 0.1 : Math.round(random() * 12) / 4 - 1;
        });
        // The newest that fit, pushed into an empty window (restore's contract).
        const pushed = new SampleWindow(capacity, 'log-rate');
        for (const v of values.slice(-capacity)) pushed.push(v);
        // Restored over a window that held other values before, as a reused slab region may.
        const restored = new SampleWindow(capacity, 'log-rate');
        for (let i = 0; i < capacity + 3; i++) restored.push(random() * 100);
        restored.restore(values);
        const orderOf = (w: SampleWindow) => [...(w as unknown as { order: Uint8Array }).order.subarray(0, w.size)];
        expect(restored.toArray()).toEqual(pushed.toArray());
        expect(restored.toArray()).toEqual(values.slice(-capacity).map((v) => asKept('log-rate', v)));
        expect(orderOf(restored), `capacity ${capacity}, ${length} values`).toEqual(orderOf(pushed));
        // And they stay the same as values come and go.
        const a = new Float64Array(2);
        const b = new Float64Array(2);
        for (let i = 0; i < 2 * capacity + 3; i++) {
          const v = Math.round(random() * 8) / 4;
          pushed.push(v);
          restored.push(v);
          pushed.medianAndDeviation(a, 0);
          restored.medianAndDeviation(b, 0);
          expect(Object.is(b[0], a[0]) && Object.is(b[1], a[1]), `capacity ${capacity}, push ${i}`).toBe(true);
        }
        expect(orderOf(restored)).toEqual(orderOf(pushed));
      }
    }
  });

  it('restores windows already in order as pushing them would (all zeros, newest smallest, oldest smallest)', () => {
    const orderOf = (w: SampleWindow) => [...(w as unknown as { order: Uint8Array }).order.subarray(0, w.size)];
    for (const capacity of [2, 7, 60]) {
      const zeros = Array.from({ length: capacity }, (_, i) => (i % 3 === 0 ? -0 : 0));
      // Oldest largest (in order when read newest first, ties included), and its reverse.
      const falling = Array.from({ length: capacity }, (_, i) => Math.floor((capacity - i) / 2));
      const rising = [...falling].reverse();
      for (const values of [zeros, falling, rising]) {
        const pushed = new SampleWindow(capacity, 'ratio');
        for (const v of values) pushed.push(v);
        const restored = new SampleWindow(capacity, 'ratio');
        restored.push(99);
        restored.restore(values);
        expect(orderOf(restored), `capacity ${capacity}: ${values.join(' ')}`).toEqual(orderOf(pushed));
      }
    }
  });

  it('says NaN when empty', () => {
    expect(new SampleWindow(3, 'ratio').median()).toBeNaN();
    expect(new SampleWindow(3, 'log-rate').medianAbsoluteDeviation()).toBeNaN();
  });
});

describe('SampleWindow on shared storage', () => {
  it('keeps windows that share one buffer apart', () => {
    const header = new Float32Array(2 * WINDOW_HEADER_FLOATS);
    const codes = new Int16Array(2 * 4);
    const a = new SampleWindow(4, 'ratio', header, 0, codes, 0);
    const b = new SampleWindow(4, 'ratio', header, WINDOW_HEADER_FLOATS, codes, 4);
    for (const v of [5, 1, 4, 2, 3]) a.push(v);
    for (const v of [50, 10, 40]) b.push(v);
    expect(a.toArray()).toEqual([1, 4, 2, 3]);
    expect(a.median()).toBe(2.5);
    expect(b.toArray()).toEqual([50, 10, 40]);
    expect(b.median()).toBe(40);
  });

  it('refuses storage too small for it', () => {
    expect(() => new SampleWindow(4, 'ratio', undefined, 0, new Int16Array(3))).toThrow('storage too small for the window');
    expect(() => new SampleWindow(4, 'ratio', new Float32Array(3), 2)).toThrow('header storage too small for the window');
  });
});

describe('SampleWindow.copyInto', () => {
  it('writes the values oldest first, as toArray gives them, after the ring wrapped', () => {
    const w = new SampleWindow(4, 'ratio');
    for (const v of [1, 2, 3, 4, 5, 6]) w.push(v);
    const out = new Float64Array(7).fill(-1);
    expect(w.copyInto(out, 2)).toBe(4);
    expect([...out]).toEqual([-1, -1, 3, 4, 5, 6, -1]);
    expect(w.toArray()).toEqual([3, 4, 5, 6]);
  });
});

describe('SampleWindow.copyCodes', () => {
  it('writes the codes oldest first, which decode to its values, at every fill and wrap of the ring, within shared storage, for both codings', () => {
    const random = mulberry32(11);
    const capacity = 5;
    for (const coding of ['log-rate', 'ratio'] as const) {
      // The window sits in the middle of larger buffers: nothing outside it may be read or written.
      const header = new Float32Array(WINDOW_HEADER_FLOATS + 6).fill(99);
      const storage = new Int16Array(capacity + 6).fill(99);
      const w = new SampleWindow(capacity, coding, header, 3, storage, 3);
      const { values, bias } = codeTable(coding);
      for (let i = 0; i < 13; i++) {
        w.push(coding === 'log-rate' ? random() * 60 - 30 : random() * random());
        const codes = new Int16Array(capacity + 4).fill(-1);
        expect(w.copyCodes(codes, 2)).toBe(w.size);
        // As a state save writes them: a log-rate's in 1/1024 nat, a ratio's a half float's bits.
        expect(Array.from(codes.subarray(2, 2 + w.size), (c) => values[bias + c]), `${coding} after ${i + 1} values`).toEqual(w.toArray());
        expect(Array.from(codes.subarray(2 + w.size)).every((c) => c === -1)).toBe(true);
        expect([codes[0], codes[1]]).toEqual([-1, -1]);
        if (coding === 'log-rate') expect(Array.from(codes.subarray(2, 2 + w.size), (c) => c / 1024)).toEqual(w.toArray());
      }
      expect([...storage.subarray(0, 3), ...storage.subarray(3 + capacity)]).toEqual([99, 99, 99, 99, 99, 99]);
      expect([...header.subarray(0, 3), ...header.subarray(3 + WINDOW_HEADER_FLOATS)]).toEqual([99, 99, 99, 99, 99, 99]);
    }
  });

  it('lists its values ascending with their ages (0 the oldest) as values come and go, and says when it keeps no order', () => {
    const random = mulberry32(17);
    for (const capacity of [1, 5, 60]) {
      const w = new SampleWindow(capacity, 'ratio');
      const values = new Float64Array(capacity);
      const ages = new Uint8Array(capacity);
      for (let i = 0; i < 3 * capacity; i++) {
        w.push(Math.round(random() * 10) / 2);
        const n = w.copyAscending(values, ages);
        expect(n).toBe(w.size);
        const oldestFirst = w.toArray();
        // Ascending, each value the one of its age, every age once.
        for (let r = 0; r < n; r++) {
          if (r > 0) expect(values[r]!).toBeGreaterThanOrEqual(values[r - 1]!);
          expect(values[r]).toBe(oldestFirst[ages[r]!]);
        }
        expect(new Set(ages.subarray(0, n)).size).toBe(n);
      }
    }
    const unordered = new SampleWindow(300, 'ratio');
    unordered.push(1);
    expect(unordered.copyAscending(new Float64Array(300), new Uint8Array(300))).toBe(-1);
  });
});

describe('SampleWindow.rebase', () => {
  it('reads each of two windows in one buffer through one object re-pointed between them, as two windows of their own read', () => {
    const random = mulberry32(5);
    const capacity = 7;
    const header = new Float32Array(2 * WINDOW_HEADER_FLOATS);
    const codes = new Int16Array(2 * capacity);
    const order = new Uint8Array(2 * capacity);
    const cursor = new SampleWindow(capacity, 'ratio');
    const own = [new SampleWindow(capacity, 'ratio'), new SampleWindow(capacity, 'ratio')];
    const at = (k: number) => cursor.rebase(header, k * WINDOW_HEADER_FLOATS, codes, k * capacity, order, k * capacity);
    const out = new Float64Array(2);
    const expected = new Float64Array(2);
    for (let i = 0; i < 40; i++) {
      for (const k of [0, 1]) {
        const v = (k + 1) * 10 * random();
        at(k).push(v);
        own[k]!.push(v);
        expect(at(k).toArray()).toEqual(own[k]!.toArray());
        at(k).medianAndDeviation(out, 0);
        own[k]!.medianAndDeviation(expected, 0);
        expect([...out]).toEqual([...expected]);
      }
    }
  });
});
