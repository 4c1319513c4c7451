import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../src/core/types.js';
import type { TickResult } from '../../src/pipeline.js';
import { StormwatchMetrics } from '../../src/telemetry/metrics.js';

function tick(evaluations: Evaluation[]): TickResult {
  const sample = { requests: 150, errors: Number.NaN, downstream: Number.NaN };
  return { timeMs: 0, transitions: [], deploys: [], signals: new Map([['api', { sample, evaluations, assessment: { requests: 150, requestsBaseline: 100 } }]]) } as unknown as TickResult;
}

async function values(m: StormwatchMetrics, name: string) {
  return (await m.registry.getSingleMetric(name)!.get()).values;
}

describe('StormwatchMetrics: anomaly score and seasonal band', () => {
  const rate = (kind: 'rate_spike' | 'rate_drop', evidence: number): Evaluation => ({ kind, status: 'normal', score: 0, observed: 150, baseline: 100, sigma: 0.1, evidence, threshold: 20 });

  it('exports the score in [0, 1] per signal, and the band around the expected rate', async () => {
    const m = new StormwatchMetrics(false);
    m.recordTick(tick([rate('rate_spike', 20), rate('rate_drop', 0)]), 0, [], 0);
    expect(await values(m, 'stormwatch_anomaly_score')).toEqual([{ labels: { signal: 'api' }, value: 0.5 }]);
    const band = await values(m, 'stormwatch_signal_band');
    const bound = (b: string) => band.find((v) => v.labels.bound === b)!.value;
    // 3σ of one tick, multiplicative: 100 · e^(±0.3).
    expect(bound('lower')).toBeCloseTo(100 * Math.exp(-0.3), 9);
    expect(bound('upper')).toBeCloseTo(100 * Math.exp(0.3), 9);
  });

  it('drops the score when no check can judge, rather than showing a calm 0', async () => {
    const m = new StormwatchMetrics(false);
    m.recordTick(tick([rate('rate_spike', 0)]), 0, [], 0);
    expect(await values(m, 'stormwatch_anomaly_score')).toHaveLength(1);
    const unknown: Evaluation = { kind: 'rate_spike', status: 'unknown', score: Number.NaN, observed: Number.NaN, baseline: Number.NaN, sigma: Number.NaN, reason: 'no data' };
    m.recordTick(tick([unknown]), 0, [], 0);
    expect(await values(m, 'stormwatch_anomaly_score')).toEqual([]);
  });
});

describe('StormwatchMetrics: a tick without data', () => {
  it('drops the multiplier and the failing share rather than showing the last value or a calm 0', async () => {
    const m = new StormwatchMetrics(false);
    const at = (requests: number, failingAttempts?: number) =>
      ({ timeMs: 0, transitions: [], deploys: [], signals: new Map([['api', { sample: { requests, errors: Number.NaN, downstream: requests }, evaluations: [], assessment: { requests, requestsBaseline: 100, ...(failingAttempts !== undefined ? { estimate: { failingAttempts } } : {}) } }]]) }) as unknown as TickResult;
    m.recordTick(at(380, 1), 0, [], 0);
    expect(await values(m, 'stormwatch_amplification_factor')).toEqual([{ labels: { signal: 'api' }, value: 3.8 }]);
    expect(await values(m, 'stormwatch_failing_attempts_ratio')).toEqual([{ labels: { signal: 'api' }, value: 1 }]);
    m.recordTick(at(Number.NaN), 0, [], 0);
    expect(await values(m, 'stormwatch_amplification_factor')).toEqual([]);
    expect(await values(m, 'stormwatch_failing_attempts_ratio')).toEqual([]);
    // Read and healthy: no failure is a fact.
    m.recordTick(at(100), 0, [], 0);
    expect(await values(m, 'stormwatch_failing_attempts_ratio')).toEqual([{ labels: { signal: 'api' }, value: 0 }]);
  });
});

describe('StormwatchMetrics: collapses judged traffic moved', () => {
  it('counts each collapse judged moved by its signal', async () => {
    const m = new StormwatchMetrics(false);
    const moved = { series: 'api{route="/old"}', signal: 'api', lost: 150, totalChange: -3, spread: 30 };
    m.recordTick({ ...tick([]), movedTraffic: [moved, { ...moved, series: 'api{route="/older"}' }] }, 0, [], 0);
    m.recordTick(tick([]), 0, [], 0);
    expect(await values(m, 'stormwatch_collapses_moved_total')).toEqual([{ labels: { signal: 'api' }, value: 2 }]);
  });
});
