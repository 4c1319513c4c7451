// A sliding window of numbers with its median and median absolute deviation. The values are kept
// only in arrival order, as 16-bit codes (series/window-codes.ts: a log-rate to 1/1024 nat, a ratio
// as a half float; 0.05 %, ample for the medians and spreads of minute buckets), in a slice of a
// buffer that many windows can share: at 100k series every byte and every typed array counts. The
// codes ascend with their values, so the sort order compares integers and only what is read out
// is decoded. Median and MAD are found from the sort order, or by selection (Hoare's
// quickselect, expected O(n)) in a scratch buffer shared by all windows, so nothing is allocated
// per tick.

import { type WindowCoding, codeOf, codeTable } from './window-codes.js';

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

/** Windows up to this capacity keep their sort order (one byte a value names a slot). */
export const MAX_ORDERED_CAPACITY = 256;
/** restore's sort keys, a code above a slot (one thread), and their views by length, made once each. */
const sortKeys = new Int32Array(MAX_ORDERED_CAPACITY);
const sortKeyViews: Int32Array[] = [];
function sortKeysOf(k: number): Int32Array {
  return (sortKeyViews[k] ??= sortKeys.subarray(0, k));
}

/** Floats a window keeps apart from its values: its count and the slot of the next value. */
export const WINDOW_HEADER_FLOATS = 2;

export class SampleWindow {
  /** The header's storage: count, then next slot, from `h`. */
  private s: Float32Array;
  private h: number;
  /** The values' codes, `capacity` shorts from `at`. */
  private c: Int16Array;
  private at: number;
  /** The slots of the values in ascending order (order[orderAt + i]: the i-th smallest's slot); absent above MAX_ORDERED_CAPACITY. */
  private order: Uint8Array | undefined;
  private orderAt: number;
  /** A code's value is values[bias + code] (window-codes.ts's table of the coding). */
  private readonly values: Float64Array;
  private readonly bias: number;

  /**
   * Everything the window knows lives in its storage (count and next slot included), so a window
   * object is only where to look: a detector's windows are read through one object re-pointed by
   * `rebase`, not an object a series.
   * @param coding how values become 16-bit codes (window-codes.ts): a value is kept as its code's value
   * @param header where the count and next slot live: WINDOW_HEADER_FLOATS floats from `headerAt`. Default: its own.
   * @param codes where the values live: `capacity` shorts from `codesAt`. Default: its own.
   * @param order where the sort order lives: `capacity` bytes from `orderAt` (default: its own, up to
   *   MAX_ORDERED_CAPACITY; above it the window keeps no order and selects instead).
   */
  constructor(
    readonly capacity: number,
    readonly coding: WindowCoding,
    header: Float32Array = new Float32Array(WINDOW_HEADER_FLOATS),
    headerAt = 0,
    codes: Int16Array = new Int16Array(capacity),
    codesAt = 0,
    order?: Uint8Array,
    orderAt = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    if (header.length < headerAt + WINDOW_HEADER_FLOATS) throw new RangeError('header storage too small for the window');
    if (codes.length < codesAt + capacity) throw new RangeError('storage too small for the window');
    if (order && (capacity > MAX_ORDERED_CAPACITY || order.length < orderAt + capacity)) throw new RangeError('order storage too small for the window, or the window too large to keep one');
    const table = codeTable(coding);
    this.values = table.values;
    this.bias = table.bias;
    this.s = header;
    this.h = headerAt;
    this.c = codes;
    this.at = codesAt;
    this.order = order ?? (capacity <= MAX_ORDERED_CAPACITY ? new Uint8Array(capacity) : undefined);
    this.orderAt = order ? orderAt : 0;
    this.count = 0;
    this.next = 0;
  }

  /**
   * Points this object at another window of the same capacity and coding (storage as the
   * constructor's, zeroed or written by a window before). Unchecked: the hot path's; its owner laid
   * the storage out.
   */
  rebase(header: Float32Array, headerAt: number, codes: Int16Array, codesAt: number, order: Uint8Array | undefined, orderAt: number): this {
    this.s = header;
    this.h = headerAt;
    this.c = codes;
    this.at = codesAt;
    this.order = order;
    this.orderAt = orderAt;
    return this;
  }

  /** Values held (a float32 holds these integers exactly). */
  private get count(): number {
    return this.s[this.h]!;
  }
  private set count(v: number) {
    this.s[this.h] = v;
  }
  /** The slot the next value goes to. */
  private get next(): number {
    return this.s[this.h + 1]!;
  }
  private set next(v: number) {
    this.s[this.h + 1] = v;
  }

  get size(): number {
    return this.count;
  }

  /**
   * The slot of the oldest value, by a subtraction and a compare: the header's counts are read from
   * a Float32Array as doubles, and `%` on doubles is a float modulo (a call to fmod), which a
   * sorted copy of every window paid once a value (the rate's level, once a minute a series).
   */
  private oldestSlot(): number {
    const start = this.next - this.count;
    return start < 0 ? start + this.capacity : start;
  }

