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
  private previous = new Map<string, number>();
  private current = new Map<string, number>();
  /** Each series' increment over the last interval (measured or estimated), for resets to scale. */
  private previousIncrements = new Map<string, number>();
  private increments = new Map<string, number>();
  /** Σ of this interval's complete increments, and Σ of the same series' previous increments. */
  private completePrevSum = 0;
  private completeMax = 0;
  private previousTimeMs = Number.NaN;
  /** Increments of series present in both snapshots without a reset. */
  private completeSum = 0;
  private completeCount = 0;
  /** Series that reset, and series new in this snapshot, with their keys and values. */
  private resets: [string, number][] = [];
  private fresh: [string, number][] = [];
  private seenAny = false;
  private everMatched = false;

  /**
   * @param kind traffic (requests, completions): incomplete increments estimated or unknown;
   *   errors: counted as irate does, and a selector that never matched reads as 0 (no errors yet)
   */
  constructor(private readonly kind: CounterKind = 'traffic') {}

  /** Starts a snapshot. The maps of the snapshot before last are cleared and reused: no per-tick allocation. */
  begin(): void {
    this.current.clear();
    this.increments.clear();
    this.completeSum = 0;
    this.completePrevSum = 0;
    this.completeMax = 0;
    this.completeCount = 0;
    if (this.resets.length > 0) this.resets = [];
    if (this.fresh.length > 0) this.fresh = [];
  }

  /** Adds one matched series' counter value to the snapshot. */
  add(key: string, value: number): void {
    const before = this.previous.get(key);
    if (before === undefined) this.fresh.push([key, value]);
    else if (value < before) this.resets.push([key, value]);
    else {
      const increment = value - before;
      this.completeSum += increment;
      this.completePrevSum += this.previousIncrements.get(key) ?? Number.NaN;
      if (increment > this.completeMax) this.completeMax = increment;
      this.completeCount++;
      this.increments.set(key, increment);
    }
    this.current.set(key, value);
  }

  /**
   * Ends the snapshot taken at `timeMs` and returns the summed increase per second since the
   * previous one. NaN (no data) for the first snapshot, when time did not move forward, when
   * nothing matched (a traffic selector that matched before and now matches nothing is missing
   * data, not zero traffic), and when an increment cannot be known (see above).
   */
  end(timeMs: number): number {
    const dtMs = timeMs - this.previousTimeMs;
    const matched = this.current.size > 0;
    if (matched) this.everMatched = true;
    const increase = this.seenAny && dtMs > 0 ? this.increase(matched) : Number.NaN;
    // This snapshot becomes the previous one; the old previous maps are reused by the next begin().
    const spare = this.previous;
    this.previous = this.current;
    this.current = spare;
    const spareIncrements = this.previousIncrements;
    this.previousIncrements = this.increments;
    this.increments = spareIncrements;
    this.previousTimeMs = timeMs;
    this.seenAny = true;
    return (increase * 1000) / dtMs;
  }

  private increase(matched: boolean): number {
    if (this.kind === 'errors') {
      if (!matched && !this.everMatched) return 0;
      let sum = this.completeSum;
      for (const [, v] of this.resets) sum += v;
      for (const [, v] of this.fresh) sum += v;
      return sum;
    }
    if (!matched) return Number.NaN;
    if (this.previous.size > this.completeCount + this.resets.length) {
      // A series of the last snapshot is gone: what it counted before it went is unknown.
      for (const key of this.previous.keys()) if (!this.current.has(key)) return Number.NaN;
    }
    if (this.resets.length === 0 && this.fresh.length === 0) return this.completeSum;
    if (this.completeCount === 0) return Number.NaN;
    let sum = this.completeSum;
    if (this.resets.length > 0) {
      // How the load changed since the last interval, read from the series that did not reset.
      const growth = this.completePrevSum > 0 ? this.completeSum / this.completePrevSum : Number.NaN;
      for (const [key, v] of this.resets) {
        const estimate = Math.max(v, (this.previousIncrements.get(key) ?? Number.NaN) * growth);
        if (Number.isNaN(estimate)) return Number.NaN;
        sum += estimate;
        this.increments.set(key, estimate);
      }
    }
    for (const [key, v] of this.fresh) {
      const counted = Math.min(v, this.completeMax);
      sum += counted;
      this.increments.set(key, counted);
    }
    return sum;
  }
}
