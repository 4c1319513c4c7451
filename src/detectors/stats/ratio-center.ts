// The ratio an error or funnel check measures against. A baseline bucket pools a minute of ticks,
// and the median of the buckets' ratios resists a learnt burst, but only where a bucket holds a
// few of what the ratio counts. At 0.3 requests a second a minute holds 18 requests: at a steady
// 2 % most buckets hold no error, their median reads 0 %, and an error check whose null was 0 %
// and whose indifference 2 % had no drift back to zero: it paged after hours, again and again, its
// evidence, building, keeping the baseline from ever learning better. A funnel losing a few per
// cent of a thin route's requests read 100 % complete the same way. Where those events are sparse
// the buckets' mean is the baseline (unbiased however sparse the counts), and the check's null is
// read at the end of the share's Wilson score interval over the requests the window holds (the
// most errors, the most requests lost, that they leave possible): a baseline learnt from a short
// or quiet window errs toward fewer pages, and tightens as the window fills. (Read at the mean, a
// route whose first hour happened to be cleaner than its usual 5 % had its evidence build, which
// stops a ratio learning, and paged: the estimate is only as good as its window.)

import type { RobustBaseline } from './robust-baseline.js';

/**
 * Events a bucket must be expected to hold for its ratio's median to stand: a Poisson median lies in
 * [λ − ln 2, λ + 1/3) (Choi 1994), so from 5 events on it is within 14 % of the mean.
 */
export const SPARSE_BUCKET_EVENTS = 5;

/** z of the one-sided bound a sparse ratio's null is read at: 2, about 97.7 %. */
export const SPARSE_BOUND_Z = 2;

/**
 * The upper end of the Wilson score interval of a share `p` seen in `n` trials (Wilson 1927;
 * Agresti & Coull 1998 show it keeps its coverage down to a handful of events, where the normal
 * interval does not): (p + z²/2n + z·√(p(1 − p)/n + z²/4n²)) / (1 + z²/n). NaN for n ≤ 0.
 */
export function wilsonUpperBound(p: number, n: number, z: number): number {
  if (!(n > 0)) return Number.NaN;
  const z2n = (z * z) / n;
  return (p + z2n / 2 + z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
}

/** Whether a bucket of `ticksPerBucket` ticks of `expectedPerTick` requests holds fewer than SPARSE_BUCKET_EVENTS events at `share`. */
export function sparseAt(share: number, expectedPerTick: number, ticksPerBucket: number): boolean {
  return share * expectedPerTick * ticksPerBucket < SPARSE_BUCKET_EVENTS;
}

/** The error ratio a check measures against: the median of its baseline's buckets, their mean where errors are sparse in them. */
export function errorBaseline(b: RobustBaseline, expectedPerTick: number): number {
  const mean = b.mean;
  return sparseAt(mean, expectedPerTick, b.ticksPerBucket) ? mean : b.median;
}

/**
 * The error ratio an error check's null is read at: `e0` (errorBaseline's) where errors are dense,
 * else the Wilson upper bound of the window's mean over the requests its buckets hold.
 */
export function errorNull(b: RobustBaseline, expectedPerTick: number, e0: number): number {
  const mean = b.mean;
  if (!sparseAt(mean, expectedPerTick, b.ticksPerBucket)) return e0;
  const bound = wilsonUpperBound(mean, expectedPerTick * b.ticksPerBucket * b.buckets, SPARSE_BOUND_Z);
  return Number.isNaN(bound) ? e0 : Math.max(e0, bound);
}

/**
 * The completion ratio a funnel check measures against: the median of its baseline's buckets, their
 * mean where requests lost (one less the ratio) are sparse in them. A window completing more than
 * it sends on average (a fan-out, or late completions) keeps its median.
 */
export function completionBaseline(b: RobustBaseline, expectedPerTick: number): number {
  const mean = b.mean;
  return mean <= 1 && sparseAt(1 - mean, expectedPerTick, b.ticksPerBucket) ? mean : b.median;
}

/**
 * The completion ratio a funnel check's null is read at: `c0` (completionBaseline's) where losses
 * are dense, else one less the Wilson upper bound of the window's lost share.
 */
export function completionNull(b: RobustBaseline, expectedPerTick: number, c0: number): number {
  const mean = b.mean;
  if (!(mean <= 1 && sparseAt(1 - mean, expectedPerTick, b.ticksPerBucket))) return c0;
  const bound = wilsonUpperBound(1 - mean, expectedPerTick * b.ticksPerBucket * b.buckets, SPARSE_BOUND_Z);
  return Number.isNaN(bound) ? c0 : Math.min(c0, 1 - bound);
}
