// examples/flagger/canary.yaml replayed as Flagger calls its webhooks, against a real stormwatch:
// a good revision is promoted once the window passes (no failed check on the way), a bad one is
// rolled back; Flagger's "New revision detected" event records the deploy.

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
    const sim = new FlaggerSimulation(canaryFor(s.url, '1.4.2'), 'a1b2c3d4');
    expect(await sim.run(250)).toBe('promoted');
    expect(sim.failedChecks).toBe(0);
    // The event recorded the deploy; pre-rollout and every rollout check said yes while pending.
    const byType = (t: string) => sim.calls.filter((c) => c.type === t);
    expect(byType('event')[0]).toMatchObject({ status: 202, body: { verdict: 'pending', service: 'checkout', version: '1.4.2', source: 'flagger' } });
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
