// Turns successive snapshots of a set of counters into one summed per-second rate, as PromQL's
// sum(irate(...)) does, but without its blind spot at restarts: an increment across a counter reset
// is unknown, not the new value. A restarted pod lost what it counted between the last snapshot and
// its restart, so summing its new value undercounts, and during a rolling restart of the
// downstream pods that reads as lost completions. Here:
// - a series that reset is estimated from its neighbours: its own previous increment, scaled by how
//   the series that did not reset changed since (pods behind one load balancer share the load), at
//   least its new value;
// - a series that is new since the last snapshot counts its value (it started from 0), at most the
//   largest increment of a neighbour (a series first seen late, not newly born, is no burst);
// - a series that vanished since the last snapshot makes the increment unknown: what it counted
//   before it went is lost, and no neighbour can tell how long it lived;
// - with no neighbour to learn from, an incomplete increment is unknown (NaN): no data, never zero.
// Error counters are kinder: they are often born with the first error, an undercount of errors
// pages nobody falsely, so their new series and resets count their value, like irate.

export type CounterKind = 'traffic' | 'errors';

export class CounterRateTracker {
  // Each series has a slot (by its key); its values live in arrays at that index, each stamped with
  // the number of the snapshot that wrote it. Swapping arrays at the end of a snapshot and comparing
  // stamps replaces four Maps per tracker that were cleared (re-allocated) every snapshot and looked
  // up four times a sample: with one tracker per route and input, that churn was a split signal's
  // largest cost after detection.
  private readonly slotOf = new Map<string, number>();
  private keys: string[] = [];
  /** Values of the snapshot being taken, and of the last one ended. */
  private value: number[] = [];
  private valueAt: number[] = [];
  private previousValue: number[] = [];
  private previousValueAt: number[] = [];
  /** Each series' increment over this interval and over the last one (measured or estimated), for resets to scale. */
  private increment: number[] = [];
  private incrementAt: number[] = [];
  private previousIncrement: number[] = [];
  private previousIncrementAt: number[] = [];
  /** Distinct slots of this snapshot and of the last one. */
  private touched: number[] = [];
  private previousTouched: number[] = [];
  /** How many of each list's first entries are this snapshot's (the lists are overwritten, not emptied). */
  private touchedCount = 0;
  private previousTouchedCount = 0;
  private snapshotCount = 0;
  /** Number of the snapshot being taken, and of the last one ended (-2: none yet; unwritten stamps are -1). */
  private current = 0;
  private previous = -2;
  /** Σ of this interval's complete increments, and Σ of the same series' previous increments. */
  private completePrevSum = 0;
  private completeMax = 0;
  private previousTimeMs = Number.NaN;
  /** Increments of series present in both snapshots without a reset. */
  private completeSum = 0;
  private completeCount = 0;
  /** Series that reset, and series new in this snapshot: slots and values, in the order added. */
  private resetSlots: number[] = [];
  private resetValues: number[] = [];
  private freshSlots: number[] = [];
  private freshValues: number[] = [];
  private seenAny = false;
  private everMatched = false;

  /**
   * @param kind traffic (requests, completions): incomplete increments estimated or unknown;
   *   errors: counted as irate does, and a selector that never matched reads as 0 (no errors yet)
   */
  constructor(private readonly kind: CounterKind = 'traffic') {}

  /** Starts a snapshot. Nothing is cleared or allocated: stamps tell this snapshot's values apart. */
  begin(): void {
    this.current = ++this.snapshotCount;
    this.completeSum = 0;
    this.completePrevSum = 0;
    this.completeMax = 0;
    this.completeCount = 0;
    // Setting an array's length is a call into the runtime: only when there is something to drop.
    this.touchedCount = 0;
    if (this.resetSlots.length > 0) {
      this.resetSlots.length = 0;
      this.resetValues.length = 0;
    }
    if (this.freshSlots.length > 0) {
      this.freshSlots.length = 0;
      this.freshValues.length = 0;
    }
  }

  /** Adds one matched series' counter value to the snapshot. */
  add(key: string, value: number): void {
    let slot = this.slotOf.get(key);
    if (slot === undefined) slot = this.newSlot(key);
    const previous = this.previous;
    if (this.previousValueAt[slot] !== previous) {
      this.freshSlots.push(slot);
      this.freshValues.push(value);
    } else if (value < this.previousValue[slot]!) {
      this.resetSlots.push(slot);
      this.resetValues.push(value);
    } else {
      const increment = value - this.previousValue[slot]!;
      this.completeSum += increment;
      this.completePrevSum += this.previousIncrementAt[slot] === previous ? this.previousIncrement[slot]! : Number.NaN;
      if (increment > this.completeMax) this.completeMax = increment;
      this.completeCount++;
      this.setIncrement(slot, increment);
    }
    if (this.valueAt[slot] !== this.current) {
      this.valueAt[slot] = this.current;
      this.touched[this.touchedCount++] = slot;
    }
    this.value[slot] = value;
  }

