import { describe, expect, it } from 'vitest';
import { WallClock } from '../../src/core/wall-clock.js';
import { RECUR_WINDOW_MS, SurgeOnsets, describeRecurrence, recurs } from '../../src/decisions/recurring-surges.js';

const DAY = 86_400_000;
const T = Date.parse('2026-11-29T02:05:00Z');

describe('SurgeOnsets', () => {
  it('counts the earlier days of the last three on which the alert fired near the same time of day', () => {
    const o = new SurgeOnsets();
    expect(o.daysSeen('a', T)).toBe(0);
    o.record('a', T - 3 * DAY + 10 * 60_000);
    o.record('a', T - 2 * DAY - RECUR_WINDOW_MS);
    // Yesterday, but at another time of day: not the same job.
    o.record('a', T - DAY + 3 * 3_600_000);
    expect(o.daysSeen('a', T)).toBe(2);
    expect(recurs(o.daysSeen('a', T))).toBe(true);
    expect(o.daysSeen('a', T + RECUR_WINDOW_MS + 60_000)).toBe(1);
    // Another alert's onsets are its own.
    expect(o.daysSeen('b', T)).toBe(0);
  });

  it('forgets onsets older than the days it looks at, and round-trips through a snapshot', () => {
    const o = new SurgeOnsets();
    o.record('a', T - 5 * DAY);
    o.record('a', T);
    expect(o.snapshot()).toEqual({ a: [T] });
    const back = new SurgeOnsets();
    back.restore(JSON.parse(JSON.stringify({ ...o.snapshot(), bad: ['x'] })));
    expect(back.snapshot()).toEqual({ a: [T] });
  });

  it("reads a job on local clocks on the zone's clock: the same job across a daylight-saving change", () => {
    const berlin = new WallClock('Europe/Berlin');
    // 02:00 in Berlin: 00:00 UTC in summer time on the 28th, 01:00 UTC after the clocks go back.
    const o = new SurgeOnsets();
    o.record('a', Date.parse('2023-10-28T00:00:00Z'));
    o.record('a', Date.parse('2023-10-29T01:00:00Z'));
    const third = Date.parse('2023-10-30T01:00:00Z');
    expect(o.daysSeen('a', third, berlin)).toBe(2);
    // In UTC the 28th's run is an hour away: one day only, so the job would be news again.
    expect(o.daysSeen('a', third)).toBe(1);
    expect(describeRecurrence(third, 2, berlin)).toBe('recurs daily at 02:00 Europe/Berlin (2 of the last 3 days)');
  });

  it('reads its muting as a time of day', () => {
    expect(describeRecurrence(T, 2)).toBe('recurs daily at 02:05 UTC (2 of the last 3 days)');
  });
});
