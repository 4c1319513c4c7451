// The pure parts of the gates: verdict views, Flagger's answers per hook, ids, and deploy --wait's
// outcome and exit code for every verdict (inconclusive included), errors and the deadline.

import { describe, expect, it } from 'vitest';
import { argoDeployId, argoEvent } from '../../../src/deploys/gates/argo.js';
import { flaggerEvent, flaggerStatus, isNewRevisionEvent } from '../../../src/deploys/gates/flagger.js';
import { gateView, safeId } from '../../../src/deploys/gates/verdict-view.js';
import { DEPLOY_EXIT, exitCodeFor, waitForVerdict } from '../../../src/deploys/deploy-wait.js';
import type { DeployRecord, Verdict } from '../../../src/deploys/types.js';

const record = (verdict: Verdict): DeployRecord => ({
  id: 'd1',
  service: 'checkout',
  version: '1',
  environment: 'production',
  startedAtMs: 1_000_000,
  source: 'api',
  verdict,
  windowEndsAtMs: 1_000_000 + 1_800_000,
  reasons: verdict === 'pending' ? [] : [`${verdict} because`],
  evidence: [],
});

describe('gate views', () => {
  it('applies the inconclusive policy and counts down the window', () => {
    expect(gateView(record('pending'), 1_000_000 + 600_000, 'fail')).toMatchObject({ gate: 'wait', decided: false, secondsLeft: 1200, decidedAt: null });
    expect(gateView(record('inconclusive'), 0, 'fail').gate).toBe('fail');
    expect(gateView(record('inconclusive'), 0, 'pass').gate).toBe('pass');
    expect(gateView(record('fail'), 0, 'pass')).toMatchObject({ gate: 'fail', decided: true, secondsLeft: 0 });
  });

  it('folds foreign names into valid ids, bounded', () => {
    expect(argoDeployId({ environment: 'prod', service: 'shop/checkout', version: 'registry:5000/img:1.2' })).toBe('argo:prod:shop_checkout:registry_5000_img_1.2');
    const long = safeId(['x'.repeat(200)]);
    expect(long).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
    expect(safeId(['x'.repeat(200)])).toBe(long);
    expect(argoEvent({ service: 's', version: 'v', environment: 'e', startedAt: '2023-07-20T12:17:00Z' }, 5).startedAtMs).toBe(Date.parse('2023-07-20T12:17:00Z'));
  });
});

describe('Flagger answers', () => {
  it('says yes (<= 202) only where Flagger should go on', () => {
    const table = (['pre-rollout', 'rollout', 'confirm-promotion', 'rollback'] as const).map((hook) => [hook, (['wait', 'pass', 'fail'] as const).map((g) => flaggerStatus(hook, g))]);
    expect(Object.fromEntries(table)).toEqual({
      'pre-rollout': [200, 200, 412],
      rollout: [200, 200, 412],
      'confirm-promotion': [425, 200, 412],
      rollback: [412, 412, 200],
    });
  });

  it('names the deploy from metadata, else the canary, its checksum and its namespace', () => {
    const p = { name: 'checkout', namespace: 'shop', phase: 'Progressing', checksum: 'abc', metadata: {} };
    // The namespace is the environment unless metadata names one; the checksum as version names no release.
    expect(flaggerEvent(p, 7)).toEqual({ id: 'flagger:shop:checkout:abc', service: 'checkout', version: 'abc', environment: 'shop', startedAtMs: 7, source: 'flagger', opaqueVersion: true });
    const named = flaggerEvent({ ...p, metadata: { service: 's', version: 'v', environment: 'staging', timestamp: '1690000000000' } }, 7);
    expect(named).toMatchObject({ service: 's', version: 'v', environment: 'staging', startedAtMs: 1_690_000_000_000 });
    expect(named.opaqueVersion).toBeUndefined();
    expect(isNewRevisionEvent({ ...p, metadata: { eventMessage: 'New revision detected! Scaling up checkout.shop' } })).toBe(true);
    expect(isNewRevisionEvent({ ...p, metadata: { eventMessage: 'Starting canary analysis for checkout.shop' } })).toBe(false);
  });
});

describe('deploy --wait', () => {
  /** A stub stormwatch answering a scripted sequence of records (or failures). */
  function stub(answers: (Verdict | 'down' | 404)[]) {
    let i = 0;
    const fetchStub = (async () => {
      const a = answers[Math.min(i++, answers.length - 1)]!;
      if (a === 'down') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      if (a === 404) return new Response('{"error":"no such deploy"}', { status: 404 });
      return new Response(JSON.stringify(record(a)), { status: a === 'pass' ? 200 : a === 'pending' ? 425 : 412 });
    }) as typeof fetch;
    let clock = 0;
    const lines: string[] = [];
    const opts = { deadlineMs: 60_000, pollMs: 5000, progress: (l: string) => lines.push(l), now: () => clock, sleep: async (ms: number) => void (clock += ms), fetch: fetchStub };
    return { opts, lines };
  }

  it('maps every verdict to its exit code', async () => {
    for (const [v, code] of [['pass', 0], ['fail', 3], ['inconclusive', 4]] as const) {
      const { opts } = stub(['pending', v]);
      expect(exitCodeFor(await waitForVerdict(['http://a'], 'd1', opts))).toBe(code);
    }
    expect(DEPLOY_EXIT).toEqual({ pass: 0, error: 1, usage: 2, fail: 3, inconclusive: 4, timeout: 5 });
  });

  it('rides out a replica restart, reports progress once per change, times out with 5', async () => {
    const { opts, lines } = stub(['pending', 'down', 'down', 'pending', 'pending']);
    const outcome = await waitForVerdict(['http://a'], 'd1', { ...opts, deadlineMs: 30_000 });
    expect(outcome.kind).toBe('timeout');
    expect(exitCodeFor(outcome)).toBe(5);
    expect(lines[0]).toMatch(/^deploy checkout 1 \(d1\): pending, \d+s left in the window/);
    expect(lines[1]).toBe('could not read the verdict (http://a: ECONNREFUSED); retrying until the deadline');
    expect(lines[2]).toBe('http://a answers again');
    expect(lines).toHaveLength(3);
  });

  it('asks the other replica when one is down; unknown everywhere is an error', async () => {
    const { opts } = stub(['down', 'pass']);
    expect(await waitForVerdict(['http://a', 'http://b'], 'd1', opts)).toMatchObject({ kind: 'decided', record: { verdict: 'pass' } });
    const unknown = stub([404]);
    const outcome = await waitForVerdict(['http://a'], 'd1', unknown.opts);
    expect(outcome).toEqual({ kind: 'error', message: 'deploy d1 is unknown to stormwatch at http://a' });
    expect(exitCodeFor(outcome)).toBe(1);
    const down = stub(['down']);
    expect(exitCodeFor(await waitForVerdict(['http://a'], 'd1', { ...down.opts, deadlineMs: 12_000 }))).toBe(1);
  });
});
