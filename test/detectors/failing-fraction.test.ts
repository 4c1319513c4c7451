import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../src/core/types.js';
import { failingFraction, onsetTickFailing } from '../../src/detectors/failing-fraction.js';

const funnel = (observed: number, lateShare?: number): Evaluation => ({ kind: 'funnel_drop', status: 'anomalous', score: -5, observed, baseline: 0.9, sigma: 0.02, ...(lateShare === undefined ? {} : { lateShare }) });

describe('the failing share of a failure\'s first tick', () => {
  it('reads the funnel as it is when no completions are known to come late', () => {
    expect(onsetTickFailing(funnel(0.45), undefined, 20, 20)).toBeCloseTo(failingFraction(funnel(0.45), undefined).e, 12);
    expect(onsetTickFailing(funnel(0.45), undefined, 20, 20)).toBeCloseTo(0.5, 12);
  });

  it('takes out the completions of the last tick\'s requests counted late: a tick that failed from its start reads as all failing', () => {
    // 20 requests the tick before, a third of their completions counted now; none of this tick's complete.
    const observed = (0.9 * (20 / 3)) / 24;
    expect(failingFraction(funnel(observed), undefined).e).toBeCloseTo(1 - 20 / 3 / 24, 12);
    expect(onsetTickFailing(funnel(observed, 1 / 3), undefined, 24, 20)).toBeCloseTo(1, 12);
    // The onset half way through: half of this tick's 24 requests completed on time.
    const half = (0.9 * (20 / 3 + 12)) / 24;
    expect(onsetTickFailing(funnel(half, 1 / 3), undefined, 24, 20)).toBeCloseTo(0.5, 12);
  });

  it('reads a late share not learnt yet (NaN, as the detector writes it) as none', () => {
    const observed = (0.9 * (20 / 3)) / 24;
    expect(onsetTickFailing(funnel(observed, Number.NaN), undefined, 24, 20)).toBeCloseTo(failingFraction(funnel(observed), undefined).e, 12);
  });

  it('never reads less failing than the plain ratio, nor outside [0, 1]', () => {
    expect(onsetTickFailing(funnel(0.9, 0.5), undefined, 10, 0)).toBe(0);
    expect(onsetTickFailing(funnel(0.1, 0.9), undefined, 1, 50)).toBe(1);
    expect(onsetTickFailing(funnel(0.45, 0.2), undefined, 20, Number.NaN)).toBeCloseTo(0.5, 12);
  });
});
