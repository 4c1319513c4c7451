// A sliding window of numbers with its median and median absolute deviation. The values are kept
// only in arrival order, as 32-bit floats (7 significant digits, ample for log-rates and ratios),
// in a slice of a buffer that many windows can share: at 100k series every byte and every typed
// array counts. Median and MAD are found by selection (Hoare's quickselect, expected O(n)) in a
// scratch buffer shared by all windows, so nothing is allocated per tick.

/** Scratch space for selection; grown on demand, shared by every window (one thread). */
let scratch = new Float64Array(256);

function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/** Rearranges a[0..n) so that a[k] is the k-th smallest (0-based); expected O(n). */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    // Median of three as the pivot keeps sorted and reversed inputs linear.
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** The median of a[0..n) (mean of the two middle values for an even n); reorders a. */
function medianOf(a: Float64Array, n: number): number {
  const k = (n - 1) >> 1;
  const lower = select(a, n, k);
  if (n % 2) return lower;
  // After selection everything above index k is >= a[k]: the upper middle is their minimum.
  let upper = a[k + 1]!;
  for (let i = k + 2; i < n; i++) if (a[i]! < upper) upper = a[i]!;
  return (lower + upper) / 2;
}

export class SampleWindow {
  private readonly s: Float32Array;
  private readonly at: number;
  private next = 0;
  private count = 0;

  /**
   * @param storage where the values live: `capacity` floats from `offset`. Default: its own buffer.
   */
  constructor(
    readonly capacity: number,
    storage: Float32Array = new Float32Array(capacity),
    offset = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    if (storage.length < offset + capacity) throw new RangeError('storage too small for the window');
    this.s = storage;
    this.at = offset;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a value (rounded to 32-bit float); when full, the oldest leaves. Values must be finite. */
  push(value: number): void {
    this.s[this.at + this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The median (the mean of the two middle values for an even count); NaN when empty. */
  median(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const a = scratchOf(n);
    for (let i = 0; i < n; i++) a[i] = this.s[this.at + i]!;
    return medianOf(a, n);
  }

  /** The median absolute deviation from the median; NaN when empty. O(n) expected. */
  medianAbsoluteDeviation(): number {
    return this.medianAbsoluteDeviationAround(this.median());
  }

  /** The median absolute deviation from `m`, the window's median when the caller already has it. */
  medianAbsoluteDeviationAround(m: number): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const a = scratchOf(n);
    for (let i = 0; i < n; i++) a[i] = Math.abs(this.s[this.at + i]! - m);
    return medianOf(a, n);
  }

  /**
   * The median and the MAD around it together, written to out[at] and out[at + 1] (NaN when empty):
   * the deviations are taken from the values the median's selection already copied (the same
   * values, so exactly medianAbsoluteDeviationAround(median())), the window read once. O(n) expected.
   */
  medianAndDeviation(out: Float64Array, at: number): void {
    const n = this.count;
    if (n === 0) {
      out[at] = out[at + 1] = Number.NaN;
      return;
    }
    const a = scratchOf(n);
    for (let i = 0; i < n; i++) a[i] = this.s[this.at + i]!;
    const m = medianOf(a, n);
    for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]! - m);
    out[at] = m;
    out[at + 1] = medianOf(a, n);
  }

  /** Writes the values, oldest first, to `out` from `offset` (it must have room); returns how many. */
  copyInto(out: Float64Array, offset = 0): number {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out[offset + i] = this.s[this.at + ((start + i) % this.capacity)]!;
    return this.count;
  }

  /** The values, oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.count);
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out[i] = this.s[this.at + ((start + i) % this.capacity)]!;
    return out;
  }

  /** Replaces the contents (oldest first), keeping the newest that fit. */
  restore(values: readonly number[]): void {
    this.next = 0;
    this.count = 0;
    for (const v of values.slice(-this.capacity)) this.push(v);
  }
}
