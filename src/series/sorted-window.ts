// A sliding window of numbers kept both in arrival order (to know what leaves) and sorted (so the
// median is O(1) and the median absolute deviation O(n) with no allocation). Push is O(n) by
// memmove of at most `capacity` values, which for a baseline window of a few hundred points is far
// cheaper than sorting a copy every tick. Values are stored as 32-bit floats (7 significant
// digits, ample for log-rates and ratios) to halve the memory of every series.

export class SortedWindow {
  private readonly ring: Float32Array;
  private readonly sorted: Float32Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.ring = new Float32Array(capacity);
    this.sorted = new Float32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a value (rounded to 32-bit float); when full, the oldest leaves. Values must be finite. */
  push(input: number): void {
    const value = Math.fround(input);
    if (this.count === this.capacity) {
      this.removeSorted(this.ring[this.next]!);
    } else {
      this.count++;
    }
    this.ring[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.insertSorted(value);
  }

  /** The median (the mean of the two middle values for an even count); NaN when empty. */
  median(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const s = this.sorted;
    return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  }

  /**
   * The median absolute deviation from the median, in O(n): the deviations of the values below and
   * above the median are each already ordered, so merging them outwards yields them in order.
   */
  medianAbsoluteDeviation(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const s = this.sorted;
    const m = this.median();
    // Left pointer walks down from the last value <= m, right pointer up from the first value > m.
    let lo = upperBound(s, n, m) - 1;
    let hi = lo + 1;
    // The middle deviation(s): index k1 (and k2 = k1 + 1 for an even count) in ascending order.
    const k2 = n >> 1;
    const k1 = n % 2 ? k2 : k2 - 1;
    let sum = 0;
    for (let k = 0; k <= k2; k++) {
      let d: number;
      if (hi >= n || (lo >= 0 && m - s[lo]! <= s[hi]! - m)) d = m - s[lo--]!;
      else d = s[hi++]! - m;
      if (k === k1 || k === k2) sum += d;
    }
    return k1 === k2 ? sum : sum / 2;
  }

  /** The values, oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.count);
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out[i] = this.ring[(start + i) % this.capacity]!;
    return out;
  }

  /** Replaces the contents (oldest first), keeping the newest that fit. */
  restore(values: readonly number[]): void {
    this.next = 0;
    this.count = 0;
    for (const v of values.slice(-this.capacity)) this.push(v);
  }

  private insertSorted(value: number): void {
    const n = this.count - 1; // values already in `sorted`
    const at = upperBound(this.sorted, n, value);
    this.sorted.copyWithin(at + 1, at, n);
    this.sorted[at] = value;
  }

  private removeSorted(value: number): void {
    const n = this.count;
    const at = upperBound(this.sorted, n, value) - 1; // an index holding `value`
    this.sorted.copyWithin(at, at + 1, n);
  }
}

/** The first index in sorted[0..n) whose value is greater than `value`. */
function upperBound(sorted: Float32Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
