import { describe, expect, it } from 'vitest';
import { RunSummary, setWindow } from '../../src/detectors/run-summary.js';

describe('RunSummary', () => {
  it("shows the failure's window only while it is set, and JSON carries the reading alone", () => {
    const run = new RunSummary();
    run.sinceMs = 1000;
    run.multiplier = 2;
    run.logSigma = 0.1;
    run.seconds = 15;
    setWindow(run.recent, 2.5, 0.2, 0.15, 3);
    expect(run.failureAs(false)).toBeUndefined();
    expect(JSON.parse(JSON.stringify(run))).toEqual({ sinceMs: 1000, multiplier: 2, logSigma: 0.1, seconds: 15, recent: { multiplier: 2.5, logSigma: 0.2, riseLogSigma: 0.15, seconds: 3 } });
    const failure = run.failureAs(true)!;
    setWindow(failure, 3, 0.3, 0.25, 2);
    expect(run.failure).toBe(failure);
    expect(JSON.parse(JSON.stringify(run)).failure).toEqual({ multiplier: 3, logSigma: 0.3, riseLogSigma: 0.25, seconds: 2 });
    // Cleared, then set again: the same window, rewritten in place.
    run.failureAs(false);
    expect(run.failure).toBeUndefined();
    expect(run.failureAs(true)).toBe(failure);
  });
});
