import { describe, expect, it } from 'vitest';
import type { Evaluation, SignalInput, SignalSample } from '../../src/core/types.js';
import { BaselineDetector, type BaselineParams } from '../../src/detectors/baseline-detector.js';
import { mulberry32, normal } from '../../src/sim/random.js';

const PARAMS: BaselineParams = {
  baselineWindowMs: 3_600_000,
  baselineResolutionMs: 15_000,
  minBaselinePoints: 20,
  zThreshold: 4,
  spikeFactor: 1.5,
  collapseFactor: 0.2,
  minErrorRatioIncrease: 0.02,
  funnelDropFraction: 0.2,
  minRequestsPerTick: 20,
  relearnAfterMs: 3_600_000,
};
const STEP = 15_000;
const ALL: SignalInput[] = ['requests', 'errors', 'downstream'];

function detector(params: Partial<BaselineParams> = {}, inputs: SignalInput[] = ALL) {
  return new BaselineDetector({ ...PARAMS, ...params }, { intervalMs: STEP, inputs: new Set(inputs) });
}

/** Healthy traffic: ~1000/s with 3% noise, 0.1% errors, 99.9% completed downstream. */
function healthy(random: () => number): SignalSample {
  const requests = 1000 * (1 + 0.03 * normal(random));
  return { requests, errors: requests * 0.001, downstream: requests * 0.999 };
}

function statusOf(evals: Evaluation[], kind: Evaluation['kind']) {
  return evals.find((e) => e.kind === kind)?.status;
}

function warm(d: BaselineDetector, random: () => number, points = 40): number {
  let t = 0;
  for (let i = 0; i < points; i++, t += STEP) d.observe(healthy(random), t);
  return t;
}

describe('BaselineDetector', () => {
  it('says unknown while warming up, then normal on healthy traffic', () => {
    const random = mulberry32(1);
    const d = detector();
    const first = d.observe(healthy(random), 0);
    expect(first.every((e) => e.status === 'unknown' && e.reason === 'warming up')).toBe(true);
    const t = warm(d, random);
    const evals = d.observe(healthy(random), t);
    expect(evals.map((e) => e.status)).toEqual(['normal', 'normal', 'normal', 'normal']);
  });

  it('stays quiet on constant input (a zero MAD must not make every wobble infinite)', () => {
    const d = detector();
    const flat: SignalSample = { requests: 500, errors: 0, downstream: 500 };
    for (let i = 0; i < 100; i++) {
      const evals = d.observe(i === 99 ? { requests: 520, errors: 0, downstream: 519 } : flat, i * STEP);
      if (i >= 20) expect(evals.every((e) => e.status === 'normal')).toBe(true);
    }
  });

  it('flags a 4x spike, and a drop to a tenth', () => {
    const random = mulberry32(2);
    const d = detector();
    const t = warm(d, random);
    const spike = d.observe({ requests: 4000, errors: 4, downstream: 3996 }, t);
    expect(statusOf(spike, 'rate_spike')).toBe('anomalous');
    expect(statusOf(spike, 'rate_drop')).toBe('normal');
    expect(spike.find((e) => e.kind === 'rate_spike')!.baseline).toBeCloseTo(1000, -2);
    const drop = d.observe({ requests: 100, errors: 0, downstream: 100 }, t + STEP);
    expect(statusOf(drop, 'rate_drop')).toBe('anomalous');
  });

  it('does not flag a statistically clear but small change (under spikeFactor)', () => {
    const random = mulberry32(3);
    const d = detector();
    const t = warm(d, random);
    const evals = d.observe({ requests: 1300, errors: 1.3, downstream: 1299 }, t);
    expect(statusOf(evals, 'rate_spike')).toBe('normal');
  });

  it('flags a collapsed funnel even when the request rate and error ratio look fine', () => {
    const random = mulberry32(4);
    const d = detector();
    const t = warm(d, random);
    const evals = d.observe({ requests: 1000, errors: 1, downstream: 0 }, t);
    expect(statusOf(evals, 'funnel_drop')).toBe('anomalous');
    expect(statusOf(evals, 'error_ratio')).toBe('normal');
    expect(statusOf(evals, 'rate_spike')).toBe('normal');
  });

  it('flags an error-ratio regression', () => {
    const random = mulberry32(5);
    const d = detector();
    const t = warm(d, random);
    const evals = d.observe({ requests: 1000, errors: 80, downstream: 920 }, t);
    const e = evals.find((x) => x.kind === 'error_ratio')!;
    expect(e.status).toBe('anomalous');
    expect(e.observed).toBeCloseTo(0.08);
    expect(e.baseline).toBeCloseTo(0.001, 4);
  });

  it('keeps an ongoing incident out of the baseline', () => {
    const random = mulberry32(6);
    const d = detector();
    let t = warm(d, random);
    // 30 minutes of a 4x storm: still anomalous at the end, against the pre-incident baseline.
    let last: Evaluation[] = [];
    for (let i = 0; i < 120; i++, t += STEP) last = d.observe({ requests: 4000, errors: 4, downstream: 0 }, t);
    expect(statusOf(last, 'rate_spike')).toBe('anomalous');
    expect(statusOf(last, 'funnel_drop')).toBe('anomalous');
    expect(last.find((e) => e.kind === 'rate_spike')!.baseline).toBeLessThan(1100);
  });

  it('learns a level shift that lasts longer than relearnAfter', () => {
    const random = mulberry32(7);
    const d = detector({ relearnAfterMs: 10 * STEP, baselineWindowMs: 40 * STEP });
    let t = warm(d, random);
    let last: Evaluation[] = [];
    for (let i = 0; i < 80; i++, t += STEP) last = d.observe({ requests: 3000, errors: 3, downstream: 2997 }, t);
    expect(statusOf(last, 'rate_spike')).toBe('normal');
  });

  it('says unknown for ratios at too little traffic, and on NaN, without learning from them', () => {
    const random = mulberry32(8);
    const d = detector();
    const t = warm(d, random);
    const quiet = d.observe({ requests: 0.5, errors: 0.5, downstream: 0 }, t);
    expect(quiet.find((e) => e.kind === 'error_ratio')).toMatchObject({ status: 'unknown', reason: 'too little traffic' });
    const gap = d.observe({ requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN }, t + STEP);
    expect(gap.every((e) => e.status === 'unknown')).toBe(true);
    const after = d.observe(healthy(random), t + 2 * STEP);
    expect(after.every((e) => e.status === 'normal')).toBe(true);
  });

  it('runs only the checks whose inputs the signal has', () => {
    const d = detector({}, ['requests']);
    expect(d.observe({ requests: 10, errors: Number.NaN, downstream: Number.NaN }, 0).map((e) => e.kind)).toEqual(['rate_spike', 'rate_drop']);
  });

  it('is deterministic: the same input gives the same evaluations', () => {
    const run = () => {
      const random = mulberry32(9);
      const d = detector();
      const out: Evaluation[][] = [];
      for (let i = 0; i < 60; i++) out.push(d.observe(i === 50 ? { requests: 5000, errors: 5, downstream: 0 } : healthy(random), i * STEP));
      return out;
    };
    expect(run()).toEqual(run());
  });
});
