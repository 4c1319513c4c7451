import { describe, expect, it } from 'vitest';
import type { SignalReport } from '../../src/pipeline.js';
import { LatestRows } from '../../src/ui/latest-rows.js';

function report(scores: number[], requests: number, failing: boolean | undefined, surge: boolean | undefined, kind: 'outage' | 'retry_storm', anomalyScore = Number.NaN): SignalReport {
  return {
    anomalyScore,
    sample: { requests, errors: 0, downstream: requests },
    evaluations: scores.map((score) => ({ kind: 'funnel_drop' as const, status: 'normal' as const, score, observed: 0, baseline: 1, sigma: 0.1 })),
    assessment: { failing, surge, kind, settled: true, completion: 0, completionBaseline: 1, errorRatio: 0, errorRatioBaseline: 0, requests, requestsBaseline: requests, explanation: '' },
  };
}

describe('latest rows', () => {
  it('keeps each series overview fields as the reports had them, and only the latest tick', () => {
    const rows = new LatestRows();
    rows.record(new Map([['a', report([1, -3, 2], 5, true, false, 'outage')], ['old', report([], 1, false, false, 'outage')]]));
    rows.record(
      new Map([
        ['a', report([1, -7.25, 2], 12.5, true, false, 'retry_storm', 0.96875)],
        ['b', report([Number.NaN], 0, undefined, undefined, 'outage')],
        ['c', report([0.5, -0.5], 3, false, true, 'outage', 0.25)],
      ]),
    );
    expect(rows.size).toBe(3);
    expect(rows.has('old')).toBe(false);
    expect(rows.has('c')).toBe(true);
    expect([...rows.rows()]).toEqual([
      { id: 'a', failing: true, surge: false, kind: 'retry_storm', score: -7.25, anomaly: 0.96875, requests: 12.5 },
      { id: 'b', failing: undefined, surge: undefined, kind: 'outage', score: Number.NaN, anomaly: Number.NaN, requests: 0 },
      { id: 'c', failing: false, surge: true, kind: 'outage', score: 0.5, anomaly: 0.25, requests: 3 },
    ]);
  });

  it('grows and shrinks its columns with the series count', () => {
    const many = new Map<string, SignalReport>();
    for (let i = 0; i < 1000; i++) many.set(`s${i}`, report([i], i, false, false, 'outage'));
    const rows = LatestRows.of(many);
    expect([...rows.rows()].at(-1)).toMatchObject({ id: 's999', score: 999, requests: 999 });
    rows.record(new Map([['x', report([4], 4, true, false, 'outage')]]));
    expect([...rows.rows()]).toEqual([{ id: 'x', failing: true, surge: false, kind: 'outage', score: 4, anomaly: Number.NaN, requests: 4 }]);
  });
});
