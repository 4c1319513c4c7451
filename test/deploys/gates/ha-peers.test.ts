// An HA pair with deploys.peers: a deploy recorded on one replica (API, CLI or gate) is forwarded
// to the other with the same id and start time, so a poll of either finds it; nothing bounces back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateView } from '../../../src/deploys/gates/verdict-view.js';
import type { DeployRecord } from '../../../src/deploys/types.js';
import { GATE_TOKEN, type GatedService, startGatedService } from '../../helpers/gated-service.js';
import { freePort } from '../../helpers/ports.js';

async function until<T>(read: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('HA pair agreement on deploys', () => {
  let a: GatedService;
  let b: GatedService;
  beforeAll(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    a = await startGatedService({ listen: `127.0.0.1:${pa}`, extraDeploys: `  peers: [http://127.0.0.1:${pb}]` });
    b = await startGatedService({ listen: `127.0.0.1:${pb}`, extraDeploys: `  peers: [http://127.0.0.1:${pa}]` });
  }, 30_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  const get = (s: GatedService, id: string) => fetch(`${s.url}/api/v1/deploys/${id}`).then(async (r) => (r.status === 404 ? undefined : ((await r.json()) as DeployRecord)));

  it('a deploy posted to one replica is served by both, same id and start', async () => {
    const res = await fetch(`${a.url}/api/v1/deploys`, { method: 'POST', headers: { authorization: `Bearer ${GATE_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ service: 'checkout', version: '2.0.0', id: 'ha-1' }) });
    expect(res.status).toBe(201);
    const onA = (await res.json()) as DeployRecord;
    const onB = await until(() => get(b, 'ha-1'), 5000);
    expect(onB).toMatchObject({ id: 'ha-1', startedAtMs: onA.startedAtMs, service: 'checkout', version: '2.0.0', source: 'api' });
    // No echo: A still has exactly one deploy.
    await new Promise((r) => setTimeout(r, 300));
    const list = (await (await fetch(`${a.url}/api/v1/deploys`)).json()) as { deploys: DeployRecord[] };
    expect(list.deploys.map((d) => d.id)).toEqual(['ha-1']);
  });

  it('a gate call on one replica is served by the other (Argo through a Service)', async () => {
    const res = await fetch(`${b.url}/api/v1/gates/argo`, { method: 'POST', headers: { Authorization: `Bearer ${GATE_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ service: 'checkout', version: '2.1.0' }) });
    const onB = (await res.json()) as GateView;
    const onA = await until(() => fetch(`${a.url}/api/v1/gates/argo/${onB.id}`).then(async (r) => (r.status === 200 ? ((await r.json()) as GateView) : undefined)), 5000);
    expect(onA).toMatchObject({ id: onB.id, startedAt: onB.startedAt, source: 'argo' });
  });

  it('refuses a forwarded deploy without the token', async () => {
    const res = await fetch(`${a.url}/api/v1/gates/peer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
  });
});
