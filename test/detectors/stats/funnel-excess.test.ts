import { describe, expect, it } from 'vitest';
import { excessShareAt } from '../../../src/detectors/stats/funnel-excess.js';

describe('excessShareAt', () => {
  it('is 1 at the traffic the dispersion was learnt at, and above it', () => {
    expect(excessShareAt(600, 600, 600)).toBe(1);
    expect(excessShareAt(1800, 600, 600)).toBe(1);
    expect(excessShareAt(1800, 1800, 600)).toBe(1);
  });

  it('falls with the square of the traffic when the tick and the tick before fell: a tenth of it carries a tenth of the excess a request', () => {
    expect(excessShareAt(60, 60, 600)).toBeCloseTo(0.1, 12);
    expect(excessShareAt(150, 150, 600)).toBeCloseTo(0.25, 12);
    // Var ∝ n² + n_prev²: the excess a request is that over n, against the learnt one at n = n_prev = expected.
    const [n, prev, expected] = [100, 300, 600];
    expect(excessShareAt(n, prev, expected)).toBeCloseTo((n * n + prev * prev) / n / ((2 * expected * expected) / expected), 12);
  });

  it("keeps the tick before's requests: a lull after a full tick still carries that tick's late completions", () => {
    // 60 after 600: (3600 + 360000) / (2·600·60) = 5.05, held to 1.
    expect(excessShareAt(60, 600, 600)).toBe(1);
    expect(excessShareAt(60, 0, 600)).toBeCloseTo(0.05, 12);
  });

  it('is 1 where the tick before is unknown (after a gap), or nothing is sent or expected', () => {
    expect(excessShareAt(60, Number.NaN, 600)).toBe(1);
    expect(excessShareAt(60, -1, 600)).toBe(1);
    expect(excessShareAt(0, 60, 600)).toBe(1);
    expect(excessShareAt(60, 60, 0)).toBe(1);
    expect(excessShareAt(60, 60, Number.NaN)).toBe(1);
  });
});
