// A weekly profile of a series' log-rate: one value per hour of the week (168 slots), learnt
// online, read with linear interpolation between the slots' centres. It knows the shape of the
// cycle (a morning ramp, a night trough, a quieter weekend); the detector's trailing window keeps
// knowing the level: the expected log-rate now is the profile now plus the median of the window's
// buckets less the profile at each bucket's time. So the level term adapts in an hour as before, and
// the cycle is no longer mistaken for a change.
//
// Model: multiplicative in rate, i.e. additive in log-rate (a 5x day/night swing is a shift of
// ln 5 whatever the level). Each slot is the mean log-rate of its hour, averaged over visits with
// a half-life of one visit (a slot is half last week's hour, a quarter the week before, ...). Within
// an hour the pooled buckets are averaged evenly (an exponential weighting inside the hour would
// lean towards its end and lag the cycle), winsorised against the slot's old value (Huber 1964's
// clipping: a burst or a dip cannot drag a slot further than a few σ), and committed when the hour
// is over. Hourly means read at their centres and linearly interpolated follow a 5x day/night
// cycle to within 0.03 nats (tested; the error is largest where log-rate bends most, at the trough).
// Hour-of-week slots are trusted once the profile has seen a whole week; before that, an hour of day
// is read as the mean of the known slots with that hour (a day is enough), and before a day nothing
// is known (NaN), so a young series is judged exactly as by the trailing median alone.
//
// The hours are those of a wall clock (core/wall-clock.ts): UTC by default, or the time zone whose
// clocks the traffic follows, so a daylight-saving change moves no slot against the cycle.
//
// Memory: 168 slots as 16-bit integers in units of 1/1024 nats (resolution 0.1 %, range ±32 nats,
// i.e. rates up to 7.9e13/s): 336 bytes per series, in a slice of a buffer the caller may share.

import { type ColumnScratch, Q_NULL, Q_UNITS, encodeTyped, numbersTemplate } from '../../core/column-encoder.js';
import type { WallClock } from '../../core/wall-clock.js';

/** Slots in the profile: hours of a week. Slot 0 is Thursday 00:00 of the wall clock (the Unix epoch's weekday). */
export const SLOTS_PER_WEEK = 168;
/** The template of snapshot() in columns that encodeFixed writes for (see core/column-encoder.ts). */
export const PROFILE_TEMPLATE = `{"slots":${numbersTemplate('q', SLOTS_PER_WEEK)},"sinceMs":0}`;
/** Bytes one profile's slots take. */
export const PROFILE_BYTES = SLOTS_PER_WEEK * Int16Array.BYTES_PER_ELEMENT;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
/** A slot's value in nats is its integer over this: the columns' fixed point, so slots are saved as they are. */
const UNITS_PER_NAT = Q_UNITS;
/** A slot never learnt: the columns' null. */
const UNKNOWN = Q_NULL;
/** Weight of one whole visit of an hour in its slot's mean (a half-life of one visit). */
const VISIT_WEIGHT = 0.5;
/** An unknown slot of a known week is read between known neighbours at most this many hours away. */
const NEIGHBOUR_HOURS = 3;

export interface ProfileSnapshot {
  /** Slot values in nats (null: never learnt). */
  slots: (number | null)[];
  /** Data time of the first value learnt (null: nothing learnt yet). */
  sinceMs: number | null;
}

/** Numbers a profile keeps in its owner's doubles besides the slots: since, the hour being learnt, its sum and span, the change count. */
export const PROFILE_DOUBLES = 5;

export class SeasonalProfile {
  private slots: Int16Array;
  /** Where the slots start in `slots`. */
  private o: number;
  /** The profile's numbers (PROFILE_DOUBLES of them from `d`); with the slots, all it knows. */
  private doubles: Float64Array;
  private d: number;

