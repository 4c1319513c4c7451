import { describe, expect, it } from 'vitest';
import { SPARSE_BOUND_Z, completionBaseline, errorBaseline, errorNull, sparseAt, wilsonUpperBound } from '../../../src/detectors/stats/ratio-center.js';
import { RobustBaseline } from '../../../src/detectors/stats/robust-baseline.js';

/** A ratio baseline of 60 one-minute buckets (4 ticks each) whose k-th bucket holds events(k) of `requests`. */
function baseline(requests: number, events: (k: number) => number): RobustBaseline {
  const b = new RobustBaseline(60, 4, 'ratio');
  for (let k = 0; k < 60; k++) for (let t = 0; t < 4; t++) b.learn(t === 0 ? events(k) : 0, requests / 4);
  return b;
}

describe('ratio-center', () => {
  it('gives the Wilson score upper bound, as scipy computes it', () => {
    // scipy 1.17: binomtest(k, n).proportion_ci(confidence_level=2*norm.cdf(2)-1, method='wilson').high
    expect(wilsonUpperBound(0 / 75, 75, 2)).toBeCloseTo(0.05063291139240508, 12);
    expect(wilsonUpperBound(1 / 75, 75, 2)).toBeCloseTo(0.07365801605378226, 12);
    expect(wilsonUpperBound(21 / 1080, 1080, 2)).toBeCloseTo(0.029790928791585236, 12);
    expect(wilsonUpperBound(3 / 40, 40, 2)).toBeCloseTo(0.20195163285329754, 12);
    expect(wilsonUpperBound(0.1, 0, 2)).toBeNaN();
  });

  it('reads sparse errors by their mean and their null at its bound; dense ones by the median, as before', () => {
    // 18 requests a minute at 0.3/s, 15 s ticks (4.5 a tick): 21 errors in 1,080, most minutes none.
    const sparse = baseline(18, (k) => (k < 17 ? 1 : k < 19 ? 2 : 0));
    expect(sparse.median).toBe(0);
    expect(sparseAt(sparse.mean, 4.5, 4)).toBe(true);
    const e0 = errorBaseline(sparse, 4.5);
    expect(e0).toBe(sparse.mean);
    expect(e0).toBeCloseTo(21 / 1080, 4);
    // The bound over the window's 60 × 18 requests (within the window's half-float rounding of 21/1080).
    expect(errorNull(sparse, 4.5, e0)).toBeCloseTo(wilsonUpperBound(sparse.mean, 1080, SPARSE_BOUND_Z), 12);
    expect(errorNull(sparse, 4.5, e0)).toBeCloseTo(0.0298, 3);
    // 600 requests a minute at 2 %: 12 errors a bucket, the median stands and is the null.
    const dense = baseline(600, (k) => 10 + (k % 5));
    expect(errorBaseline(dense, 150)).toBe(dense.median);
    expect(errorNull(dense, 150, dense.median)).toBe(dense.median);
  });

  it("reads a funnel's sparse losses by the mean, and keeps the median of dense losses or of a window completing more than it sends", () => {
    const sparse = baseline(18, (k) => (k % 3 === 0 ? 17 : 18));
    expect(sparse.median).toBe(1);
    expect(completionBaseline(sparse, 4.5)).toBe(sparse.mean);
    expect(completionBaseline(sparse, 4.5)).toBeCloseTo(1 - 20 / 1080, 3);
    const dense = baseline(600, (k) => 580 + (k % 5));
    expect(completionBaseline(dense, 150)).toBe(dense.median);
    const fanOut = baseline(18, (k) => (k % 2 === 0 ? 18 : 19));
    expect(fanOut.mean).toBeGreaterThan(1);
    expect(completionBaseline(fanOut, 4.5)).toBe(fanOut.median);
  });
});
