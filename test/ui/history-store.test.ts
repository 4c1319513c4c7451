import { describe, expect, it } from 'vitest';
import type { SignalReport, TickResult } from '../../src/pipeline.js';
import { COL } from '../../src/ui/chart-point.js';
import { HistoryStore } from '../../src/ui/history-store.js';
import { seriesChartData } from '../../src/ui/series-model.js';

function report(requests: number, failing: boolean): SignalReport {
  return {
    sample: { requests, errors: 0, downstream: failing ? 0 : requests },
    evaluations: [
      { kind: 'rate_spike', status: 'normal', score: 0.5, observed: Math.log(requests), baseline: 100, sigma: 0.1 },
      { kind: 'funnel_drop', status: failing ? 'anomalous' : 'normal', score: failing ? -50 : 0, observed: failing ? 0 : 1, baseline: 0.999, sigma: 0.01 },
    ],
    assessment: { failing, surge: false, kind: 'retry_storm', settled: true, completion: 0, completionBaseline: 1, errorRatio: 0, errorRatioBaseline: 0, requests, requestsBaseline: 100, explanation: failing ? 'broken' : '' },
  };
}

describe('HistoryStore', () => {
  it('rings only the first series eagerly, later ones from their first anomaly, never past the cap', () => {
    const store = new HistoryStore({ capacity: 10, eagerSeries: 2, maxSeries: 3, zThreshold: 4, signals: [{ name: 'a', by: [], labels: { service: 's' } }] });
    for (let t = 0; t < 20; t++) {
      const signals = new Map<string, SignalReport>();
      for (let i = 0; i < 5; i++) signals.set(`s${i}`, report(100, i >= 2 && t >= 5 + i));
      store.record({ timeMs: t * 1000, transitions: [], signals, deploys: [] } satisfies TickResult);
    }
    expect([...store.rings.keys()]).toEqual(['s0', 's1', 's2']);
    expect(store.rings.get('s0')!.length).toBe(10);
    expect(store.rings.get('s2')!.firstMs).toBe(10_000);
    expect(store.explanations.get('s2')).toEqual({ atMs: 19_000, text: 'broken' });
    const points = store.rings.get('s0')!.range();
    expect(points.columns[COL.requestsBaseline]![0]).toBeCloseTo(100);
    // As the ring's 16-bit codes keep it: within 0.1 %.
    expect(Math.abs(points.columns[COL.bandHigh]![0]! / (100 * Math.exp(0.4)) - 1)).toBeLessThanOrEqual(2 ** -10);
    expect(points.columns[COL.amplification]![0]).toBeCloseTo(1);
  });

  it('charts the warm-up\'s history before the live ticks: the eager series only, never before a point held, no overview or explanation', () => {
    const store = new HistoryStore({ capacity: 100, eagerSeries: 2, maxSeries: 3, zThreshold: 4, signals: [{ name: 'a', by: [], labels: { service: 's' } }] });
    const frame = (failing: boolean) => new Map([0, 1, 2].map((i) => [`s${i}`, { ...report(100 + i, failing), anomalyScore: 0.25 }]));
    for (let t = 0; t < 5; t++) store.recordHistory(t * 1000, frame(t === 4));
    expect([...store.rings.keys()]).toEqual(['s0', 's1']);
    expect(store.rings.get('s1')!.length).toBe(5);
    expect(store.rings.get('s1')!.range().columns[COL.requests]![0]).toBe(101);
    expect(store.rings.get('s1')!.range().columns[COL.anomaly]![4]).toBe(0.25);
    expect(store.firstTimeMs).toBe(0);
    // The overview and the explanations wait for a live tick; a failing frame of history explains nothing now.
    expect(store.latest.size).toBe(0);
    expect(store.explanations.size).toBe(0);
    // A live tick goes after them; history older than a ring's last point is not put before it.
    store.record({ timeMs: 5000, transitions: [], signals: frame(false), deploys: [] });
    store.recordHistory(4500, frame(false));
    expect(store.rings.get('s0')!.range().times).toEqual(new Float64Array([0, 1000, 2000, 3000, 4000, 5000]));
    expect(store.latest.size).toBe(3);
  });

  it('keeps alert intervals by series and links a fingerprint to its series', () => {
    const store = new HistoryStore({ capacity: 10, eagerSeries: 10, maxSeries: 10, zThreshold: 4, signals: [{ name: 'dl', by: [], labels: {} }] });
    const base = { labels: { alertname: 'StormwatchRetryStorm', signal: 'dl', severity: 'critical' }, annotations: { summary: 's' }, fingerprint: 'fp', startsAtMs: 1000 };
    store.addTransitions([{ ...base, status: 'firing', evaluatedAtMs: 2000 }]);
    expect(store.seriesOfAlert('fp')).toBe('dl');
    store.addTransitions([{ ...base, status: 'resolved', endsAtMs: 9000, evaluatedAtMs: 9000 }]);
    expect(store.alertsOf('dl')).toMatchObject([{ alertname: 'StormwatchRetryStorm', startsAtMs: 1000, firedAtMs: 2000, endsAtMs: 9000 }]);
    expect(store.open.size).toBe(0);
  });

  it('explains a series by what its firing alert says now, and by its latest tick once none fires', () => {
    const store = new HistoryStore({ capacity: 10, eagerSeries: 10, maxSeries: 10, zThreshold: 4, signals: [{ name: 'dl', by: [], labels: {} }] });
    const tick = (timeMs: number, explanation: string) => {
      const r = report(100, false);
      store.record({ timeMs, transitions: [], signals: new Map([['dl', { ...r, assessment: { ...r.assessment, explanation } }]]), deploys: [] });
    };
    const base = { labels: { alertname: 'StormwatchRetryStorm', signal: 'dl', severity: 'critical' }, fingerprint: 'fp', startsAtMs: 1000 };
    tick(1000, 'storm: cargo retrying');
    store.addTransitions([{ ...base, status: 'firing', annotations: { summary: 's', description: 'storm: cargo retrying. Since 1000.' }, evaluatedAtMs: 2000 }]);
    // The failure over, the alert held by keepFiringFor: the tick reads as a surge, the alert still says the storm.
    tick(5000, 'more demand, served fine');
    expect(store.explanationOf('dl')).toEqual({ atMs: 2000, text: 'storm: cargo retrying. Since 1000.', current: true });
    store.addTransitions([{ ...base, status: 'firing', update: 1, annotations: { summary: 's', description: 'storm outlived its cause' }, evaluatedAtMs: 6000 }]);
    expect(store.explanationOf('dl')).toEqual({ atMs: 6000, text: 'storm outlived its cause', current: true });
    store.addTransitions([{ ...base, status: 'resolved', annotations: { summary: 's' }, endsAtMs: 9000, evaluatedAtMs: 9000 }]);
    expect(store.explanationOf('dl')).toEqual({ atMs: 5000, text: 'more demand, served fine', current: true });
    // A tick with nothing to explain (healthy): the last sentence was said while the alert was open
    // (its recovery), so the alert's last words explain, said to be from before.
    tick(10_000, '');
    expect(store.explanationOf('dl')).toEqual({ atMs: 6000, text: 'storm outlived its cause', current: false });
    // Opened at a time an alert was open (its link): what that alert last said, not the latest sentence.
    expect(store.explanationOf('dl', 3000)).toEqual({ atMs: 6000, text: 'storm outlived its cause', current: false, alertOpenAt: 3000 });
    expect(store.explanationOf('dl', 9500)).toEqual({ atMs: 6000, text: 'storm outlived its cause', current: false });
    // A sentence said after the alert ended (a surge later) is the series' own again.
    tick(11_000, 'more demand, served fine');
    tick(12_000, '');
    expect(store.explanationOf('dl')).toEqual({ atMs: 11_000, text: 'more demand, served fine', current: false });
  });

  it('resumes the alerts firing at a start as the saved history had them: when they fired, what muted them', () => {
    const store = new HistoryStore({ capacity: 10, eagerSeries: 10, maxSeries: 10, zThreshold: 4, signals: [{ name: 'dl', by: [], labels: {} }] });
    const labels = { alertname: 'StormwatchRetryStorm', signal: 'dl', severity: 'critical' };
    const firing = (fingerprint: string, startsAtMs: number) => ({ status: 'firing' as const, labels, annotations: { summary: 'now' }, fingerprint, startsAtMs, evaluatedAtMs: startsAtMs });
    const saved = { fingerprint: 'a', seriesId: 'dl', alertname: 'StormwatchRetryStorm', severity: 'critical', labels, startsAtMs: 1000, firedAtMs: 4000, summary: 'then', description: '', mutedBy: ['silence 1'], releasedAtMs: 5000 };
    // "a" fired at 4000 and was released at 5000; "b" fired again since (another start); "c" the history never saw.
    store.resumeFiring([firing('a', 1000), firing('b', 8000), firing('c', 9000)], [saved, { ...saved, fingerprint: 'b' }]);
    expect(store.open.get('a')).toEqual({ ...saved, summary: 'now' });
    expect(store.open.get('b')).toMatchObject({ startsAtMs: 8000, firedAtMs: 8000 });
    expect(store.open.get('b')!.mutedBy).toBeUndefined();
    expect(store.open.get('c')).toMatchObject({ startsAtMs: 9000, firedAtMs: 9000, summary: 'now' });
  });

  it('chart data: full resolution around alerts, min/max buckets elsewhere, times in seconds', () => {
    const store = new HistoryStore({ capacity: 5000, eagerSeries: 1, maxSeries: 1, zThreshold: 4, signals: [{ name: 'dl', by: [], labels: {} }] });
    for (let t = 0; t < 4000; t++) store.record({ timeMs: t * 15_000, transitions: [], signals: new Map([['dl', report(t === 100 ? 900 : 100, false)]]), deploys: [] });
    const alerts = [{ fingerprint: 'f', seriesId: 'dl', alertname: 'A', severity: 'critical', labels: {}, startsAtMs: 2000 * 15_000, firedAtMs: 2002 * 15_000, endsAtMs: 2040 * 15_000, summary: '', description: '' }];
    const d = seriesChartData({ id: 'dl', signal: 'dl', labels: {}, points: store.rings.get('dl')!.range(), alerts, deploys: [], width: 200 });
    const inAlert = d.t.filter((t) => t >= 2000 * 15 && t <= 2040 * 15).length;
    expect(inAlert).toBe(41);
    expect(d.t.length).toBeLessThan(200 + 41 + 2 * 60 + 5);
    expect(Math.max(...d.reqMax.map((v) => v ?? 0))).toBe(900);
    expect(d.points).toBe(4000);
  });
});
