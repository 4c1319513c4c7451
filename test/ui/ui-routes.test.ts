// The UI's routes on the real HTTP server: server-side paging over thousands of series, series
// pages and their data, links that name only the alert, assets, and read-only answers.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { SignalReport } from '../../src/pipeline.js';
import { type RunningServer, startHttpServer } from '../../src/telemetry/http-server.js';
import { HistoryStore } from '../../src/ui/history-store.js';

function report(failing: boolean): SignalReport {
  return {
    sample: { requests: 10, errors: 0, downstream: failing ? 0 : 10 },
    evaluations: [{ kind: 'funnel_drop', status: failing ? 'anomalous' : 'normal', score: failing ? -80 : 0.3, observed: failing ? 0 : 1, baseline: 1, sigma: 0.01 }],
    assessment: { failing, surge: false, kind: 'outage', settled: true, completion: 0, completionBaseline: 1, errorRatio: 0, errorRatioBaseline: 0, requests: 10, requestsBaseline: 10, explanation: failing ? 'it broke' : '' },
  };
}

describe('UI routes', () => {
  let server: RunningServer;
  const store = new HistoryStore({ capacity: 100, eagerSeries: 10, maxSeries: 20, zThreshold: 4, signals: [{ name: 'api', by: ['route'], labels: { service: 'web' } }] });

  beforeAll(async () => {
    for (let t = 0; t < 30; t++) {
      const signals = new Map<string, SignalReport>();
      for (let i = 0; i < 3000; i++) signals.set(`api{route="/r${i}"}`, report(i === 2999 && t >= 20));
      const transitions =
        t === 22 ? [{ status: 'firing' as const, labels: { alertname: 'StormwatchOutage', signal: 'api', route: '/r2999', severity: 'critical' }, annotations: { summary: 's' }, fingerprint: 'fp1', startsAtMs: 20_000, evaluatedAtMs: 22_000 }] : [];
      // A marker's record of another service, first seen at 25 s after a gap in its data since 12 s.
      const deploys = t === 25 ? [{ id: 'db-25000', service: 'db', version: '9.1', environment: '', startedAtMs: 25_000, startedAfterMs: 12_000, source: 'marker' as const, verdict: 'pending' as const, windowEndsAtMs: 85_000, reasons: [], evidence: [] }] : [];
      store.record({ timeMs: t * 1000, transitions, signals, deploys });
    }
    server = await startHttpServer('127.0.0.1:0', { registry: new Registry(), health: () => ({ ok: true, detail: {} }), firingAlerts: () => [], ui: { store, intervalMs: 1000 } });
  });
  afterAll(() => server.close());

  it('overview: the firing series first, 50 rows a page, filters on the server', async () => {
    const html = await (await fetch(`${server.url}/ui/`)).text();
    expect(html.match(/<tr data-series=/g)).toHaveLength(50);
    expect(html.indexOf('/r2999')).toBeLessThan(html.indexOf('/r0&'));
    expect(html).toContain('page 1 of 60 (3000 of 3000 series)');
    const page = (await (await fetch(`${server.url}/ui/api/overview?q=r299&state=firing`)).json()) as { rows: { id: string; kind: string }[]; matched: number };
    expect(page.matched).toBe(1);
    expect(page.rows[0]).toMatchObject({ id: 'api{route="/r2999"}', kind: 'StormwatchOutage' });
  });

  it("overview: a deploy a marker first saw after a gap in its data says when it began after", async () => {
    const html = await (await fetch(`${server.url}/ui/`)).text();
    expect(html).toMatch(/<td class="sw-time">1970-01-01T00:00:25Z<br><span class="sw-muted">first seen then, after a gap in its data: began after 1970-01-01T00:00:12Z<\/span><\/td><td class="sw-name">db<\/td>/);
  });

  it('series data: a series that turned anomalous late has history from its anomaly on', async () => {
    const id = encodeURIComponent('api{route="/r2999"}');
    const data = (await (await fetch(`${server.url}/ui/api/series?id=${id}&width=200`)).json()) as { points: number; alerts: unknown[]; explanation: { text: string } };
    expect(data.points).toBe(10);
    expect(data.alerts).toHaveLength(1);
    expect(data.explanation.text).toBe('it broke');
    const quiet = await fetch(`${server.url}/ui/series?id=${encodeURIComponent('api{route="/r500"}')}`);
    expect(quiet.status).toBe(200);
    expect(await quiet.text()).toContain('No history is kept for this series');
  });

  it('a link naming only the alert finds its series; unknown series are 404; assets are served', async () => {
    const byAlert = await (await fetch(`${server.url}/ui/series?fingerprint=fp1&at=20000`)).text();
    expect(byAlert).toContain('<h2>api{route=&quot;/r2999&quot;}</h2>');
    expect((await fetch(`${server.url}/ui/series?id=nope`)).status).toBe(404);
    const js = await fetch(`${server.url}/ui/assets/uPlot.iife.min.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(40_000);
    expect((await fetch(`${server.url}/ui/assets/../../package.json`)).status).toBe(404);
    const post = await fetch(`${server.url}/ui/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/ui/');
  });
});
