// examples/argo/*.yaml replayed as Argo Rollouts sends them, against a real stormwatch: the
// analysis promotes a good deploy, aborts a bad one, and never errors while the window is open;
// the notification template records the deploy the analysis then gates on.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/core/paths.js';
import type { GateView } from '../../../src/deploys/gates/verdict-view.js';
import { type WebMetric, evalCondition, resolveArgs, runAnalysis } from '../../helpers/argo-analysis.js';
import { GATE_TOKEN, type GatedService, startGatedService } from '../../helpers/gated-service.js';

const docs = (file: string) => parseAllDocuments(readFileSync(join(PACKAGE_ROOT, 'examples', 'argo', file), 'utf8')).map((d) => d.toJS() as Record<string, any>);
const [template, rollout] = docs('analysis-template.yaml');
const notifications = docs('notifications-configmap.yaml')[0]!;

/** The args Argo merges: the template's defaults, the Rollout's values, the secret, our URL. */
function argsFor(url: string, version: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const a of template!.spec.args) if (a.value !== undefined) args[a.name] = a.value;
  const step = rollout!.spec.strategy.canary.steps.find((s: any) => s.analysis).analysis;
  for (const a of step.args) {
    if (a.value !== undefined) args[a.name] = a.value;
    // fieldRef reads the Rollout: here the pod template's version label, which we vary per deploy.
    else if (a.valueFrom?.fieldRef?.fieldPath === 'spec.template.metadata.labels.version') args[a.name] = version;
    else throw new Error(`unhandled arg ${a.name}`);
  }
  const tokenArg = template!.spec.args.find((a: any) => a.valueFrom?.secretKeyRef);
  args[tokenArg.name] = GATE_TOKEN;
  args['stormwatch-url'] = url;
  return args;
}

function metricFor(url: string, version: string): WebMetric {
  return resolveArgs(template!.spec.metrics[0] as WebMetric, argsFor(url, version));
}

