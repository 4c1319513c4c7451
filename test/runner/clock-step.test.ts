import { describe, expect, it } from 'vitest';
import { ClockStepWatch } from '../../src/runner/clock-step.js';

describe('ClockStepWatch', () => {
  it('reports a step of the wall clock against the monotonic one, once, and not drift', () => {
    const watch = new ClockStepWatch(1000);
    expect(watch.check(1_000_000, 500)).toBe(0);
    // Five seconds on both clocks, with 300 ms of drift: no step.
    expect(watch.check(1_005_300, 5_500)).toBe(0);
    // The wall clock set back two minutes while five seconds passed.
    expect(watch.check(1_005_300 + 5_000 - 120_000, 10_500)).toBe(-120_000);
    expect(watch.check(890_300 + 5_000, 15_500)).toBe(0);
    // Forward an hour (a VM resumed).
    expect(watch.check(895_300 + 5_000 + 3_600_000, 20_500)).toBe(3_600_000);
  });
});
