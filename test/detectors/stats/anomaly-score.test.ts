import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/core/types.js';
import { REPEAT_MARGIN, REPEAT_WEIGHT, type RepeatRecord, SCORE_SCALE_NATS, anomalyScore, checkSurprise, millsRatio, normalTailSurprise, tailScore, tickSurprise, weighRepeat } from '../../../src/detectors/stats/anomaly-score.js';

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

describe('millsRatio', () => {
  // Reference: python3 -c "from scipy.stats import norm; print(norm.sf(z)/norm.pdf(z))" (scipy 1.17.1).
  it.each([
    [0, 1.2533141373155001],
    [1, 0.6556795424187986],
    [3, 0.304590298710103],
    [12, 0.08276628650136797],
  ])('z = %f gives %f (the mean excess of a Rayleigh variable over z)', (z, expected) => {
    expect(millsRatio(z)).toBeCloseTo(expected, 6);
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

  it('reads the rise and the collapse each by its own residual (one computed once when they share it)', () => {
    const shared = tickSurprise([evaluation('rate_spike', -6, 0), evaluation('rate_drop', -6, 0)], 0).nats;
    expect(shared).toBe(checkSurprise({ kind: 'rate_drop', score: -6 }));
    const apart = tickSurprise([evaluation('rate_spike', 2, 0), evaluation('rate_drop', 6, 0)], 0).nats;
    expect(apart).toBe(checkSurprise({ kind: 'rate_drop', score: 6 }));
    expect(apart).toBeGreaterThan(checkSurprise({ kind: 'rate_spike', score: 2 }));
  });

  it('is NaN when no check could judge', () => {
    expect(tickSurprise([], 0).nats).toBeNaN();
  });

  it('reads a check without evidence (NaN) as none: its surprise still counts', () => {
    const v5 = 15.064998393988727 - Math.LN2;
    const t = tickSurprise([evaluation('rate_spike', 5, Number.NaN)], 0);
    expect(t.nats).toBeCloseTo(v5, 6);
    expect(t.evidence).toBe(0);
    expect(anomalyScore([evaluation('rate_spike', 5, Number.NaN)])).toBeCloseTo(v5 / (v5 + 20), 6);
  });
});

describe('tailScore', () => {
  it('maps a tail probability to the same score whatever the series (numpy: -ln(1e-3) / (-ln(1e-3) + 15))', () => {
    expect(SCORE_SCALE_NATS).toBe(15);
    expect(tailScore(-Math.log(1e-3))).toBeCloseTo(0.31531095682857563, 12);
    expect(tailScore(SCORE_SCALE_NATS)).toBe(0.5);
    expect(tailScore(0)).toBe(0);
    expect(tailScore(Number.NaN)).toBeNaN();
  });
});

describe('weighRepeat', () => {
  const run = (scores: number[], decay = 1): { seen: number[]; r: RepeatRecord } => {
    const r: RepeatRecord = { record: 0, episode: 0, newsAtMs: Number.NEGATIVE_INFINITY };
    return { seen: scores.map((x) => weighRepeat(x, r, decay)), r };
  };

  it('keeps news, weighs a repeat down, and is not moved by a missing score', () => {
    const r: RepeatRecord = { record: 0.5, episode: 0, newsAtMs: Number.NEGATIVE_INFINITY };
    expect(weighRepeat(0.8, r, 1)).toBe(0.8);
    expect(r).toMatchObject({ record: 0.5, episode: 0.8 });
    expect(weighRepeat(0.8 + REPEAT_MARGIN / 2, r, 1)).toBeCloseTo((0.8 + REPEAT_MARGIN / 2) * REPEAT_WEIGHT, 12);
    expect(weighRepeat(Number.NaN, r, 0.5)).toBeNaN();
    expect(r).toMatchObject({ record: 0.5, episode: 0.8 });
  });

  it('ranks the second of two equal bursts below the first, and a larger one above both', () => {
    const { seen } = run([0.1, 0.7, 0.1, 0.1, 0.7, 0.1, 0.9], Math.exp(-300_000 / 86_400_000));
    expect(seen[1]).toBe(0.7);
    expect(seen[4]).toBeCloseTo(0.35, 12);
    expect(seen[6]).toBe(0.9);
  });

  it('calls a slow creep news each time it has risen by the margin over its last news', () => {
    // 0.40 is news (episode 0.40); 0.41-0.43 are within the margin of it; 0.44 beats 0.40 + 0.03.
    const { seen, r } = run([0.4, 0.41, 0.42, 0.43, 0.44, 0.45]);
    expect(seen.map((x, i) => x === [0.4, 0.41, 0.42, 0.43, 0.44, 0.45][i])).toEqual([true, false, false, false, true, false]);
    expect(r).toMatchObject({ record: 0, episode: 0.44 });
  });

  it('never calls a plateau news again, however long the record decays', () => {
    const { seen } = run([0.4, ...Array<number>(2000).fill(0.4)], 0.99);
    expect(seen[0]).toBe(0.4);
    expect(seen.slice(1).every((x) => x === 0.4 * REPEAT_WEIGHT)).toBe(true);
  });

  it('ends an episode when its score falls to a repeat weight of its news, and its news then joins the record', () => {
    const r: RepeatRecord = { record: 0, episode: 0, newsAtMs: Number.NEGATIVE_INFINITY };
    weighRepeat(0.6, r, 1);
    weighRepeat(0.31, r, 1);
    expect(r).toMatchObject({ record: 0, episode: 0.6 });
    weighRepeat(0.29, r, 1);
    expect(r).toMatchObject({ record: 0.6, episode: 0 });
    // Outside an episode the record takes each higher score that is no news (0.62, then 0.64), as before.
    expect(weighRepeat(0.62, r, 1)).toBeCloseTo(0.31, 12);
    expect(weighRepeat(0.64, r, 1)).toBeCloseTo(0.32, 12);
    expect(weighRepeat(0.66, r, 1)).toBeCloseTo(0.33, 12);
    expect(weighRepeat(0.7, r, 1)).toBe(0.7);
  });

  const HOUR = 3_600_000;

  it('follows the tick\'s own view outside an episode, so the slow view\'s rise is news and the tick\'s own creep is not', () => {
    // Scores creep 0.300 → 0.350 by 0.005 a tick over a record of 0.3 (no decay); news needs 0.33.
    const scores = Array.from({ length: 11 }, (_, i) => 0.3 + 0.005 * i);
    const slow: RepeatRecord = { record: 0.3, episode: 0, newsAtMs: Number.NEGATIVE_INFINITY };
    const slowSeen = scores.map((x, i) => weighRepeat(x, slow, 1, 0.2, i * 300_000, 2 * HOUR));
    // The slow view's rise (the tick's view at 0.2): the first score past 0.33 is news, 0.335 at the 8th tick.
    expect(slowSeen.findIndex((x, i) => x === scores[i])).toBe(7);
    expect(slow.episode).toBeCloseTo(0.335, 12);
    expect(slow.newsAtMs).toBe(7 * 300_000);
    // The same creep in the tick's own view: the record follows it and it is never news.
    const tick: RepeatRecord = { record: 0.3, episode: 0, newsAtMs: Number.NEGATIVE_INFINITY };
    const tickSeen = scores.map((x, i) => weighRepeat(x, tick, 1, x, i * 300_000, 2 * HOUR));
    expect(tickSeen.every((x, i) => x === scores[i]! * REPEAT_WEIGHT)).toBe(true);
    expect(tick).toMatchObject({ record: 0.35, episode: 0 });
  });

  it('inside an episode calls a rise of the slow view news at most once per its time constant, a rise of the tick\'s view at once', () => {
    const r: RepeatRecord = { record: 0, episode: 0, newsAtMs: Number.NEGATIVE_INFINITY };
    expect(weighRepeat(0.4, r, 1, 0.4, 0, 2 * HOUR)).toBe(0.4);
    // The slow view climbs 0.44, 0.48 within two hours of that news: repeats, the episode's news stays 0.4.
    expect(weighRepeat(0.44, r, 1, 0.1, HOUR, 2 * HOUR)).toBeCloseTo(0.22, 12);
    expect(weighRepeat(0.48, r, 1, 0.1, 1.5 * HOUR, 2 * HOUR)).toBeCloseTo(0.24, 12);
    expect(r).toMatchObject({ episode: 0.4, newsAtMs: 0 });
    // Two hours after the news its next rise is news.
    expect(weighRepeat(0.5, r, 1, 0.1, 2 * HOUR, 2 * HOUR)).toBe(0.5);
    expect(r).toMatchObject({ episode: 0.5, newsAtMs: 2 * HOUR });
    // The tick's own view is news at its next new high, however soon.
    expect(weighRepeat(0.6, r, 1, 0.6, 2 * HOUR + 300_000, 2 * HOUR)).toBe(0.6);
  });
});
