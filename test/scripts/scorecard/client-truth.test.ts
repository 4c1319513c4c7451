import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/core/types.js';
import { incidentReadings, judgeReading, readingAt } from '../../../scripts/scorecard/client-truth.js';

function t(o: Partial<AlertTransition> & { model: string; attempts: string }): AlertTransition {
  const { model, attempts, ...rest } = o;
  return {
    status: 'firing', labels: { alertname: 'StormwatchRetryStorm', severity: 'critical' }, fingerprint: 'fp', startsAtMs: 0, evaluatedAtMs: 0,
    annotations: { client_model: model, attempts_per_request: attempts, attempts_per_request_low: String(Number(attempts) * 0.9), attempts_per_request_high: String(Number(attempts) * 1.1) },
    ...rest,
  };
}

describe('client truth', () => {
  const transitions = [
    t({ model: '', attempts: '', labels: { alertname: 'StormwatchDeployRegression', severity: 'critical' }, fingerprint: 'deploy' }),
    t({ model: 'cargo-legacy', attempts: '2.6', evaluatedAtMs: 15_000 }),
    t({ model: 'cargo', attempts: '3.1', evaluatedAtMs: 45_000, update: 1 }),
    t({ model: 'pip', attempts: '5', evaluatedAtMs: 90_000, update: 2 }),
  ];
  const readings = incidentReadings(transitions, (x) => x.labels.alertname !== 'StormwatchDeployRegression');

  it('follows the first incident through its updates', () => {
    expect(readings.map((r) => r.model)).toEqual(['cargo-legacy', 'cargo', 'pip']);
  });

  it('takes what a receiver held at a moment: the latest reading sent by then', () => {
    expect(readingAt(readings, 60_000)?.model).toBe('cargo');
    expect(readingAt(readings, 10_000)).toBeUndefined();
  });

  it('judges the client named, the error and whether the interval holds the truth', () => {
    const truth = { client: 'cargo', attemptsPerRequest: 3.05 };
    expect(judgeReading(readings[0], truth, 0.1)).toMatchObject({ named: false, close: false, covered: false });
    const settled = judgeReading(readingAt(readings, 60_000), truth, 0.1);
    expect(settled).toMatchObject({ named: true, close: true, covered: true });
    expect(settled.error).toBeCloseTo(3.1 / 3.05 - 1, 9);
    // How wide the interval is: its high end over its low end (here ±10 % of the estimate).
    expect(settled.width).toBeCloseTo(1.1 / 0.9, 9);
    expect(judgeReading(undefined, truth, 0.1)).toMatchObject({ named: false, close: false });
    expect(judgeReading(undefined, truth, 0.1).width).toBeNaN();
  });
});
