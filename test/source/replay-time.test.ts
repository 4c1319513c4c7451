import { describe, expect, it } from 'vitest';
import { LAST_REPLAY_MS, replayTimeMs } from '../../src/source/replay-time.js';

describe('replayTimeMs', () => {
  const at = Date.parse('2023-07-20T12:17:04.250Z');

  it('keeps a time written in the unit it is read in', () => {
    expect(replayTimeMs(at, true)).toBe(at);
    expect(replayTimeMs(at, false)).toBe(at);
  });

  it('reads milliseconds read as seconds, and seconds read as milliseconds, as what they are', () => {
    // 1689855424250 written where seconds are read: read as 1689855424250000 ms (the year 55518).
    expect(replayTimeMs(at * 1000, true)).toBe(at);
    // 1689855424.25 written where milliseconds are read: 20 January 1970.
    expect(replayTimeMs(at / 1000, false)).toBe(at);
  });

  it('places the line between the units at 1e11 seconds (the year 5138) and 1e11 milliseconds (March 1973)', () => {
    expect(new Date(1e11).toISOString()).toBe('1973-03-03T09:46:40.000Z');
    expect(replayTimeMs(1e14 - 1000, true)).toBe(1e14 - 1000);
    expect(replayTimeMs(1e14, true)).toBe(1e11);
    expect(replayTimeMs(1e11, false)).toBe(1e11);
    expect(replayTimeMs(1e11 - 1, false)).toBe((1e11 - 1) * 1000);
  });

  it('gives no time before 1970 or past 9999 in either unit', () => {
    expect(new Date(LAST_REPLAY_MS).toISOString()).toBe('9999-12-31T23:59:59.999Z');
    expect(replayTimeMs(-1000, true)).toBeUndefined();
    expect(replayTimeMs(1e20, true)).toBeUndefined();
    expect(replayTimeMs(1e20, false)).toBeUndefined();
    expect(replayTimeMs(Number.POSITIVE_INFINITY, false)).toBeUndefined();
    expect(replayTimeMs(LAST_REPLAY_MS, false)).toBe(LAST_REPLAY_MS);
  });
});
