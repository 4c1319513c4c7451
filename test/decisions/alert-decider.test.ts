import { describe, expect, it } from 'vitest';
import { loadBundledModels } from '../../src/config/load.js';
import { AlertDecider } from '../../src/decisions/alert-decider.js';
import type { Assessment } from '../../src/decisions/assess.js';

const { definitions } = loadBundledModels();
const signal = { id: 'downloads', name: 'downloads', labels: { service: 'crates-io' } };

function assessment(o: Partial<Assessment>): Assessment {
  return { failing: false, surge: false, kind: 'error_regression', settled: true, completion: 0.999, completionBaseline: 0.999, errorRatio: 0, errorRatioBaseline: 0, requests: 1000, requestsBaseline: 1000, explanation: 'why', ...o };
}

describe('AlertDecider', () => {
  it('chooses the incident kind when it fires and keeps it (labels are identity) until it resolves', () => {
    const d = new AlertDecider(definitions, { forMs: 15_000, keepFiringForMs: 30_000 }, { team: 'crates' });
    expect(d.decide(signal, assessment({ failing: true, kind: 'outage' }), 0)).toEqual([]);
    const [firing] = d.decide(signal, assessment({ failing: true, kind: 'retry_storm' }), 15_000);
    expect(firing).toMatchObject({ status: 'firing', startsAtMs: 0, evaluatedAtMs: 15_000, labels: { team: 'crates', service: 'crates-io', alertname: 'StormwatchRetryStorm', signal: 'downloads', severity: 'critical' } });
    expect(firing!.annotations.description).toContain('why');
    // The kind wobbles mid-incident: the alert stays what it was.
    expect(d.decide(signal, assessment({ failing: true, kind: 'error_regression' }), 30_000)).toEqual([]);
    expect(d.firing().map((a) => a.labels.alertname)).toEqual(['StormwatchRetryStorm']);
    expect(d.decide(signal, assessment({ failing: false }), 45_000)).toEqual([]);
    const [resolved] = d.decide(signal, assessment({ failing: false }), 60_000);
    expect(resolved).toMatchObject({ status: 'resolved', fingerprint: firing!.fingerprint, labels: firing!.labels, startsAtMs: 0, endsAtMs: 60_000 });
  });

  it('raises an organic surge as its own informational alert', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const [surge] = d.decide(signal, assessment({ surge: true }), 0);
    expect(surge!.labels).toMatchObject({ alertname: 'StormwatchOrganicSurge', severity: 'info' });
  });

  it('leaves states alone while nothing can be judged', () => {
    const d = new AlertDecider(definitions, { forMs: 15_000, keepFiringForMs: 0 });
    d.decide(signal, assessment({ failing: true, kind: 'outage' }), 0);
    expect(d.decide(signal, assessment({ failing: undefined, surge: undefined }), 15_000)).toEqual([]);
    expect(d.decide(signal, assessment({ failing: true, kind: 'outage' }), 30_000)).toHaveLength(1);
  });

  it('puts rates and estimates in annotations, never in labels', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const [t] = d.decide(signal, assessment({ failing: true, kind: 'outage', requests: 12.5 }), 0);
    expect(Object.values(t!.labels)).not.toContain('12.5');
    expect(t!.annotations.requests_per_second).toBe('12.5');
  });
});
