// Renders a backtest report as one self-contained HTML file: uPlot, the chart script, the
// stylesheet and the data are inlined, so it opens offline and requests nothing. Pure.

import { deployStart, esc, isoTime, jsonForScript } from '../ui/html.js';
import type { ReportModel } from './report-model.js';

export interface ReportAssets {
  uplotJs: string;
  uplotCss: string;
  chartsJs: string;
  css: string;
}

function fmtDelay(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A section's id: every character but letters, digits and '-' written as '_' and four hex digits, so two ids never meet ('a/b' and 'a_2fb' did). */
export function anchor(id: string): string {
  return `series-${id.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
}

/** Inline <script> text may not contain "</script": split it (harmless in JS strings and regexes). */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

export function reportHtml(m: ReportModel, assets: ReportAssets): string {
  const s = m.summary;
  const list = (rec: Record<string, number>) => (Object.keys(rec).length === 0 ? 'none' : Object.entries(rec).map(([k, v]) => `${esc(k)} ${v}`).join(', '));
  // Only charted series have a section to go to (a report charts a bounded number).
  const charted = new Set(m.series.map((d) => d.id));
  const alertRows = m.alerts
    .map(
      (a) =>
        `<tr data-fingerprint="${esc(a.fingerprint)}"><td class="sw-name">${a.seriesId !== null && charted.has(a.seriesId) ? `<a class="sw-goto" href="#${anchor(a.seriesId)}" data-series="${esc(a.seriesId)}" data-from="${a.startsAtMs}" data-to="${a.endsAtMs ?? m.toMs}">${esc(a.alertname)}</a>` : esc(a.alertname)}</td>` +
        `<td>${esc(a.severity)}</td><td>${esc(a.seriesId ?? '')}</td><td class="sw-time">${isoTime(a.startsAtMs)}</td><td class="sw-time">${isoTime(a.firedAtMs)}</td><td class="sw-time">${a.endsAtMs !== null ? isoTime(a.endsAtMs) : 'still firing'}</td>` +
        `<td class="sw-delay">${fmtDelay(a.delaySeconds)}</td><td>${esc(a.delayFrom)}</td><td>${a.mutedBy.length > 0 ? `<span class="sw-muted">${a.releasedAtMs !== null ? `muted when it fired (${esc(a.mutedBy.join('; '))}); delivered at ${isoTime(a.releasedAtMs)}, when that ended` : `not delivered: ${esc(a.mutedBy.join('; '))}`}</span><br>` : ''}${esc(a.summary)}</td></tr>`,
    )
    .join('\n');
  const deployRows = m.deploys
    .map(
      (d) =>
        `<tr><td class="sw-time">${deployStart(d)}</td><td class="sw-name">${esc(d.service)}</td><td>${esc(d.version)}</td><td>${esc(d.source)}${d.labelled ? ' (labelled)' : ''}</td>` +
        `<td class="sw-verdict-${esc(d.verdict)}">${esc(d.verdict)}</td><td>${d.decidedAfterSeconds !== null ? fmtDelay(d.decidedAfterSeconds) : '–'}</td><td>${esc(d.reasons.join('; '))}</td>` +
        `<td>${d.evidence.map((e) => `${esc(e.signal || 'probe')} ${esc(e.metric)}: ${esc(e.detail)}`).join('<br>') || '–'}</td></tr>`,
    )
    .join('\n');
  const sections = m.series
    .map((d, i) => `<section class="sw-report-series" id="${anchor(d.id)}"><h2>${esc(d.id)}</h2><p class="sw-muted">${Object.entries(d.labels).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(' ')} · ${d.points} ticks, ${d.t.length} points drawn</p>` +
      `<div class="sw-report-charts" data-index="${i}"></div><script type="application/json" id="sw-data-${i}">${jsonForScript(d)}</script></section>`)
    .join('\n');
  const faults = m.labels?.faults.map((f) => `${esc(f.kind)} ${isoTime(f.startsAtMs)} .. ${isoTime(f.endsAtMs)}`).join('; ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(m.title)}</title>
<style>${assets.uplotCss}</style><style>${assets.css}</style>
</head><body>
<header><h1>stormwatch backtest</h1><span>${esc(m.title)}</span></header>
<main>
<p>Input <code>${esc(m.input)}</code>, ${isoTime(m.fromMs)} .. ${isoTime(m.toMs)} (${s.ticks} ticks, ${s.series} series). Generated ${isoTime(m.generatedAtMs)}.
${m.labels ? `Labels from <code>${esc(m.labels.file)}</code>${faults ? `: ${faults}` : ''}.` : 'No labelled incident windows for this input.'}</p>
<p>Alerts fired: ${list(s.alertsByKind)}${Object.keys(s.alertsMuted).length > 0 ? `; muted when they fired, not delivered: ${list(s.alertsMuted)}${s.alertsReleased > 0 ? ` (of which delivered later, their muting over while they still fired: ${s.alertsReleased})` : ''}` : ''}. Deploys: ${m.deploys.length} (${list(s.deploysByVerdict)}). Data quality: ${s.dataProblems.fileLinesSkipped} input line(s) skipped, ${s.dataProblems.gapTicks} series-tick(s) without data, ${s.dataProblems.unjudgedTicks} series-tick(s) no check could judge.</p>
<h2>Alerts</h2>
<table class="sw-table" id="sw-alerts"><tr><th>alert</th><th>severity</th><th>series</th><th>starts</th><th>fired</th><th>ends</th><th>delay</th><th>delay from</th><th>summary</th></tr>
${alertRows || '<tr><td colspan="9" class="sw-muted">no alerts</td></tr>'}</table>
<h2>Deploys</h2>
<table class="sw-table" id="sw-deploys"><tr><th>started</th><th>service</th><th>version</th><th>source</th><th>verdict</th><th>decided after</th><th>why</th><th>evidence</th></tr>
${deployRows || '<tr><td colspan="8" class="sw-muted">no deploys</td></tr>'}</table>
<h2>Series</h2>
<p class="sw-muted">${esc(m.seriesNote)} Shaded: alert intervals; dashed lines: deploys (green pass, red fail). Drag to zoom, double-click to zoom out; an alert's name zooms to it. Far from alerts and deploys each point is one pixel column's min and max.</p>
${sections}
<h2>Configuration</h2>
<p><code>${esc(m.configFile)}</code></p>
<pre class="sw-config">${esc(m.configText)}</pre>
</main>
<script>${inlineScript(assets.uplotJs)}</script>
<script>${inlineScript(assets.chartsJs)}</script>
<script>
(function () {
  var handles = {};
  document.querySelectorAll('.sw-report-charts').forEach(function (root) {
    var i = root.dataset.index;
    var d = JSON.parse(document.getElementById('sw-data-' + i).textContent);
    handles[d.id] = StormwatchCharts.render(root, d, { syncKey: 'sw-' + i });
  });
  document.querySelectorAll('a.sw-goto').forEach(function (a) {
    a.addEventListener('click', function () {
      var h = handles[a.dataset.series];
      if (h) h.zoomTo(Number(a.dataset.from) - 600000, Number(a.dataset.to) + 600000);
    });
  });
  window.__stormwatch = { handles: handles, ready: true };
})();
</script>
</body></html>
`;
}
