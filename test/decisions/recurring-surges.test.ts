import { describe, expect, it } from 'vitest';
import { RECUR_WINDOW_MS, SurgeOnsets, describeRecurrence } from '../../src/decisions/recurring-surges.js';

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
    expect(o.recurs('a', T)).toBe(true);
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

  it('reads its muting as a time of day', () => {
    expect(describeRecurrence(T, 2)).toBe('recurs daily at 02:05 UTC (2 of the last 3 days)');
  });
});
