// The live UI's HTML: the overview of every series (server-side filtered and paged) and the shell
// of a series page, whose charts the browser draws from /ui/api/series. Pure: strings in, HTML out.

import type { AlertInterval } from './history-store.js';
import { deployStart, esc, fmtAnomaly, fmtRate, fmtScore, isoTime } from './html.js';
import { seriesPageURL } from './links.js';
import { type OverviewPage, type OverviewQuery, STATE_FILTERS } from './overview-model.js';
import type { DeployRecord } from '../deploys/types.js';

function layout(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/ui/assets/uPlot.min.css"><link rel="stylesheet" href="/ui/assets/style.css">${head}
</head><body>
<header><h1><a href="/ui/">stormwatch</a></h1><span>${esc(title)}</span><span class="sw-muted"><a href="/metrics">/metrics</a> · <a href="/api/v1/alerts">/api/v1/alerts</a></span></header>
<main>${body}</main></body></html>
`;
}

function queryString(q: OverviewQuery, change: Partial<OverviewQuery>): string {
  const next = { ...q, ...change };
  const p = new URLSearchParams();
  if (next.q) p.set('q', next.q);
  if (next.state !== 'all') p.set('state', next.state);
  if (next.sort !== 'score') p.set('sort', next.sort);
  if (next.perPage !== 50) p.set('perPage', String(next.perPage));
  if (next.page > 1) p.set('page', String(next.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface OverviewView {
  page: OverviewPage;
  query: OverviewQuery;
  dataTimeMs: number;
  refreshSeconds: number;
  recentAlerts: AlertInterval[];
  recentDeploys: DeployRecord[];
}

/** Whether an alert was delivered when it fired, said before its summary (nothing when it was). */
function mutedNote(a: AlertInterval): string {
  if (!a.mutedBy?.length) return '';
  const by = esc(a.mutedBy.join(', '));
  return `<span class="sw-muted-alert">${a.releasedAtMs !== undefined ? `Muted when it fired (${by}), delivered at ${isoTime(a.releasedAtMs)}.` : `Muted (${by}): not delivered.`}</span> `;
}

export function overviewHtml(v: OverviewView): string {
  const { page, query } = v;
  const counts = Object.entries(page.counts)
    .map(([state, n]) => `<a href="${esc(queryString(query, { state: state as OverviewQuery['state'], page: 1 }))}"><span class="sw-state-${state}">${state}</span> ${n}</a>`)
    .join(' · ');
  const rows = page.rows
    .map(
      (r) => `<tr data-series="${esc(r.id)}"><td><a href="${esc(seriesPageURL('', r.id))}">${esc(r.id)}</a></td><td><span class="sw-state-${r.state}">${r.state}</span></td>` +
        `<td class="sw-anomaly">${fmtAnomaly(r.anomaly)}</td><td>${fmtScore(r.score)}</td><td>${esc(r.kind || '–')}</td><td>${fmtRate(r.requests)}</td>` +
        `<td>${r.lastDeploy ? `${esc(r.lastDeploy.version)} <span class="sw-verdict-${esc(r.lastDeploy.verdict)}">${esc(r.lastDeploy.verdict)}</span>` : '–'}</td></tr>`,
    )
    .join('\n');
  const options = STATE_FILTERS.map((s) => `<option${s === query.state ? ' selected' : ''}>${s}</option>`).join('');
  const pager =
    `<div class="sw-pager">${page.page > 1 ? `<a rel="prev" href="${esc(queryString(query, { page: page.page - 1 }))}">← previous</a>` : ''}` +
    `<span>page ${page.page} of ${page.pages} (${page.matched} of ${page.total} series)</span>` +
    `${page.page < page.pages ? `<a rel="next" href="${esc(queryString(query, { page: page.page + 1 }))}">next →</a>` : ''}</div>`;
  const alerts = v.recentAlerts
    .map((a) => `<tr><td class="sw-name">${a.seriesId !== undefined ? `<a href="${esc(seriesPageURL('', a.seriesId, a.startsAtMs, a.fingerprint))}">${esc(a.alertname)}</a>` : esc(a.alertname)}</td><td>${esc(a.seriesId ?? a.labels.service ?? '')}</td><td class="sw-time">${isoTime(a.startsAtMs)}</td><td class="sw-time">${a.endsAtMs !== undefined ? isoTime(a.endsAtMs) : 'firing'}</td><td>${mutedNote(a)}${esc(a.summary)}</td></tr>`)
    .join('\n');
  const deploys = v.recentDeploys
    .map((d) => `<tr><td class="sw-time">${deployStart(d)}</td><td class="sw-name">${esc(d.service)}</td><td>${esc(d.version)}</td><td class="sw-verdict-${esc(d.verdict)}">${esc(d.verdict)}</td><td>${esc(d.reasons.join('; '))}</td></tr>`)
    .join('\n');
  return layout(
    'signals and series',
    `<p class="sw-muted">Data time ${isoTime(v.dataTimeMs)} · ${counts}</p>
<form class="sw-filter" method="get" action="/ui/">
<input type="search" name="q" aria-label="filter: series or label value" placeholder="filter: series or label value" value="${esc(query.q)}" size="32">
<label>state <select name="state">${options}</select></label>
<label>sort <select name="sort"><option value="score"${query.sort === 'score' ? ' selected' : ''}>most anomalous</option><option value="id"${query.sort === 'id' ? ' selected' : ''}>name</option></select></label>
<button type="submit">filter</button></form>
<table class="sw-table" id="sw-overview"><tr><th>series</th><th>state</th><th title="how unusual this moment is, 0 to 1">anomaly</th><th title="the check score farthest from zero (robust z)">z</th><th>kind</th><th>requests</th><th>last deploy</th></tr>
${rows || '<tr><td colspan="7" class="sw-muted">no series match</td></tr>'}
</table>
${pager}
<h2>Recent alerts</h2>
<table class="sw-table"><tr><th>alert</th><th>series</th><th>starts</th><th>ends</th><th>summary</th></tr>${alerts || '<tr><td colspan="5" class="sw-muted">none</td></tr>'}</table>
<h2>Recent deploys</h2>
<table class="sw-table"><tr><th>started</th><th>service</th><th>version</th><th>verdict</th><th>why</th></tr>${deploys || '<tr><td colspan="5" class="sw-muted">none</td></tr>'}</table>`,
    // Reloaded while nobody is using the filter: a reload wiped what was being typed.
    `<noscript><meta http-equiv="refresh" content="${v.refreshSeconds}"></noscript>
<script>setInterval(function () { var f = document.querySelector('.sw-filter'); if (f && (f.contains(document.activeElement) || f.q.value !== f.q.defaultValue)) return; location.reload(); }, ${v.refreshSeconds * 1000});</script>`,
  );
}

export interface SeriesView {
  id: string;
  labels: Record<string, string>;
  atMs?: number;
  fingerprint?: string;
  refreshMs: number;
  /** Why there is nothing to chart, when there is not. */
  missing?: string;
}

export function seriesHtml(v: SeriesView): string {
  const labels = Object.entries(v.labels).map(([k, val]) => `${esc(k)}=<code>${esc(val)}</code>`).join(' ');
  const api = new URLSearchParams({ id: v.id });
  if (v.atMs !== undefined) api.set('at', String(v.atMs));
  if (v.fingerprint) api.set('fingerprint', v.fingerprint);
  const body = v.missing
    ? `<p class="sw-muted">${esc(v.missing)}</p>`
    : `<div id="sw-root" data-api="/ui/api/series?${esc(api.toString())}" data-refresh-ms="${v.refreshMs}" data-follow="${v.atMs === undefined ? '1' : '0'}"></div>
<p class="sw-muted">Drag across a chart to zoom, double-click to zoom out. ${v.atMs !== undefined ? `Opened at ${isoTime(v.atMs)} (dashed blue line); <a href="${esc(seriesPageURL('', v.id))}">follow live</a>.` : '<span id="sw-live">Following live.</span>'}</p>
<script src="/ui/assets/uPlot.iife.min.js"></script><script src="/ui/assets/series-charts.js"></script>
<script>
(function () {
  var root = document.getElementById('sw-root');
  var follow = root.dataset.follow === '1';
  var handle = null;
  function load() {
    var width = Math.max(320, root.clientWidth || 1000);
    return fetch(root.dataset.api + '&width=' + width).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (d) {
      if (!handle) handle = StormwatchCharts.render(root, d, { width: width });
      else handle.update(d, follow);
      window.__stormwatch = { data: d, handle: handle };
      failingSince = '';
      if (live) live.textContent = 'Following live.';
    }, function (error) {
      // Said, not thrown: the charts stay as last read, and the next refresh tries again.
      failingSince = failingSince || new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      if (live) live.textContent = 'Live updates failing since ' + failingSince + ' (' + error.message + '): the charts show data as last read; retrying.';
    });
  }
  var live = document.getElementById('sw-live');
  var failingSince = '';
  load().then(function () { if (follow) setInterval(load, Number(root.dataset.refreshMs) || 15000); });
})();
</script>`;
  return layout(v.id, `<h2>${esc(v.id)}</h2><p>${labels}</p>${body}`);
}
