import { describe, expect, it } from 'vitest';
import { intervalToCron } from '../../src/config/schedule.js';

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
});
