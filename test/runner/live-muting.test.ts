// Silences in the live loop: a failing smoke probe fires while a silence (made through the HTTP
// API) covers it, so it is recorded and printed as muted and the loopback receiver gets nothing;
// expiring the silence sends its firing notification at once.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

async function serve(status: number | (() => number), body: string): Promise<string> {
  const server = createServer((_, res) => {
    res.writeHead(typeof status === 'number' ? status : status(), { 'content-type': 'text/plain' });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A loopback receiver, a metrics page, a site answering `status` and a config whose smoke probe
 * watches that site (hourly ticks: only the test's tick() calls run, each probing once after it).
 */
async function probedSite(status: number | (() => number)): Promise<{ dir: string; file: string; receiver: Receiver }> {
  receiver = await startReceiver();
  const metrics = await serve(200, 'a_total 1\n');
  const site = await serve(status, 'site');
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-live-muting-'));
  const file = join(dir, 'stormwatch.yaml');
  writeFileSync(
    file,
    `interval: 1h\nsource:\n  scrape:\n    url: ${metrics}/metrics\nserver:\n  listen: 127.0.0.1:0\ndeploys:\n  apiToken: tok-123456\n` +
      `sinks:\n  - name: hook\n    webhook:\n      url: ${receiver.url}/hook\n      publicUrl: true\n` +
      `probes:\n  - name: home\n    service: crates-io\n    url: ${site}/\ndelivery:\n  outboxDir: ${dir}\nsignals:\n  - name: a\n    requests: a_total\n`,
  );
  return { dir, file, receiver };
}

describe('live loop: silences', () => {
  it('a silenced alert is recorded and printed as muted, not delivered; expiring the silence delivers it', async () => {
    const { file, receiver } = await probedSite(503);
    const seen: [AlertTransition, readonly Muting[] | undefined][] = [];
    let fired!: () => void;
    const firedOnce = new Promise<void>((resolve) => (fired = resolve));
    const releases: [string, number][] = [];
    handle = await startLive(loadConfig(file), { logger: silentLogger, onTransition: (t, m) => (seen.push([t, m]), fired()), onRelease: (t, atMs) => releases.push([t.labels.alertname!, atMs]) });
    const api = `${handle.server!.url}/api/v1/silences`;
    const headers = { authorization: 'Bearer tok-123456', 'content-type': 'application/json' };
    const created = await fetch(api, { method: 'POST', headers, body: JSON.stringify({ matchers: ['alertname="StormwatchSmokeProbeFailed"', 'service="crates-io"'], duration: '1h', createdBy: 'ana', comment: 'site move' }) });
    const { id } = (await created.json()) as { id: string };

    await handle.tick(); // the probe runs after the tick and fails
    await firedOnce;
    expect(seen.map(([t, m]) => [t.status, t.labels.alertname, m?.map((x) => x.by)])).toEqual([['firing', 'StormwatchSmokeProbeFailed', [`silence ${id}`]]]);
    // Recorded: the UI's history holds it as an open alert.
    expect([...handle.history.open.values()].map((a) => [a.labels.alertname, a.mutedBy])).toEqual([['StormwatchSmokeProbeFailed', [`silence ${id}`]]]);
    // And the UI says it was not delivered.
    expect(await (await fetch(`${handle.server!.url}/ui/`)).text()).toContain(`Muted (silence ${id}): not delivered.`);
    // Never handed to the notifier (so nothing can arrive later): counted as muted, nothing queued.
    expect((await handle.metrics.notificationsMuted.get()).values).toEqual([{ value: 1, labels: { reason: 'silence' } }]);
    expect([...(await handle.metrics.outboxPending.get()).values].map((v) => v.value)).toEqual([0]);
    expect(receiver.received).toEqual([]);

    expect((await fetch(`${api}/${id}`, { method: 'DELETE', headers })).status).toBe(200);
    await receiver.waitFor((all) => all.length === 1, 10_000);
    const alerts = (receiver.received[0]!.json as { alerts: { status: string; labels: Record<string, string> }[] }).alerts;
    expect(alerts.map((a) => [a.status, a.labels.alertname])).toEqual([['firing', 'StormwatchSmokeProbeFailed']]);
    expect([...handle.history.open.values()][0]!.releasedAtMs).toBeGreaterThan(0);
    expect(await (await fetch(`${handle.server!.url}/ui/`)).text()).toMatch(new RegExp(`Muted when it fired \\(silence ${id}\\), delivered at `));
    // Handed on to be printed (`run` prints it with "delivered": true and releasedAt), once.
    expect(releases).toEqual([['StormwatchSmokeProbeFailed', [...handle.history.open.values()][0]!.releasedAtMs]]);
  });

  it('links its alerts to the port it was given when it listens on port 0 (no externalURL set)', async () => {
    const { file, receiver } = await probedSite(503);
    handle = await startLive(loadConfig(file), { logger: silentLogger, loadConfig: () => loadConfig(file) });
    // The same file again is no change (the running links carry the bound port, the file port 0).
    expect(await handle.reload()).toMatchObject({ ok: true, changed: [] });
    await handle.tick();
    await receiver.waitFor((all) => all.length === 1, 10_000);
    const payload = receiver.received[0]!.json as { externalURL: string; alerts: { generatorURL: string }[] };
    expect(handle.server!.url).not.toMatch(/:0$/);
    expect(payload.externalURL).toBe(handle.server!.url);
    expect(payload.alerts[0]!.generatorURL.startsWith(`${handle.server!.url}/ui/`)).toBe(true);
  });
});

describe('live loop: held alerts across a restart', () => {
  /** A probe alert muted by a silence of `duration`, then the loop stopped: its directory, config and site. */
  async function mutedThenStopped(duration: string, site: () => number) {
    const { dir, file } = await probedSite(site);
    let fired!: () => void;
    const firedOnce = new Promise<void>((resolve) => (fired = resolve));
    handle = await startLive(loadConfig(file), { logger: silentLogger, onTransition: () => fired() });
    const headers = { authorization: 'Bearer tok-123456', 'content-type': 'application/json' };
    await fetch(`${handle.server!.url}/api/v1/silences`, { method: 'POST', headers, body: JSON.stringify({ matchers: ['alertname="StormwatchSmokeProbeFailed"'], duration, createdBy: 'ana', comment: 'site move' }) });
    const silencedAt = Date.now();
    await handle.tick();
    await firedOnce;
    await handle.stop(1000);
    handle = undefined;
    return { dir, file, silencedAt };
  }

  /** Starts the loop again on the same directory; resolves with the transitions of its first tick and probe. */
  async function restartAndTick(file: string, waitForTransition: boolean): Promise<[AlertTransition, readonly Muting[] | undefined][]> {
    const seen: [AlertTransition, readonly Muting[] | undefined][] = [];
    let got!: () => void;
    const transition = new Promise<void>((resolve) => (got = resolve));
    handle = await startLive(loadConfig(file), { logger: silentLogger, onTransition: (t, m) => (seen.push([t, m]), got()) });
    await handle.tick();
    if (waitForTransition) await transition;
    return seen;
  }

  it('an alert whose silence ended while stormwatch was down is delivered at the first tick after the restart', async () => {
    const { dir, file, silencedAt } = await mutedThenStopped('3s', () => 503);
    const { held } = JSON.parse(readFileSync(join(dir, 'muting.json'), 'utf8')) as { held: { fingerprint: string; labels: Record<string, string> }[] };
    expect(held.map((a) => a.labels.alertname)).toEqual(['StormwatchSmokeProbeFailed']);
    expect(receiver!.received).toEqual([]);
    await new Promise((r) => setTimeout(r, Math.max(0, silencedAt + 3500 - Date.now())));
    await restartAndTick(file, false);
    await receiver!.waitFor((all) => all.length === 1, 10_000);
    const alerts = (receiver!.received[0]!.json as { alerts: { status: string; labels: Record<string, string>; fingerprint: string }[] }).alerts;
    expect(alerts.map((a) => [a.status, a.labels.alertname, a.fingerprint])).toEqual([['firing', 'StormwatchSmokeProbeFailed', held[0]!.fingerprint]]);
    expect(JSON.parse(readFileSync(join(dir, 'muting.json'), 'utf8'))).toEqual({ version: 1, held: [], surgeOnsets: {} });
  });

  it('an alert still muted at the restart is still said to be muted in the UI', async () => {
    const { file } = await mutedThenStopped('1h', () => 503);
    handle = await startLive(loadConfig(file), { logger: silentLogger });
    const open = [...handle.history.open.values()];
    expect(open.map((a) => a.labels.alertname)).toEqual(['StormwatchSmokeProbeFailed']);
    expect(open[0]!.mutedBy).toEqual([expect.stringMatching(/^silence /)]);
    expect(await (await fetch(`${handle.server!.url}/ui/`)).text()).toMatch(/Muted \(silence [^)]+\): not delivered\./);
  });

  it('an alert muted when it fired and released since is still said to be so after another restart', async () => {
    const { file, silencedAt } = await mutedThenStopped('3s', () => 503);
    await new Promise((r) => setTimeout(r, Math.max(0, silencedAt + 3500 - Date.now())));
    await restartAndTick(file, false);
    await receiver!.waitFor((all) => all.length === 1, 10_000);
    const before = [...handle!.history.open.values()];
    expect(before.map((a) => [a.mutedBy?.length, typeof a.releasedAtMs])).toEqual([[1, 'number']]);
    await handle!.stop(1000);
    handle = await startLive(loadConfig(file), { logger: silentLogger });
    expect([...handle.history.open.values()]).toEqual(before);
  });

  it('an alert still muted at the restart that resolves sends nothing: its receivers never saw it fire', async () => {
    let status = 503;
    const { file } = await mutedThenStopped('1h', () => status);
    status = 200;
    const seen = await restartAndTick(file, true);
    expect(seen.map(([t, m]) => [t.status, t.labels.alertname, m?.map((x) => x.reason)])).toEqual([['resolved', 'StormwatchSmokeProbeFailed', ['held']]]);
    // The notifier had nothing to send: no delivery is pending or made.
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver!.received).toEqual([]);
  });
});

