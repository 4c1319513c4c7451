import { describe, expect, it } from 'vitest';
import type { SignalReport } from '../../src/pipeline.js';
import { LatestRows } from '../../src/ui/latest-rows.js';
import { overviewPage, parseOverviewQuery } from '../../src/ui/overview-model.js';
import { parseSeriesId } from '../../src/series/series-key.js';

function report(score: number, failing: boolean | undefined, anomalyScore = Number.NaN): SignalReport {
  return {
    anomalyScore,
    sample: { requests: 10, errors: 0, downstream: 10 },
    evaluations: [{ kind: 'funnel_drop', status: failing === undefined ? 'unknown' : failing ? 'anomalous' : 'normal', score, observed: 0, baseline: 1, sigma: 0.1 }],
    assessment: { failing, surge: false, kind: 'outage', settled: true, completion: 0, completionBaseline: 1, errorRatio: 0, errorRatioBaseline: 0, requests: 10, requestsBaseline: 10, explanation: '' },
  };
}

describe('overview page model', () => {
  const latest = new Map<string, SignalReport>();
  for (let i = 0; i < 5000; i++) latest.set(`api{route="/r${i}"}`, report(i % 7, i === 4242 ? true : false));
  latest.set('api{route="/fire"}', report(-40, true));
  const inputs = {
    latest: LatestRows.of(latest),
    labelsOf: (id: string) => ({ signal: parseSeriesId(id).signal, labels: { service: 'crates-io', ...parseSeriesId(id).groupLabels } }),
    openAlerts: [{ fingerprint: 'f', seriesId: 'api{route="/fire"}', alertname: 'StormwatchOutage', severity: 'critical', labels: {}, startsAtMs: 0, firedAtMs: 0, summary: '', description: '' }],
    deploys: [{ id: 'd1', service: 'crates-io', version: '1.2', environment: 'p', startedAtMs: 5, source: 'api' as const, verdict: 'fail' as const, windowEndsAtMs: 9, reasons: [], evidence: [] }],
  };

  it('puts firing, then pending series first, most anomalous first, and pages on the server', () => {
    const page = overviewPage(inputs, parseOverviewQuery(new URLSearchParams('')));
    expect(page.total).toBe(5001);
    expect(page.rows.length).toBe(50);
    expect(page.pages).toBe(101);
    expect(page.rows[0]).toMatchObject({ id: 'api{route="/fire"}', state: 'firing', kind: 'StormwatchOutage', score: -40, lastDeploy: { version: '1.2', verdict: 'fail' } });
    expect(page.rows[1]).toMatchObject({ id: 'api{route="/r4242"}', state: 'pending', kind: 'outage' });
    expect(page.counts).toMatchObject({ firing: 1, pending: 1, ok: 4999 });
    // Among healthy series (score 0 to 6 by i % 7), the largest robust z first, as no anomaly score was read.
    expect(page.rows.slice(2, 5).map((r) => r.score)).toEqual([6, 6, 6]);
  });

  it('filters by state and by a substring of the id or label values', () => {
    expect(overviewPage(inputs, parseOverviewQuery(new URLSearchParams('state=alerting'))).matched).toBe(2);
    const q = overviewPage(inputs, parseOverviewQuery(new URLSearchParams('q=/R499&sort=id&page=2&perPage=10')));
    expect(q.matched).toBe(11);
    expect(q.rows.map((r) => r.id)).toEqual(['api{route="/r4999"}']);
  });

  it('ranks series of one state by their anomaly score first: one scale for every check, then the largest z', () => {
    const reports = new Map<string, SignalReport>([
      ['calm-but-large-z', report(9, false, 0.2)],
      ['unusual', report(3, false, 0.9)],
      ['unjudged', report(12, false)],
      ['less-unusual', report(3, false, 0.6)],
    ]);
    const page = overviewPage({ ...inputs, latest: LatestRows.of(reports), openAlerts: [] }, parseOverviewQuery(new URLSearchParams('')));
    expect(page.rows.map((r) => [r.id, r.anomaly])).toEqual([
      ['unusual', expect.closeTo(0.9, 6)],
      ['less-unusual', expect.closeTo(0.6, 6)],
      ['calm-but-large-z', expect.closeTo(0.2, 6)],
      ['unjudged', Number.NaN],
    ]);
  });
});
