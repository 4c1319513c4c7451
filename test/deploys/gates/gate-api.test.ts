// The gate endpoints over a real deploy watcher, with a clock the test moves: which record each
// Argo and Flagger call is about (environments apart, attempts of one revision).

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeployWatcher } from '../../../src/deploys/deploy-watcher.js';
import { type GateApiDeps, handleGates } from '../../../src/deploys/gates/gate-api.js';
import type { GateView } from '../../../src/deploys/gates/verdict-view.js';

const TOKEN = 'gate-api-test-token';
const WINDOW_MS = 300_000;
const T0 = Date.parse('2026-12-05T09:00:00Z');

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

/** The gates on a loopback server over a deploy watcher; `clock.ms` is stormwatch's time. */
async function gates() {
  const clock = { ms: T0 };
  const watcher = new DeployWatcher({ windowMs: WINDOW_MS, intervalMs: 15_000, earlyAlpha: 0.001, alpha: 0.01, minPostSamples: 4, funnelDropFraction: 0.03, minErrorRatioIncrease: 0.02, minRequestsPerTick: 20, bucketTicks: 1 }, []);
  const deps: GateApiDeps = {
    token: TOKEN,
    maxBodyBytes: 16_384,
    now: () => clock.ms,
    inconclusive: 'fail',
    windowMs: WINDOW_MS,
    add: (event) => watcher.add(event, new Map(), clock.ms).record,
    get: (id) => watcher.get(id),
    list: () => watcher.records(),
  };
  const server = createServer((req, res) => void handleGates(req, res, new URL(req.url ?? '/', 'http://x').pathname, deps));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/gates/`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as GateView & { rollback?: boolean; note?: string } };
  };
  const argo = (body: { service: string; version: string; environment?: string }) => post('argo', body, { authorization: `Bearer ${TOKEN}` });
  const flagger = (hook: string, namespace: string, checksum: string, metadata: Record<string, string> = {}) =>
    post(`flagger/${hook}`, { name: 'checkout', namespace, phase: 'Progressing', checksum, metadata: { service: 'checkout', token: TOKEN, ...metadata } });
  /** A tick: windows that ended are judged. */
  const tick = () => void watcher.observe(clock.ms, new Map());
  /** Judges the open windows of `service` now, a smoke probe of it having failed. */
  const fail = (service: string) => {
    watcher.probeFailed(service, 'download: 503');
    watcher.observe(clock.ms, new Map());
  };
  return { clock, watcher, argo, flagger, tick, fail };
}

describe('gates: one environment never answers for another', () => {
  it("Argo: a staging deploy 3 s after production's leaves production's gate waiting on its own window", async () => {
    const g = await gates();
    expect((await g.argo({ service: 'checkout', version: '4.0.0', environment: 'production' })).body).toMatchObject({ id: 'argo:production:checkout:4.0.0', gate: 'wait' });
    g.clock.ms += 3_000;
    expect((await g.argo({ service: 'checkout', version: '4.1.0', environment: 'staging' })).body).toMatchObject({ environment: 'staging', gate: 'wait' });
    g.clock.ms += 15_000;
    g.tick();
    const prod = await g.argo({ service: 'checkout', version: '4.0.0', environment: 'production' });
    expect(prod.body).toMatchObject({ id: 'argo:production:checkout:4.0.0', environment: 'production', verdict: 'pending', gate: 'wait', windowEndsAt: new Date(T0 + WINDOW_MS).toISOString() });
  });

  it('Argo: the same version in staging, then production 20 s later, gives production its own record', async () => {
    const g = await gates();
    await g.argo({ service: 'checkout', version: '5.0.0', environment: 'staging' });
    g.clock.ms += 20_000;
    const prod = await g.argo({ service: 'checkout', version: '5.0.0', environment: 'production' });
    expect(prod.body).toMatchObject({ id: 'argo:production:checkout:5.0.0', environment: 'production', startedAt: new Date(T0 + 20_000).toISOString() });
    expect(g.watcher.records().map((r) => [r.id, r.environment])).toEqual([
      ['argo:production:checkout:5.0.0', 'production'],
      ['argo:staging:checkout:5.0.0', 'staging'],
    ]);
  });

  it("Flagger: canaries of one service in two namespaces are two environments: the second's start is no rollback of the first", async () => {
    const g = await gates();
    expect((await g.flagger('pre-rollout', 'shop-staging', 'aaa111')).body).toMatchObject({ environment: 'shop-staging', gate: 'wait' });
    g.clock.ms += 3_000;
    expect((await g.flagger('pre-rollout', 'shop', 'bbb222')).body).toMatchObject({ environment: 'shop', gate: 'wait' });
    g.clock.ms += 15_000;
    g.tick();
    const rollback = await g.flagger('rollback', 'shop-staging', 'aaa111');
    expect(rollback.status).toBe(412);
    expect(rollback.body).toMatchObject({ id: 'flagger:shop-staging:checkout:aaa111', verdict: 'pending', gate: 'wait' });
    // metadata.environment, when given, names the environment instead.
    expect((await g.flagger('pre-rollout', 'shop', 'ccc333', { environment: 'production' })).body).toMatchObject({ environment: 'production' });
  });
});

describe('gates: Flagger rollback after a revision is deployed again', () => {
  it("answers no (412) to a failure decided more than a window ago, opens no attempt, and pre-rollout's new attempt is judged on its own", async () => {
    const g = await gates();
    const at = (hhmm: string) => (g.clock.ms = Date.parse(`2026-12-05T${hhmm}:00Z`));
    at('09:55');
    expect((await g.flagger('pre-rollout', 'shop', 'abc222')).status).toBe(200);
    at('09:56');
    g.fail('checkout');
    // Within the window the failure answers: roll back.
    expect((await g.flagger('rollback', 'shop', 'abc222')).status).toBe(200);

    // 10:03, more than a window after that failure: Flagger sends the same checksum again (a revert
    // re-applying the same spec), its event, then rollback, then pre-rollout.
    at('10:03');
    const event = await g.flagger('event', 'shop', 'abc222', { eventMessage: 'New revision detected! Scaling up checkout.shop', timestamp: String(g.clock.ms) });
    expect(event.status).toBe(202);
    const rollback = await g.flagger('rollback', 'shop', 'abc222');
    expect(rollback.status).toBe(412);
    expect(rollback.body).toMatchObject({ id: 'flagger:shop:checkout:abc222', verdict: 'fail', rollback: false });
    expect(rollback.body.note).toMatch(/more than a window ago/);
    expect(g.watcher.records()).toHaveLength(1);
    const start = await g.flagger('pre-rollout', 'shop', 'abc222');
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ id: `flagger:shop:checkout:abc222:r${g.clock.ms.toString(36)}`, verdict: 'pending', gate: 'wait' });
    // From then on the new attempt answers: no rollback while it is pending, yes once it fails.
    at('10:04');
    expect((await g.flagger('rollback', 'shop', 'abc222')).body).toMatchObject({ id: start.body.id, gate: 'wait' });
    g.fail('checkout');
    expect((await g.flagger('rollback', 'shop', 'abc222')).status).toBe(200);
  });
});

describe('gates: a build-info marker and Flagger reporting one rollout', () => {
  /** What the pipeline records when the marker's metric shows `version` at stormwatch's time. */
  const markerSees = (g: Awaited<ReturnType<typeof gates>>, version: string) =>
    g.watcher.add({ id: `checkout-${g.clock.ms}`, service: 'checkout', version, environment: 'shop', startedAtMs: g.clock.ms, source: 'marker' }, new Map(), g.clock.ms).record;

  it("answers Flagger's hooks with the rollout's own verdict, whichever reports it first: never superseded by its twin", async () => {
    const g = await gates();
    const at = (hhmmss: string) => (g.clock.ms = Date.parse(`2026-12-05T${hhmmss}Z`));
    // New revision detected at 09:00 (the outgoing checksum); the marker sees 1.4.2 at 09:01:30,
    // and Flagger's first hook, the canary ready, comes at 09:02 with the revision's checksum.
    at('09:00:00');
    expect((await g.flagger('event', 'shop', 'old000', { eventMessage: 'New revision detected! Scaling up checkout.shop', timestamp: String(g.clock.ms) })).status).toBe(202);
    at('09:01:30');
    const seen = markerSees(g, '1.4.2');
    at('09:02:00');
    const start = await g.flagger('pre-rollout', 'shop', 'a1b2c3');
    expect(start).toMatchObject({ status: 200, body: { id: seen.id, version: '1.4.2', gate: 'wait' } });
    at('09:02:15');
    g.tick();
    expect(g.watcher.records()).toHaveLength(1);
    expect(g.watcher.get('flagger:shop:checkout:a1b2c3')).toMatchObject({ id: seen.id, verdict: 'pending', sources: ['marker', 'flagger'] });
    // Pending: go on, do not roll back, hold promotion.
    expect((await g.flagger('rollout', 'shop', 'a1b2c3')).status).toBe(200);
    expect((await g.flagger('rollback', 'shop', 'a1b2c3')).status).toBe(412);
    expect((await g.flagger('confirm-promotion', 'shop', 'a1b2c3')).status).toBe(425);

    // The next revision an hour on, Flagger first and the marker 2 minutes after it: one deploy too.
    at('10:00:00');
    expect((await g.flagger('pre-rollout', 'shop', 'd4e5f6')).body).toMatchObject({ id: 'flagger:shop:checkout:d4e5f6', gate: 'wait' });
    at('10:02:00');
    expect(markerSees(g, '1.4.3').id).toBe('flagger:shop:checkout:d4e5f6');
    at('10:02:15');
    g.tick();
    expect((await g.flagger('rollout', 'shop', 'd4e5f6')).body).toMatchObject({ verdict: 'pending', gate: 'wait' });
    expect((await g.flagger('rollback', 'shop', 'd4e5f6')).status).toBe(412);
  });

  it('a revision deployed again, which the marker saw first, is gated on that new attempt', async () => {
    const g = await gates();
    const at = (hhmmss: string) => (g.clock.ms = Date.parse(`2026-12-05T${hhmmss}Z`));
    at('09:55:00');
    expect((await g.flagger('pre-rollout', 'shop', 'abc222')).status).toBe(200);
    at('09:55:45');
    markerSees(g, '3.0.0');
    at('09:56:00');
    g.fail('checkout');
    expect((await g.flagger('rollback', 'shop', 'abc222')).status).toBe(200);

    // More than a window after that failure the same spec is applied again: the marker sees its
    // version before Flagger's pre-rollout opens the new attempt, which joins the marker's record.
    at('10:03:00');
    expect((await g.flagger('rollback', 'shop', 'abc222')).body).toMatchObject({ rollback: false });
    at('10:03:40');
    const seen = markerSees(g, '3.0.0');
    at('10:04:00');
    expect((await g.flagger('pre-rollout', 'shop', 'abc222')).body).toMatchObject({ id: seen.id, verdict: 'pending' });
    // Every later hook reads that attempt, not the failure of the first rollout.
    at('10:04:30');
    expect((await g.flagger('rollout', 'shop', 'abc222'))).toMatchObject({ status: 200, body: { id: seen.id, gate: 'wait' } });
    expect((await g.flagger('confirm-promotion', 'shop', 'abc222')).status).toBe(425);
  });
});

describe('gates: a rollback to a version deployed within a window', () => {
  it("Argo: the rollback to a superseded version is a new attempt, judged on its own: not the failure of the version it replaces", async () => {
    const g = await gates();
    const at = (hhmmss: string) => (g.clock.ms = Date.parse(`2026-12-05T${hhmmss}Z`));
    at('09:00:00');
    await g.argo({ service: 'pay', version: '5.1.0' });
    at('09:00:20');
    await g.argo({ service: 'pay', version: '5.2.0' });
    at('09:01:00');
    g.fail('pay');
    expect((await g.argo({ service: 'pay', version: '5.2.0' })).body).toMatchObject({ gate: 'fail' });
    expect(g.watcher.get('argo:production:pay:5.1.0')).toMatchObject({ supersededBy: 'argo:production:pay:5.2.0' });
    // `kubectl argo rollouts undo`: two minutes after 5.1.0 started, well within its window.
    at('09:02:00');
    const rollback = await g.argo({ service: 'pay', version: '5.1.0' });
    expect(rollback.body).toMatchObject({ id: `argo:production:pay:5.1.0:r${g.clock.ms.toString(36)}`, version: '5.1.0', verdict: 'pending', gate: 'wait' });
    expect(g.watcher.records()).toHaveLength(3);
    // The failed deploy's alert resolves: the rollback came.
    expect(g.watcher.alertingRecords().map((r) => r.id)).toEqual([]);
    // Its later measurements read the rollback's own window.
    at('09:02:30');
    g.tick();
    expect((await g.argo({ service: 'pay', version: '5.1.0' })).body).toMatchObject({ id: rollback.body.id, gate: 'wait' });
  });

  it('Argo: the rollback to a version that passed a minute ago is a new attempt, not its old pass', async () => {
    const g = await gates();
    const at = (hhmmss: string) => (g.clock.ms = Date.parse(`2026-12-05T${hhmmss}Z`));
    at('09:00:00');
    await g.argo({ service: 'search', version: '7.1.0' });
    at('09:06:00');
    g.tick();
    const passed = await g.argo({ service: 'search', version: '7.1.0' });
    expect(passed.body.verdict).not.toBe('pending');
    at('09:06:30');
    await g.argo({ service: 'search', version: '7.2.0' });
    at('09:07:00');
    g.fail('search');
    at('09:07:30');
    const rollback = await g.argo({ service: 'search', version: '7.1.0' });
    expect(rollback.body).toMatchObject({ id: `argo:production:search:7.1.0:r${g.clock.ms.toString(36)}`, verdict: 'pending', gate: 'wait' });
  });

  it("Flagger: a spec reverted to a revision superseded a minute ago is gated on a new attempt: its hooks wait, they do not answer the failure", async () => {
    const g = await gates();
    const at = (hhmmss: string) => (g.clock.ms = Date.parse(`2026-12-05T${hhmmss}Z`));
    at('09:00:00');
    expect((await g.flagger('pre-rollout', 'shop', 'sumA')).status).toBe(200);
    at('09:00:20');
    expect((await g.flagger('pre-rollout', 'shop', 'sumB')).status).toBe(200);
    at('09:01:00');
    g.fail('checkout');
    expect((await g.flagger('rollout', 'shop', 'sumB')).status).toBe(412);
    // Flagger asks the rollback hook before pre-rollout: sumA's old record (superseded) is no
    // failure of this rollout.
    at('09:01:58');
    const asked = await g.flagger('rollback', 'shop', 'sumA');
    expect(asked).toMatchObject({ status: 412, body: { id: 'flagger:shop:checkout:sumA', rollback: false } });
    expect(asked.body.note).toMatch(/another rollout of the service began after it/);
    at('09:02:00');
    const start = await g.flagger('pre-rollout', 'shop', 'sumA');
    expect(start).toMatchObject({ status: 200, body: { id: `flagger:shop:checkout:sumA:r${g.clock.ms.toString(36)}`, verdict: 'pending' } });
    at('09:02:15');
    g.tick();
    expect((await g.flagger('rollout', 'shop', 'sumA'))).toMatchObject({ status: 200, body: { id: start.body.id, gate: 'wait' } });
    expect((await g.flagger('confirm-promotion', 'shop', 'sumA')).status).toBe(425);
  });
});
