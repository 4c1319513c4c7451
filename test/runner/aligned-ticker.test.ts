import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextAlignedMs, startAlignedTicker } from '../../src/runner/aligned-ticker.js';

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
