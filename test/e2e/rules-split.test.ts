// A split signal's exported rules in a real Prometheus: two routes share a signal (`by: [route]`),
// 40 minutes of healthy history are backfilled with promtool, a local target serves the rest live,
// and route b breaks (its downloads stop completing and its clients retry 3x): only route b's
// StormwatchRetryStorm fires; route a, untouched, never alerts.

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { exportRules } from '../../src/rules/export-rules.js';
import { toOpenMetrics } from '../../scripts/sim/openmetrics-writer.js';
import type { Snapshot } from '../../scripts/sim/simulate.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';

const FAMILIES = [
  { sample: 'http_requests_total', help: 'Download requests by route.' },
  { sample: 'static_served_total', help: 'Files served by route.' },
];

/** Counters at time t: route a steady; route b steady until the fault, then no completions and 3x attempts. */
function samples(t: number, origin: number, faultAt: number): Snapshot['samples'] {
  const s = (t - origin) / 1000;
  const before = (Math.min(t, faultAt) - origin) / 1000;
  const after = Math.max(0, t - faultAt) / 1000;
  return [
    { name: 'http_requests_total', labels: { route: 'a' }, value: Math.floor(100 * s) },
    { name: 'static_served_total', labels: { route: 'a' }, value: Math.floor(99 * s) },
    { name: 'http_requests_total', labels: { route: 'b' }, value: Math.floor(50 * before + 150 * after) },
    { name: 'static_served_total', labels: { route: 'b' }, value: Math.floor(49.5 * before) },
  ];
}

describe('exported rules for a split signal', () => {
  let prometheus: RunningPrometheus | undefined;
  let target: Server | undefined;
  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
  });

  it('fire for the broken route only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-split-rules-'));
    const configFile = join(dir, 'stormwatch.yaml');
    writeFileSync(
      configFile,
      `interval: 5s\nsource:\n  scrape:\n    url: http://127.0.0.1:1/metrics\nalerting:\n  for: 5s\nsignals:\n  - name: downloads\n    labels: {service: shop}\n    by: [route]\n    requests: http_requests_total\n    downstream: static_served_total\n`,
    );
    const rules = stringify(exportRules(loadConfig(configFile)), { lineWidth: 0, aliasDuplicateObjects: false });
    const t0 = Date.now();
    const origin = t0 - 45 * 60_000;
    const faultAt = t0 + 30_000;
    const history: Snapshot[] = [];
    for (let t = t0 - 40 * 60_000; t <= t0 - 60_000; t += 15_000) history.push({ timeMs: t, samples: samples(t, origin, faultAt) });
    writeFileSync(join(dir, 'history.om'), toOpenMetrics(history, FAMILIES));
    target = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(samples(Date.now(), origin, faultAt).map((x) => `${x.name}{route="${x.labels.route}"} ${x.value}`).join('\n') + '\n');
    });
    await new Promise<void>((resolve) => target!.listen(0, '127.0.0.1', resolve));
    prometheus = await startPrometheus({ backfill: join(dir, 'history.om'), rules, scrapeTargets: [`127.0.0.1:${(target.address() as AddressInfo).port}`], scrapeInterval: '5s', dropTargetLabels: true });

    type Alert = { labels: Record<string, string>; state: string };
    const alerts = async () => ((await (await fetch(`${prometheus!.url}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts;
    let fired: Alert | undefined;
    while (Date.now() < faultAt + 120_000) {
      const all = await alerts();
      // Route a never alerts; nothing pages before the fault.
      expect(all.filter((a) => a.labels.route === 'a' && a.labels.severity !== 'info')).toEqual([]);
      if (Date.now() < faultAt) expect(all.filter((a) => a.state === 'firing' && a.labels.severity !== 'info')).toEqual([]);
      fired = all.find((a) => a.labels.alertname === 'StormwatchRetryStorm' && a.state === 'firing');
      if (fired) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(fired?.labels).toMatchObject({ route: 'b', signal: 'downloads', service: 'shop', severity: 'critical' });
    // Per-route series were recorded for both routes.
    const q = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('stormwatch:completion:ratio{signal="downloads"}')}`)).json()) as { data: { result: { metric: Record<string, string> }[] } };
    expect(q.data.result.map((r) => r.metric.route).sort()).toEqual(['a', 'b']);
  }, 240_000);
});
