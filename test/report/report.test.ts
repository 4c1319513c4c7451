// The report of the 2023-07-20 scenario, built from a real backtest: delays from the labelled
// fault, deploy verdicts, chart data for the series that alerted, and nothing fetched from outside.

import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import type { AlertTransition } from '../../src/core/types.js';
import { anchor, reportHtml } from '../../src/report/report-html.js';
import { reportModel } from '../../src/report/report-model.js';
import { labelsBeside } from '../../src/report/scenario-labels.js';
import { SummaryCounter, alertKey, summaryNumbers } from '../../src/report/summary.js';
import { runBacktest } from '../../src/runner/backtest.js';
import { assetText } from '../../src/ui/assets.js';
import { HistoryStore } from '../../src/ui/history-store.js';
import { replayConfig, scenarioFile } from '../helpers/scenarios.js';

describe('backtest report', () => {
  it('measures delays from the labelled fault, lists every deploy, charts the series that alerted', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const counter = new SummaryCounter();
    const transitions: AlertTransition[] = [];
    const bt = await runBacktest(config, { logger: silentLogger, keepHistory: true, onTick: (r) => counter.add(r), onTransition: (t) => transitions.push(t) });
    const labels = labelsBeside(scenarioFile('crates-2023-07-20-broken-redirect'));
    expect(labels?.faults).toHaveLength(1);
    const model = reportModel({
      title: 't', input: 'in', fromMs: bt.fromMs, toMs: bt.toMs, generatedAtMs: 0, history: bt.history!, deploys: bt.deploys, labels,
      summary: summaryNumbers({ counter, deploys: bt.deploys, dataProblems: bt.dataProblems, fromMs: bt.fromMs, toMs: bt.toMs }), configFile: 'c.yaml', configText: 'interval: 15s',
      // As if a silence had held the storm until 12:30 (the backtest's own count of what muted what).
      mutedBy: new Map(transitions.filter((t) => t.labels.alertname === 'StormwatchRetryStorm').map((t) => [alertKey(t.fingerprint, t.startsAtMs), ['silence s1']])),
      releasedAt: new Map(transitions.filter((t) => t.labels.alertname === 'StormwatchRetryStorm').map((t) => [alertKey(t.fingerprint, t.startsAtMs), Date.parse('2023-07-20T12:30:00Z')])),
    });
    const storm = model.alerts.find((a) => a.alertname === 'StormwatchRetryStorm')!;
    expect(storm.seriesId).toBe('crate-downloads');
    // The delay is the firing's data time less the labelled fault's start, as the backtest saw it.
    const firing = transitions.find((t) => t.status === 'firing' && t.labels.alertname === 'StormwatchRetryStorm')!;
    expect(storm.delaySeconds).toBe((firing.evaluatedAtMs - labels!.faults[0]!.startsAtMs) / 1000);
    expect(storm.delayFrom).toContain('broken-redirect fault at 2023-07-20T12:17:04Z');
    expect(model.deploys.map((d) => `${d.version} ${d.verdict} ${d.labelled}`)).toEqual(['1.101.0 pass true', '1.102.0 fail true', '1.103.0 pass true']);
    expect(model.series.map((s) => s.id)).toEqual(['crate-downloads']);
    const chart = model.series[0]!;
    expect(chart.points).toBe(1801);
    expect(Math.max(...chart.amp.map((v) => v ?? 0))).toBeGreaterThan(3.5);
    // Its chart's alert table says what muted it and when it went out, as the alerts table does.
    const charted = chart.alerts.find((a) => a.alertname === 'StormwatchRetryStorm')!;
    expect(storm.mutedBy).toEqual(['silence s1']);
    expect(charted.mutedBy).toEqual(['silence s1']);
    expect(charted.releasedAtMs).toBe(Date.parse('2023-07-20T12:30:00Z'));

    const html = reportHtml(model, { uplotJs: assetText('uPlot.iife.min.js'), uplotCss: assetText('uPlot.min.css'), chartsJs: assetText('series-charts.js'), css: assetText('style.css') });
    // Self-contained: no element loads anything from a URL.
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)=/i);
    expect(html).toContain("default-src 'none'");
    expect(html.match(/<script/g)!.length).toBe(4);
    // The alert links to its series' section, which is there.
    expect(html).toContain(`href="#${anchor('crate-downloads')}"`);
    expect(html).toContain(`id="${anchor('crate-downloads')}"`);
    // An alert of a series the report does not chart is named without a link to nowhere.
    const uncharted = reportHtml({ ...model, series: [] }, { uplotJs: '', uplotCss: '', chartsJs: '', css: '' });
    expect(uncharted).not.toContain('class="sw-goto"');
    expect(uncharted).toContain('StormwatchRetryStorm');
  }, 60_000);

  it('explains a series whose alert still fires at the end by what the alert says, as the live UI does', () => {
    const history = new HistoryStore({ capacity: 10, eagerSeries: 10, maxSeries: 10, zThreshold: 4, signals: [{ name: 'dl', by: [], labels: {} }] });
    const tick = (timeMs: number, explanation: string) =>
      history.record({
        timeMs,
        transitions: [],
        signals: new Map([['dl', { sample: { requests: 100, errors: 0, downstream: 100 }, evaluations: [], assessment: { failing: false, surge: true, kind: 'error_regression', settled: true, completion: 1, completionBaseline: 1, errorRatio: 0, errorRatioBaseline: 0, requests: 100, requestsBaseline: 50, explanation } }]]),
        deploys: [],
      });
    tick(1000, 'dl: retry storm');
    history.addTransitions([{ labels: { alertname: 'StormwatchRetryStorm', signal: 'dl', severity: 'critical' }, fingerprint: 'fp', startsAtMs: 1000, status: 'firing', annotations: { summary: 's', description: 'dl: retry storm, cargo retrying' }, evaluatedAtMs: 1000 }]);
    // The failure over, the storm's alert held by keepFiringFor: the last tick reads as a surge.
    tick(2000, 'dl: more demand, served fine');
    const model = reportModel({
      title: 't', input: 'in', fromMs: 0, toMs: 2000, generatedAtMs: 0, history, deploys: [], configFile: 'c.yaml', configText: '',
      summary: summaryNumbers({ counter: new SummaryCounter(), deploys: [], dataProblems: 0, fromMs: 0, toMs: 2000 }),
    });
    expect(model.series[0]!.explanation).toEqual({ atMs: 1000, text: 'dl: retry storm, cargo retrying', current: true });
  });

  it("dates a marker's deploy first seen after a gap in its data by both its looks", () => {
    const history = new HistoryStore({ capacity: 10, eagerSeries: 10, maxSeries: 10, zThreshold: 4, signals: [{ name: 'dl', by: [], labels: {} }] });
    const seenLate = { id: 'crates-io-900000', service: 'crates-io', version: '1.102.0', environment: 'production', startedAtMs: 900_000, startedAfterMs: 60_000, source: 'marker' as const, verdict: 'pending' as const, windowEndsAtMs: 2_700_000, reasons: [], evidence: [] };
    const onTime = { ...seenLate, id: 'crates-io-960000', version: '1.103.0', startedAtMs: 960_000, startedAfterMs: undefined };
    const input = { title: 't', input: 'in', fromMs: 0, toMs: 1_000_000, generatedAtMs: 0, history, deploys: [seenLate, onTime], configFile: 'c.yaml', configText: '' };
    const model = reportModel({ ...input, summary: summaryNumbers({ counter: new SummaryCounter(), deploys: input.deploys, dataProblems: 0, fromMs: 0, toMs: 1_000_000 }) });
    expect(model.deploys.map((d) => [d.version, d.startedAfterMs])).toEqual([
      ['1.102.0', 60_000],
      ['1.103.0', undefined],
    ]);
    const html = reportHtml(model, { uplotJs: '', uplotCss: '', chartsJs: '', css: '' });
    expect(html).toContain('<td class="sw-time">1970-01-01T00:15:00Z<br><span class="sw-muted">first seen then, after a gap in its data: began after 1970-01-01T00:01:00Z</span></td><td class="sw-name">crates-io</td><td>1.102.0</td>');
    expect(html).toContain('<td class="sw-time">1970-01-01T00:16:00Z</td><td class="sw-name">crates-io</td><td>1.103.0</td>');
  });

  it('gives every series id its own section id: escapes never meet an id that looks like one', () => {
    const ids = ['a/b', 'a_2fb', 'a_002fb', 'a_b', 'a_5fb', 'é', 'e9', '_00e9', 'x y', 'x_y'];
    const anchors = ids.map(anchor);
    expect(new Set(anchors).size).toBe(ids.length);
    for (const a of anchors) expect(a).toMatch(/^series-[A-Za-z0-9_-]+$/);
  });
});
