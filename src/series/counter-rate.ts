// Turns successive snapshots of a set of counters into one summed per-second rate, as
// PromQL's sum(irate(...)) does: resets (a restarted pod starts again from 0) count the new value as
// the increase, and a series seen for the first time contributes nothing until its second sample.

export class CounterRateTracker {
  private previous = new Map<string, number>();
  private current = new Map<string, number>();
  private previousTimeMs = Number.NaN;
  private increase = 0;
  private seenAny = false;

  /** Starts a snapshot taken at `timeMs`. */
  begin(): void {
    this.current = new Map();
    this.increase = 0;
  }

  /** Adds one matched series' counter value to the snapshot. */
  add(key: string, value: number): void {
    const before = this.previous.get(key);
    if (before !== undefined) this.increase += value >= before ? value - before : value;
    this.current.set(key, value);
  }

  /**
   * Ends the snapshot and returns the summed increase per second since the previous snapshot.
   * NaN for the first snapshot or when time did not move forward. A selector that matched nothing
   * gives 0: a vanished series means no traffic, not no data.
   */
  end(timeMs: number): number {
    const dtMs = timeMs - this.previousTimeMs;
    const rate = this.seenAny && dtMs > 0 ? (this.increase * 1000) / dtMs : Number.NaN;
    this.previous = this.current;
    this.previousTimeMs = timeMs;
    this.seenAny = true;
    return rate;
  }
}
