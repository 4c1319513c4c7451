// The silence API on a real loopback server, and `stormwatch silence` (the built CLI) against it.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { SilenceStore } from '../../src/runner/silence-store.js';
import { type RunningServer, startHttpServer } from '../../src/telemetry/http-server.js';
import { runCli } from '../helpers/cli.js';

const T = Date.parse('2026-11-29T03:00:00Z');
let server: RunningServer | undefined;
const others: RunningServer[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const s of others.splice(0)) await s.close();
});

async function start(token: string | undefined, now = () => T) {
  const { store } = SilenceStore.open(join(mkdtempSync(join(tmpdir(), 'stormwatch-silence-api-')), 'silences.json'), now());
  let changes = 0;
  server = await startHttpServer('127.0.0.1:0', {
    registry: new Registry(),
    health: () => ({ ok: true, detail: {} }),
    firingAlerts: () => [],
    silences: { ...(token ? { token } : {}), store, now, changed: () => changes++ },
  });
  return { url: server.url, store, changes: () => changes };
}

const auth = { authorization: 'Bearer tok-123456' };
const post = (url: string, body: unknown, headers: Record<string, string> = auth) => fetch(`${url}/api/v1/silences`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('silence API', () => {
  it('creates with a duration, lists, and expires; each change is announced', async () => {
    const { url, changes } = await start('tok-123456');
    const created = await post(url, { matchers: ['service="crates-io"'], duration: '2h', createdBy: 'ana', comment: 'CHG-1' });
    expect(created.status).toBe(201);
    const silence = (await created.json()) as { id: string; state: string; startsAt: string; endsAt: string };
    expect(silence).toMatchObject({ state: 'active', startsAt: '2026-11-29T03:00:00.000Z', endsAt: '2026-11-29T05:00:00.000Z' });
    const list = (await (await fetch(`${url}/api/v1/silences`, { headers: auth })).json()) as { silences: { id: string }[] };
    expect(list.silences.map((s) => s.id)).toEqual([silence.id]);
    const expired = await fetch(`${url}/api/v1/silences/${silence.id}`, { method: 'DELETE', headers: auth });
    expect(expired.status).toBe(200);
    expect(await expired.json()).toMatchObject({ state: 'expired', endsAt: '2026-11-29T03:00:00.000Z' });
    expect(changes()).toBe(2);
    expect((await fetch(`${url}/api/v1/silences/nope`, { method: 'DELETE', headers: auth })).status).toBe(404);
    // A 405 names the methods the resource has (RFC 9110 §15.5.6).
    const put = await fetch(`${url}/api/v1/silences`, { method: 'PUT', headers: auth });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST']);
    const postOne = await fetch(`${url}/api/v1/silences/${silence.id}`, { method: 'POST', headers: auth });
    expect([postOne.status, postOne.headers.get('allow')]).toEqual([405, 'DELETE']);
  });

  it('refuses without the token (401), with a wrong one (403), and when no token is configured (403)', async () => {
    const { url } = await start('tok-123456');
    expect((await fetch(`${url}/api/v1/silences`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/silences`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(403);
    await server!.close();
    const off = await start(undefined);
    const r = await fetch(`${off.url}/api/v1/silences`, { headers: auth });
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({ error: 'silences are disabled: set deploys.apiToken' });
    // Said without a token too: a 401 asked for a token that cannot exist.
    const bare = await fetch(`${off.url}/api/v1/silences`);
    expect([bare.status, await bare.json()]).toEqual([403, { error: 'silences are disabled: set deploys.apiToken' }]);
  });

  it('answers 400 naming every problem of a bad silence', async () => {
    const { url } = await start('tok-123456');
    const r1 = await post(url, { matchers: ['service="x"'], createdBy: 'ana', comment: 'c' });
    expect(r1.status).toBe(400);
    expect(await r1.json()).toEqual({ error: 'invalid silence', problems: ['(top level): expected exactly one of endsAt, duration'] });
    const r2 = await post(url, { matchers: ['oops'], duration: '1h', createdBy: 'ana', comment: '' });
    expect(await r2.json()).toEqual({
      error: 'invalid silence',
      problems: ['matchers[0]: expected a matcher like severity="critical", team!="db" or service=~"api|web", got "oops"', 'comment: must not be empty (say why: a ticket, a change)'],
    });
  });

  it('answers 400 to a duration past the year 9999, keeps nothing, and lists as before', async () => {
    const { url, store } = await start('tok-123456');
    for (const duration of ['999999999999h', '100000000h']) {
      const r = await post(url, { matchers: ['service="x"'], duration, createdBy: 'ana', comment: 'c' });
      expect(r.status).toBe(400);
      expect(JSON.stringify(await r.json())).toContain('past 9999-12-31T23:59:59Z');
    }
    expect(store.list()).toEqual([]);
    const list = await fetch(`${url}/api/v1/silences`, { headers: auth });
    expect(list.status).toBe(200);
  });

  it('a client-chosen id: the same silence twice is one silence (200), another under that id a conflict (409)', async () => {
    const { url, store } = await start('tok-123456');
    const body = { id: 'chg-1234', matchers: ['service="crates-io"'], endsAt: '2026-11-29T05:00:00Z', createdBy: 'ana', comment: 'CHG-1234' };
    expect((await post(url, body)).status).toBe(201);
    expect((await post(url, body)).status).toBe(200);
    expect((await post(url, { ...body, comment: 'other' })).status).toBe(409);
    expect(store.list().map((s) => s.id)).toEqual(['chg-1234']);
  });

  it('stormwatch silence add | list | expire drive every replica of an HA pair with one silence id', async () => {
    const b = await start('tok-123456', Date.now);
    others.push(server!);
    const a = await start('tok-123456', Date.now);
    const env = { STORMWATCH_DEPLOY_TOKEN: 'tok-123456' };
    const add = await runCli(['silence', 'add', '--url', a.url, '--url', b.url, '--matcher', 'service="crates-io"', '--duration', '2h', '--comment', 'CHG-1', '--author', 'ana'], 30_000, env);
    expect(add.code, add.stderr).toBe(0);
    const id = add.stdout.split(' ')[0]!;
    expect(add.stdout).toMatch(/^[0-9a-f-]{36} {2}active {3}\S+ -> \S+ {2}\{service="crates-io"\} {2}by ana: CHG-1\n$/);
    expect(a.store.list().map((s) => s.id)).toEqual([id]);
    // The same silence on both (each replica stamps its own updatedAt).
    const content = (list: ReturnType<typeof a.store.list>) => list.map(({ updatedAtMs: _u, ...rest }) => rest);
    expect(content(b.store.list())).toEqual(content(a.store.list()));
    const list = await runCli(['silence', 'list', '--url', a.url], 30_000, env);
    expect(list.stdout.startsWith(id)).toBe(true);
    const expire = await runCli(['silence', 'expire', '--url', a.url, '--url', b.url, id], 30_000, env);
    expect(expire.stdout).toContain(`${id}  expired`);
    expect([...a.store.list(), ...b.store.list()].every((s) => s.endsAtMs <= Date.now())).toBe(true);
    const bad = await runCli(['silence', 'add', '--url', a.url, '--duration', '2h', '--comment', 'x'], 30_000, env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`stormwatch: add needs at least one --matcher like 'service="crates-io"' (see stormwatch silence --help)\n`);
  });
});
