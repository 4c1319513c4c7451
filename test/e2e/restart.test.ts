// stormwatch killed with SIGKILL mid-incident and restarted: the alert it decided is delivered from
// its outbox, once, and its resolution still comes, because baselines and firing alerts were saved;
// an alert that was waiting out its group's interval when the process died is still sent, because
// the notifier's groups were saved too. Real processes: the CLI scraping a local target's /metrics,
// a local webhook receiver.

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { stopChild } from '../helpers/prometheus.js';
import { startDownloadTarget } from '../helpers/download-target.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';


async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('restart mid-incident', () => {
  const target = startDownloadTarget();
  let receiver: Receiver;
  const processes: CliProcess[] = [];

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await stopChild(p.child);
    clearInterval(target.timer);
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
    await receiver?.close();
  });

  it('delivers the decided alert after SIGKILL, once, and later its resolution', async () => {
    await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
    receiver = await startReceiver();
    let receiverUp = false;
    receiver.respond = () => ({ status: receiverUp ? 200 : 503 });
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-restart-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `interval: 1s
source:
  scrape:
    url: http://127.0.0.1:${(target.server.address() as AddressInfo).port}/metrics
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
delivery:
  outboxDir: ${join(dir, 'state')}
  backoffBase: 200ms
  backoffCap: 1s
signals:
  - name: downloads
    requests: 'api_requests_total'
    downstream: 'static_requests_total{code="200"}'
`,
    );
    const first = spawnCli(['run', '--config', config]);
    processes.push(first);
    await first.waitForLog('stormwatch running', 10_000);
    await new Promise((r) => setTimeout(r, 13_000));
    target.state.broken = true;
    await waitFor(() => first.stdout().includes('"status":"firing"'), 20_000, 'the firing transition');
    await waitFor(() => first.stderr().includes('notification attempt failed'), 5000, 'a failed delivery');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const outbox = readFileSync(join(dir, 'state', 'outbox.jsonl'), 'utf8');
    expect(outbox).toContain('"op":"add"');
    expect(receiver.received).toEqual([]);

    receiverUp = true;
    const second = spawnCli(['run', '--config', config]);
    processes.push(second);
    await second.waitForLog('resumed from saved state', 10_000);
    await receiver.waitFor((all) => all.some((r) => (r.json as WebhookPayload).status === 'firing'), 10_000);
    // The incident goes on across the restart: no second firing alert.
    await new Promise((r) => setTimeout(r, 4000));
    target.state.broken = false;
    await receiver.waitFor((all) => all.some((r) => (r.json as WebhookPayload).status === 'resolved'), 30_000);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    const statuses = receiver.received.map((r) => `${(r.json as WebhookPayload).alerts[0]!.labels.alertname}:${(r.json as WebhookPayload).status}`);
    expect(statuses).toEqual(['StormwatchRetryStorm:firing', 'StormwatchRetryStorm:resolved']);
    const keys = receiver.received.map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(keys.length);
    expect(second.stdout()).not.toContain('"status":"firing"');
  }, 120_000);

  it('sends an alert that was waiting out its group interval when the process was killed, and nothing twice', async () => {
    receiver ??= await startReceiver();
    const before = receiver.received.length;
    let docsStatus = 200;
    const site: Server = createServer((req, res) => {
      res.writeHead(req.url === '/home' ? 503 : req.url === '/docs' ? docsStatus : 200, { 'content-type': 'text/plain' });
      res.end(req.url === '/metrics' ? 'a_total 1\n' : 'site');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-restart-groups-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `interval: 1s
source:
  scrape:
    url: ${url}/metrics
sinks:
  - name: receiver
    webhook:
      url: ${receiver.url}/groups
routes:
  - groupInterval: 1h
probes:
  - name: home
    service: crates-io
    url: ${url}/home
    interval: 1s
  - name: docs
    service: docs-rs
    url: ${url}/docs
    interval: 1s
delivery:
  outboxDir: ${join(dir, 'state')}
signals:
  - name: a
    requests: a_total
`,
    );
    const toGroups = () => receiver.received.slice(before).filter((r) => r.path === '/groups').map((r) => (r.json as WebhookPayload).alerts.map((a) => `${a.labels.service}:${a.status}`).sort().join(' '));
    const first = spawnCli(['run', '--config', config]);
    processes.push(first);
    await receiver.waitFor(() => toGroups().length === 1, 20_000);
    docsStatus = 503;
    // docs joins the group notified a moment ago, and waits out its hour.
    await waitFor(() => (first.stdout().match(/"status":"firing"/g) ?? []).length === 2, 20_000, 'the second firing transition');
    await waitFor(() => readFileSync(join(dir, 'state', 'notifications.json'), 'utf8').includes('docs-rs'), 5000, 'the saved group');
    await new Promise((r) => setTimeout(r, 1000)); // the state file's next write (at most four a second)
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(toGroups()).toEqual(['crates-io:firing']);

    const second = spawnCli(['run', '--config', config]);
    processes.push(second);
    await second.waitForLog('resumed from saved state', 10_000);
    await new Promise((r) => setTimeout(r, 2000));
    // Still within the group's hour: nothing is sent again, and docs is not taken as notified.
    expect(toGroups()).toEqual(['crates-io:firing']);
    second.child.kill('SIGTERM'); // shutdown sends what is pending
    await new Promise((r) => second.child.once('exit', r));
    site.close();
    expect(toGroups()).toEqual(['crates-io:firing', 'crates-io:firing docs-rs:firing']);
    // The incident went on across the restart: no new firing transition.
    expect(second.stdout()).not.toContain('"status":"firing"');
  }, 60_000);
});
