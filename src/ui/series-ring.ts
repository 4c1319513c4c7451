// A bounded history of one series at tick resolution: a ring of chart values as 16-bit codes
// (chart-code.ts) and times (Float64). Memory is fixed at creation: capacity × (COLUMN_COUNT·2 + 8)
// bytes. Points come in as float32s and the charts read them back as each value's code keeps it
// (within 0.1 %); the history file holds the codes themselves.

import { COLUMN_COUNT } from './chart-point.js';
import { decodeChartValue, encodeChartValue } from './chart-code.js';

export interface SeriesPoints {
  /** Data times in ms, ascending. */
  times: Float64Array;
  /** One array per column (see COLUMNS), aligned with `times`. */
  columns: Float32Array[];
}

export class SeriesRing {
  private readonly times: Float64Array;
  /** COLUMN_COUNT codes a point, slot by slot. */
  private readonly codes: Uint16Array;
  /** Next slot to write; `size` slots before it (cyclically) hold data. */
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.times = new Float64Array(capacity);
    this.codes = new Uint16Array(capacity * COLUMN_COUNT);
  }

  static bytesPerPoint = COLUMN_COUNT * Uint16Array.BYTES_PER_ELEMENT + Float64Array.BYTES_PER_ELEMENT;

  get length(): number {
    return this.size;
  }

  get firstMs(): number {
    return this.size === 0 ? Number.NaN : this.times[(this.head - this.size + this.capacity) % this.capacity]!;
  }

  get lastMs(): number {
    return this.size === 0 ? Number.NaN : this.times[(this.head - 1 + this.capacity) % this.capacity]!;
  }

  /** Appends a point; a time not after the last one replaces nothing and is ignored. */
  push(timeMs: number, point: ArrayLike<number>): void {
    if (this.size > 0 && timeMs <= this.lastMs) return;
    this.times[this.head] = timeMs;
    const at = this.head * COLUMN_COUNT;
    for (let c = 0; c < COLUMN_COUNT; c++) this.codes[at + c] = encodeChartValue(point[c]!);
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Every point, oldest first: times into `times`, codes row by row into `codes` (length × COLUMN_COUNT). */
  copyTo(times: Float64Array, codes: Uint16Array): void {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    // At most two runs: from the oldest slot to the ring's end, then from its start.
    const first = Math.min(this.size, this.capacity - start);
    times.set(this.times.subarray(start, start + first));
    codes.set(this.codes.subarray(start * COLUMN_COUNT, (start + first) * COLUMN_COUNT));
    times.set(this.times.subarray(0, this.size - first), first);
    codes.set(this.codes.subarray(0, (this.size - first) * COLUMN_COUNT), first * COLUMN_COUNT);
  }

  /**
   * Fills an empty ring with points oldest first (`copyTo`'s layout), from the first whose time is
   * at least `sinceMs`, the newest `capacity` of them; times must ascend. Returns the points kept.
   */
  load(times: Float64Array, codes: Uint16Array, sinceMs = Number.NEGATIVE_INFINITY): number {
    if (this.size > 0) throw new Error('load() fills an empty ring');
    let from = Math.max(0, times.length - this.capacity);
    while (from < times.length && !(times[from]! >= sinceMs)) from++;
    const count = times.length - from;
    this.times.set(times.subarray(from));
    this.codes.set(codes.subarray(from * COLUMN_COUNT, times.length * COLUMN_COUNT));
    this.size = count;
    this.head = count % this.capacity;
    return count;
  }

  /** The points with fromMs <= time <= toMs, oldest first, as columns. */
  range(fromMs = Number.NEGATIVE_INFINITY, toMs = Number.POSITIVE_INFINITY): SeriesPoints {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    const slots: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const slot = (start + i) % this.capacity;
      const t = this.times[slot]!;
      if (t >= fromMs && t <= toMs) slots.push(slot);
    }
    const times = new Float64Array(slots.length);
    const columns = Array.from({ length: COLUMN_COUNT }, () => new Float32Array(slots.length));
    slots.forEach((slot, i) => {
      times[i] = this.times[slot]!;
      for (let c = 0; c < COLUMN_COUNT; c++) columns[c]![i] = decodeChartValue(this.codes[slot * COLUMN_COUNT + c]!);
    });
    return { times, columns };
  }
}
