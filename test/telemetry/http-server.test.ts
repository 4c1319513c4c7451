// The HTTP server on its own: health routes, 4xx for malformed requests, refusals reported by
// reason, and the deploy API's reads with and without a token.

import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { DeployRecord } from '../../src/deploys/types.js';
import { type Refusal, type RunningServer, startHttpServer } from '../../src/telemetry/http-server.js';

const record: DeployRecord = { id: 'd1', service: 's', version: '1', environment: 'production', startedAtMs: 0, source: 'api', verdict: 'pass', windowEndsAtMs: 1, reasons: [], evidence: [] };

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(publicReads: boolean, refusals: Refusal[] = []) {
  server = await startHttpServer('127.0.0.1:0', {
    registry: new Registry(),
    health: () => ({ ok: true, detail: {} }),
    live: () => ({ ok: true, detail: { lastTickAgeMs: 5 } }),
    ready: () => ({ ok: false, detail: { checks: { source: { ok: false, problem: 'no read yet' } } } }),
    firingAlerts: () => [],
    onRefused: (r) => refusals.push(r),
    deploys: { token: 'tok-123456', publicReads, maxBodyBytes: 1024, now: () => 0, add: () => record, get: (id) => (id === 'd1' ? record : undefined), list: () => [record] },
  });
  return server.url;
}

