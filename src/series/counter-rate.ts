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

/**
 * The tracker's own numbers, at the head of its slots array: the last snapshot's time, and this
 * snapshot's Σ of complete increments, Σ of the same series' previous increments, and largest
 * increment. In an array of doubles they are stored as they are; as fields of the tracker V8 gave
 * each a number object of its own (16 bytes and a pointer: about 0.3 KB a series of a scrape).
 */
const PREVIOUS_TIME = 0;
const COMPLETE_SUM = 1;
const COMPLETE_PREV_SUM = 2;
const COMPLETE_MAX = 3;
const HEAD = 4;
/** Numbers of a slot: its value, value stamp, increment and increment stamp, each for two snapshots. */
const STRIDE = 8;
const VALUE = 0;
const VALUE_AT = 2;
const INCREMENT = 4;
const INCREMENT_AT = 6;
/** Up to this many series, a tracker keeps exact-size arrays and finds a key by searching them. */
const FEW_KEYS = 8;

export class CounterRateTracker {
  // Each series has a slot (by its key): STRIDE numbers in one array, each field twice, for the
  // snapshot being taken and for the last one ended (which is which flips at each end), each value
  // stamped with the number of the snapshot that wrote it. Comparing stamps replaces four Maps per
  // tracker that were cleared (re-allocated) every snapshot. A tracker per route and input mostly
  // holds one or a few series: fourteen arrays grown by push (17 slots each at the first) and a
  // Map made three trackers about 9 KB a series of a scrape. Arrays of exact size, a Map only past
  // FEW_KEYS series, a lone key kept as itself and the tracker's sums kept in its slots array make
  // a tracker of one series about 0.3 KB (the object 144 bytes, its array of 12 doubles 144).
  /** Slots by key, once there are more than FEW_KEYS. */
  private slotOf: Map<string, number> | undefined;
  /** Each slot's key: none yet, one series' key itself (most trackers: no array), or an array. */
  private keys: string | string[] | undefined = undefined;
  /** HEAD numbers (see PREVIOUS_TIME …), then STRIDE numbers per slot. */
  private slots: number[] = [Number.NaN, 0, 0, 0];
  /** Which of a field's two numbers is this snapshot's (0 or 1); the other is the last one's. */
  private now = 0;
  /** Distinct series of this snapshot and of the last one. */
  private touchedCount = 0;
  private previousTouchedCount = 0;
  private snapshotCount = 0;
  /** Number of the snapshot being taken, and of the last one ended (-2: none yet; unwritten stamps are -1). */
  private current = 0;
  private previous = -2;
  /** Increments of series present in both snapshots without a reset (their sums are in the head of `slots`). */
  private completeCount = 0;
  /**
   * Series that reset, and series new in this snapshot: slot and value pairs, in the order added
   * (a key added twice is there twice). Made when needed and let go at the next snapshot: every
   * series is new once, few ever reset.
   */
  private resets: number[] | undefined;
  private fresh: number[] | undefined;
  private seenAny = false;
  private everMatched = false;

  /**
   * @param kind traffic (requests, completions): incomplete increments estimated or unknown;
   *   errors: counted as irate does, and a selector that never matched reads as 0 (no errors yet)
   */
  constructor(private readonly kind: CounterKind = 'traffic') {}

  /**
   * Starts a snapshot afresh (what was added since the last end() is dropped). A tracker is ready
   * for its first snapshot when made, and end() begins the next one: a snapshot builder need not
   * visit every tracker before a snapshot (300k of them at 100k split series). Nothing is cleared:
   * stamps tell this snapshot's values apart.
   */
  begin(): void {
    this.current = ++this.snapshotCount;
    const s = this.slots;
    s[COMPLETE_SUM] = 0;
    s[COMPLETE_PREV_SUM] = 0;
    s[COMPLETE_MAX] = 0;
    this.completeCount = 0;
    this.touchedCount = 0;
    this.resets = undefined;
    this.fresh = undefined;
  }

  /** Adds one matched series' counter value to the snapshot. */
  add(key: string, value: number): void {
    const slot = this.slotFor(key);
    const s = this.slots;
    const at = HEAD + slot * STRIDE;
    const now = this.now;
    const before = 1 - now;
    const previous = this.previous;
    if (s[at + VALUE_AT + before] !== previous) (this.fresh ??= []).push(slot, value);
    else if (value < s[at + VALUE + before]!) (this.resets ??= []).push(slot, value);
    else {
      const increment = value - s[at + VALUE + before]!;
      s[COMPLETE_SUM] = s[COMPLETE_SUM]! + increment;
      s[COMPLETE_PREV_SUM] = s[COMPLETE_PREV_SUM]! + (s[at + INCREMENT_AT + before] === previous ? s[at + INCREMENT + before]! : Number.NaN);
      if (increment > s[COMPLETE_MAX]!) s[COMPLETE_MAX] = increment;
      this.completeCount++;
      s[at + INCREMENT + now] = increment;
      s[at + INCREMENT_AT + now] = this.current;
    }
    if (s[at + VALUE_AT + now] !== this.current) {
      s[at + VALUE_AT + now] = this.current;
      this.touchedCount++;
    }
    s[at + VALUE + now] = value;
  }

  private slotFor(key: string): number {
    if (this.slotOf) return this.slotOf.get(key) ?? this.newSlot(key);
    const keys = this.keys;
    if (keys === key) return 0;
    if (typeof keys === 'object') for (let slot = 0; slot < keys.length; slot++) if (keys[slot] === key) return slot;
    return this.newSlot(key);
  }

  /** Slots made (live or not yet compacted away). */
  private get slotCount(): number {
    return (this.slots.length - HEAD) / STRIDE;
  }

