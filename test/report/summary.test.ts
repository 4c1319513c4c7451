import { describe, expect, it } from 'vitest';
import type { SignalReport } from '../../src/pipeline.js';
import { progressBar, progressLine } from '../../src/report/progress.js';
import { SummaryCounter, alertKey, formatSummary } from '../../src/report/summary.js';

const ok: SignalReport = {
  sample: { requests: 1, errors: 0, downstream: 1 },
  evaluations: [{ kind: 'rate_spike', status: 'normal', score: 0, observed: 0, baseline: 0, sigma: 1 }],
  assessment: { failing: false, surge: false, kind: 'outage', settled: true, completion: 1, completionBaseline: 1, errorRatio: 0, errorRatioBaseline: 0, requests: 1, requestsBaseline: 1, explanation: '' },
};
const gap: SignalReport = { ...ok, sample: { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN }, evaluations: [{ ...ok.evaluations[0]!, status: 'unknown' }] };

describe('backtest summary', () => {
  it('counts alerts by kind, deploys by verdict and data problems', () => {
    const c = new SummaryCounter();
    c.add({ timeMs: 0, transitions: [], signals: new Map([['a', gap]]), deploys: [] });
    c.add({ timeMs: 1, transitions: [{ status: 'firing', labels: { alertname: 'StormwatchRetryStorm', severity: 'critical' }, annotations: {}, fingerprint: 'x', startsAtMs: 0, evaluatedAtMs: 1 }], signals: new Map([['a', ok]]), deploys: [] });
    const deploys = [{ id: 'd', service: 's', version: '1', environment: 'p', startedAtMs: 0, source: 'marker' as const, verdict: 'fail' as const, windowEndsAtMs: 1, reasons: [], evidence: [] }];
    const text = formatSummary({ counter: c, deploys, dataProblems: 3, fromMs: 0, toMs: 15_000 });
    expect(text).toContain('2 ticks, 1 series');
    expect(text).toContain('alerts fired: 1 (StormwatchRetryStorm 1)');
    expect(text).toContain('deploys: 1 (fail 1)');
    expect(text).toContain('3 input line(s) skipped, 1 series-tick(s) without data, 1 series-tick(s) no check could judge');
  });

  it('counts the alerts muted when they fired by what muted them first, and keeps what muted each', () => {
    const c = new SummaryCounter();
    const storm = { status: 'firing' as const, labels: { alertname: 'StormwatchRetryStorm', severity: 'critical' }, annotations: {}, fingerprint: 'x', startsAtMs: 0, evaluatedAtMs: 1 };
    const surge = { ...storm, labels: { alertname: 'StormwatchOrganicSurge', severity: 'info' }, fingerprint: 'y' };
    const outage = { ...storm, labels: { alertname: 'StormwatchOutage', severity: 'critical' }, fingerprint: 'z' };
    const muted = new Map([
      [storm, [{ reason: 'maintenance' as const, by: 'maintenance cdn' }, { reason: 'inhibited' as const, by: 'inhibited by StormwatchDeployRegression{}' }]],
      [surge, [{ reason: 'recurring' as const, by: 'recurs daily at 02:00 UTC (2 of the last 3 days)' }]],
    ]);
    c.add({ timeMs: 1, transitions: [storm, surge, outage], signals: new Map([['a', ok]]), deploys: [] }, muted);
    const text = formatSummary({ counter: c, deploys: [], dataProblems: 0, fromMs: 0, toMs: 15_000 });
    expect(text).toContain('alerts fired: 3 (StormwatchOrganicSurge 1, StormwatchOutage 1, StormwatchRetryStorm 1); muted when they fired, not delivered: 2 (maintenance 1, recurring 1)');
    expect(c.mutedBy.get(alertKey('x', 0))).toEqual(['maintenance cdn', 'inhibited by StormwatchDeployRegression{}']);
    expect(c.mutedBy.has(alertKey('z', 0))).toBe(false);
  });
});

describe('progress bar', () => {
  it('draws a bar with an estimate, only on a terminal', () => {
    expect(progressLine(25, 100, 1000, 10)).toBe('backtest [###.......]  25% 25/100 ticks eta 3s');
    expect(progressBar({ isTTY: false, write: () => true })).toBeUndefined();
    const written: string[] = [];
    let t = 0;
    const bar = progressBar({ isTTY: true, write: (s: string) => written.push(s) }, () => (t += 200))!;
    bar.update(50, 100);
    bar.update(100, 100);
    bar.end();
    expect(written[0]).toMatch(/^\r.*50%/);
    expect(written.at(-1)).toBe('\n');
  });
});
