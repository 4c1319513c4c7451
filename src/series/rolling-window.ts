// A fixed-capacity ring buffer of numbers on a Float64Array: no allocation per push.

export class RollingWindow {
  private readonly buffer: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.buffer = new Float64Array(capacity);
  }

  push(value: number): void {
    this.buffer[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Replaces the contents with `values` (oldest first), keeping the newest that fit: for restoring saved state. */
  restore(values: readonly number[]): void {
    this.next = 0;
    this.count = 0;
    for (const v of values.slice(-this.capacity)) this.push(v);
  }

  /** The values held, oldest first, as a new array. */
  toArray(): number[] {
    const out = new Array<number>(this.count);
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out[i] = this.buffer[(start + i) % this.capacity]!;
    return out;
  }
}
