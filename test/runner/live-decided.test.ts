// What the live loop has decided is on disk (decided.json) before any notification of it goes out:
// a kill between a page and the next state save (asynchronous, coalesced) restores the page, not
// the state from before it (test/runner/state-restart.test.ts has the restart itself).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';

let handle: LiveHandle | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await handle?.stop(1000);
  handle = undefined;
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A site whose home page fails (a probe's alert fires) and whose /metrics serves a counter. */
function failingSite(): Promise<string> {
  return listen(createServer((req, res) => res.writeHead(req.url === '/home' ? 503 : 200, { 'content-type': 'text/plain' }).end(req.url === '/metrics' ? 'a_total 1\n' : 'site')));
}

/** A receiver that notes, as each notification arrives, what decided.json says then ('' : none yet). */
function decidedAtEachNotification(decided: string, seen: string[]): Promise<string> {
  return listen(
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(existsSync(decided) ? readFileSync(decided, 'utf8') : '');
        res.writeHead(200).end();
      });
    }),
  );
}

/** A config probing `site`'s home page every second, notifying `hook`, its state in `dir`; ticks only when the test asks. */
function probeConfig(dir: string, site: string, hook: string, extra = ''): string {
  const file = join(dir, 'stormwatch.yaml');
  writeFileSync(
    file,
    `interval: 1h\nsource:\n  scrape:\n    url: ${site}/metrics\nsinks:\n  - name: hook\n    webhook:\n      url: ${hook}/hook\n      publicUrl: true\n${extra}` +
      `probes:\n  - name: home\n    service: crates-io\n    url: ${site}/home\n    interval: 1s\ndelivery:\n  outboxDir: ${dir}\nsignals:\n  - name: a\n    requests: a_total\n`,
  );
  return file;
}

describe('live loop, decided.json', () => {
  it('holds the firing probe alert when its notification reaches the receiver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-decided-'));
    const decided = join(dir, 'decided.json');
    // What decided.json said at the moment each notification arrived.
    const seen: string[] = [];
    const site = await failingSite();
    const hook = await decidedAtEachNotification(decided, seen);
    const file = probeConfig(dir, site, hook);
    handle = await startLive(loadConfig(file), { logger: silentLogger });
    await handle.tick();
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
    const at = JSON.parse(seen[0]!) as { probes: [string, { failure: string }][] };
    expect(at.probes.map(([name]) => name)).toEqual(['home']);
  });

  it('sends nothing while decided.json cannot be written, tries every tick, and sends the notification once it is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-decided-'));
    const decided = join(dir, 'decided.json');
    // Its temporary file a directory: every write of decided.json fails, as on a full disk.
    mkdirSync(`${decided}.tmp`);
    const seen: string[] = [];
    const site = await failingSite();
    const hook = await decidedAtEachNotification(decided, seen);
    const file = probeConfig(dir, site, hook);
    const lines: { level: string; msg: string }[] = [];
    const printed: string[] = [];
    handle = await startLive(loadConfig(file), { logger: { log: (level, msg) => void lines.push({ level, msg }) }, onTransition: (t) => void printed.push(t.status) });
    await handle.tick();
    await handle.tick();
    await new Promise((r) => setTimeout(r, 1500));
    // Decided (printed), not sent; said once, not every tick.
    expect(printed).toEqual(['firing']);
    expect(seen).toEqual([]);
    expect(lines.filter((l) => l.msg.startsWith('could not save the decided alerts'))).toHaveLength(1);
    rmdirSync(`${decided}.tmp`);
    await handle.tick();
    const deadline = Date.now() + 10_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
    expect((JSON.parse(seen[0]!) as { probes: [string, unknown][] }).probes.map(([name]) => name)).toEqual(['home']);
    expect(lines.some((l) => l.msg.startsWith('decided alerts saved; their notifications go out now'))).toBe(true);
  });

  it('sends no resolve for an alert the groups last sent as firing when every copy of the saved alerts is lost; it fires again while it holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-lost-'));
    const bodies: string[] = [];
    const site = await failingSite();
    const hook = await listen(createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    }));
    const file = probeConfig(dir, site, hook, 'routes:\n  - groupWait: 0s\n    groupInterval: 1s\n');
    // Each alert of each notification, as the receiver read it.
    const statuses = () => bodies.flatMap((b) => (JSON.parse(b) as { alerts: { status: string; startsAt: string }[] }).alerts.map((a) => `${a.status} ${a.startsAt}`));
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (bodies.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    handle = await startLive(loadConfig(file), { logger: silentLogger });
    await handle.tick();
    await waitFor(1);
    expect(statuses()).toEqual([expect.stringMatching(/^firing /)]);
    const first = statuses()[0]!;
    await handle.stop(1000);
    handle = undefined;
    // Every copy of the alert state lost (the notification groups, in notifications.json, kept).
    for (const f of ['state.bin', 'state.bin.prev', 'firing.json', 'decided.json']) rmSync(join(dir, f), { force: true });
    writeFileSync(join(dir, 'state.bin'), 'garbage');
    const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
    handle = await startLive(loadConfig(file), { logger: { log: (_level, msg, fields) => void lines.push({ msg, ...(fields ? { fields } : {}) }) } });
    await handle.tick();
    await waitFor(2);
    await new Promise((r) => setTimeout(r, 1500));
    // The probe still fails: it fires again (a new startsAt), and nothing said it was over.
    expect(statuses()).toEqual([first, expect.stringMatching(/^firing /)]);
    expect(statuses()[1]).not.toBe(first);
    expect(lines.find((l) => l.msg.startsWith('the saved alerts were lost'))?.fields).toEqual({ alerts: 1 });
  });

  it('hands a transition on to be printed once its notification is in the outbox', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-decided-'));
    const outbox = join(dir, 'outbox.jsonl');
    // What the outbox held when each transition was handed on (printed, by `run`).
    const queued: boolean[] = [];
    const site = await failingSite();
    const hook = await listen(createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end())));
    const file = probeConfig(dir, site, hook);
    handle = await startLive(loadConfig(file), {
      logger: silentLogger,
      onTransition: (t) => {
        const lines = existsSync(outbox) ? readFileSync(outbox, 'utf8').split('\n').filter(Boolean) : [];
        queued.push(lines.some((l) => (JSON.parse(l) as { op: string; body?: string }).op === 'add' && (JSON.parse(l) as { body: string }).body.includes(t.fingerprint)));
      },
    });
    await handle.tick();
    const deadline = Date.now() + 10_000;
    while (queued.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(queued).toEqual([true]);
  });
});
