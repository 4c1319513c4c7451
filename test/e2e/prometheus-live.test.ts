// End to end, live: Prometheus scrapes a local target every second; stormwatch (the CLI, as a
// child process) polls Prometheus every second; the target's traffic breaks mid-run like the
// 2023-07-20 redirect; a local webhook receiver must get firing, then resolved.

import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { type RunningPrometheus, startPrometheus, stopChild } from '../helpers/prometheus.js';
import { type DownloadTarget, startDownloadTarget } from '../helpers/download-target.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';


describe('live: Prometheus scraping a target, stormwatch polling Prometheus', () => {
  let target: DownloadTarget;
  let prometheus: RunningPrometheus;
  let receiver: Receiver;
  let stormwatch: CliProcess;

  beforeAll(async () => {
    target = startDownloadTarget();
    await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
    const targetAddress = `127.0.0.1:${(target.server.address() as AddressInfo).port}`;
    prometheus = await startPrometheus({ scrapeTargets: [targetAddress], scrapeInterval: '1s' });
    receiver = await startReceiver();
    const configFile = join(mkdtempSync(join(tmpdir(), 'stormwatch-live-')), 'config.yaml');
    writeFileSync(
      configFile,
      `interval: 1s
source:
  prometheus:
    url: ${prometheus.url}
    warmup: 30s
    rateWindow: 5s
server:
  listen: 127.0.0.1:0
detector:
  minBaselinePoints: 8
  # One-second ticks: keep every tick (the default one-minute buckets would need minutes of warm-up).
  baselineResolution: 1s
alerting:
  for: 2s
  keepFiringFor: 3s
sinks:
  - name: receiver
    webhook:
      url: ${receiver.url}/alerts
routes:
  - groupInterval: 1s
signals:
  - name: downloads
    requests: 'api_requests_total{route="download"}'
    downstream: 'static_requests_total{code="200"}'
`,
    );
    stormwatch = spawnCli(['run', '--config', configFile]);
  }, 60_000);

  afterAll(async () => {
    if (stormwatch && stormwatch.child.exitCode === null) await stopChild(stormwatch.child);
    clearInterval(target?.timer);
    await new Promise<void>((resolve) => (target ? target.server.close(() => resolve()) : resolve()));
    await prometheus?.stop();
    await receiver?.close();
  });

  it('sends firing then resolved to the webhook, serves its metrics, and exits cleanly on SIGTERM', async () => {
    const listening = await stormwatch.waitForLog('http server listening', 20_000);
    const ownUrl = String(listening.url);
    // Let baselines fill (8 points at 1 s, after Prometheus has two scrapes).
    await new Promise((r) => setTimeout(r, 14_000));
    expect(receiver.received.map((r) => r.body), stormwatch.stdout()).toEqual([]);

    target.state.broken = true;
    const brokenAt = Date.now();
    await receiver.waitFor((all) => all.some((r) => (r.json as WebhookPayload).status === 'firing'), 20_000);
    const firedAfterMs = Date.now() - brokenAt;
    const firing = receiver.received.map((r) => r.json as WebhookPayload).filter((p) => p.status === 'firing');
    const storm = firing.find((p) => p.alerts[0]!.labels.alertname === 'StormwatchRetryStorm');
    expect(storm, JSON.stringify(firing)).toBeDefined();
    expect(storm!.version).toBe('4');
    expect(storm!.alerts[0]!.labels).toMatchObject({ signal: 'downloads', severity: 'critical' });
    expect(firedAfterMs).toBeLessThan(15_000);

    const metrics = await (await fetch(`${ownUrl}/metrics`)).text();
    expect(metrics).toMatch(/stormwatch_ticks_total\{outcome="ok"\} \d+/);
    expect(metrics).toMatch(/stormwatch_notifications_total\{sink="receiver",outcome="delivered"\} [1-9]/);
    expect(metrics).toMatch(/stormwatch_signal_baseline\{signal="downloads",check="funnel_drop"\} 0\.9\d*|stormwatch_signal_baseline\{signal="downloads",check="funnel_drop"\} 1/);
    expect((await fetch(`${ownUrl}/healthz`)).status).toBe(200);
    const active = (await (await fetch(`${ownUrl}/api/v1/alerts`)).json()) as { alerts: { labels: Record<string, string> }[] };
    expect(active.alerts.map((a) => a.labels.alertname)).toContain('StormwatchRetryStorm');

    target.state.broken = false;
    await receiver.waitFor(
      (all) => all.some((r) => (r.json as WebhookPayload).status === 'resolved' && (r.json as WebhookPayload).alerts[0]!.labels.alertname === 'StormwatchRetryStorm'),
      30_000,
    );
    const resolved = receiver.received.map((r) => r.json as WebhookPayload).find((p) => p.status === 'resolved' && p.alerts[0]!.labels.alertname === 'StormwatchRetryStorm')!;
    expect(resolved.alerts[0]!.endsAt).not.toBe('0001-01-01T00:00:00Z');
    expect(resolved.alerts[0]!.fingerprint).toBe(storm!.alerts[0]!.fingerprint);

    stormwatch.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => stormwatch.child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stormwatch.stderr()).toContain('"msg":"stopped"');
  }, 90_000);
});
