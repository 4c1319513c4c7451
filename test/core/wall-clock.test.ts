import { describe, expect, it } from 'vitest';
import { WallClock, timeZoneProblem, wallClockOf } from '../../src/core/wall-clock.js';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

// Offsets computed elsewhere: glibc's tzdata through coreutils, `TZ=<zone> date -d <time> +%z`
// (Debian 12), a second's either side of each change.
const GLIBC: [zone: string, time: string, offset: string][] = [
  ['Europe/Berlin', '2023-03-26T00:59:59Z', '+0100'],
  ['Europe/Berlin', '2023-03-26T01:00:00Z', '+0200'],
  ['Europe/Berlin', '2023-10-29T00:59:59Z', '+0200'],
  ['Europe/Berlin', '2023-10-29T01:00:00Z', '+0100'],
  ['America/New_York', '2023-03-12T06:59:59Z', '-0500'],
  ['America/New_York', '2023-03-12T07:00:00Z', '-0400'],
  ['Asia/Kolkata', '2023-03-26T01:00:00Z', '+0530'],
  ['Asia/Kolkata', '2023-10-29T01:00:00Z', '+0530'],
  ['Australia/Lord_Howe', '2023-04-01T14:59:59Z', '+1100'],
  ['Australia/Lord_Howe', '2023-04-01T15:00:00Z', '+1030'],
  ['Australia/Lord_Howe', '2023-09-30T15:29:59Z', '+1030'],
  ['Australia/Lord_Howe', '2023-09-30T15:30:00Z', '+1100'],
];

function offsetOf(text: string): number {
  const sign = text[0] === '-' ? -1 : 1;
  return sign * (Number(text.slice(1, 3)) * HOUR + Number(text.slice(3, 5)) * 60_000);
}

/** The runtime's own answer, asked afresh (no spans): the wall clock's fields read back as UTC. */
function intlOffset(zone: string, utcMs: number): number {
  const f: Record<string, number> = {};
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  for (const p of format.formatToParts(utcMs)) if (p.type !== 'literal') f[p.type] = Number(p.value);
  return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) - Math.floor(utcMs / 1000) * 1000;
}

describe('WallClock', () => {
  it.each(GLIBC)('reads %s at %s as %s, as glibc does', (zone, time, offset) => {
    expect(new WallClock(zone).offsetMs(at(time))).toBe(offsetOf(offset));
  });

  it('moves at the exact millisecond of a change, asked in any order', () => {
    const berlin = new WallClock('Europe/Berlin');
    const change = at('2023-10-29T01:00:00Z');
    // A time well inside summer first, so the change is found by its span's edge, then either side of it.
    expect(berlin.offsetMs(at('2023-07-01T12:00:00Z'))).toBe(2 * HOUR);
    expect(berlin.offsetMs(change - 1)).toBe(2 * HOUR);
    expect(berlin.offsetMs(change)).toBe(HOUR);
    expect(berlin.offsetMs(change - 1)).toBe(2 * HOUR);
    // The wall clock repeats 02:00-03:00 that night: the hour after the change reads an hour earlier.
    expect(berlin.wallMs(change) - berlin.wallMs(change - HOUR)).toBe(0);
  });

  it('answers as the runtime does at every time of two years, wherever the questions start', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo']) {
      const clock = new WallClock(zone);
      let state = 12345;
      for (let i = 0; i < 400; i++) {
        state = (state * 1103515245 + 12345) % 2147483648;
        const t = at('2022-01-01T00:00:00Z') + Math.floor((state / 2147483648) * 2 * 365 * 24) * HOUR + (i % 7) * 60_000;
        expect(clock.offsetMs(t), `${zone} at ${new Date(t).toISOString()}`).toBe(intlOffset(zone, t));
      }
    }
  });

  it('passes a time that is not one through as NaN', () => {
    expect(new WallClock('Europe/Berlin').wallMs(Number.NaN)).toBeNaN();
  });

  it('names an unknown zone, and knows UTC as the data time itself', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('Mars/Olympus_Mons')).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);
    expect(() => new WallClock('Mars/Olympus_Mons')).toThrow(RangeError);
    expect(wallClockOf(undefined)).toBeUndefined();
    expect(wallClockOf('UTC')).toBeUndefined();
    expect(wallClockOf('Europe/Berlin')).toBe(wallClockOf('Europe/Berlin'));
  });
});
