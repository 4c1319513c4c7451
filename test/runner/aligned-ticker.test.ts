import { afterEach, describe, expect, it, vi } from 'vitest';
import { catchUpRange, nextAlignedMs, startAlignedTicker } from '../../src/runner/aligned-ticker.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('aligned ticker', () => {
  it.each([
    ['just after a multiple', 45_001, 45_000, 90_000],
    ['exactly on a multiple: the next one', 90_000, 45_000, 135_000],
    ['90s', 100_000, 90_000, 180_000],
  ])('nextAlignedMs: %s', (_, now, interval, next) => {
    expect(nextAlignedMs(now, interval)).toBe(next);
  });

  it.each([
    ['before the offset within the interval', 50_000, 45_000, 7000, 52_000],
    ['after it: the next interval', 53_000, 45_000, 7000, 97_000],
    ['exactly on it: the next one', 52_000, 45_000, 7000, 97_000],
  ])('nextAlignedMs with an offset: %s', (_, now, interval, offset, next) => {
    expect(nextAlignedMs(now, interval, offset)).toBe(next);
  });

  it('ticks at every multiple of 45s since the epoch, and not after stop', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-29T04:00:10Z') });
    const ticks: string[] = [];
    const ticker = startAlignedTicker(45_000, () => ticks.push(new Date().toISOString()));
    await vi.advanceTimersByTimeAsync(180_000);
    expect(ticks).toEqual(['2026-11-29T04:00:45.000Z', '2026-11-29T04:01:30.000Z', '2026-11-29T04:02:15.000Z', '2026-11-29T04:03:00.000Z']);
    await ticker.stop();
    await vi.advanceTimersByTimeAsync(180_000);
    expect(ticks).toHaveLength(4);
  });
});

describe('catchUpRange: the ticks a start reads before its first live one', () => {
  it('takes an instant a cron schedule made now would miss: its whole second has begun (the lead)', () => {
    // 5 s ticks 1.3 s after each multiple: cron fires at second 1 and waits 300 ms. Fed until 0 s,
    // now 6.28 s: the instant at 6.3 s is not due yet, but a schedule made now fires first at 11.3 s.
    expect(catchUpRange(W, W + 6_280, 5_000, 1_300, HOUR)).toBeUndefined();
    expect(catchUpRange(W, W + 6_280, 5_000, 1_300, HOUR, 300)).toEqual({ fromMs: W + 6_300, toMs: W + 6_300 });
    // Before that second begins the schedule still fires at the instant: nothing to read.
    expect(catchUpRange(W, W + 5_990, 5_000, 1_300, HOUR, 300)).toBeUndefined();
  });

  const W = 1_700_000_100_000 - (1_700_000_100_000 % 15_000);
  const HOUR = 3_600_000;

  it('reads every instant after the warm-up up to the last one due, so the first live tick follows it by one interval', () => {
    // Warm-up ended at W; 31 s later, ticks on the epoch's grid: W + 15 s and W + 30 s are unread.
    const range = catchUpRange(W, W + 31_000, 15_000, 0, HOUR)!;
    expect(range).toEqual({ fromMs: W + 15_000, toMs: W + 30_000 });
    expect(nextAlignedMs(W + 31_000, 15_000) - range.toMs).toBe(15_000);
  });

  it('reads the instants of the ticks\' own grid (their offset), leaving out one within half an interval of the warm-up', () => {
    // Offset 4 s: W + 4 s is too close to W (4 of the tick's 15 s are new), W + 19 s is due.
    expect(catchUpRange(W, W + 23_000, 15_000, 4_000, HOUR)).toEqual({ fromMs: W + 19_000, toMs: W + 19_000 });
    // Offset 9 s: W + 9 s is more than half an interval on.
    expect(catchUpRange(W, W + 23_000, 15_000, 9_000, HOUR)).toEqual({ fromMs: W + 9_000, toMs: W + 9_000 });
  });

  it('has nothing to read when the next instant is the first live tick, or nothing was fed', () => {
    expect(catchUpRange(W, W + 14_000, 15_000, 0, HOUR)).toBeUndefined();
    expect(catchUpRange(W + 15_000, W + 29_999, 15_000, 0, HOUR)).toBeUndefined();
    expect(catchUpRange(Number.NaN, W + 31_000, 15_000, 0, HOUR)).toBeUndefined();
  });

  it('reads at most the warm-up\'s span, however old the state it resumed from', () => {
    const range = catchUpRange(W - 48 * HOUR, W + 1_000, 15_000, 0, HOUR)!;
    expect(range).toEqual({ fromMs: W - HOUR, toMs: W });
  });
});

