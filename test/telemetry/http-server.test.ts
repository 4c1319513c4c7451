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

  it.each([
    ['a broken percent-escape in a deploy id', '/api/v1/deploys/%E0%A4%A', 400],
    ['an unknown path', '/nope', 404],
    ['an unknown deploy', '/api/v1/deploys/zzz', 404],
  ])('answers %s with a 4xx, never 500', async (_, path, code) => {
    const url = await start(true);
    expect((await fetch(`${url}${path}`)).status).toBe(code);
  });
});