  /**
   * @param storage Int16 values of which SLOTS_PER_WEEK from `slotsAt` keep the slots (a view its
   *   owner shares with other state: one typed-array view less a series); own one otherwise.
   * @param clock The wall clock whose hours the slots are (shared); undefined: UTC.
   * @param doubles PROFILE_DOUBLES numbers from `doublesAt` (its owner's); own ones otherwise.
   * The constructor clears what it is given (see clear); rebase points the object at another
   * profile of the same clock, so one object reads every series' profile.
   */
  constructor(
    storage?: Int16Array,
    private readonly clock?: WallClock,
    slotsAt = 0,
    doubles?: Float64Array,
    doublesAt = 0,
  ) {
    if (storage && storage.length < slotsAt + SLOTS_PER_WEEK) throw new RangeError(`a seasonal profile needs ${SLOTS_PER_WEEK} slots, got ${storage.length - slotsAt}`);
    if (doubles && doubles.length < doublesAt + PROFILE_DOUBLES) throw new RangeError('doubles too small for the profile');
    this.slots = storage ?? new Int16Array(SLOTS_PER_WEEK);
    this.o = storage ? slotsAt : 0;
    this.doubles = doubles ?? new Float64Array(PROFILE_DOUBLES);
    this.d = doubles ? doublesAt : 0;
    this.clear();
  }

  /** Points this object at another profile (its slots and numbers, as the constructor takes them). Unchecked. */
  rebase(storage: Int16Array, slotsAt: number, doubles: Float64Array, doublesAt: number): this {
    this.slots = storage;
    this.o = slotsAt;
    this.doubles = doubles;
    this.d = doublesAt;
    return this;
  }

  /** Forgets everything: no slot known, nothing learnt (zeroed memory is not an empty profile). */
  clear(): void {
    this.slots.fill(UNKNOWN, this.o, this.o + SLOTS_PER_WEEK);
    this.sinceMs = Number.NaN;
    this.hour = Number.NaN;
    this.sum = 0;
    this.spanMs = 0;
    this.changeCount = 0;
  }

  /** Data time of the first value learnt (NaN: none). */
  private get sinceMs(): number {
    return this.doubles[this.d]!;
  }
  private set sinceMs(v: number) {
    this.doubles[this.d] = v;
  }
  /** The hour being learnt (hours since the epoch), the sum of its clipped values × span, and its span. */
  private get hour(): number {
    return this.doubles[this.d + 1]!;
  }
  private set hour(v: number) {
    this.doubles[this.d + 1] = v;
  }
  private get sum(): number {
    return this.doubles[this.d + 2]!;
  }
  private set sum(v: number) {
    this.doubles[this.d + 2] = v;
  }
  private get spanMs(): number {
    return this.doubles[this.d + 3]!;
  }
  private set spanMs(v: number) {
    this.doubles[this.d + 3] = v;
  }
  /** Counts the changes to what valueAt reads (see `changes`). */
  private get changeCount(): number {
    return this.doubles[this.d + 4]!;
  }
  private set changeCount(v: number) {
    this.doubles[this.d + 4] = v;
  }

  /**
   * Goes up whenever what valueAt reads may have changed: the first value learnt (the profile's
   * age), a slot committed or restored, or a value learnt into an hour whose slot is unknown (read
   * as the hour's mean so far). A value read at one time stays valid while this has not moved.
   */
  get changes(): number {
    return this.changeCount;
  }

  /** Whether the profile has anything to say at `timeMs` (a day of history at least). */
  knows(timeMs: number): boolean {
    return timeMs - this.sinceMs >= DAY_MS;
  }

  /** How the profile reads at `asOfMs`: 0 not at all, 1 by hour of day, 2 by hour of the week. */
  mode(asOfMs: number): 0 | 1 | 2 {
    return asOfMs - this.sinceMs >= WEEK_MS ? 2 : this.knows(asOfMs) ? 1 : 0;
  }

  /**
   * The profile's log-rate at `timeMs`, interpolated between the two nearest slot centres (hh:30);
   * NaN when the profile is too young or a needed slot is unknown. Read as the profile stands at
   * `asOfMs` (default: `timeMs`). O(1) with a week of history, O(7) per slot before (hour-of-day means).
   */
  valueAt(timeMs: number, asOfMs = timeMs): number {
    const mode = this.mode(asOfMs);
    if (mode === 0) return Number.NaN;
    const u = this.hours(timeMs) - 0.5;
    const base = Math.floor(u);
    const frac = u - base;
    const weekly = mode === 2;
    const a = this.slotValue(mod(base, SLOTS_PER_WEEK), weekly);
    const b = this.slotValue(mod(base + 1, SLOTS_PER_WEEK), weekly);
    return a + frac * (b - a);
  }

