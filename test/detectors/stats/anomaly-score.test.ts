import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/core/types.js';
import { REPEAT_MARGIN, REPEAT_WEIGHT, anomalyScore, nextRecord, normalTailSurprise, repeatWeighted, tickSurprise } from '../../../src/detectors/stats/anomaly-score.js';

describe('normalTailSurprise', () => {
  // Reference: python3 -c "from scipy.stats import norm; print(-norm.logsf(z))" (scipy 1.17.1).
  it.each([
    [0, 0.6931471805599453, 'the median: P = 1/2'],
    [1, 1.8410216450092634, 'one σ'],
    [1.959963984540054, 3.6888794541139367, 'the 2.5 % point: ln 40'],
    [3, 6.60772622151035, 'three σ'],
    [5, 15.064998393988727, 'five σ'],
    [10, 53.23128515051248, 'far tail, where 1 − Φ underflows a naive formula'],
    [38, 726.5572160188201, 'beyond double precision of the probability itself'],
    [-1, 0.17275377902344988, 'below the mean: P(Z ≥ −1) = Φ(1)'],
  ])('z = %f gives %f nats (%s)', (z, expected) => {
    expect(normalTailSurprise(z)).toBeCloseTo(expected, 6);
  });

  it('is NaN for NaN', () => {
    expect(normalTailSurprise(Number.NaN)).toBeNaN();
  });
});

function evaluation(kind: Evaluation['kind'], score: number, evidence: number, threshold = 20): Evaluation {
  return { kind, status: 'normal', score, observed: 1, baseline: 1, sigma: 1, evidence, threshold };
}

describe('anomalyScore', () => {
  it('is exactly 0.5 when the evidence reaches the paging threshold', () => {
    expect(anomalyScore([evaluation('rate_spike', 0, 20)])).toBeCloseTo(0.5, 12);
  });

  it('ranks a single wild tick by its tail surprise, with no evidence yet', () => {
    // The rate is read two-sided: z = 5 is −ln(2·P(Z ≥ 5)) = 15.065 − ln 2 nats (scipy); V / (V + h), h = 20.
    const v5 = 15.064998393988727 - Math.LN2;
    expect(anomalyScore([evaluation('rate_spike', 5, 0)])).toBeCloseTo(v5 / (v5 + 20), 6);
  });

  it('does not cut the model\'s surprise: a wilder tick ranks above evidence at the CUSUM cap (2h)', () => {
    // z = 10: 53.231 − ln 2 nats (scipy), beyond 2h = 40.
    const v10 = 53.23128515051248 - Math.LN2;
    const wild = anomalyScore([evaluation('rate_spike', 10, 0)]);
    expect(wild).toBeCloseTo(v10 / (v10 + 20), 6);
    expect(wild).toBeGreaterThan(anomalyScore([evaluation('rate_spike', 0, 40)]));
    expect(wild).toBeLessThan(1);
  });

  it('reads each check in its failing direction only', () => {
    // A rate far below the band is a surprise for the drop check, not the spike check; a funnel
    // completing more than usual, or errors below baseline, is no failure.
    const low = anomalyScore([evaluation('rate_spike', -10, 0), evaluation('rate_drop', -10, 0)]);
    expect(low).toBeGreaterThan(0.7);
    expect(anomalyScore([evaluation('funnel_drop', 10, 0)])).toBeLessThan(0.01);
    expect(anomalyScore([evaluation('error_ratio', -10, 0)])).toBeLessThan(0.01);
    expect(anomalyScore([evaluation('error_ratio', 10, 0)])).toBeGreaterThan(0.7);
  });

  it('takes the most surprising check', () => {
    const one = anomalyScore([evaluation('error_ratio', 3, 0)]);
    const both = anomalyScore([evaluation('error_ratio', 3, 0), evaluation('funnel_drop', 0, 30)]);
    expect(both).toBeCloseTo(30 / 50, 12);
    expect(both).toBeGreaterThan(one);
  });

  it('is NaN when no check could judge: missing data is not calm', () => {
    const unknown: Evaluation = { kind: 'rate_spike', status: 'unknown', score: Number.NaN, observed: Number.NaN, baseline: Number.NaN, sigma: Number.NaN, reason: 'no data' };
    expect(anomalyScore([unknown])).toBeNaN();
    expect(anomalyScore([])).toBeNaN();
  });

  it('stays in [0, 1]', () => {
    for (const [z, e] of [[0, 0], [-40, 0], [40, 0], [0, 1e6]] as const) {
      const s = anomalyScore([evaluation('rate_spike', z, e), evaluation('rate_drop', z, e)]);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });
});

describe('tickSurprise', () => {
  it('is the largest check surprise, and the evidence only at the tick an alarm starts', () => {
    const v5 = 15.064998393988727 - Math.LN2; // z = 5 read two-sided (scipy, as above)
    // Evidence below h, or an alarm already under way, is not the tick's news: the surprise is.
    expect(tickSurprise([evaluation('rate_spike', 5, 19)], 0).nats).toBeCloseTo(v5, 6);
    expect(tickSurprise([evaluation('rate_spike', 5, 35)], 30).nats).toBeCloseTo(v5, 6);
    // The tick the evidence reaches h: the alarm's onset carries its evidence.
    const onset = tickSurprise([evaluation('rate_spike', 5, 35)], 19);
    expect(onset.nats).toBe(35);
    expect(onset.threshold).toBe(20);
    expect(onset.evidence).toBe(35);
  });

  it('is NaN when no check could judge', () => {
    expect(tickSurprise([], 0).nats).toBeNaN();
  });
});

describe('repeatWeighted', () => {
  it('keeps a score that beats the record by the margin, and weighs a repeat down', () => {
    expect(repeatWeighted(0.8, 0.5)).toBe(0.8);
    expect(repeatWeighted(0.8, 0.8 - REPEAT_MARGIN / 2)).toBeCloseTo(0.8 * REPEAT_WEIGHT, 12);
    expect(repeatWeighted(0.3, 0.8)).toBeCloseTo(0.3 * REPEAT_WEIGHT, 12);
    expect(repeatWeighted(Number.NaN, 0.2)).toBeNaN();
  });

  it('keeps a record that decays, and is not moved by a missing score', () => {
    expect(nextRecord(0.9, 0.5, 0.99)).toBe(0.9);
    expect(nextRecord(0.1, 0.5, 0.99)).toBeCloseTo(0.495, 12);
    expect(nextRecord(Number.NaN, 0.5, 0.99)).toBe(0.5);
  });

  it('ranks the second of two equal bursts below the first, and a larger one above both', () => {
    const decay = Math.exp(-300_000 / 86_400_000);
    let record = 0;
    const seen: number[] = [];
    for (const score of [0.1, 0.7, 0.1, 0.1, 0.7, 0.1, 0.9]) {
      seen.push(repeatWeighted(score, record));
      record = nextRecord(score, record, decay);
    }
    expect(seen[1]).toBe(0.7);
    expect(seen[4]).toBeCloseTo(0.35, 12);
    expect(seen[6]).toBe(0.9);
  });
});
