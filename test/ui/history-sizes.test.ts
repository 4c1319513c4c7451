import { describe, expect, it } from 'vitest';
import { LIVE_HISTORY_BYTES, liveHistory } from '../../src/ui/history-sizes.js';
import { SeriesRing } from '../../src/ui/series-ring.js';

describe('liveHistory', () => {
  it.each([
    [15_000, 720, 1000, 2000],
    [5_000, 2160, 970, 1941],
    [1_000, 10_800, 194, 388],
  ])('at %d ms ticks: %d points a ring, %d rings from the first tick, %d at most, within the byte budget', (intervalMs, capacity, eager, max) => {
    const h = liveHistory({ intervalMs, detector: {} as never, signals: [] });
    expect([h.capacity, h.eagerSeries, h.maxSeries]).toEqual([capacity, eager, max]);
    expect(h.capacity * h.maxSeries * SeriesRing.bytesPerPoint).toBeLessThanOrEqual(LIVE_HISTORY_BYTES);
  });
});
