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

  it('estimates a reset pod from its own last increment, scaled as its neighbours changed (not its new value)', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 0, b: 0, c: 0 });
    snapshot(t, 10_000, { a: 100, b: 100, c: 50 });
    // Load grew 10 % on a and b; c restarted mid-interval and counted 20 since: it lost the rest.
    expect(snapshot(t, 20_000, { a: 210, b: 210, c: 20 })).toBeCloseTo((110 + 110 + 55) / 10, 10);
    // Next interval c is complete again.
    expect(snapshot(t, 30_000, { a: 310, b: 310, c: 70 })).toBe(25);
  });

  it('keeps a reset pod at least at its new value', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 0, b: 50 });
    snapshot(t, 10_000, { a: 100, b: 60 });
    // b's last increment was 10, but it has counted 30 since its restart: 30 it is.
    expect(snapshot(t, 20_000, { a: 200, b: 30 })).toBe(100 / 10 + 30 / 10);
  });

  it('gives NaN when the only series reset: nothing to estimate it from', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 1000 });
    snapshot(t, 10_000, { a: 1100 });
    expect(snapshot(t, 20_000, { a: 40 })).toBeNaN();
    expect(snapshot(t, 30_000, { a: 140 })).toBe(10);
  });

  it('counts a newly born series from 0, capped by its busiest neighbour', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 10 });
    expect(snapshot(t, 10_000, { a: 20, b: 4 })).toBe((10 + 4) / 10); // born mid-interval
    expect(snapshot(t, 20_000, { a: 30, b: 14, c: 5000 })).toBe((10 + 10 + 10) / 10); // c seen late, not born
  });

  it('gives NaN when a series vanished: what it counted before it went is unknown', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 10, b: 10 });
    expect(snapshot(t, 10_000, { b: 30 })).toBeNaN();
    expect(snapshot(t, 20_000, { b: 50 })).toBe(2);
  });

  it('gives NaN when nothing matches any more: missing data, not zero traffic', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 10 });
    expect(snapshot(t, 10_000, {})).toBeNaN();
  });

  it('gives 0 when the series are there and do not move: that is zero traffic', () => {
    const t = new CounterRateTracker();
    snapshot(t, 0, { a: 10 });
    expect(snapshot(t, 10_000, { a: 10 })).toBe(0);
  });

  it('gives 0 for a never-matched error counter: no errors yet', () => {
    const t = new CounterRateTracker('errors');
    snapshot(t, 0, {});
    expect(snapshot(t, 10_000, {})).toBe(0);
  });

  it('counts error series like irate: born with the first error, resets as their new value', () => {
    const t = new CounterRateTracker('errors');
    snapshot(t, 0, { a: 5 });
    expect(snapshot(t, 10_000, { a: 5, b: 3 })).toBeCloseTo(0.3, 10);
    expect(snapshot(t, 20_000, { a: 1, b: 3 })).toBeCloseTo(0.1, 10);
  });

  it('gives NaN when time does not move forward', () => {
    const t = new CounterRateTracker();
    snapshot(t, 5000, { a: 1 });
    expect(snapshot(t, 5000, { a: 2 })).toBeNaN();
  });
});