  private newSlot(key: string): number {
    const slot = this.keys.length;
    this.keys.push(key);
    this.slotOf.set(key, slot);
    this.value.push(0);
    this.valueAt.push(-1);
    this.previousValue.push(0);
    this.previousValueAt.push(-1);
    this.increment.push(0);
    this.incrementAt.push(-1);
    this.previousIncrement.push(0);
    this.previousIncrementAt.push(-1);
    return slot;
  }

  private setIncrement(slot: number, increment: number): void {
    this.increment[slot] = increment;
    this.incrementAt[slot] = this.current;
  }

  /**
   * Ends the snapshot taken at `timeMs` and returns the summed increase per second since the
   * previous one. NaN (no data) for the first snapshot, when time did not move forward, when
   * nothing matched (a traffic selector that matched before and now matches nothing is missing
   * data, not zero traffic), and when an increment cannot be known (see above).
   */
  end(timeMs: number): number {
    const dtMs = timeMs - this.previousTimeMs;
    const matched = this.touchedCount > 0;
    if (matched) this.everMatched = true;
    const increase = this.seenAny && dtMs > 0 ? this.increase(matched) : Number.NaN;
    // This snapshot becomes the previous one; the old previous arrays are written over by the next.
    [this.value, this.previousValue] = [this.previousValue, this.value];
    [this.valueAt, this.previousValueAt] = [this.previousValueAt, this.valueAt];
    [this.increment, this.previousIncrement] = [this.previousIncrement, this.increment];
    [this.incrementAt, this.previousIncrementAt] = [this.previousIncrementAt, this.incrementAt];
    [this.touched, this.previousTouched] = [this.previousTouched, this.touched];
    this.previousTouchedCount = this.touchedCount;
    this.previous = this.current;
    this.previousTimeMs = timeMs;
    this.seenAny = true;
    // Series that came and went (pods of past deploys) leave slots behind: past twice the live
    // count, the slots are rebuilt from the series of this snapshot.
    if (this.keys.length > 2 * this.previousTouchedCount + 64) this.compact();
    return (increase * 1000) / dtMs;
  }

  private increase(matched: boolean): number {
    if (this.kind === 'errors') {
      if (!matched && !this.everMatched) return 0;
      let sum = this.completeSum;
      for (const v of this.resetValues) sum += v;
      for (const v of this.freshValues) sum += v;
      return sum;
    }
    if (!matched) return Number.NaN;
    if (this.previousTouchedCount > this.completeCount + this.resetSlots.length) {
      // A series of the last snapshot is gone: what it counted before it went is unknown.
      for (let k = 0; k < this.previousTouchedCount; k++) if (this.valueAt[this.previousTouched[k]!] !== this.current) return Number.NaN;
    }
    if (this.resetSlots.length === 0 && this.freshSlots.length === 0) return this.completeSum;
    if (this.completeCount === 0) return Number.NaN;
    let sum = this.completeSum;
    if (this.resetSlots.length > 0) {
      // How the load changed since the last interval, read from the series that did not reset.
      const growth = this.completePrevSum > 0 ? this.completeSum / this.completePrevSum : Number.NaN;
      for (let k = 0; k < this.resetSlots.length; k++) {
        const slot = this.resetSlots[k]!;
        const previousIncrement = this.previousIncrementAt[slot] === this.previous ? this.previousIncrement[slot]! : Number.NaN;
        const estimate = Math.max(this.resetValues[k]!, previousIncrement * growth);
        if (Number.isNaN(estimate)) return Number.NaN;
        sum += estimate;
        this.setIncrement(slot, estimate);
      }
    }
    for (let k = 0; k < this.freshSlots.length; k++) {
      const counted = Math.min(this.freshValues[k]!, this.completeMax);
      sum += counted;
      this.setIncrement(this.freshSlots[k]!, counted);
    }
    return sum;
  }

  /** Rebuilds the slots from the series of the last snapshot, keeping their values and increments. */
  private compact(): void {
    const keep = this.previousTouched.slice(0, this.previousTouchedCount);
    const old = { keys: this.keys, value: this.previousValue, increment: this.previousIncrement, incrementAt: this.previousIncrementAt };
    this.slotOf.clear();
    this.keys = [];
    for (const a of ['value', 'valueAt', 'previousValue', 'previousValueAt', 'increment', 'incrementAt', 'previousIncrement', 'previousIncrementAt'] as const) this[a] = [];
    this.touched = [];
    this.previousTouched = [];
    this.touchedCount = 0;
    this.previousTouchedCount = 0;
    for (const oldSlot of keep) {
      const slot = this.newSlot(old.keys[oldSlot]!);
      this.previousValue[slot] = old.value[oldSlot]!;
      this.previousValueAt[slot] = this.previous;
      if (old.incrementAt[oldSlot] === this.previous) {
        this.previousIncrement[slot] = old.increment[oldSlot]!;
        this.previousIncrementAt[slot] = this.previous;
      }
      this.previousTouched.push(slot);
      this.previousTouchedCount++;
    }
  }
}
