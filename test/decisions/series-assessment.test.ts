// A series' own assessment reads its numbers from its tick's sample and evaluations: it must say
// what an assessment written them says, and a copy of it must keep them once the tick moves on.

import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/load.js';
import type { Evaluation, SignalSample } from '../../src/core/types.js';
import { assess, blankAssessment } from '../../src/decisions/assess.js';
import { SeriesAssessment, copyAssessment } from '../../src/decisions/series-assessment.js';

const models = loadBundledClientModels();

function evals(requests: number, completion: number, errorRatio: number, inputs: { errors: boolean; funnel: boolean }): Evaluation[] {
  const rate = { observed: requests, baseline: 1000, score: Math.log(requests / 1000) / 0.05, sigma: 0.05 };
  return [
    { kind: 'rate_spike', status: requests > 2000 ? 'anomalous' : 'normal', ...rate },
    { kind: 'rate_drop', status: 'normal', ...rate, baseline: 990 },
    ...(inputs.errors ? [{ kind: 'error_ratio' as const, status: errorRatio > 0.05 ? ('anomalous' as const) : ('normal' as const), observed: errorRatio, baseline: 0.002, score: 0, sigma: 0.002 }] : []),
    ...(inputs.funnel ? [{ kind: 'funnel_drop' as const, status: completion < 0.9 ? ('anomalous' as const) : ('normal' as const), observed: completion, baseline: 0.998, score: 0, sigma: 0.01 }] : []),
  ];
}

describe('SeriesAssessment', () => {
  it.each([
    ['healthy, every input', 1010, 0.997, 0.002, { errors: true, funnel: true }],
    ['a storm, every input', 4000, 0, 0.9, { errors: true, funnel: true }],
    ['errors only', 1010, Number.NaN, 0.3, { errors: true, funnel: false }],
    ['funnel only', 300, 0.2, Number.NaN, { errors: false, funnel: true }],
    ['requests only', 2500, Number.NaN, Number.NaN, { errors: false, funnel: false }],
  ] as const)('says what a written assessment says: %s', (_, requests, completion, errorRatio, inputs) => {
    const sample: SignalSample = { requests, errors: requests * errorRatio, downstream: requests * completion };
    const evaluations = evals(requests, completion, errorRatio, inputs);
    const written = assess('api', sample, evaluations, models, undefined, blankAssessment());
    const own = new SeriesAssessment(sample);
    expect(assess('api', sample, evaluations, models, undefined, own)).toBe(own);
    expect(copyAssessment(own)).toEqual(copyAssessment(written));
    expect(JSON.parse(JSON.stringify({ a: own }))).toEqual(JSON.parse(JSON.stringify({ a: written })));
    // The baselines are the rise check's, not the fall check's.
    expect(own.requestsBaseline).toBe(1000);
  });

  it('a copy keeps the tick’s numbers after the sample and evaluations are rewritten', () => {
    const sample: SignalSample = { requests: 1500, errors: 30, downstream: 1400 };
    const evaluations = evals(1500, 0.93, 0.02, { errors: true, funnel: true });
    const own = new SeriesAssessment(sample);
    assess('api', sample, evaluations, models, undefined, own);
    const copy = copyAssessment(own);
    sample.requests = 10;
    evaluations[3]!.observed = 0.1;
    evaluations[0]!.baseline = 7;
    expect(own.requests).toBe(10);
    expect(own.completion).toBe(0.1);
    expect(copy).toMatchObject({ requests: 1500, completion: 0.93, completionBaseline: 0.998, errorRatio: 0.02, errorRatioBaseline: 0.002, requestsBaseline: 1000 });
  });

  it('reads the sample it is assessed with', () => {
    const own = new SeriesAssessment({ requests: 5, errors: 0, downstream: 5 });
    const sample: SignalSample = { requests: 1200, errors: 2, downstream: 1190 };
    assess('api', sample, evals(1200, 0.99, 0.002, { errors: true, funnel: true }), models, undefined, own);
    expect(own.requests).toBe(1200);
    expect(own.completion).toBe(0.99);
  });
});