  /**
   * valueAt(lastMs − (count − 1 − i) · stepMs, asOfMs) for i = 0 … count − 1, written to out[i]: the
   * same numbers, with the mode read once and each slot once while consecutive times share their
   * two slots (a window's minute buckets span an hour's). O(count).
   */
  valuesAlong(lastMs: number, stepMs: number, count: number, asOfMs: number, out: Float64Array): void {
    const mode = this.mode(asOfMs);
    if (mode === 0) {
      out.fill(Number.NaN, 0, count);
      return;
    }
    const weekly = mode === 2;
    let lastBase = Number.NaN;
    let a = Number.NaN;
    let b = Number.NaN;
    for (let i = 0; i < count; i++) {
      const u = this.hours(lastMs - (count - 1 - i) * stepMs) - 0.5;
      const base = Math.floor(u);
      const frac = u - base;
      if (base !== lastBase) {
        // The next hour's slot is this one's when the times move on by an hour exactly.
        a = base === lastBase + 1 ? b : this.slotValue(mod(base, SLOTS_PER_WEEK), weekly);
        b = this.slotValue(mod(base + 1, SLOTS_PER_WEEK), weekly);
        lastBase = base;
      }
      out[i] = a + frac * (b - a);
    }
  }

  /**
   * Learns one pooled log-rate value centred at `timeMs` that lasted `spanMs`. Values are averaged
   * over their hour, each clipped to ±`clip` nats of the slot's old value (winsorised), and the
   * hour's mean is committed to its slot once a value of a later hour arrives. O(1).
   */
  learn(timeMs: number, logRate: number, spanMs: number, clip: number): void {
    if (!Number.isFinite(logRate) || !Number.isFinite(timeMs) || !(spanMs > 0)) return;
    if (Number.isNaN(this.sinceMs)) {
      this.sinceMs = timeMs;
      this.changeCount++;
    }
    const hour = Math.floor(this.hours(timeMs));
    if (hour !== this.hour) {
      this.commit();
      this.hour = hour;
    }
    const i = mod(hour, SLOTS_PER_WEEK);
    if (this.slots[this.o + i] === UNKNOWN) this.changeCount++;
    const old = this.slots[this.o + i] === UNKNOWN ? logRate : this.get(i);
    const clipped = old + Math.max(-clip, Math.min(clip, logRate - old));
    this.sum += clipped * spanMs;
    this.spanMs += spanMs;
  }

  /** Folds the hour being learnt into its slot: weighted by how much of the hour was seen. */
  private commit(): void {
    if (Number.isNaN(this.hour) || this.spanMs <= 0) return;
    const i = mod(this.hour, SLOTS_PER_WEEK);
    const mean = this.sum / this.spanMs;
    const seen = Math.min(1, this.spanMs / HOUR_MS);
    // A first visit is its own best estimate; later ones weigh half a week's worth for a whole hour.
    const alpha = this.slots[this.o + i] === UNKNOWN ? 1 : 1 - Math.pow(1 - VISIT_WEIGHT, seen);
    this.set(i, this.slots[this.o + i] === UNKNOWN ? mean : this.get(i) + alpha * (mean - this.get(i)));
    this.changeCount++;
    this.sum = 0;
    this.spanMs = 0;
  }

  snapshot(): ProfileSnapshot {
    // A plain loop: at 100k series this runs 100k times a save.
    const slots = new Array<number | null>(SLOTS_PER_WEEK);
    for (let i = 0; i < SLOTS_PER_WEEK; i++) {
      const v = this.slots[this.o + i]!;
      slots[i] = v === UNKNOWN ? null : v / UNITS_PER_NAT;
    }
    return { slots, sinceMs: Number.isNaN(this.sinceMs) ? null : this.sinceMs };
  }

  /**
   * Writes snapshot()'s numbers to the columns of PROFILE_TEMPLATE: the slots as the 16-bit fixed
   * point they are (their units and unknown marker are the column's own), then `sinceMs`.
   */
  encodeFixed(s: ColumnScratch): void {
    encodeTyped(this.slots, this.o, SLOTS_PER_WEEK, s.i16, 'q');
    s.f64.push(this.sinceMs);
  }

