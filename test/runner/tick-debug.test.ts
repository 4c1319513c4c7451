import { describe, expect, it } from 'vitest';
import type { SignalReport, TickResult } from '../../src/pipeline.js';
import { tickDebugFields } from '../../src/runner/tick-debug.js';

describe('tickDebugFields', () => {
  it('gives each signal its counts, kind and every check with its evidence, as plain JSON', () => {
    const report: SignalReport = {
      sample: { requests: 12.3456789, errors: Number.NaN, downstream: 0 },
      evaluations: [
        { kind: 'funnel_drop', status: 'anomalous', score: -40, observed: 0, baseline: 1, sigma: 0.02, evidence: 42.7, threshold: 21.4 },
        { kind: 'rate_spike', status: 'normal', score: 1, observed: 12.3, baseline: 11, sigma: 0.3, evidence: 0, threshold: 21.4, run: { sinceMs: Date.UTC(2026, 0, 1), multiplier: 1.5, logSigma: 0.2, seconds: 4 } },
      ],
      assessment: { failing: true, surge: false, kind: 'retry_storm', settled: false, completion: 0, completionBaseline: 1, errorRatio: Number.NaN, errorRatioBaseline: Number.NaN, requests: 12.3, requestsBaseline: 11, explanation: '' },
    };
    const result: TickResult = { timeMs: Date.UTC(2026, 0, 1, 0, 0, 5), transitions: [], signals: new Map([['downloads', report]]), deploys: [] };
    const fields = JSON.parse(JSON.stringify(tickDebugFields(result, result.timeMs)));
    expect(fields.dataTime).toBe('2026-01-01T00:00:05.000Z');
    const d = fields.signals.downloads;
    expect(d).toMatchObject({ requests: 12.35, errors: 'NaN', downstream: 0, failing: true, kind: 'retry_storm', settled: false });
    expect(d.checks[0]).toMatchObject({ check: 'funnel_drop', status: 'anomalous', evidence: 42.7, threshold: 21.4 });
    expect(d.checks[1].run).toEqual({ since: '2026-01-01T00:00:00.000Z', multiplier: 1.5, logSigma: 0.2, seconds: 4 });
  });

  it('leaves out the evidence and threshold of a check that did not judge (the detector writes NaN there)', () => {
    const report: SignalReport = {
      sample: { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN },
      evaluations: [{ kind: 'rate_spike', status: 'unknown', score: Number.NaN, observed: Number.NaN, baseline: Number.NaN, sigma: Number.NaN, reason: 'no data', evidence: Number.NaN, threshold: Number.NaN }],
      assessment: { failing: undefined, surge: undefined, kind: 'error_regression', settled: true, completion: Number.NaN, completionBaseline: Number.NaN, errorRatio: Number.NaN, errorRatioBaseline: Number.NaN, requests: Number.NaN, requestsBaseline: Number.NaN, explanation: '' },
    };
    const result: TickResult = { timeMs: 0, transitions: [], signals: new Map([['s', report]]), deploys: [] };
    const check = JSON.parse(JSON.stringify(tickDebugFields(result, 0))).signals.s.checks[0];
    expect(check).toMatchObject({ check: 'rate_spike', status: 'unknown', reason: 'no data' });
    expect(check).not.toHaveProperty('evidence');
    expect(check).not.toHaveProperty('threshold');
  });
});