  private newSlot(key: string): number {
    const slot = this.slotCount;
    const blank = [0, 0, -1, -1, 0, 0, -1, -1];
    if (slot < FEW_KEYS) {
      // A tracker of a few series (a route's status codes, a service's pods) is kept for as long as
      // they live: exact sizes, and a search of its keys. An array grown by push took 17 slots
      // (168 bytes for two keys), and a Map about 200 bytes more; one key is kept as itself.
      this.keys = slot === 0 ? key : keyList(this.keys).concat(key);
      this.slots = this.slots.concat(blank);
      return slot;
    }
    const keys = keyList(this.keys);
    this.keys = keys;
    if (!this.slotOf) this.slotOf = new Map(keys.map((k, i) => [k, i]));
    keys.push(key);
    this.slotOf.set(key, slot);
    this.slots.push(...blank);
    return slot;
  }

  /**
   * Ends the snapshot taken at `timeMs` and returns the summed increase per second since the
   * previous one. NaN (no data) for the first snapshot, when time did not move forward, when
   * nothing matched (a traffic selector that matched before and now matches nothing is missing
   * data, not zero traffic), and when an increment cannot be known (see above).
   */
  end(timeMs: number): number {
    const dtMs = timeMs - this.slots[PREVIOUS_TIME]!;
    const matched = this.touchedCount > 0;
    if (matched) this.everMatched = true;
    const increase = this.seenAny && dtMs > 0 ? this.increase(matched) : Number.NaN;
    // This snapshot becomes the previous one; the fields of the one before are written over by the next.
    this.now = 1 - this.now;
    this.previousTouchedCount = this.touchedCount;
    this.previous = this.current;
    this.slots[PREVIOUS_TIME] = timeMs;
    this.seenAny = true;
    // Series that came and went (pods of past deploys) leave slots behind: past twice the live
    // count, the slots are rebuilt from the series of this snapshot.
    if (this.slotCount > 2 * this.previousTouchedCount + 64) this.compact();
    this.begin();
    return (increase * 1000) / dtMs;
  }

  private increase(matched: boolean): number {
    const resets = this.resets;
    const fresh = this.fresh;
    if (this.kind === 'errors') {
      if (!matched && !this.everMatched) return 0;
      let sum = this.slots[COMPLETE_SUM]!;
      if (resets) for (let k = 1; k < resets.length; k += 2) sum += resets[k]!;
      if (fresh) for (let k = 1; k < fresh.length; k += 2) sum += fresh[k]!;
      return sum;
    }
    if (!matched) return Number.NaN;
    const s = this.slots;
    const now = this.now;
    const before = 1 - now;
    const resetCount = resets ? resets.length / 2 : 0;
    if (this.previousTouchedCount > this.completeCount + resetCount) {
      // A series of the last snapshot is gone: what it counted before it went is unknown.
      for (let at = HEAD; at < s.length; at += STRIDE) if (s[at + VALUE_AT + before] === this.previous && s[at + VALUE_AT + now] !== this.current) return Number.NaN;
    }
    if (!resets && !fresh) return s[COMPLETE_SUM]!;
    if (this.completeCount === 0) return Number.NaN;
    let sum = s[COMPLETE_SUM]!;
    if (resets) {
      // How the load changed since the last interval, read from the series that did not reset.
      const growth = s[COMPLETE_PREV_SUM]! > 0 ? s[COMPLETE_SUM]! / s[COMPLETE_PREV_SUM]! : Number.NaN;
      for (let k = 0; k < resets.length; k += 2) {
        const at = HEAD + resets[k]! * STRIDE;
        const previousIncrement = s[at + INCREMENT_AT + before] === this.previous ? s[at + INCREMENT + before]! : Number.NaN;
        const estimate = Math.max(resets[k + 1]!, previousIncrement * growth);
        if (Number.isNaN(estimate)) return Number.NaN;
        sum += estimate;
        s[at + INCREMENT + now] = estimate;
        s[at + INCREMENT_AT + now] = this.current;
      }
    }
    if (fresh) {
      for (let k = 0; k < fresh.length; k += 2) {
        const counted = Math.min(fresh[k + 1]!, s[COMPLETE_MAX]!);
        const at = HEAD + fresh[k]! * STRIDE;
        sum += counted;
        s[at + INCREMENT + now] = counted;
        s[at + INCREMENT_AT + now] = this.current;
      }
    }
    return sum;
  }

  /** Rebuilds the slots from the series of the last snapshot, keeping their values and increments. */
  private compact(): void {
    const old = { keys: keyList(this.keys), slots: this.slots };
    // The snapshot just ended is the previous one now: its fields are the ones at `before`.
    const before = 1 - this.now;
    this.slotOf = undefined;
    this.keys = undefined;
    this.slots = old.slots.slice(0, HEAD);
    this.touchedCount = 0;
    for (let oldSlot = 0; oldSlot < old.keys.length; oldSlot++) {
      const from = HEAD + oldSlot * STRIDE;
      if (old.slots[from + VALUE_AT + before] !== this.previous) continue;
      const at = HEAD + this.newSlot(old.keys[oldSlot]!) * STRIDE;
      const s = this.slots;
      s[at + VALUE + before] = old.slots[from + VALUE + before]!;
      s[at + VALUE_AT + before] = this.previous;
      if (old.slots[from + INCREMENT_AT + before] === this.previous) {
        s[at + INCREMENT + before] = old.slots[from + INCREMENT + before]!;
        s[at + INCREMENT_AT + before] = this.previous;
      }
    }
  }
}

/** A tracker's keys as a list (a new one when it holds one key or none). */
function keyList(keys: string | string[] | undefined): string[] {
  return keys === undefined ? [] : typeof keys === 'string' ? [keys] : keys;
}
