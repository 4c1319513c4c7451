import { describe, expect, it } from 'vitest';
import { CounterRateTracker } from '../../src/series/counter-rate.js';

function snapshot(tracker: CounterRateTracker, timeMs: number, series: Record<string, number>): number {
  tracker.begin();
  for (const [key, value] of Object.entries(series)) tracker.add(key, value);
  return tracker.end(timeMs);
}

describe('CounterRateTracker', () => {
  it('gives NaN for the first snapshot, then the summed increase per second', () => {
    const t = new CounterRateTracker();
    expect(snapshot(t, 0, { a: 100, b: 50 })).toBeNaN();
    expect(snapshot(t, 15_000, { a: 250, b: 80 })).toBe((150 + 30) / 15);
  });

  it('counts a reset (pod restart) as the new value, like PromQL irate', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 1000 });
    expect(snapshot(t, 10_000, { a: 40 })).toBe(4);
    expect(snapshot(t, 20_000, { a: 140 })).toBe(10);
  });

  it('ignores a series until its second sample, and forgets a vanished one', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 10 });
    expect(snapshot(t, 10_000, { a: 20, b: 5000 })).toBe(1); // b is new: no increase known yet
    expect(snapshot(t, 20_000, { b: 5100 })).toBe(10); // a vanished; b counts now
    expect(snapshot(t, 30_000, { a: 30, b: 5200 })).toBe(10); // a is new again: not 20 from its old value
  });

  it('gives 0 when nothing matches any more: no traffic, not no data', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 10 });
    expect(snapshot(t, 10_000, {})).toBe(0);
  });

  it('gives NaN while the selector has never matched: no data yet is not zero traffic', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, {});
    expect(snapshot(t, 10_000, {})).toBeNaN();
  });

  it('gives 0 for a never-matched error counter (absentIsZero): no errors yet', () => {
    const t = new CounterRateTracker(true);
    snapshot(t, 0, {});
    expect(snapshot(t, 10_000, {})).toBe(0);
  });

  it('gives NaN when time does not move forward', () => {
    const t = new CounterRateTracker();
    snapshot(t, 5000, { a: 1 });
    expect(snapshot(t, 5000, { a: 2 })).toBeNaN();
  });
});
