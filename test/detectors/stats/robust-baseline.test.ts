import { describe, expect, it } from 'vitest';
import { MAD_TO_SIGMA, RobustBaseline } from '../../../src/detectors/stats/robust-baseline.js';
import { WINDOW_HEADER_FLOATS } from '../../../src/series/sample-window.js';
import { asKept } from '../../../src/series/window-codes.js';

describe('RobustBaseline', () => {
  it('pools ratio buckets by counts, not by averaging per-tick ratios', () => {
    const b = new RobustBaseline(10, 2, 'ratio');
    // One tick with 1 request (0 completed), one with 99 (99 completed): pooled 99/100, not 0.5.
    b.learn(0, 1);
    b.learn(99, 99);
    // Kept as a half float (series/window-codes.ts): 0.990234375, 11 significant bits.
    expect(b.stats().median).toBe(asKept('ratio', 0.99));
    expect(b.stats().median).toBeCloseTo(0.99, 3);
  });

  it('keeps everything in its storage and scalars: one object re-pointed between two baselines reads each as one of its own', () => {
    const capacity = 6;
    const header = new Float32Array(2 * WINDOW_HEADER_FLOATS);
    const codes = new Int16Array(2 * capacity);
    const scalars = new Float64Array(2 * RobustBaseline.SCALARS);
    const order = new Uint8Array(2 * capacity);
    const cursor = new RobustBaseline(capacity, 3, 'log-rate');
    const at = (k: number) => cursor.rebase(header, k * WINDOW_HEADER_FLOATS, codes, k * capacity, scalars, k * RobustBaseline.SCALARS, order, k * capacity);
    const own = [new RobustBaseline(capacity, 3, 'log-rate'), new RobustBaseline(capacity, 3, 'log-rate')];
    for (let i = 0; i < 40; i++) {
      for (const k of [0, 1]) {
        // Read between learns so that a cache left in the object would show.
        const count = (k + 1) * 100 + ((i * 37) % 11);
        expect(at(k).learn(count, 15)).toBe(own[k]!.learn(count, 15));
        expect(at(k).stats()).toEqual(own[k]!.stats());
        expect(at(k).partialTicks).toBe(own[k]!.partialTicks);
        expect(at(k).snapshot()).toEqual(own[k]!.snapshot());
      }
    }
  });

  it("keeps a ratio window's mean beside its median: sparse buckets' median is none, their mean is the ratio", () => {
    const b = new RobustBaseline(60, 4, 'ratio');
    // 60 one-minute buckets of 18 requests: 17 hold one error, 2 hold two, the rest none (21 of 1,080).
    for (let i = 0; i < 60; i++) for (let k = 0; k < 4; k++) b.learn(k === 0 ? (i < 17 ? 1 : i < 19 ? 2 : 0) : 0, k === 0 ? 6 : 4);
    expect(b.median).toBe(0);
    // numpy, on the values as the window keeps them: np.float16([1/18]*17 + [2/18]*2 + [0]*41).astype(np.float64).mean()
    // = 0.019439697265625 (21/1080 = 0.019444 unrounded).
    expect(b.mean).toBeCloseTo(0.0194396973, 9);
    expect(b.ticksPerBucket).toBe(4);
    // The cache follows the window: a bucket of two errors pushes out one of one (numpy, 16 ones,
    // 3 twos: 0.020365397135416668).
    for (let k = 0; k < 4; k++) b.learn(k === 0 ? 2 : 0, k === 0 ? 6 : 4);
    expect(b.mean).toBeCloseTo(0.0203653971, 9);
    const rate = new RobustBaseline(10, 1, 'log-rate');
    rate.learn(20, 1);
    expect(rate.mean).toBeNaN();
    expect(new RobustBaseline(10, 1, 'ratio').mean).toBeNaN();
  });

  it('gives the standard error of its median: a few buckets make an uncertain baseline', () => {
    const b = new RobustBaseline(10, 1, 'ratio');
    for (const v of [0.9, 1.0, 1.1, 1.2, 0.8, 1.05, 0.95]) b.learn(v, 1);
    // numpy, on the values as the window keeps them (v.astype(np.float16)): mad = median(|v - median(v)|)
    // = 0.099609375; sqrt(pi/2) * 1.4826 * mad / sqrt(7) = 0.0699576 (0.0702320 for the values unrounded)
    // (and the sd of medians of 25 N(0,1) draws, simulated 200k times: 0.2485 vs sqrt(pi/2)/5 = 0.2507).
    expect(b.stats().medianError).toBeCloseTo(0.0699576, 6);
    expect(Number.isNaN(new RobustBaseline(10).stats().medianError)).toBe(true);
  });

  it('keeps log-rates of pooled counts, counts only complete buckets, and scales σ back to one tick', () => {
    const b = new RobustBaseline(10, 4, 'log-rate');
    // Buckets of 4 one-second ticks at e, e², e³ per second.
    for (const level of [1, 2, 3]) for (let i = 0; i < 4; i++) b.learn(Math.exp(level), 1);
    b.learn(1000, 1); // a partial bucket: not counted yet
    expect(b.size).toBe(12);
    expect(b.buckets).toBe(3);
    const { median, sigma } = b.stats();
    expect(median).toBeCloseTo(2, 5);
    // MAD of [1, 2, 3] is 1; × 1.4826 × √4.
    expect(sigma).toBeCloseTo(MAD_TO_SIGMA * 2, 5);
  });

  it('drops a ratio bucket with no requests: it says nothing', () => {
    const b = new RobustBaseline(10, 1, 'ratio');
    b.learn(0, 0);
    expect(b.buckets).toBe(0);
  });

  it('survives a snapshot and restore mid-bucket', () => {
    const b = new RobustBaseline(10, 4, 'ratio');
    [1, 1, 1, 1, 2, 2].forEach((v) => b.learn(v, 1));
    const again = new RobustBaseline(10, 4, 'ratio');
    again.restore(JSON.parse(JSON.stringify(b.snapshot())));
    [2, 2].forEach((v) => again.learn(v, 1));
    expect(again.size).toBe(8);
    expect(again.stats().median).toBe(1.5);
  });

  it('ignores a malformed partial bucket in a snapshot', () => {
    const b = new RobustBaseline(10, 4, 'ratio');
    b.restore({ values: [1], partial: [1, 2] as unknown as [number, number, number] });
    expect(b.snapshot().partial).toBeUndefined();
  });
});

describe('RobustBaseline statistics cache', () => {
  it('answers exactly what a fresh computation over the same window does, after every learn and restore', () => {
    // Cached: median and σ are kept until a bucket completes; the reference recomputes them each time.
    const cached = new RobustBaseline(12, 3, 'ratio');
    const values: number[] = [];
    let num = 0;
    let den = 0;
    for (let tick = 0; tick < 200; tick++) {
      const requests = 50 + ((tick * 37) % 23);
      const failures = (tick * 11) % 7;
      cached.learn(failures, requests);
      num += failures;
      den += requests;
      if ((tick + 1) % 3 === 0) {
        values.push(num / den);
        num = den = 0;
      }
      if (tick === 119) {
        // A restore right after a bucket completed (no partial bucket to lose).
        cached.restore({ values: values.slice(-5) });
        values.splice(0, values.length - 5);
      }
      const reference = new RobustBaseline(12, 3, 'ratio');
      reference.restore({ values: values.slice(-12) });
      // Same window, so the same statistics to the last bit, whether cached or not.
      expect(cached.stats()).toEqual(reference.stats());
      expect(cached.stats()).toEqual(reference.stats());
    }
  });
});
