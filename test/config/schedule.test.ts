import { describe, expect, it, vi } from 'vitest';
import cron from 'node-cron';
import { intervalToCron, splitTickOffset } from '../../src/config/schedule.js';

describe('intervalToCron', () => {
  it.each([
    [1000, '* * * * * *'],
    [15_000, '*/15 * * * * *'],
    [60_000, '0 */1 * * * *'],
    [300_000, '0 */5 * * * *'],
    [7_200_000, '0 0 */2 * * *'],
    [45_000, undefined], // 60 s is not a multiple of 45 s: ticks would drift
    [1500, undefined], // cron has no sub-second field
    [90_000, undefined],
  ])('%d ms -> %s', (ms, expected) => {
    expect(intervalToCron(ms)).toBe(expected);
  });

  it.each([
    [15_000, 9000, '9,24,39,54 * * * * *'],
    [5000, 2000, '2,7,12,17,22,27,32,37,42,47,52,57 * * * * *'],
    [300_000, 67_000, '7 1,6,11,16,21,26,31,36,41,46,51,56 * * * *'],
    [60_000, 30_000, '30 */1 * * * *'],
    [7_200_000, 3_723_000, '3 2 1,3,5,7,9,11,13,15,17,19,21,23 * * *'],
    [15_000, 15_000, undefined], // an offset is less than the interval
    [15_000, 500, undefined], // and whole seconds
  ])('%d ms, %d ms after each multiple -> %s', (ms, offset, expected) => {
    expect(intervalToCron(ms, offset)).toBe(expected);
    // node-cron takes every expression given
    if (expected !== undefined) expect(cron.validate(expected)).toBe(true);
  });

  it('node-cron fires an offset expression at the offset after each multiple of the interval', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-29T04:00:00.500Z') });
    try {
      const fired: string[] = [];
      const task = cron.schedule(intervalToCron(300_000, 67_000)!, () => void fired.push(new Date().toISOString()), { timezone: 'UTC' });
      await vi.advanceTimersByTimeAsync(900_000);
      await task.destroy();
      expect(fired.map((t) => t.slice(11, 19))).toEqual(['04:01:07', '04:06:07', '04:11:07']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an offset with a fraction of a second goes to cron as whole seconds and a wait for the rest', () => {
    expect(splitTickOffset(8300)).toEqual({ cronOffsetMs: 8000, delayMs: 300 });
    expect(splitTickOffset(600)).toEqual({ cronOffsetMs: 0, delayMs: 600 });
    expect(splitTickOffset(9000)).toEqual({ cronOffsetMs: 9000, delayMs: 0 });
    expect(intervalToCron(15_000, splitTickOffset(8300).cronOffsetMs)).toBe('8,23,38,53 * * * * *');
  });
});
