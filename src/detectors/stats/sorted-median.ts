// Median and median absolute deviation of a sorted run of numbers, and the insertion sort that
// keeps a nearly sorted run cheap to sort: the level of the rate window against the weekly profile
// (evidence-detector.ts refreshLevel) is read from sixty differences once a minute per series.
// The MAD is Hampel's (1974) median of |x − median|, unscaled. numpy's
// np.median(np.abs(a - np.median(a))) gives 1.0 for [1, 2, 3, 4, 100] and 0.55 for
// [0.3, -1.2, 2.5, 0.7, 0.1, -0.4] (median 0.2); test/detectors/stats/sorted-median.test.ts checks both.

/** Sorts s[0 … n) ascending in place: O(n + the pairs out of order). */
export function insertionSort(s: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = s[i]!;
    let j = i;
    for (; j > 0 && s[j - 1]! > x; j--) s[j] = s[j - 1]!;
    s[j] = x;
  }
}

/** The median of sorted s[0 … n). */
export function sortedMedian(s: Float64Array, n: number): number {
  const k = n >> 1;
  return n % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

/**
 * The median of |s[i] − m| over sorted s[0 … n) and its median m, without a second sort: the
 * deviations are two ascending runs (down from the middle, up from just past it), and their
 * median is the k-th smallest of the two together (k = ⌊(n − 1)/2⌋; with the next one for an even
 * n), found by a binary search over how many of it the lower run gives. The same values as
 * sorting them, so the same number bit for bit. O(log n). SampleWindow's medianAndDeviation
 * searches the same way through a window's sort order, in place (a copy into a run here would
 * cost every bucket's refresh a pass over the window).
 */
export function sortedMedianDeviation(s: Float64Array, n: number, m: number): number {
  const k = (n - 1) >> 1;
  // Lower run: |s[k − i] − m|, i = 0 … k; upper run: |s[k + 1 + j] − m|, j = 0 … n − k − 2. The
  // least i where the lower run's i-th is not below the upper run's (k − i)-th takes i of the
  // k + 1 smallest from the lower run.
  const upper = n - k - 1;
  let lo = k + 1 - upper > 0 ? k + 1 - upper : 0;
  let hi = k + 1;
  while (lo < hi) {
    const i = (lo + hi) >>> 1;
    if (Math.abs(s[k - i]! - m) < Math.abs(s[2 * k + 1 - i]! - m)) lo = i + 1;
    else hi = i;
  }
  const i = lo;
  const j = k + 1 - i;
  const lastDown = i > 0 ? Math.abs(s[k - i + 1]! - m) : Number.NEGATIVE_INFINITY;
  const lastUp = j > 0 ? Math.abs(s[k + j]! - m) : Number.NEGATIVE_INFINITY;
  const kth = lastDown > lastUp ? lastDown : lastUp;
  if (n % 2) return kth;
  const nextDown = i <= k ? Math.abs(s[k - i]! - m) : Number.POSITIVE_INFINITY;
  const nextUp = j < upper ? Math.abs(s[k + 1 + j]! - m) : Number.POSITIVE_INFINITY;
  return (kth + Math.min(nextDown, nextUp)) / 2;
}
