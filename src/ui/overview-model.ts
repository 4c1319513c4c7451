// The overview page's rows: every series with its state, anomaly score, kind and last deploy
// verdict, filtered, sorted and paged on the server so thousands of series stay one small page. Pure.

import type { Labels } from '../core/types.js';
import type { DeployRecord } from '../deploys/types.js';
import type { AlertInterval } from './history-store.js';
import type { LatestRows } from './latest-rows.js';

export type SeriesState = 'firing' | 'pending' | 'surge' | 'ok' | 'unknown';
export const STATE_FILTERS = ['all', 'alerting', 'firing', 'pending', 'surge', 'ok', 'unknown'] as const;
export type StateFilter = (typeof STATE_FILTERS)[number];

export interface OverviewQuery {
  /** Case-insensitive substring of the series id or its labels' values. */
  q: string;
  state: StateFilter;
  sort: 'score' | 'id';
  page: number;
  perPage: number;
}

export interface OverviewRow {
  id: string;
  signal: string;
  labels: Labels;
  state: SeriesState;
  /** The check score farthest from zero now (signed robust z); NaN when none judged. */
  score: number;
  /** How unusual this moment is, in [0, 1] (the anomaly score); NaN when no check could judge it. */
  anomaly: number;
  /** The firing alert's name, or the incident kind stormwatch would name, or ''. */
  kind: string;
  requests: number;
  lastDeploy?: { id: string; version: string; verdict: string; startedAtMs: number };
}

export interface OverviewPage {
  rows: OverviewRow[];
  total: number;
  matched: number;
  page: number;
  pages: number;
  counts: Record<SeriesState, number>;
}

export interface OverviewInputs {
  latest: Pick<LatestRows, 'rows' | 'size'>;
  labelsOf: (id: string) => { signal: string; labels: Labels };
  openAlerts: Iterable<AlertInterval>;
  deploys: Iterable<DeployRecord>;
}

export function parseOverviewQuery(params: URLSearchParams): OverviewQuery {
  const state = params.get('state') ?? 'all';
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  const perPage = Number.parseInt(params.get('perPage') ?? '50', 10);
  return {
    q: (params.get('q') ?? '').trim(),
    state: (STATE_FILTERS as readonly string[]).includes(state) ? (state as StateFilter) : 'all',
    sort: params.get('sort') === 'id' ? 'id' : 'score',
    page: Number.isFinite(page) && page >= 1 ? page : 1,
    perPage: Number.isFinite(perPage) ? Math.min(500, Math.max(10, perPage)) : 50,
  };
}

export function overviewPage(inputs: OverviewInputs, query: OverviewQuery): OverviewPage {
  const firing = new Map<string, string>();
  for (const a of inputs.openAlerts) if (a.seriesId !== undefined && (a.severity !== 'info' || !firing.has(a.seriesId))) firing.set(a.seriesId, a.alertname);
  // The newest deploy of each service, and the newest of all (for series without a service label).
  const lastByService = new Map<string, DeployRecord>();
  let lastAny: DeployRecord | undefined;
  for (const d of inputs.deploys) {
    const prev = lastByService.get(d.service);
    if (!prev || d.startedAtMs > prev.startedAtMs) lastByService.set(d.service, d);
    if (!lastAny || d.startedAtMs > lastAny.startedAtMs) lastAny = d;
  }
  const needle = query.q.toLowerCase();
  const counts: Record<SeriesState, number> = { firing: 0, pending: 0, surge: 0, ok: 0, unknown: 0 };
  const rows: OverviewRow[] = [];
  for (const a of inputs.latest.rows()) {
    const id = a.id;
    const alert = firing.get(id);
    const state: SeriesState = alert !== undefined ? 'firing' : a.failing === true ? 'pending' : a.surge === true ? 'surge' : a.failing === false || a.surge === false ? 'ok' : 'unknown';
    counts[state]++;
    if (query.state === 'alerting' ? state !== 'firing' && state !== 'pending' : query.state !== 'all' && state !== query.state) continue;
    const { signal, labels } = inputs.labelsOf(id);
    if (needle && !id.toLowerCase().includes(needle) && !Object.values(labels).some((v) => v.toLowerCase().includes(needle))) continue;
    const deploy = labels.service !== undefined ? lastByService.get(labels.service) : lastAny;
    rows.push({
      id,
      signal,
      labels,
      state,
      score: a.score,
      anomaly: a.anomaly,
      kind: alert ?? (a.failing === true ? a.kind : a.surge === true ? 'organic_surge' : ''),
      requests: a.requests,
      ...(deploy ? { lastDeploy: { id: deploy.id, version: deploy.version, verdict: deploy.verdict, startedAtMs: deploy.startedAtMs } } : {}),
    });
  }
  const rank: Record<SeriesState, number> = { firing: 0, pending: 1, surge: 2, unknown: 3, ok: 4 };
  const abs = (x: number) => (Number.isFinite(x) ? Math.abs(x) : -1);
  const known = (x: number) => (Number.isFinite(x) ? x : -1);
  // Most anomalous: by state, then by the anomaly score (one scale for every check and series),
  // then by the largest check score.
  rows.sort(query.sort === 'id' ? (x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0) : (x, y) => rank[x.state] - rank[y.state] || known(y.anomaly) - known(x.anomaly) || abs(y.score) - abs(x.score) || (x.id < y.id ? -1 : 1));
  const pages = Math.max(1, Math.ceil(rows.length / query.perPage));
  const page = Math.min(query.page, pages);
  return { rows: rows.slice((page - 1) * query.perPage, page * query.perPage), total: inputs.latest.size, matched: rows.length, page, pages, counts };
}
