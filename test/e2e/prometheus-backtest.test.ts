// End to end with a real Prometheus: backfill the 2023-07-20 scenario with promtool, backtest it
// through the Prometheus API with the CLI, and compare with the replay of the same file; and the
// negative scenarios whose trouble is in the data itself (rolling restarts, scrape gaps) page nobody.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { runCli } from '../helpers/cli.js';
import { brief, replayConfig, replayTransitions, scenarioFile, scenarioLabels } from '../helpers/scenarios.js';
import { runBacktest } from '../../src/runner/backtest.js';
import { silentLogger } from '../../src/core/log.js';
import type { AlertTransition } from '../../src/core/types.js';
import { counterQuery } from '../../src/source/counter-query.js';

const SCENARIO = 'crates-2023-07-20-broken-redirect';
const FROM = '2023-07-20T07:00:00Z';
const TO = '2023-07-20T13:30:00Z';

describe('backtest against a real Prometheus', () => {
  let prometheus: RunningPrometheus;
  let configFile: string;

  beforeAll(async () => {
    prometheus = await startPrometheus({ backfill: scenarioFile(SCENARIO) });
    configFile = join(mkdtempSync(join(tmpdir(), 'stormwatch-e2e-')), 'config.yaml');
    writeFileSync(
      configFile,
      `interval: 15s
source:
  prometheus:
    url: ${prometheus.url}
    warmup: 1h
signals:
  - name: crate-downloads
    labels: { service: crates-io }
    requests: 'crates_api_requests_total{route="download"}'
    errors: 'crates_api_requests_total{route="download",code=~"5.."}'
    downstream: 'static_requests_total{code="200"}'
alerting:
  labels: { team: crates-io }
deploys:
  markers:
    - name: build
      service: crates-io
      query: 'crates_build_info'
      label: version
`,
    );
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('fires within 2 minutes of the fault, resolves after it, and prints one JSON line per transition', async () => {
    const result = await runCli(['backtest', '--config', configFile, '--from', FROM, '--to', TO]);
    expect(result.code, result.stderr).toBe(0);
    // As `run` does at a start: the week before the warm-up read into the seasonal profiles.
    const seasonal = result.stderr.split('\n').filter((l) => l.includes('seasonal profiles warmed from history')).map((l) => JSON.parse(l) as Record<string, any>);
    expect(seasonal, result.stderr).toHaveLength(1);
    expect(seasonal[0]!.toMs).toBeLessThan(Date.parse(FROM) - 3_600_000);
    expect(seasonal[0]!.frames).toBeGreaterThan(2000);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const fault = scenarioLabels(SCENARIO).faults[0]!;
    const firing = lines.find((l) => l.status === 'firing' && l.labels.alertname === 'StormwatchRetryStorm')!;
    expect(firing).toBeDefined();
    // The documented fields; and, as `run` would, marked muted: the deploy's DeployRegression fired in
    // the same tick and inhibits it (the default rule), so the deploy alert is the page.
    expect(Object.keys(firing)).toEqual(['status', 'labels', 'annotations', 'startsAt', 'evaluatedAt', 'fingerprint', 'delivered', 'mutedBy']);
    expect(firing).toMatchObject({ delivered: false, mutedBy: [expect.stringMatching(/^inhibited by StormwatchDeployRegression\{service="crates-io"/)] });
    const deployAlert = lines.find((l) => l.status === 'firing' && l.labels.alertname === 'StormwatchDeployRegression')!;
    expect(Object.keys(deployAlert)).toEqual(['status', 'labels', 'annotations', 'startsAt', 'evaluatedAt', 'fingerprint']);
    expect(firing.labels).toMatchObject({ signal: 'crate-downloads', severity: 'critical', service: 'crates-io', team: 'crates-io' });
    // Classified on the first tick of evidence, 11 s into the fault: retries already more than
    // double the attempts. The client named then is provisional (cargo's last retry, about 11 s
    // after the first try, is still on its way); the updates of the same alert that follow name
    // cargo once its ramp is seen.
    expect(Number(firing.annotations.multiplier_low)).toBeGreaterThan(1.5);
    const updates = lines.filter((l) => l.status === 'firing' && l.fingerprint === firing.fingerprint && l.update !== undefined);
    expect(updates.length).toBeGreaterThan(0);
    // The first update, within a minute of the page (later ones follow the recovery at 12:30).
    expect(updates[0]!.annotations.client_model).toBe('cargo');
    expect(Date.parse(updates[0]!.evaluatedAt) - Date.parse(firing.evaluatedAt)).toBeLessThanOrEqual(60_000);
    const delayS = (Date.parse(firing.evaluatedAt) - Date.parse(fault.startsAt)) / 1000;
    expect(delayS).toBeGreaterThan(0);
    expect(delayS).toBeLessThanOrEqual(120);
    const resolved = lines.find((l) => l.status === 'resolved' && l.fingerprint === firing.fingerprint)!;
    expect(Date.parse(resolved.evaluatedAt)).toBeGreaterThanOrEqual(Date.parse(fault.endsAt));
    // Nothing pages before the fault.
    expect(lines.filter((l) => l.status === 'firing' && l.labels.severity !== 'info' && Date.parse(l.evaluatedAt) < Date.parse(fault.startsAt))).toEqual([]);
  });

  it('reads deploys from a build-info metric in Prometheus and fails the bad one within 60 s, naming it', async () => {
    const result = await runCli(['backtest', '--config', configFile, '--from', FROM, '--to', TO]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const deployAlerts = lines.filter((l) => l.labels.alertname === 'StormwatchDeployRegression');
    // Only the 12:17 deploy regressed (the 08:40 one passed); the rollback at 12:30 resolves it.
    expect(deployAlerts.map((l) => [l.status, l.labels.version, l.annotations.deployed_at])).toEqual([
      ['firing', '1.102.0', '2023-07-20T12:17:00.000Z'],
      ['resolved', '1.102.0', '2023-07-20T12:17:00.000Z'],
    ]);
    expect(Date.parse(deployAlerts[0]!.evaluatedAt) - Date.parse('2023-07-20T12:17:00Z')).toBeLessThanOrEqual(60_000);
    // With the storm's own numbers as it read when the deploy failed (the deploy's page inhibits the storm's).
    expect(deployAlerts[0]!.annotations.summary).toMatch(/^deploy 1\.102\.0 of crates-io regressed: StormwatchRetryStorm on crate-downloads since 2023-07-20T12:17:15\.000Z \(crate-downloads: retry storm, requests [\d.]+x baseline while [\d.]+% of attempts fail/);
  });

  it('gives the same alerts as replaying the same file', async () => {
    const fromMs = Date.parse(FROM);
    const toMs = Date.parse(TO);
    const viaPrometheus: AlertTransition[] = [];
    const base = replayConfig(SCENARIO);
    const config = {
      ...base,
      source: { kind: 'prometheus' as const, url: prometheus.url, timeoutMs: 30_000, warmupMs: 3_600_000, http: { headers: {} } },
      deploys: { ...base.deploys!, markers: base.deploys!.markers.map((m) => ({ ...m, query: 'crates_build_info' })) },
    };
    for (const s of config.signals) for (const spec of Object.values(s.inputs)) spec.query = counterQuery(spec.selector!.text, 'irate', 60_000, 15_000);
    await runBacktest(config, { fromMs, toMs, logger: silentLogger, onTransition: (t) => viaPrometheus.push(t) });
    const viaReplay: AlertTransition[] = [];
    await runBacktest(replayConfig(SCENARIO), { fromMs, toMs, logger: silentLogger, onTransition: (t) => viaReplay.push(t) });
    expect(viaReplay.length).toBeGreaterThan(0);
    // The same alerts fire at the same data times. Resolutions may differ by two ticks: the rollback
    // at 12:30 restarts every pod mid-storm, and the two sources estimate a restarted pod's requests
    // from different pasts (the replay from the last tick, the PromQL from two ticks back, the change
    // of load since held to 0.5-2x).
    // (Updates of a firing alert follow the estimate, which those restarts move a little: the
    // pages are compared, and the client each source's first update names.)
    const firings = (ts: AlertTransition[]) => ts.filter((t) => t.status === 'firing' && t.update === undefined).map(brief);
    expect(firings(viaPrometheus)).toEqual(firings(viaReplay));
    const firstUpdate = (ts: AlertTransition[]) => ts.find((t) => t.status === 'firing' && t.update !== undefined && t.labels.alertname === 'StormwatchRetryStorm')?.annotations.client_model;
    expect(firstUpdate(viaPrometheus)).toBe('cargo');
    expect(firstUpdate(viaReplay)).toBe('cargo');
    const resolutions = (ts: AlertTransition[]) => ts.filter((t) => t.status === 'resolved');
    expect(resolutions(viaPrometheus).map((t) => t.fingerprint)).toEqual(resolutions(viaReplay).map((t) => t.fingerprint));
    resolutions(viaPrometheus).forEach((t, i) => expect(Math.abs(t.evaluatedAtMs - resolutions(viaReplay)[i]!.evaluatedAtMs)).toBeLessThanOrEqual(30_000));
    expect((await replayTransitions(replayConfig(SCENARIO))).map(brief)).toEqual(viaReplay.map(brief));
  });
});

/** A bundled scenario's replay config read from a Prometheus it was backfilled into, each input by `query`. */
function throughPrometheus(name: string, url: string, query: (selector: string) => string) {
  const config = { ...replayConfig(name), source: { kind: 'prometheus' as const, url, timeoutMs: 30_000, warmupMs: 3_600_000, http: { headers: {} } } };
  for (const s of config.signals) for (const spec of Object.values(s.inputs)) spec.query = query(spec.selector!.text);
  return config;
}

describe('a rolling restart of the downstream pods through a real Prometheus', () => {
  const NAME = 'rolling-restart-static';
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    prometheus = await startPrometheus({ backfill: scenarioFile(NAME) });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('pages nobody: restarted pods count their rate from before the restart, not their new value', async () => {
    const labels = scenarioLabels(NAME);
    const config = { ...throughPrometheus(NAME, prometheus.url, (selector) => counterQuery(selector, 'irate', 60_000, 15_000)), deploys: undefined };
    const viaPrometheus: AlertTransition[] = [];
    const fromMs = Date.parse(labels.startsAt!) + 3_600_000;
    await runBacktest(config, { fromMs, toMs: Date.parse(labels.endsAt!), logger: silentLogger, onTransition: (t) => viaPrometheus.push(t) });
    expect(viaPrometheus.filter((t) => t.status === 'firing' && t.labels.severity !== 'info').map(brief)).toEqual([]);
    // The plain sum(irate(...)) would have read each restart as lost completions.
    for (const s of config.signals) for (const spec of Object.values(s.inputs)) spec.query = `sum(irate(${spec.selector!.text}[60s]))`;
    const naive: AlertTransition[] = [];
    await runBacktest(config, { fromMs, toMs: Date.parse(labels.endsAt!), logger: silentLogger, onTransition: (t) => naive.push(t) });
    expect(naive.filter((t) => t.status === 'firing' && t.labels.severity !== 'info').length).toBeGreaterThan(0);
  });
});

describe('missed scrapes and unreadable request lines through a real Prometheus', () => {
  const NAME = 'scrape-gaps';
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    prometheus = await startPrometheus({ backfill: scenarioFile(NAME) });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('pages nobody and passes the deploy: a missed scrape, a 3-scrape gap and missing request lines are no data, not zero traffic', async () => {
    const labels = scenarioLabels(NAME);
    // The shortest window irate can read (two scrapes): the 3-scrape gap leaves ticks with no answer.
    const config = throughPrometheus(NAME, prometheus.url, (selector) => counterQuery(selector, 'irate', 30_000, 15_000));
    const transitions: AlertTransition[] = [];
    const summary = await runBacktest(config, { fromMs: Date.parse(labels.startsAt!) + 3_600_000, toMs: Date.parse(labels.endsAt!), logger: silentLogger, onTransition: (t) => transitions.push(t) });
    // Two hours of 15 s ticks, every one evaluated.
    expect(summary.frames).toBe(481);
    expect(transitions.filter((t) => t.status === 'firing' && t.labels.severity !== 'info').map(brief)).toEqual([]);
    // The scenario's deploy (read from its build-info marker), whose window holds the 3-scrape gap,
    // is judged on the data there is: it passes.
    expect(summary.deploys.map((d) => [new Date(d.startedAtMs).toISOString(), d.verdict])).toEqual([['2023-07-26T09:58:00.000Z', 'pass']]);
  });
});