describe('HTTP server', () => {
  it('says reload over HTTP is off when no token is configured, with or without a token sent; asks for one only when one is set', async () => {
    for (const token of [undefined, 'tok-123456']) {
      server = await startHttpServer('127.0.0.1:0', { registry: new Registry(), health: () => ({ ok: true, detail: {} }), firingAlerts: () => [], reload: { token, reload: async () => ({ ok: true, changed: [] }) } });
      const bare = await fetch(`${server.url}/-/reload`, { method: 'POST' });
      const wrong = await fetch(`${server.url}/-/reload`, { method: 'POST', headers: { authorization: 'Bearer wrong' } });
      if (token === undefined) {
        for (const res of [bare, wrong]) expect([res.status, await res.json()]).toEqual([403, { error: 'reload over HTTP is disabled: set deploys.apiToken (or send SIGHUP)' }]);
      } else {
        expect([bare.status, await bare.json()]).toEqual([401, { error: 'missing bearer token: send Authorization: Bearer <token>' }]);
        expect([wrong.status, await wrong.json()]).toEqual([403, { error: 'invalid token' }]);
      }
      await server.close();
      server = undefined;
    }
  });

  it('says the deploy API and gates are off, naming what turns them on, when the config has no deploys section', async () => {
    server = await startHttpServer('127.0.0.1:0', { registry: new Registry(), health: () => ({ ok: true, detail: {} }), firingAlerts: () => [] });
    for (const [method, path] of [['GET', '/api/v1/deploys'], ['POST', '/api/v1/deploys'], ['GET', '/api/v1/deploys/d1'], ['POST', '/api/v1/gates/argo']]) {
      const res = await fetch(`${server.url}${path}`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
      expect([method, path, res.status]).toEqual([method, path, 404]);
      expect(((await res.json()) as { error: string }).error).toContain('add a deploys: section');
    }
    // The hint of an unknown path lists only what is there.
    expect(await (await fetch(`${server.url}/nope`)).text()).not.toContain('/api/v1/deploys');
  });

  it('answers /livez and /readyz from their checks', async () => {
    const url = await start(true);
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', checks: { source: { ok: false, problem: 'no read yet' } } });
  });

  it('reads deploys without a token by default, and only with it when publicReads is false', async () => {
    const open = await start(true);
    expect((await fetch(`${open}/api/v1/deploys/d1`)).status).toBe(200);
    // A 405 names the methods each resource has (RFC 9110 §15.5.6).
    const put = await fetch(`${open}/api/v1/deploys/d1`, { method: 'PUT' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const del = await fetch(`${open}/api/v1/deploys`, { method: 'DELETE' });
    expect([del.status, del.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST']);
    await server!.close();
    const refusals: Refusal[] = [];
    const closed = await start(false, refusals);
    expect((await fetch(`${closed}/api/v1/deploys/d1`)).status).toBe(401);
    expect((await fetch(`${closed}/api/v1/deploys`, { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    expect((await fetch(`${closed}/api/v1/deploys/d1`, { headers: { authorization: 'Bearer tok-123456' } })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(refusals.map((r) => [r.reason, r.status, r.path])).toEqual([
      ['unauthorized', 401, '/api/v1/deploys/d1'],
      ['forbidden', 403, '/api/v1/deploys'],
    ]);
  });

  it('counts a pending or failed deploy\'s verdict (425, 412) as an answer, not a refused request', async () => {
    const refusals: Refusal[] = [];
    let verdict: DeployRecord['verdict'] = 'pending';
    server = await startHttpServer('127.0.0.1:0', {
      registry: new Registry(),
      health: () => ({ ok: true, detail: {} }),
      firingAlerts: () => [],
      onRefused: (r) => refusals.push(r),
      deploys: { token: 'tok-123456', publicReads: true, maxBodyBytes: 1024, now: () => 0, add: () => record, get: () => ({ ...record, verdict }), list: () => [record] },
    });
    expect((await fetch(`${server.url}/api/v1/deploys/d1`)).status).toBe(425);
    verdict = 'fail';
    expect((await fetch(`${server.url}/api/v1/deploys/d1`)).status).toBe(412);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect(refusals.map((r) => r.status)).toEqual([404]);
  });

  it.each([
    ['a broken percent-escape in a deploy id', '/api/v1/deploys/%E0%A4%A', 400],
    ['an unknown path', '/nope', 404],
    ['an unknown deploy', '/api/v1/deploys/zzz', 404],
  ])('answers %s with a 4xx, never 500', async (_, path, code) => {
    const url = await start(true);
    expect((await fetch(`${url}${path}`)).status).toBe(code);
  });
});

describe('HTTP server: server.basicAuth', () => {
  it('asks a reader of /metrics, /api/v1/alerts and the UI for the user and password, leaves health checks and the token APIs alone, and follows a change at once', async () => {
    let auth: { username: string; password: string } | undefined = { username: 'sre', password: 'read-pass-123' };
    const refusals: Refusal[] = [];
    server = await startHttpServer('127.0.0.1:0', {
      registry: new Registry(),
      health: () => ({ ok: true, detail: {} }),
      firingAlerts: () => [{ alertname: 'X' }],
      onRefused: (r) => refusals.push(r),
      readAuth: () => auth,
      deploys: { token: 'tok-123456', publicReads: false, maxBodyBytes: 1024, now: () => 0, add: () => record, get: (id) => (id === 'd1' ? record : undefined), list: () => [record] },
    });
    const url = server.url;
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    for (const path of ['/metrics', '/api/v1/alerts', '/']) {
      const denied = await fetch(`${url}${path}`, { redirect: 'manual' });
      expect(denied.status, path).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Basic realm="stormwatch", charset="UTF-8"');
      expect((await fetch(`${url}${path}`, { headers: basic('sre', 'wrong-pass-123'), redirect: 'manual' })).status, path).toBe(401);
      expect((await fetch(`${url}${path}`, { headers: basic('ops', 'read-pass-123'), redirect: 'manual' })).status, path).toBe(401);
    }
    expect((await fetch(`${url}/metrics`, { headers: basic('sre', 'read-pass-123') })).status).toBe(200);
    expect(await (await fetch(`${url}/api/v1/alerts`, { headers: basic('sre', 'read-pass-123') })).json()).toEqual({ alerts: [{ alertname: 'X' }] });
    // The kubelet's checks stay open; the deploy API keeps its own token.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/deploys/d1`, { headers: { authorization: 'Bearer tok-123456' } })).status).toBe(200);
    expect(refusals.filter((r) => r.status === 401).map((r) => r.reason)).toEqual(Array(9).fill('unauthorized'));
    // A reload that removes it opens the reads at once.
    auth = undefined;
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
  });
});