  /** Restores a snapshot; returns false (and changes nothing) when it does not fit. */
  restore(s: unknown): boolean {
    const p = s as Partial<ProfileSnapshot> | null | undefined;
    if (!p || !Array.isArray(p.slots) || p.slots.length !== SLOTS_PER_WEEK) return false;
    if (!p.slots.every((v) => v === null || (typeof v === 'number' && Math.abs(v) < 32))) return false;
    if (!(p.sinceMs === null || (typeof p.sinceMs === 'number' && Number.isFinite(p.sinceMs)))) return false;
    p.slots.forEach((v, i) => (v === null ? (this.slots[this.o + i] = UNKNOWN) : this.set(i, v)));
    this.sinceMs = p.sinceMs ?? Number.NaN;
    this.changeCount++;
    return true;
  }

  /**
   * Moves the slots to the hours of another wall clock whose offset is `offsetChangeHours` later
   * than the old one's (a restart with a new time zone): the new hour h reads what the old clock's
   * hour h − offsetChangeHours had learnt, interpolated between slots for a fraction of an hour (a
   * slot is unknown when either of its sources is). The hour being learnt is dropped. O(168).
   */
  moveSlots(offsetChangeHours: number): void {
    if (!Number.isFinite(offsetChangeHours) || offsetChangeHours === 0) return;
    const old = Array.from(this.slots.subarray(this.o, this.o + SLOTS_PER_WEEK));
    const whole = Math.floor(offsetChangeHours);
    const frac = offsetChangeHours - whole;
    for (let i = 0; i < SLOTS_PER_WEEK; i++) {
      // New slot i was old hour i − δ: between old slots i − whole − 1 (weight frac) and i − whole.
      const a = old[mod(i - whole, SLOTS_PER_WEEK)]!;
      const b = old[mod(i - whole - 1, SLOTS_PER_WEEK)]!;
      if (frac === 0) this.slots[this.o + i] = a;
      else this.slots[this.o + i] = a === UNKNOWN || b === UNKNOWN ? UNKNOWN : Math.round(a + frac * (b - a));
    }
    this.hour = Number.NaN;
    this.sum = 0;
    this.spanMs = 0;
    this.changeCount++;
  }

  /** Hours since 1970-01-01 00:00 of the wall clock at `utcMs`. */
  private hours(utcMs: number): number {
    return (this.clock === undefined ? utcMs : this.clock.wallMs(utcMs)) / HOUR_MS;
  }

  private get(i: number): number {
    return this.slots[this.o + i]! / UNITS_PER_NAT;
  }

  private set(i: number, nats: number): void {
    this.slots[this.o + i] = Math.max(-32767, Math.min(32767, Math.round(nats * UNITS_PER_NAT)));
  }

  /**
   * A slot's value: its own once a week was seen, else the mean of the known slots at its hour of
   * day. A slot still unknown after a week (every visit was alarmed or missing) reads as the line
   * between its nearest known neighbours in the same week, within NEIGHBOUR_HOURS on each side: a
   * Sunday 01:00 is more like Sunday 00:00 and 02:00 than like the weekdays' 01:00, and a slot
   * guessed from the weekdays alarms every visit and so is never learnt (NYC taxi's weekend nights).
   */
  private slotValue(i: number, weekly: boolean): number {
    if (weekly && this.slots[this.o + i] !== UNKNOWN) return this.get(i);
    // A first visit not committed yet (learning paused before its hour ended) is still its best estimate.
    if (weekly && this.spanMs > 0 && i === mod(this.hour, SLOTS_PER_WEEK)) return this.sum / this.spanMs;
    if (weekly) {
      let before = 0;
      let after = 0;
      while (before < NEIGHBOUR_HOURS && this.slots[this.o + mod(i - before - 1, SLOTS_PER_WEEK)] === UNKNOWN) before++;
      while (after < NEIGHBOUR_HOURS && this.slots[this.o + mod(i + after + 1, SLOTS_PER_WEEK)] === UNKNOWN) after++;
      if (before < NEIGHBOUR_HOURS && after < NEIGHBOUR_HOURS) {
        const a = this.get(mod(i - before - 1, SLOTS_PER_WEEK));
        const b = this.get(mod(i + after + 1, SLOTS_PER_WEEK));
        return a + ((before + 1) / (before + after + 2)) * (b - a);
      }
    }
    let sum = 0;
    let n = 0;
    for (let k = i % 24; k < SLOTS_PER_WEEK; k += 24) {
      if (this.slots[this.o + k] === UNKNOWN) continue;
      sum += this.get(k);
      n++;
    }
    return n > 0 ? sum / n : Number.NaN;
  }
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
