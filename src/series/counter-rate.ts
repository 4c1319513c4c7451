// Turns successive snapshots of a set of counters into one summed per-second rate, as
// PromQL's sum(irate(...)) does: resets (a restarted pod starts again from 0) count the new value as
// the increase, and a series seen for the first time contributes nothing until its second sample.

export class CounterRateTracker {
  private previous = new Map<string, number>();
  private current = new Map<string, number>();
  private previousTimeMs = Number.NaN;
  private increase = 0;
  private seenAny = false;
  private everMatched = false;

  /**
   * @param absentIsZero whether a selector that has never matched reads as 0 (error counters, which
   *   often appear only with the first error) rather than as no data (request counters)
   */
  constructor(private readonly absentIsZero = false) {}

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
   * NaN for the first snapshot or when time did not move forward. Once a selector has matched,
   * matching nothing gives 0: vanished series mean no traffic. Before it ever matched: NaN (no
   * data yet, or a selector that names nothing), unless absentIsZero.
   */
  end(timeMs: number): number {
    const dtMs = timeMs - this.previousTimeMs;
    if (this.current.size > 0) this.everMatched = true;
    const known = this.everMatched || this.absentIsZero;
    const rate = this.seenAny && dtMs > 0 && known ? (this.increase * 1000) / dtMs : Number.NaN;
    this.previous = this.current;
    this.previousTimeMs = timeMs;
    this.seenAny = true;
    return rate;
  }
}