  /** The value at a slot, as kept. */
  private valueAt(slot: number): number {
    return this.values[this.bias + this.c[this.at + slot]!]!;
  }

  /** Adds a value (kept as its code's value, window-codes.ts); when full, the oldest leaves. Values must be finite. */
  push(value: number): void {
    const slot = this.next;
    const code = codeOf(this.coding, value);
    if (this.order) this.reorder(slot, code);
    this.c[this.at + slot] = code;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
    if (this.count < this.capacity) this.count++;
  }

  /**
   * Keeps the sort order as `code` enters `slot` (whose old value leaves when the window is full):
   * the leaving slot found by a scan of at most `capacity` bytes, the new one placed by binary
   * search, the bytes between moved by copyWithin. O(capacity) byte moves, no comparisons of values
   * beyond log2(capacity).
   */
  private reorder(slot: number, code: number): void {
    const order = this.order!;
    const o = this.orderAt;
    let n = this.count;
    if (n === this.capacity) {
      let p = 0;
      while (p < n && order[o + p] !== slot) p++;
      // Always found while the order is the window's own (nothing else writes its bytes); were it
      // not, the order is made anew from the values rather than trusted.
      if (p === n) this.sortOrder(slot);
      else order.copyWithin(o + p, o + p + 1, o + n);
      n--;
    }
    // Codes ascend with values: comparing codes compares the values as they will be read.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.c[this.at + order[o + mid]!]! < code) lo = mid + 1;
      else hi = mid;
    }
    order.copyWithin(o + lo + 1, o + lo, o + n);
    order[o + lo] = slot;
  }

  /** Rewrites the order of the full window's slots but `leaving`, by insertion sort. O(capacity²); never on the normal path. */
  private sortOrder(leaving: number): void {
    const order = this.order!;
    const o = this.orderAt;
    let n = 0;
    for (let slot = 0; slot < this.capacity; slot++) {
      if (slot === leaving) continue;
      const v = this.c[this.at + slot]!;
      let i = n++;
      for (; i > 0 && this.c[this.at + order[o + i - 1]!]! > v; i--) order[o + i] = order[o + i - 1]!;
      order[o + i] = slot;
    }
  }

  /** The median (the mean of the two middle values for an even count); NaN when empty. */
  median(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    const a = scratchOf(n);
    for (let i = 0; i < n; i++) a[i] = this.valueAt(i);
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
    for (let i = 0; i < n; i++) a[i] = Math.abs(this.valueAt(i) - m);
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
    if (this.order) {
      this.orderedMedianAndDeviation(out, at);
      return;
    }
    const a = scratchOf(n);
    for (let i = 0; i < n; i++) a[i] = this.valueAt(i);
    const m = medianOf(a, n);
    for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]! - m);
    out[at] = m;
    out[at + 1] = medianOf(a, n);
  }

  /**
   * medianAndDeviation from the sort order: the median is the middle value(s); the deviations from
   * it are two ascending runs, the values below the middle read downwards and those above it read
   * upwards, and the MAD is the k-th smallest of the two runs together (k = ⌊(n − 1)/2⌋; with the
   * next one for an even n), found by a binary search over how many of it the lower run gives.
   * The same values as selection finds, so the same numbers bit for bit. O(log n) reads, no copy
   * (detectors/stats/sorted-median.ts searches a plain sorted run the same way).
   */
  private orderedMedianAndDeviation(out: Float64Array, at: number): void {
    const order = this.order!;
    const o = this.orderAt;
    const c = this.c;
    const base = this.at;
    const values = this.values;
    const bias = this.bias;
    const n = this.count;
    const k = (n - 1) >> 1;
    const lower = values[bias + c[base + order[o + k]!]!]!;
    const m = n % 2 ? lower : (lower + values[bias + c[base + order[o + k + 1]!]!]!) / 2;
    // Lower run: down(i) = |x(k − i) − m|, i = 0 … k; upper run: up(j) = |x(k + 1 + j) − m|,
    // j = 0 … n − k − 2. The k + 1 smallest deviations are down(0 … i) and up(0 … j) with i + j =
    // k + 1 and i the least count where down(i) ≥ up(k − i): down rises with i, up(k − i) falls.
    const upper = n - k - 1;
    let lo = k + 1 - upper > 0 ? k + 1 - upper : 0;
    let hi = k + 1;
    while (lo < hi) {
      const i = (lo + hi) >>> 1;
      const down = Math.abs(values[bias + c[base + order[o + k - i]!]!]! - m);
      const up = Math.abs(values[bias + c[base + order[o + 2 * k + 1 - i]!]!]! - m);
      if (down < up) lo = i + 1;
      else hi = i;
    }
    const i = lo;
    const j = k + 1 - i;
    // The k-th smallest: the larger of the last taken from each run.
    const lastDown = i > 0 ? Math.abs(values[bias + c[base + order[o + k - i + 1]!]!]! - m) : Number.NEGATIVE_INFINITY;
    const lastUp = j > 0 ? Math.abs(values[bias + c[base + order[o + k + j]!]!]! - m) : Number.NEGATIVE_INFINITY;
    const kth = lastDown > lastUp ? lastDown : lastUp;
    out[at] = m;
    if (n % 2) {
      out[at + 1] = kth;
      return;
    }
    // The next smallest: the lesser of the two runs' next.
    const nextDown = i <= k ? Math.abs(values[bias + c[base + order[o + k - i]!]!]! - m) : Number.POSITIVE_INFINITY;
    const nextUp = j < upper ? Math.abs(values[bias + c[base + order[o + k + 1 + j]!]!]! - m) : Number.POSITIVE_INFINITY;
    out[at + 1] = (kth + Math.min(nextDown, nextUp)) / 2;
  }

  /**
   * Writes the values in ascending order to `values` and each one's age to `ages` (0: the oldest,
   * as copyInto numbers them), read off the sort order; returns how many, or −1 when the window
   * keeps no order (above MAX_ORDERED_CAPACITY). O(n), no comparison.
   */
  copyAscending(values: Float64Array, ages: Uint8Array): number {
    const order = this.order;
    if (!order) return -1;
    const start = this.oldestSlot();
    const capacity = this.capacity;
    const n = this.count;
    const o = this.orderAt;
    const c = this.c;
    const base = this.at;
    const table = this.values;
    const bias = this.bias;
    for (let r = 0; r < n; r++) {
      const slot = order[o + r]!;
      values[r] = table[bias + c[base + slot]!]!;
      const age = slot - start;
      ages[r] = age < 0 ? age + capacity : age;
    }
    return n;
  }

  /** The values' arithmetic mean (NaN when empty). O(n). */
  mean(): number {
    const n = this.count;
    if (n === 0) return Number.NaN;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.valueAt(i);
    return sum / n;
  }

  /** Writes the values, oldest first, to `out` from `offset` (it must have room); returns how many. */
  copyInto(out: Float64Array, offset = 0): number {
    const n = this.count;
    let slot = this.oldestSlot();
    for (let i = 0; i < n; i++) {
      out[offset + i] = this.valueAt(slot);
      if (++slot === this.capacity) slot = 0;
    }
    return n;
  }

  /**
   * Writes the codes, oldest first, to an Int16Array from `offset` (it must have room) as they are
   * (a state save writes them as its columns hold them: a log-rate's are their 16-bit fixed point,
   * a ratio's the half floats' bits). In loops: a subarray for set() is an object per run, and a
   * save copies three windows of a few dozen codes a series.
   */
  copyCodes(out: Int16Array, offset = 0): number {
    const start = this.oldestSlot();
    const first = Math.min(this.count, this.capacity - start);
    const c = this.c;
    const from = this.at + start;
    for (let i = 0; i < first; i++) out[offset + i] = c[from + i]!;
    const rest = this.count - first;
    for (let i = 0; i < rest; i++) out[offset + first + i] = c[this.at + i]!;
    return this.count;
  }

  /** The values, oldest first. */
  toArray(): number[] {
    const n = this.count;
    const out = new Array<number>(n);
    let slot = this.oldestSlot();
    for (let i = 0; i < n; i++) {
      out[i] = this.valueAt(slot);
      if (++slot === this.capacity) slot = 0;
    }
    return out;
  }

  /**
   * Replaces the contents (oldest first), keeping the newest that fit: the values written in one
   * pass, then the order made by one sort of them. The same slots and the same order as
   * pushing them one by one (each new value before the equal ones, as push's binary search puts
   * it), without push's call to move bytes per value: a restart restores three windows a series.
   */
  restore(values: ArrayLike<number>): void {
    const from = Math.max(0, values.length - this.capacity);
    const k = values.length - from;
    const s = this.c;
    const base = this.at;
    for (let i = 0; i < k; i++) s[base + i] = codeOf(this.coding, values[from + i]!);
    this.count = k;
    this.next = k % this.capacity;
    const order = this.order;
    if (!order) return;
    // Ascending by value, equal values newest first (as pushes leave them): each slot's key is its
    // code in the high bits and 255 − slot in the low byte (the newer of two equal values first),
    // sorted as integers by the engine's own sort (std::sort on a typed array). A merge sort written here took 4.7 µs an hour's window, the
    // native sort 1.2 µs: a restart at 100k series restores 300k windows.
    const keys = sortKeysOf(k);
    for (let i = 0; i < k; i++) keys[i] = ((s[base + i]! + 32768) << 8) | (MAX_ORDERED_CAPACITY - 1 - i);
    keys.sort();
    const o = this.orderAt;
    for (let i = 0; i < k; i++) order[o + i] = MAX_ORDERED_CAPACITY - 1 - (keys[i]! & 0xff);
  }
}
