// examples/flagger/canary.yaml replayed as Flagger calls its webhooks, against a real stormwatch:
// a good revision is promoted once the window passes (no failed check on the way), a bad one is
// rolled back, a fix right after it is judged on its own; Flagger's "New revision detected" event
// marks the revision's start, from which its first hook records the deploy.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/core/paths.js';
import type { DeployRecord } from '../../../src/deploys/types.js';
import { type Canary, FlaggerSimulation } from '../../helpers/flagger-canary.js';
import { GATE_TOKEN, type GatedService, startGatedService } from '../../helpers/gated-service.js';

const example = parse(readFileSync(join(PACKAGE_ROOT, 'examples', 'flagger', 'canary.yaml'), 'utf8')) as Canary;

/** The example pointed at our stormwatch, with our token and a version of our choosing. */
function canaryFor(url: string, version: string): Canary {
  const c = structuredClone(example);
  for (const w of c.spec.analysis.webhooks) {
    w.url = w.url.replace('http://stormwatch.monitoring.svc:9464', url);
    w.metadata = { ...w.metadata, version, token: GATE_TOKEN };
  }
  return c;
}

describe('Flagger webhooks against stormwatch', () => {
  let s: GatedService;
  beforeAll(async () => {
    s = await startGatedService({ windowSeconds: 6 });
    await s.warm(5000);
  }, 30_000);
  afterAll(() => s?.stop());

  it('the example has every hook this gate answers', () => {
    expect(example.spec.analysis.webhooks.map((w) => w.type).sort()).toEqual(['confirm-promotion', 'event', 'pre-rollout', 'rollout']);
  });

  it('promotes a good revision after the window passes, with no failed check', async () => {
    const before = Date.now();
    const sim = new FlaggerSimulation(canaryFor(s.url, '1.4.2'), 'a1b2c3d4');
    expect(await sim.run(250)).toBe('promoted');
    expect(sim.failedChecks).toBe(0);
    // The event told when the revision started; pre-rollout recorded it from then, and every rollout check said yes while pending.
    const byType = (t: string) => sim.calls.filter((c) => c.type === t);
    expect(byType('event')[0]).toMatchObject({ status: 202, body: { canary: 'shop/checkout' } });
    const eventAt = Date.parse((byType('event')[0]!.body as { revisionStartedAt: string }).revisionStartedAt);
    expect(eventAt).toBeGreaterThanOrEqual(before);
    expect(byType('pre-rollout')[0]).toMatchObject({ status: 200, body: { verdict: 'pending', service: 'checkout', version: '1.4.2', source: 'flagger', startedAt: new Date(eventAt).toISOString() } });
    expect(byType('pre-rollout').every((c) => c.status === 200)).toBe(true);
    expect(byType('rollout').every((c) => c.status === 200)).toBe(true);
    // Promotion waited (425) until the verdict passed.
    const confirms = byType('confirm-promotion');
    expect(confirms.at(-1)).toMatchObject({ status: 200, body: { verdict: 'pass' } });
    for (const c of confirms.slice(0, -1)) expect(c).toMatchObject({ status: 425, body: { verdict: 'pending' } });
    const record = (await (await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:a1b2c3d4`)).json()) as DeployRecord;
    expect(record).toMatchObject({ verdict: 'pass', source: 'flagger', service: 'checkout', version: '1.4.2' });
  }, 60_000);

  it('rolls back a bad revision: rollout checks fail (412) until the threshold', async () => {
    s.state.broken = true;
    try {
      const sim = new FlaggerSimulation(canaryFor(s.url, '1.4.3'), 'e5f6a7b8');
      expect(await sim.run(250)).toBe('rolled back');
      expect(sim.failedChecks).toBe(example.spec.analysis.threshold);
      const failed = sim.calls.filter((c) => !c.ok && c.type !== 'event');
      expect(failed.every((c) => c.status === 412)).toBe(true);
      expect(JSON.stringify(failed[0]!.body)).toContain('name does not resolve');
      expect(sim.calls.some((c) => c.type === 'confirm-promotion' && c.ok)).toBe(false);
    } finally {
      s.state.broken = false;
    }
  }, 60_000);

  it("judges a fix shipped right after a failed revision on its own, though Flagger's event carries the failed one's checksum and the metadata the same version", async () => {
    s.state.broken = true;
    try {
      const bad = new FlaggerSimulation(canaryFor(s.url, '2.0.0'), 'bbbb2222', 'aaaa1111');
      expect(await bad.run(250)).toBe('rolled back');
    } finally {
      s.state.broken = false;
    }
    const fix = new FlaggerSimulation(canaryFor(s.url, '2.0.0'), 'cccc3333', 'bbbb2222');
    expect(await fix.run(250)).toBe('promoted');
    expect(fix.failedChecks).toBe(0);
    expect(fix.calls.find((c) => c.type === 'pre-rollout')).toMatchObject({ status: 200, body: { id: 'flagger:shop:checkout:cccc3333', verdict: 'pending' } });
    const failed = (await (await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:bbbb2222`)).json()) as DeployRecord;
    expect(failed.verdict).toBe('fail');
    const fixed = (await (await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:cccc3333`)).json()) as DeployRecord;
    expect(fixed).toMatchObject({ verdict: 'pass', version: '2.0.0' });
    expect(fixed.startedAtMs).toBeGreaterThan(failed.startedAtMs);
  }, 60_000);

  it('refuses a new-revision event whose time is far from its clock', async () => {
    const payload = { name: 'checkout', namespace: 'shop', phase: 'Progressing', checksum: 'x', metadata: { token: GATE_TOKEN, eventMessage: 'New revision detected! Scaling up checkout.shop', timestamp: String(Date.parse('2100-01-01T00:00:00Z')) } };
    const r = await fetch(`${s.url}/api/v1/gates/flagger/event`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toContain('more than 5 minutes ahead');
  });

  it('refuses hooks without the token and ignores events that are not new revisions', async () => {
    const payload = { name: 'checkout', namespace: 'shop', phase: 'Progressing', checksum: 'x', metadata: { service: 'checkout' } };
    const post = (hook: string, body: unknown) => fetch(`${s.url}/api/v1/gates/flagger/${hook}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('rollout', payload)).status).toBe(401);
    expect((await post('rollout', { ...payload, metadata: { token: 'wrong' } })).status).toBe(403);
    const ignored = await post('event', { ...payload, metadata: { token: GATE_TOKEN, eventMessage: 'Advance checkout.shop canary iteration 1/30' } });
    expect(ignored.status).toBe(202);
    expect(await ignored.json()).toEqual({ ignored: true, phase: 'Progressing' });
    expect((await post('nope', payload)).status).toBe(404);
    expect((await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:x`)).status).toBe(404);
  });
});
