import { describe, expect, it } from 'vitest';
import { Q_NULL, Q_UNITS } from '../../../src/core/column-encoder.js';
import { WallClock } from '../../../src/core/wall-clock.js';
import { PROFILE_BYTES, PROFILE_DOUBLES, SLOTS_PER_WEEK, SeasonalProfile } from '../../../src/detectors/stats/seasonal-profile.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Monday 2023-07-03 00:00 UTC. */
const MONDAY = Date.parse('2023-07-03T00:00:00Z');

/** A 5x day/night swing around 100/s, peak 15:00 UTC, weekends at half: the log-rate at t. */
function truth(tMs: number, weekend = 1): number {
  const hour = (tMs % DAY) / HOUR;
  const day = new Date(tMs).getUTCDay();
  const w = day === 0 || day === 6 ? weekend : 1;
  return Math.log(100 * w * (1 + (2 / 3) * Math.cos((2 * Math.PI * (hour - 15)) / 24)));
}

/** Learns one-minute buckets of the truth from `fromMs` for `ms`. */
function feed(p: SeasonalProfile, fromMs: number, ms: number, f: (t: number) => number = truth): number {
  for (let t = fromMs; t < fromMs + ms; t += MIN) p.learn(t + MIN / 2, f(t + MIN / 2), MIN, 1);
  return fromMs + ms;
}

