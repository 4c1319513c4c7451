// The notifier's groups across a reload that rebuilds delivery: an alert that joined a group while
// the group waited out its interval is still sent (it used to be taken as notified and never sent),
// and nothing already notified is sent again. Probes against a loopback site raise the alerts.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

let handle: LiveHandle | undefined;
let receiver: Receiver | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await handle?.stop(1000);
  handle = undefined;
  await receiver?.close();
  receiver = undefined;
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function serve(answer: (path: string) => number): Promise<string> {
  const server = createServer((req, res) => {
    res.writeHead(answer(req.url ?? '/'), { 'content-type': 'text/plain' });
    res.end(req.url === '/metrics' ? 'a_total 1\n' : 'site');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Hourly ticks (only the test's tick() calls run, each probing after it once a second has passed), two probes, one route that re-notifies a changed group after an hour. */
function configText(site: string, dir: string, hook: string, extraSink: string): string {
  return (
    `interval: 1h\nsource:\n  scrape:\n    url: ${site}/metrics\n` +
    `sinks:\n  - name: hook\n    webhook:\n      url: ${hook}\n      publicUrl: true\n${extraSink}` +
    `routes:\n  - groupInterval: 1h\n    sinks: [hook${extraSink ? ', audit' : ''}]\n` +
    `probes:\n  - name: home\n    service: crates-io\n    url: ${site}/home\n    interval: 1s\n  - name: docs\n    service: docs-rs\n    url: ${site}/docs\n    interval: 1s\n` +
    `delivery:\n  outboxDir: ${dir}\nsignals:\n  - name: a\n    requests: a_total\n`
  );
}

/** Waits until the probes' alerts have been handled (each probe runs after a tick, asynchronously). */
async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('notification groups across a reload', () => {
  it('an alert pending in a group when delivery is rebuilt is still sent; what was sent is not sent again', async () => {
    receiver = await startReceiver();
    let docsStatus = 200;
    const site = await serve((path) => (path === '/home' ? 503 : path === '/docs' ? docsStatus : 200));
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-groups-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(file, configText(site, dir, `${receiver.url}/hook`, ''));
    const firing: string[] = [];
    handle = await startLive(loadConfig(file), { logger: silentLogger, loadConfig: () => loadConfig(file), onTransition: (t) => firing.push(`${t.labels.service}:${t.status}`) });

    await handle.tick();
    await until(() => firing.length === 1);
    await receiver.waitFor((all) => all.length === 1, 10_000);
    docsStatus = 503;
    await new Promise((r) => setTimeout(r, 1100)); // the probes' interval
    await handle.tick();
    await until(() => firing.length === 2);
    // docs joined the group notified a moment ago: it waits out the group's hour.
    const saved = JSON.parse(readFileSync(join(dir, 'notifications.json'), 'utf8')) as { targets: Record<string, { alerts: { labels: { service: string } }[]; lastNotified: string }[]> };
    const [group] = Object.values(saved.targets)[0]!;
    expect(group!.alerts.map((a) => a.labels.service).sort()).toEqual(['crates-io', 'docs-rs']);

    // A sink added: delivery is rebuilt, the running groups carried over.
    writeFileSync(file, configText(site, dir, `${receiver.url}/hook`, `  - name: audit\n    webhook:\n      url: ${receiver.url}/audit\n      publicUrl: true\n`));
    expect(await handle.reload()).toMatchObject({ ok: true });
    await handle.stop(5000); // flushes what is pending
    handle = undefined;

    const toHook = receiver.received.filter((r) => r.path === '/hook').map((r) => (r.json as WebhookPayload).alerts.map((a) => `${a.labels.service}:${a.status}`).sort());
    expect(toHook).toEqual([['crates-io:firing'], ['crates-io:firing', 'docs-rs:firing']]);
    // The new sink never saw the alerts fire before it existed: they are taken as notified there.
    expect(receiver.received.filter((r) => r.path === '/audit')).toEqual([]);
    expect(firing).toEqual(['crates-io:firing', 'docs-rs:firing']);
  });
});
