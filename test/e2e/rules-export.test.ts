// The rules export against a real Prometheus: `stormwatch rules` output passes `promtool check
// rules`, and loaded into Prometheus it fires StormwatchRetryStorm within 2 minutes of the fault of
// the 2023-07-20 scenario. The scenario is moved in time so that its fault starts 45 s after the
// test: the hours before now are backfilled with promtool, the rest is served live by a local
// target (counters interpolated between the scenario's 15 s snapshots) that Prometheus scrapes.

import { execFile } from 'node:child_process';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import { seriesKey } from '../../src/series/series-key.js';
import { toOpenMetrics } from '../../scripts/sim/openmetrics-writer.js';
import type { Snapshot } from '../../scripts/sim/simulate.js';
import { readReplayFile } from '../../src/source/replay-source.js';
import { FAMILIES } from '../../scripts/generate-fixtures-families.js';
import { runCli } from '../helpers/cli.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { scenarioFile, scenarioLabels } from '../helpers/scenarios.js';

const run = promisify(execFile);
const SCENARIO = 'crates-2023-07-20-broken-redirect';
const CONFIG = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');

/** The value of every series at time t: counters interpolated between snapshots (a reset counts from 0). */
function interpolate(snapshots: Snapshot[], t: number): Snapshot['samples'] {
  let i = snapshots.findIndex((s) => s.timeMs > t);
  if (i <= 0) i = snapshots.length - 1;
  const a = snapshots[i - 1]!;
  const b = snapshots[i]!;
  const f = Math.min(1, Math.max(0, (t - a.timeMs) / (b.timeMs - a.timeMs)));
  const before = new Map(a.samples.map((s) => [seriesKey(s.name, s.labels), s.value]));
  return b.samples.map((s) => {
    if (s.name === 'crates_build_info') return f < 1 && before.has(seriesKey(s.name, s.labels)) ? s : { ...s, value: 1 };
    const prev = before.get(seriesKey(s.name, s.labels)) ?? 0;
    const value = s.value >= prev ? prev + (s.value - prev) * f : s.value * f;
    return { ...s, value: Math.floor(value) };
  });
}

describe('exported Prometheus rules', () => {
  let prometheus: RunningPrometheus | undefined;
  let target: Server | undefined;
  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
  });

  it('pass promtool check rules', async () => {
    const r = await runCli(['rules', '--config', CONFIG]);
    expect(r.code, r.stderr).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-rules-')), 'rules.yml');
    writeFileSync(file, r.stdout);
    const check = await run('promtool', ['check', 'rules', file]);
    expect(check.stdout).toContain('SUCCESS: 11 rules found');
  });

  it('fire StormwatchRetryStorm in a real Prometheus within 2 minutes of the fault', async () => {
    const rules = (await runCli(['rules', '--config', CONFIG])).stdout;
    const faultStartMs = Date.parse(scenarioLabels(SCENARIO).faults[0]!.startsAt);
    const t0 = Date.now();
    const shiftMs = t0 + 45_000 - faultStartMs;
    const snapshots: Snapshot[] = readReplayFile(scenarioFile(SCENARIO)).snapshots.map(([timeMs, samples]) => ({ timeMs: timeMs + shiftMs, samples }));
    // History: whole snapshots up to a minute ago, backfilled; the live target takes over from there.
    const history = snapshots.filter((s) => s.timeMs <= t0 - 60_000);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-shifted-'));
    writeFileSync(join(dir, 'history.om'), toOpenMetrics(history, FAMILIES));
    target = createServer((_, res) => {
      const samples = interpolate(snapshots, Date.now());
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(samples.map((s) => `${seriesKey(s.name, s.labels)} ${s.value}`).join('\n') + '\n');
    });
    await new Promise<void>((resolve) => target!.listen(0, '127.0.0.1', resolve));
    prometheus = await startPrometheus({
      backfill: join(dir, 'history.om'),
      rules,
      scrapeTargets: [`127.0.0.1:${(target.address() as AddressInfo).port}`],
      scrapeInterval: '5s',
      dropTargetLabels: true,
    });
    const faultAtMs = faultStartMs + shiftMs;
    // The target interpolates between the 15 s snapshots, so the fault shows from the last snapshot
    // before it on (12:17:00, four seconds before the fault): the rules may rightly fire from then.
    let faultShowsAtMs = Number.NEGATIVE_INFINITY;
    for (const s of snapshots) if (s.timeMs <= faultAtMs && s.timeMs > faultShowsAtMs) faultShowsAtMs = s.timeMs;
    let firedAtMs = Number.NaN;
    while (Date.now() < faultAtMs + 150_000) {
      const res = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
      const storm = res.data.alerts.find((a) => a.labels.alertname === 'StormwatchRetryStorm' && a.state === 'firing');
      if (storm) {
        firedAtMs = Date.now();
        expect(storm.labels).toMatchObject({ signal: 'crate-downloads', severity: 'critical' });
        break;
      }
      // Nothing pages before the fault shows.
      if (Date.now() < faultShowsAtMs) expect(res.data.alerts.filter((a) => a.state === 'firing' && a.labels.severity !== 'info')).toEqual([]);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(firedAtMs - faultShowsAtMs).toBeGreaterThan(0);
    expect(firedAtMs - faultAtMs).toBeLessThanOrEqual(120_000);
    const q = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('ALERTS{alertname="StormwatchRetryStorm",alertstate="firing"}')}`)).json()) as { data: { result: unknown[] } };
    expect(q.data.result).toHaveLength(1);
  }, 240_000);
});