describe('SeasonalProfile', () => {
  it('takes 336 bytes of slots, and refuses storage of fewer', () => {
    expect(PROFILE_BYTES).toBe(336);
    expect(() => new SeasonalProfile(new Int16Array(24))).toThrow('168 slots');
  });

  it('keeps its slots in the first 168 values of a longer storage and never writes past them', () => {
    const storage = new Int16Array(SLOTS_PER_WEEK + 8).fill(7);
    const p = new SeasonalProfile(storage);
    feed(p, MONDAY, 3 * DAY);
    p.moveSlots(2.5);
    p.restore(p.snapshot());
    expect(Array.from(storage.subarray(SLOTS_PER_WEEK))).toEqual(new Array(8).fill(7));
    // The slots themselves are the storage's: each known slot's value is there, in 1/1024 nats.
    const slots = p.snapshot().slots;
    expect(slots.filter((v) => v !== null).length).toBeGreaterThan(24);
    slots.forEach((v, i) => expect(storage[i], `slot ${i}`).toBe(v === null ? Q_NULL : Math.round(v * Q_UNITS)));
  });

  it('reads two profiles kept in shared storage through one object re-pointed between them, as two of their own read, and clear forgets one', () => {
    const slots = new Int16Array(2 * SLOTS_PER_WEEK + 4);
    const numbers = new Float64Array(2 * PROFILE_DOUBLES);
    const cursor = new SeasonalProfile(slots, undefined, 4, numbers, 0);
    const at = (k: number) => cursor.rebase(slots, 4 + k * SLOTS_PER_WEEK, numbers, k * PROFILE_DOUBLES);
    at(1).clear();
    const own = [new SeasonalProfile(), new SeasonalProfile()];
    const level = (k: number) => (t: number) => truth(t) + k;
    for (let t = MONDAY; t < MONDAY + 9 * DAY; t += MIN) {
      for (const k of [0, 1]) {
        // The second stops learning for a day: its hour, sum and span must stay its own.
        if (k === 1 && t > MONDAY + 3 * DAY && t < MONDAY + 4 * DAY) continue;
        at(k).learn(t + MIN / 2, level(k)(t + MIN / 2), MIN, 1);
        own[k]!.learn(t + MIN / 2, level(k)(t + MIN / 2), MIN, 1);
      }
    }
    for (const k of [0, 1]) {
      expect(at(k).snapshot()).toEqual(own[k]!.snapshot());
      expect(at(k).changes).toBe(own[k]!.changes);
      for (let t = MONDAY + 9 * DAY; t < MONDAY + 10 * DAY; t += 7 * MIN) expect(at(k).valueAt(t)).toBe(own[k]!.valueAt(t));
    }
    at(0).clear();
    expect(at(0).snapshot()).toEqual(new SeasonalProfile().snapshot());
    expect(at(1).snapshot()).toEqual(own[1]!.snapshot());
    expect(Array.from(slots.subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('says nothing before a day of history, so a young series is judged as before', () => {
    const p = new SeasonalProfile();
    const end = feed(p, MONDAY, 23 * HOUR);
    expect(p.knows(end)).toBe(false);
    expect(p.valueAt(end)).toBeNaN();
    expect(p.mode(end)).toBe(0);
  });

  it('follows a 5x day/night cycle after two days, within 0.03 nats at every minute of the third', () => {
    const p = new SeasonalProfile();
    const end = feed(p, MONDAY, 2 * DAY);
    let worst = 0;
    for (let t = end; t < end + DAY; t += MIN) worst = Math.max(worst, Math.abs(p.valueAt(t) - truth(t)));
    // The residual is the hourly interpolation of a curve whose log bends most at the trough.
    expect(worst).toBeLessThan(0.03);
    // The night trough is ln 5 below the peak.
    expect(p.valueAt(MONDAY + 2 * DAY + 15 * HOUR) - p.valueAt(MONDAY + 2 * DAY + 3 * HOUR)).toBeCloseTo(Math.log(5), 1);
  });

  it('reads a weekend from its own hours once a week was seen, and from hour-of-day means before', () => {
    const weekly = (t: number) => truth(t, 0.5);
    const young = new SeasonalProfile();
    // Monday to Friday: nothing of a weekend yet; Saturday noon is read as a weekday's noon.
    const friday = feed(young, MONDAY, 5 * DAY, weekly);
    expect(young.valueAt(friday + 12 * HOUR)).toBeCloseTo(truth(friday + 12 * HOUR), 1);

    const p = new SeasonalProfile();
    const end = feed(p, MONDAY, 8 * DAY, weekly);
    // The second Saturday (day 12 from Monday 3rd) at noon: half a weekday's noon.
    const saturday = MONDAY + 12 * DAY + 12 * HOUR;
    expect(end).toBeLessThan(saturday);
    expect(p.valueAt(saturday)).toBeCloseTo(weekly(saturday), 1);
    expect(p.valueAt(saturday + 2 * DAY) - p.valueAt(saturday)).toBeCloseTo(Math.log(2), 1);
  });

  it('reads an hour never learnt after a week between its known neighbours, not as the other days at that hour', () => {
    const weekly = (t: number) => truth(t, 0.5);
    const p = new SeasonalProfile();
    // Eight days of a half-traffic weekend, except that Sunday 01:00-02:00 is never learnt (every
    // visit alarmed): the weekdays' 01:00 is twice Sunday's, its neighbours are Sunday's own.
    const sundayOne = MONDAY + 6 * DAY + HOUR;
    const end = feed(p, MONDAY, 8 * DAY, (t) => weekly(t));
    const skipped = new SeasonalProfile();
    feed(skipped, MONDAY, 6 * DAY + HOUR, weekly);
    feed(skipped, sundayOne + HOUR, end - sundayOne - HOUR, weekly);
    expect(skipped.snapshot().slots.filter((v) => v === null)).toHaveLength(1);
    const next = sundayOne + 7 * DAY + 30 * MIN;
    // Between Sunday 00:30 and 02:30 (a line through the cycle's trough: within 0.05 nats), where
    // the hour-of-day mean of the other days would read ln 2 · 5/7 ≈ 0.5 nats too high.
    expect(Math.abs(skipped.valueAt(next) - weekly(next))).toBeLessThan(0.05);
    expect(Math.abs(skipped.valueAt(next) - p.valueAt(next))).toBeLessThan(0.05);
  });

  it('winsorises: an hour-long burst far above the cycle moves its slot by at most half the clip', () => {
    const p = new SeasonalProfile();
    const end = feed(p, MONDAY, 8 * DAY);
    // Tuesday 03:00-04:00 of the second week, read at its centre next week.
    const slotCentre = MONDAY + 8 * DAY + 3 * HOUR + 30 * MIN;
    const before = p.valueAt(slotCentre + 7 * DAY);
    expect(Math.abs(before - truth(slotCentre))).toBeLessThan(0.03);
    feed(p, end + 3 * HOUR, HOUR, (t) => truth(t) + 5);
    feed(p, end + 4 * HOUR, MIN); // a later hour commits the burst's
    const moved = p.valueAt(slotCentre + 7 * DAY) - before;
    expect(moved).toBeGreaterThan(0.4);
    // Clip 1 nat per value, one whole visit weighs 0.5; 1/1024: the slots' resolution.
    expect(moved).toBeLessThanOrEqual(0.5 + 1 / 1024);
  });

  it('moves by the cycle between two times of the day', () => {
    const p = new SeasonalProfile();
    const end = feed(p, MONDAY, 2 * DAY);
    const from = end + 6 * HOUR;
    const to = end + 7 * HOUR;
    expect(p.valueAt(to) - p.valueAt(from)).toBeCloseTo(truth(to) - truth(from), 2);
  });

  it('round-trips through a snapshot, and rejects one that does not fit', () => {
    const p = new SeasonalProfile();
    const end = feed(p, MONDAY, 2 * DAY);
    const q = new SeasonalProfile();
    expect(q.restore(JSON.parse(JSON.stringify(p.snapshot())))).toBe(true);
    expect(q.valueAt(end + 5 * HOUR)).toBe(p.valueAt(end + 5 * HOUR));
    expect(q.restore({ slots: [1, 2, 3], sinceMs: 0 })).toBe(false);
    expect(q.restore({ slots: Array(SLOTS_PER_WEEK).fill('x'), sinceMs: 0 })).toBe(false);
    expect(q.restore(null)).toBe(false);
    expect(q.valueAt(end + 5 * HOUR)).toBe(p.valueAt(end + 5 * HOUR));
  });

  it('reads a run of times along the profile as valueAt reads each: young, by hour of day, by hour of the week, steps under and over an hour', () => {
    const p = new SeasonalProfile();
    const out = new Float64Array(60);
    // An hour of minute buckets ending at 10:37:30 (centres), read as the profile stands at 10:38.
    const check = (lastMs: number, asOfMs: number) => {
      p.valuesAlong(lastMs, MIN, 60, asOfMs, out);
      for (let i = 0; i < 60; i++) {
        const expected = p.valueAt(lastMs - (59 - i) * MIN, asOfMs);
        if (Number.isNaN(expected)) expect(out[i]).toBeNaN();
        else expect(out[i]).toBe(expected);
      }
    };
    const end1 = feed(p, MONDAY, 12 * HOUR);
    check(end1 - 22 * MIN - 30_000, end1);
    const end2 = feed(p, end1, 2 * DAY);
    expect(p.mode(end2)).toBe(1);
    check(end2 + 10 * HOUR + 37 * MIN + 30_000, end2 + 10 * HOUR + 38 * MIN);
    const end3 = feed(p, end2, 6 * DAY);
    expect(p.mode(end3)).toBe(2);
    // Runs across one and across two hour boundaries, and buckets of five minutes.
    check(end3 + 10 * HOUR + 37 * MIN + 30_000, end3 + 10 * HOUR + 38 * MIN);
    p.valuesAlong(end3 + 5 * HOUR, 5 * MIN, 30, end3, out);
    for (let i = 0; i < 30; i++) expect(out[i]).toBe(p.valueAt(end3 + 5 * HOUR - (29 - i) * 5 * MIN, end3));
    // Steps longer than an hour: no slot carried over from the step before.
    p.valuesAlong(end3, 2 * HOUR + 7 * MIN, 20, end3, out);
    for (let i = 0; i < 20; i++) expect(out[i]).toBe(p.valueAt(end3 - (19 - i) * (2 * HOUR + 7 * MIN), end3));
  });

  it('counts its changes so that a value read once may be read again: while the count stands, valueAt reads the same', () => {
    const p = new SeasonalProfile();
    expect(p.changes).toBe(0);
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    let t = MONDAY;
    let moved = 0;
    let stood = 0;
    let movedLater = 0;
    // Nine days of 15 s ticks, a few hours of them missing (slots left unknown), read at each tick before and after learning it.
    for (let k = 0; k < (9 * DAY) / 15_000; k++, t += 15_000) {
      const hour = Math.floor(t / HOUR);
      if (hour % 29 === 3) continue;
      const before = p.valueAt(t);
      const changes = p.changes;
      p.learn(t, truth(t, 0.5) + 0.1 * (random() - 0.5), 15_000, 1);
      const after = p.valueAt(t);
      if (p.changes === changes) {
        stood++;
        if (Number.isNaN(before)) expect(after).toBeNaN();
        else expect(after).toBe(before);
      } else {
        moved++;
        if (t >= MONDAY + 8 * DAY) movedLater++;
      }
    }
    // The first week learns into unknown hours (each tick moves the hour's mean so far); after it,
    // only the hours' commits (and the hours missed then) move it.
    expect(stood).toBeGreaterThan(0.9 * ((2 * DAY) / 15_000));
    expect(moved).toBeGreaterThan(9 * 24);
    // The last day: its 24 commits and the ticks of an hour missed the week before (240).
    expect(movedLater).toBeLessThan(DAY / 15_000 / 10);
    const c = p.changes;
    expect(p.restore(p.snapshot())).toBe(true);
    expect(p.changes).toBeGreaterThan(c);
  });

  describe('on a wall clock', () => {
    const berlin = new WallClock('Europe/Berlin');
    /** The 5x cycle with its peak at 15:00 on Berlin's clocks (summer time until 2023-10-29 01:00 UTC). */
    const local = (t: number) => truth(berlin.wallMs(t));
    /** Two weeks before the clocks go back, and the three days after. */
    const start = Date.parse('2023-10-16T00:00:00Z');
    const change = Date.parse('2023-10-29T01:00:00Z');

    function worstAfterChange(p: SeasonalProfile): number {
      feed(p, start, change - start, local);
      let worst = 0;
      for (let t = change; t < change + 3 * DAY; t += MIN) worst = Math.max(worst, Math.abs(p.valueAt(t) - local(t)));
      return worst;
    }

    it("keeps a cycle that follows the zone's clocks across a daylight-saving change; in UTC hours it is an hour off for a week", () => {
      // Read without learning the days after: what the profile expected of them.
      expect(worstAfterChange(new SeasonalProfile(undefined, berlin))).toBeLessThan(0.03);
      // An hour late on the 5x ramp: up to ln 5 · π/24 ≈ 0.21 nats (a quarter more or less traffic than expected).
      expect(worstAfterChange(new SeasonalProfile())).toBeGreaterThan(0.15);
    });

    it('moves its slots to a new clock: at each of its hours the moved profile reads what the old one read at that instant', () => {
      const utc = new SeasonalProfile();
      feed(utc, MONDAY, 8 * DAY);
      const now = MONDAY + 8 * DAY;
      for (const [zone, hours] of [['Europe/Berlin', 2], ['America/New_York', -4], ['Asia/Kolkata', 5.5]] as const) {
        const clock = new WallClock(zone);
        expect(clock.offsetMs(now) / HOUR).toBe(hours);
        const moved = new SeasonalProfile(undefined, clock);
        moved.restore(utc.snapshot());
        moved.moveSlots(hours);
        // At the new clock's slot centres (hh:30 there), for a whole week; 2/1024: the slots' rounding, twice.
        const firstCentre = now + HOUR / 2 - (clock.wallMs(now) % HOUR);
        for (let t = firstCentre; t < firstCentre + 7 * DAY; t += HOUR) expect(Math.abs(moved.valueAt(t) - utc.valueAt(t)), `${zone} at ${new Date(t).toISOString()}`).toBeLessThanOrEqual(2 / 1024);
      }
    });

    it('leaves a slot unknown when a fraction of an hour moves it from an unknown one', () => {
      const p = new SeasonalProfile();
      // Two hours committed (the third is still being learnt).
      feed(p, MONDAY, 3 * HOUR);
      expect(p.snapshot().slots.filter((v) => v !== null)).toHaveLength(2);
      p.moveSlots(0.5);
      // Half an hour on, only the slot between the two known hours is known.
      expect(p.snapshot().slots.filter((v) => v !== null)).toHaveLength(1);
      p.moveSlots(-0.5);
      expect(p.snapshot().slots.filter((v) => v !== null)).toHaveLength(0);
    });
  });
});
