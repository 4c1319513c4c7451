// Silences in the live loop: a failing smoke probe fires while a silence (made through the HTTP
// API) covers it, so it is recorded and printed as muted and the loopback receiver gets nothing;
// expiring the silence sends its firing notification at once.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import type { AlertTransition } from '../../src/core/types.js';
import type { Muting } from '../../src/decisions/mute-stage.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';
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

async function serve(status: number, body: string): Promise<string> {
  const server = createServer((_, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('live loop: silences', () => {
  it('a silenced alert is recorded and printed as muted, not delivered; expiring the silence delivers it', async () => {
    receiver = await startReceiver();
    const metrics = await serve(200, 'a_total 1\n');
    const site = await serve(503, 'down');
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-live-muting-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(
      file,
      `interval: 1h\nsource:\n  scrape:\n    url: ${metrics}/metrics\nserver:\n  listen: 127.0.0.1:0\ndeploys:\n  apiToken: tok-123456\n` +
        `sinks:\n  - name: hook\n    webhook:\n      url: ${receiver.url}/hook\n      publicUrl: true\n` +
        `probes:\n  - name: home\n    service: crates-io\n    url: ${site}/\ndelivery:\n  outboxDir: ${dir}\nsignals:\n  - name: a\n    requests: a_total\n`,
    );
    const seen: [AlertTransition, readonly Muting[] | undefined][] = [];
    let fired!: () => void;
    const firedOnce = new Promise<void>((resolve) => (fired = resolve));
    handle = await startLive(loadConfig(file), { logger: silentLogger, onTransition: (t, m) => (seen.push([t, m]), fired()) });
    const api = `${handle.server!.url}/api/v1/silences`;
    const headers = { authorization: 'Bearer tok-123456', 'content-type': 'application/json' };
    const created = await fetch(api, { method: 'POST', headers, body: JSON.stringify({ matchers: ['alertname="StormwatchSmokeProbeFailed"', 'service="crates-io"'], duration: '1h', createdBy: 'ana', comment: 'site move' }) });
    const { id } = (await created.json()) as { id: string };

    await handle.tick(); // the probe runs after the tick and fails
    await firedOnce;
    expect(seen.map(([t, m]) => [t.status, t.labels.alertname, m?.map((x) => x.by)])).toEqual([['firing', 'StormwatchSmokeProbeFailed', [`silence ${id}`]]]);
    // Recorded: the UI's history holds it as an open alert.
    expect([...handle.history.open.values()].map((a) => a.labels.alertname)).toEqual(['StormwatchSmokeProbeFailed']);
    // Never handed to the notifier (so nothing can arrive later): counted as muted, nothing queued.
    expect((await handle.metrics.notificationsMuted.get()).values).toEqual([{ value: 1, labels: { reason: 'silence' } }]);
    expect([...(await handle.metrics.outboxPending.get()).values].map((v) => v.value)).toEqual([0]);
    expect(receiver.received).toEqual([]);

    expect((await fetch(`${api}/${id}`, { method: 'DELETE', headers })).status).toBe(200);
    await receiver.waitFor((all) => all.length === 1, 10_000);
    const alerts = (receiver.received[0]!.json as { alerts: { status: string; labels: Record<string, string> }[] }).alerts;
    expect(alerts.map((a) => [a.status, a.labels.alertname])).toEqual([['firing', 'StormwatchSmokeProbeFailed']]);
  });
});
