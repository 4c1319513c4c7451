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
 * deviations are two ascending runs (down from the middle, up from just past it), merged as far as
 * their middle. The same values as sorting them, so the same number bit for bit. O(n/2).
 * SampleWindow's medianAndDeviation does the same merge through a window's sort order, in place
 * (a copy into a run here would cost every bucket's refresh a pass over the window).
 */
export function sortedMedianDeviation(s: Float64Array, n: number, m: number): number {
  const k = (n - 1) >> 1;
  let down = k;
  let up = k + 1;
  let kth = Number.NaN;
  for (let rank = 0; rank <= k; rank++) {
    const a = down >= 0 ? Math.abs(s[down]! - m) : Number.POSITIVE_INFINITY;
    const b = up < n ? Math.abs(s[up]! - m) : Number.POSITIVE_INFINITY;
    if (a <= b) {
      kth = a;
      down--;
    } else {
      kth = b;
      up++;
    }
  }
  if (n % 2) return kth;
  const a = down >= 0 ? Math.abs(s[down]! - m) : Number.POSITIVE_INFINITY;
  const b = up < n ? Math.abs(s[up]! - m) : Number.POSITIVE_INFINITY;
  return (kth + Math.min(a, b)) / 2;
}