describe('Argo Rollouts web metric against stormwatch', () => {
  let s: GatedService;
  beforeAll(async () => {
    s = await startGatedService({ windowSeconds: 6 });
    await s.warm(5000);
  }, 30_000);
  afterAll(() => s?.stop());

  it('the example conditions read the gate', () => {
    const m = template!.spec.metrics[0];
    expect(evalCondition(m.successCondition, { gate: 'pass' })).toBe(true);
    expect(evalCondition(m.failureCondition, { gate: 'fail' })).toBe(true);
    expect(evalCondition(m.successCondition, { gate: 'wait' }) || evalCondition(m.failureCondition, { gate: 'wait' })).toBe(false);
    // Pending answers never count toward a give-up: every one may be inconclusive.
    expect(m.inconclusiveLimit).toBeGreaterThanOrEqual(m.count);
  });

  it('promotes a good deploy: 200 + pending JSON while the window is open, then Successful', async () => {
    const { phase, result } = await runAnalysis(metricFor(s.url, '1.4.2'), 250);
    expect(phase, JSON.stringify(result.measurements.at(-1))).toBe('Successful');
    expect(result.error).toBe(0);
    const pending = result.measurements.filter((m) => (m.value as GateView).verdict === 'pending');
    expect(pending.length).toBeGreaterThan(3); // more than consecutiveErrorLimit polls while pending
    expect(pending.every((m) => m.status === 200 && m.phase === 'Inconclusive')).toBe(true);
    expect(result.measurements.at(-1)!.value).toMatchObject({ service: 'checkout', version: '1.4.2', verdict: 'pass', gate: 'pass', source: 'argo' });
  }, 40_000);

  it('aborts a bad deploy: Failed with the reason', async () => {
    s.state.broken = true;
    try {
      const { phase, result } = await runAnalysis(metricFor(s.url, '1.4.3'), 250);
      expect(phase).toBe('Failed');
      expect(result.error).toBe(0);
      const last = result.measurements.at(-1)!.value as GateView;
      expect(last).toMatchObject({ version: '1.4.3', verdict: 'fail', gate: 'fail' });
      expect(last.reasons.join(' ')).toContain('name does not resolve');
    } finally {
      s.state.broken = false;
    }
  }, 40_000);

  it('the notification template records the deploy; the analysis gates on the same one', async () => {
    const service = notifications.data['service.webhook.stormwatch'] as string;
    const svc = parseAllDocuments(service)[0]!.toJS() as { url: string; headers: { name: string; value: string }[] };
    const hook = (parseAllDocuments(notifications.data['template.stormwatch-deploy'])[0]!.toJS() as any).webhook.stormwatch;
    // The notification engine renders the Go template against the Rollout.
    const ro = { ...rollout, spec: { ...rollout!.spec, template: { ...rollout!.spec.template, metadata: { labels: { app: 'checkout', version: '1.5.0' } } } } };
    const lookup = (path: string) => path.split('.').filter(Boolean).reduce((o: any, k) => o?.[k], { rollout: ro });
    const body = (hook.body as string)
      .replace(/\{\{\s*index\s+\.([\w.]+)\s+"([^"]+)"\s*\}\}/g, (_, p: string, k: string) => lookup(p)[k])
      .replace(/\{\{\s*\.([\w.]+)\s*\}\}/g, (_, p: string) => lookup(p));
    expect(body).not.toContain('{{');
    const headers = Object.fromEntries(svc.headers.map((h) => [h.name, h.value.replace('$stormwatch-deploy-token', GATE_TOKEN)]));
    const res = await fetch(`${s.url}${hook.path}`, { method: hook.method, headers, body });
    expect(res.status).toBe(202);
    const recorded = (await res.json()) as GateView;
    expect(recorded).toMatchObject({ service: 'checkout', version: '1.5.0', environment: 'production', verdict: 'pending' });

    const { phase, result } = await runAnalysis(metricFor(s.url, '1.5.0'), 250);
    expect(phase).toBe('Successful');
    expect((result.measurements[0]!.value as GateView).id).toBe(recorded.id);
    expect((result.measurements[0]!.value as GateView).startedAt).toBe(recorded.startedAt);
  }, 40_000);

  it('a retried analysis reads the failure it retries; one more than a window after that verdict gates a new attempt', async () => {
    s.state.broken = true;
    let failedId: string;
    try {
      const { phase, result } = await runAnalysis(metricFor(s.url, '1.6.0'), 250);
      expect(phase).toBe('Failed');
      failedId = (result.measurements.at(-1)!.value as GateView).id;
    } finally {
      s.state.broken = false;
    }
    // At once: the same version's verdict, the failure.
    const again = await runAnalysis(metricFor(s.url, '1.6.0'), 250);
    expect(again.phase).toBe('Failed');
    expect((again.result.measurements[0]!.value as GateView).id).toBe(failedId);
    // A window (6 s) after the failure was decided: a new rollout of 1.6.0, judged on its own window.
    await new Promise((r) => setTimeout(r, 7000));
    const retried = await runAnalysis(metricFor(s.url, '1.6.0'), 250);
    const first = retried.result.measurements[0]!.value as GateView;
    expect(first).toMatchObject({ verdict: 'pending', version: '1.6.0', gate: 'wait' });
    expect(first.id).toMatch(new RegExp(`^${failedId.replace(/[.]/g, '\\.')}:r[0-9a-z]+$`));
    const last = retried.result.measurements.at(-1)!.value as GateView;
    expect(last.id).toBe(first.id);
    expect(last.decided, JSON.stringify(last.reasons)).toBe(true);
    expect(Date.parse(last.decidedAt!)).toBeGreaterThan(Date.parse(first.startedAt));
    // The first attempt's record is as it was.
    expect(((await (await fetch(`${s.url}/api/v1/deploys/${failedId}`)).json()) as { verdict: string }).verdict).toBe('fail');
  }, 60_000);

  it('refuses a measurement without the token (an Error, never a verdict)', async () => {
    const m = metricFor(s.url, '9.9.9');
    m.provider.web.headers = [];
    const res = await fetch(m.provider.web.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(m.provider.web.jsonBody) });
    expect(res.status).toBe(401);
  });

  it('asks for a JSON body as the deploy API does (415), records nothing', async () => {
    const m = metricFor(s.url, '9.9.8');
    const res = await fetch(m.provider.web.url, { method: 'POST', headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${GATE_TOKEN}` }, body: JSON.stringify(m.provider.web.jsonBody) });
    expect(res.status).toBe(415);
    expect((await fetch(`${s.url}/api/v1/deploys/argo:production:checkout:9.9.8`)).status).toBe(404);
  });
});
