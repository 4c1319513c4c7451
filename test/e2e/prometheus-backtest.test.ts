// End to end with a real Prometheus: backfill the 2023-07-20 scenario with promtool, backtest it
// through the Prometheus API with the CLI, and compare with the replay of the same file.

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
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const fault = scenarioLabels(SCENARIO).faults[0]!;
    const firing = lines.find((l) => l.status === 'firing' && l.labels.alertname === 'StormwatchRetryStorm')!;
    expect(firing).toBeDefined();
    expect(Object.keys(firing)).toEqual(['status', 'labels', 'annotations', 'startsAt', 'evaluatedAt', 'fingerprint']);
    expect(firing.labels).toMatchObject({ signal: 'crate-downloads', severity: 'critical', service: 'crates-io', team: 'crates-io' });
    // Classified and explained: cargo's retries, about 4 attempts per download.
    expect(firing.annotations.client_model).toBe('cargo');
    expect(Math.abs(Number(firing.annotations.attempts_per_request) - fault.attemptsPerLogicalRequest) / fault.attemptsPerLogicalRequest).toBeLessThan(0.15);
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
    expect(deployAlerts[0]!.annotations.summary).toBe('deploy 1.102.0 of crates-io regressed: StormwatchRetryStorm on crate-downloads since 2023-07-20T12:17:15.000Z');
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
    for (const s of config.signals) for (const spec of Object.values(s.inputs)) spec.query = `sum(irate(${spec.selector!.text}[60s]))`;
    await runBacktest(config, { fromMs, toMs, logger: silentLogger, onTransition: (t) => viaPrometheus.push(t) });
    const viaReplay: AlertTransition[] = [];
    await runBacktest(replayConfig(SCENARIO), { fromMs, toMs, logger: silentLogger, onTransition: (t) => viaReplay.push(t) });
    expect(viaReplay.length).toBeGreaterThan(0);
    expect(viaPrometheus.map(brief)).toEqual(viaReplay.map(brief));
    expect((await replayTransitions(replayConfig(SCENARIO))).map(brief)).toEqual(viaReplay.map(brief));
  });
});
