// The live UI on stormwatch's HTTP server: GET /ui/ (overview), /ui/series (a series page),
// /ui/api/overview and /ui/api/series (their data as JSON), /ui/assets/* (uPlot, the chart script,
// the stylesheet). Read-only; everything comes from the HistoryStore the live loop feeds.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { asset } from './assets.js';
import type { HistoryStore } from './history-store.js';
import { parseOverviewQuery, overviewPage } from './overview-model.js';
import { overviewHtml, seriesHtml } from './pages.js';
import { seriesChartData } from './series-model.js';

export interface UiDeps {
  store: HistoryStore;
  intervalMs: number;
  /** The deploy window, for full-resolution spans after deploys. */
  deployWindowMs?: number;
}

function parseAt(text: string | null): number | undefined {
  if (!text) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Answers a /ui request; returns false for paths it does not serve. */
export function handleUi(req: IncomingMessage, res: ServerResponse, deps: UiDeps): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path !== '/ui' && !path.startsWith('/ui/')) return false;
  const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const { store } = deps;
  if (path === '/ui' || path === '/ui/') {
    const query = parseOverviewQuery(url.searchParams);
    const page = overviewPage({ latest: store.latest, labelsOf: (id) => store.labelsOf(id), openAlerts: store.open.values(), deploys: store.deploys.values() }, query);
    const recentDeploys = [...store.deploys.values()].sort((a, b) => b.startedAtMs - a.startedAtMs).slice(0, 10);
    send(200, 'text/html; charset=utf-8', overviewHtml({ page, query, dataTimeMs: store.latestTimeMs, refreshSeconds: Math.max(5, Math.round(deps.intervalMs / 1000)), recentAlerts: store.alerts().slice(-20).reverse(), recentDeploys }));
    return true;
  }
  if (path === '/ui/api/overview') {
    const page = overviewPage({ latest: store.latest, labelsOf: (id) => store.labelsOf(id), openAlerts: store.open.values(), deploys: store.deploys.values() }, parseOverviewQuery(url.searchParams));
    send(200, 'application/json', `${JSON.stringify(page)}\n`);
    return true;
  }
  if (path === '/ui/series' || path === '/ui/api/series') {
    const fingerprint = url.searchParams.get('fingerprint') ?? undefined;
    let id = url.searchParams.get('id') ?? '';
    // A link that names the alert finds its series even when the id is missing or stale.
    if (!store.rings.has(id) && !store.latest.has(id) && fingerprint) id = store.seriesOfAlert(fingerprint) ?? id;
    const atMs = parseAt(url.searchParams.get('at'));
    const ring = store.rings.get(id);
    const known = ring !== undefined || store.latest.has(id);
    if (path === '/ui/series') {
      const { labels } = store.labelsOf(id);
      const missing = !known
        ? `stormwatch does not watch a series "${id}" (or has not seen it yet).`
        : !ring
          ? `No history is kept for this series: beyond the first ${store.options.eagerSeries} series, a series gets a history when it turns anomalous (up to ${store.options.maxSeries} in all).`
          : undefined;
      send(known ? 200 : 404, 'text/html; charset=utf-8', seriesHtml({ id, labels, ...(atMs !== undefined ? { atMs } : {}), ...(fingerprint ? { fingerprint } : {}), refreshMs: Math.max(1000, deps.intervalMs), ...(missing ? { missing } : {}) }));
      return true;
    }
    if (!ring) {
      send(404, 'application/json', `${JSON.stringify({ error: `no history for series ${JSON.stringify(id)}` })}\n`);
      return true;
    }
    const width = Math.min(4000, Math.max(100, Number(url.searchParams.get('width')) || 1200));
    const { signal, labels } = store.labelsOf(id);
    const data = seriesChartData({
      id,
      signal,
      labels,
      points: ring.range(),
      alerts: store.alertsOf(id),
      deploys: store.deploysOf(id),
      explanation: store.explanationOf(id, atMs),
      width,
      ...(atMs !== undefined ? { atMs } : {}),
      ...(fingerprint ? { fingerprint } : {}),
      ...(deps.deployWindowMs !== undefined ? { deployWindowMs: deps.deployWindowMs } : {}),
    });
    send(200, 'application/json', JSON.stringify(data));
    return true;
  }
  if (path.startsWith('/ui/assets/')) {
    const a = asset(path.slice('/ui/assets/'.length));
    if (!a) send(404, 'text/plain', 'not found\n');
    else send(200, a.type, a.body, { 'cache-control': 'max-age=300' });
    return true;
  }
  send(404, 'text/plain', 'not found: try /ui/\n');
  return true;
}
