import { describe, expect, it } from 'vitest';
import { CheckEvaluation, EVALUATION_DOUBLES } from '../../src/detectors/check-evaluation.js';

const NUMBERS = ['score', 'observed', 'baseline', 'sigma', 'evidence', 'threshold', 'lateShare'] as const;

describe('CheckEvaluation', () => {
  it('starts unknown with every number absent (NaN), not undefined', () => {
    const e = new CheckEvaluation('funnel_drop', new Float64Array(EVALUATION_DOUBLES), 0);
    expect(e.status).toBe('unknown');
    for (const k of NUMBERS) expect(e[k], k).toBeNaN();
  });

  it('keeps its numbers in its own slice of the doubles: neighbours on one array never see each other', () => {
    const doubles = new Float64Array(3 + 2 * EVALUATION_DOUBLES + 3).fill(-1);
    const a = new CheckEvaluation('rate_spike', doubles, 3);
    const b = new CheckEvaluation('rate_drop', doubles, 3 + EVALUATION_DOUBLES);
    NUMBERS.forEach((k, i) => {
      a[k] = i + 0.25;
      b[k] = -(i + 0.5);
    });
    NUMBERS.forEach((k, i) => {
      expect(a[k], k).toBe(i + 0.25);
      expect(b[k], k).toBe(-(i + 0.5));
    });
    expect(Array.from(doubles.subarray(0, 3))).toEqual([-1, -1, -1]);
    expect(Array.from(doubles.subarray(3 + 2 * EVALUATION_DOUBLES))).toEqual([-1, -1, -1]);
    // Read through the array as well: the numbers are stored, not held in fields.
    expect(doubles[3]).toBe(0.25);
    expect(doubles[3 + EVALUATION_DOUBLES]).toBe(-0.5);
  });

  it('serialises as a plain evaluation, without its storage', () => {
    const e = new CheckEvaluation('error_ratio', new Float64Array(EVALUATION_DOUBLES), 0);
    e.status = 'anomalous';
    e.score = 4.5;
    e.reason = 'no requests';
    const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
    expect(json).toEqual({ kind: 'error_ratio', status: 'anomalous', score: 4.5, observed: null, baseline: null, sigma: null, reason: 'no requests', evidence: null, threshold: null, lateShare: null });
  });
});
