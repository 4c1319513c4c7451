// examples/flagger/canary.yaml replayed as Flagger calls its webhooks, against a real stormwatch:
// a good revision is promoted once the window passes (no failed check on the way), a bad one is
// rolled back, a fix right after it is judged on its own; Flagger's "New revision detected" event
// marks the revision's start, from which its first hook records the deploy. Users reach the new
// revision as Flagger's weights route them (10 % more a pass, held at 50 % until promotion): the
// verdict is judged on their downloads, and promotion waits at the maximum weight.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/core/paths.js';
import type { DeployRecord } from '../../../src/deploys/types.js';
import { type Canary, FlaggerSimulation } from '../../helpers/flagger-canary.js';
import { GATE_TOKEN, type GatedService, startGatedService } from '../../helpers/gated-service.js';

const example = parse(readFileSync(join(PACKAGE_ROOT, 'examples', 'flagger', 'canary.yaml'), 'utf8')) as Canary;

/** The example pointed at our stormwatch, with our token and a version of our choosing (none: the checksum, as the example). */
function canaryFor(url: string, version: string | undefined): Canary {
  const c = structuredClone(example);
  for (const w of c.spec.analysis.webhooks) {
    w.url = w.url.replace('http://stormwatch.monitoring.svc:9464', url);
    w.metadata = { ...w.metadata, ...(version !== undefined ? { version } : {}), token: GATE_TOKEN };
  }
  return c;
}

describe('Flagger webhooks against stormwatch', () => {
  let s: GatedService;
  beforeAll(async () => {
    // A build-info marker of the canary's namespace as well: it reports the rollouts Flagger does.
    s = await startGatedService({ windowSeconds: 6, extraDeploys: '  markers: [{name: checkout-build, service: checkout, environment: shop, selector: checkout_build_info, label: version}]' });
    s.state.buildVersions = ['1.4.0'];
    // A baseline of a dozen buckets before the first revision, as a service that has run for a
    // while has (ticks enter it after their 30 s of probation): users reach a canary in part, and
    // its verdict compares their buckets with those.
    await s.warm(42_000);
  }, 60_000);
  afterAll(() => s?.stop());

  it('the example has every hook this gate answers', () => {
    expect(example.spec.analysis.webhooks.map((w) => w.type).sort()).toEqual(['confirm-promotion', 'event', 'pre-rollout', 'rollout']);
  });

  /** A revision's canary run, its users routed to it by the canary's weight. */
  const simulate = (version: string | undefined, checksum: string, previous?: string, routed: (weight: number) => void = () => {}) => {
    s.state.canaryShare = 0;
    return new FlaggerSimulation(canaryFor(s.url, version), checksum, previous, (weight) => {
      s.state.canaryShare = weight / 100;
      routed(weight);
    });
  };
  afterEach(() => {
    delete s.state.canaryShare;
  });

  it('uses the progressive canary strategy, whose users reach the new revision during the window (blue/green sends them only at promotion)', () => {
    expect(example.spec.analysis).toMatchObject({ stepWeight: 10, maxWeight: 50 });
    expect(example.spec.analysis).not.toHaveProperty('iterations');
  });

  it('promotes a good revision after the window passes, with no failed check', async () => {
    const before = Date.now();
    const sim = simulate('1.4.2', 'a1b2c3d4');
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
    // ... with half the users on the new revision meanwhile.
    expect(sim.weightsAtCalls.filter((c) => c.type === 'confirm-promotion').every((c) => c.weight === 50)).toBe(true);
    const record = (await (await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:a1b2c3d4`)).json()) as DeployRecord;
    expect(record).toMatchObject({ verdict: 'pass', source: 'flagger', service: 'checkout', version: '1.4.2' });
  }, 60_000);

  it('rolls back a bad revision that only its share of users reaches: rollout checks fail (412) until the threshold', async () => {
    s.state.broken = true;
    try {
      const sim = simulate('1.4.3', 'e5f6a7b8');
      expect(await sim.run(250)).toBe('rolled back');
      // Judged while a part of the users was on it, never all.
      expect(Math.max(...sim.weightsAtCalls.map((c) => c.weight))).toBeLessThanOrEqual(50);
      expect(sim.failedChecks).toBe(example.spec.analysis.threshold);
      const failed = sim.calls.filter((c) => !c.ok && (c.type === 'rollout' || c.type === 'pre-rollout'));
      expect(failed.map((c) => c.status)).toEqual([412, 412]);
      // Judged on the users' downloads (the smoke probe, at weight 0, reached the old revision).
      expect(JSON.stringify(failed[0]!.body)).toContain('downstream completion');
      expect(sim.calls.some((c) => c.type === 'confirm-promotion' && c.ok)).toBe(false);
    } finally {
      s.state.broken = false;
    }
  }, 60_000);

  it("judges a fix shipped right after a failed revision on its own, though Flagger's event carries the failed one's checksum and the metadata the same version", async () => {
    s.state.broken = true;
    try {
      const bad = simulate('2.0.0', 'bbbb2222', 'aaaa1111');
      expect(await bad.run(250)).toBe('rolled back');
    } finally {
      s.state.broken = false;
    }
    const fix = simulate('2.0.0', 'cccc3333', 'bbbb2222');
    expect(await fix.run(250)).toBe('promoted');
    expect(fix.failedChecks).toBe(0);
    expect(fix.calls.find((c) => c.type === 'pre-rollout')).toMatchObject({ status: 200, body: { id: 'flagger:shop:checkout:cccc3333', verdict: 'pending' } });
    const failed = (await (await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:bbbb2222`)).json()) as DeployRecord;
    expect(failed.verdict).toBe('fail');
    const fixed = (await (await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:cccc3333`)).json()) as DeployRecord;
    expect(fixed).toMatchObject({ verdict: 'pass', version: '2.0.0' });
    expect(fixed.startedAtMs).toBeGreaterThan(failed.startedAtMs);
  }, 60_000);

  it("is one deploy with the marker that sees the canary's version: promoted on its verdict, not rolled back as superseded by its twin", async () => {
    const before = Date.now();
    // The canary's pods show their version once traffic reaches them, after pre-rollout recorded the
    // deploy: the marker's record comes second and, a rollout of its own, would end Flagger's window.
    const sim = simulate(undefined, 'f00dcafe', 'cccc3333', (weight) => {
      if (weight > 0) s.state.buildVersions = ['1.4.0', '1.5.0'];
    });
    try {
      const outcome = await sim.run(250);
      // Once rolled back under a loaded CI, not since: what the hooks answered, and the deploys, to tell a false fail from a twin that superseded it.
      const why = outcome === 'promoted' ? '' : JSON.stringify({ calls: sim.calls.filter((c) => c.type !== 'event'), deploys: await (await fetch(`${s.url}/api/v1/deploys`)).json() });
      expect(outcome, why).toBe('promoted');
    } finally {
      s.state.buildVersions = ['1.5.0'];
    }
    expect(sim.failedChecks).toBe(0);
    const record = (await (await fetch(`${s.url}/api/v1/deploys/flagger:shop:checkout:f00dcafe`)).json()) as DeployRecord;
    expect(record).toMatchObject({ id: 'flagger:shop:checkout:f00dcafe', version: 'f00dcafe', verdict: 'pass', sources: ['flagger', 'marker'] });
    expect(record.supersededBy).toBeUndefined();
    const { deploys } = (await (await fetch(`${s.url}/api/v1/deploys`)).json()) as { deploys: DeployRecord[] };
    expect(deploys.filter((d) => d.recordedAtMs! >= before).map((d) => d.id)).toEqual([record.id]);
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
