// The baseline detector: robust trailing baselines (median/MAD) for the request rate (spike, drop),
// the error ratio (errors / requests) and the funnel ratio (downstream completions / requests).
// While any check is anomalous, no baseline learns: an incident never becomes the new normal.

import type { Evaluation, FindingKind, SignalSample } from '../core/types.js';
import type { Detector, DetectorContext } from './detector.js';
import { type BaselineSnapshot, RobustBaseline } from './stats/robust-baseline.js';

export interface BaselineParams {
  /** How much history the baselines hold. */
  baselineWindowMs: number;
  /**
   * Time resolution of the baselines: accepted points are averaged into buckets this long (at
   * least one tick). Coarser buckets hold the same window in less memory per series.
   */
  baselineResolutionMs: number;
  /** Points a baseline needs before it judges anything. */
  minBaselinePoints: number;
  /** |robust z| at or above which a point is anomalous. */
  zThreshold: number;
  /** Rate spike: observed / baseline must reach this too (statistical and practical significance). */
  spikeFactor: number;
  /**
   * Rate drop: observed / baseline at or below this is a collapse (traffic is not arriving). Milder
   * drops are left alone: demand falls for many harmless reasons, and a failing funnel or error
   * ratio catches the harmful ones.
   */
  collapseFactor: number;
  /** Error ratio: absolute increase over the baseline ratio (0.02 = two points). */
  minErrorRatioIncrease: number;
  /** Funnel: relative fall of downstream completions per request (0.03 = 3 % fewer). */
  funnelDropFraction: number;
  /** Ratio checks need at least this many requests per tick, else they say unknown. */
  minRequestsPerTick: number;
  /** An anomaly lasting longer than this is learnt as the new normal. */
  relearnAfterMs: number;
}

// σ floors: below these, a quiet series would turn harmless wobbles into huge z-scores.
export const MIN_LOG_RATE_SIGMA = 0.05;
const MIN_ERROR_RATIO_SIGMA = 0.002;
const MIN_FUNNEL_SIGMA = 0.01;
// Keeps log() finite for a rate of zero; far below any rate worth watching.
const RATE_EPSILON = 1e-3;

interface Pending {
  baseline: RobustBaseline;
  value: number;
}

export class BaselineDetector implements Detector {
  private readonly rate: RobustBaseline;
  private readonly errorRatio: RobustBaseline;
  private readonly funnel: RobustBaseline;

  constructor(
    private readonly params: BaselineParams,
    private readonly ctx: DetectorContext,
  ) {
    const bucket = Math.max(1, Math.round(params.baselineResolutionMs / ctx.intervalMs));
    const capacity = Math.max(Math.ceil(params.minBaselinePoints / bucket), Math.round(params.baselineWindowMs / (ctx.intervalMs * bucket)));
    // One buffer for all three windows.
    const storage = new Float32Array(3 * capacity);
    this.rate = new RobustBaseline(capacity, params.relearnAfterMs, bucket, storage, 0);
    this.errorRatio = new RobustBaseline(capacity, params.relearnAfterMs, bucket, storage, capacity);
    this.funnel = new RobustBaseline(capacity, params.relearnAfterMs, bucket, storage, 2 * capacity);
  }

  snapshot(): { rate: BaselineSnapshot; errorRatio: BaselineSnapshot; funnel: BaselineSnapshot } {
    return { rate: this.rate.snapshot(), errorRatio: this.errorRatio.snapshot(), funnel: this.funnel.snapshot() };
  }

  restore(snapshot: unknown): boolean {
    const s = snapshot as Partial<ReturnType<BaselineDetector['snapshot']>> | null;
    const ok = (b: unknown) => Array.isArray((b as { values?: unknown } | undefined)?.values);
    if (!s || !ok(s.rate) || !ok(s.errorRatio) || !ok(s.funnel)) return false;
    this.rate.restore(s.rate!);
    this.errorRatio.restore(s.errorRatio!);
    this.funnel.restore(s.funnel!);
    return true;
  }

  observe(sample: SignalSample, timeMs: number): Evaluation[] {
    const out: Evaluation[] = [];
    const toRecord: Pending[] = [];
    this.judgeRate(sample.requests, out, toRecord);
    const requestsPerTick = (sample.requests * this.ctx.intervalMs) / 1000;
    if (this.ctx.inputs.has('errors')) out.push(this.judgeRatio('error_ratio', this.errorRatio, sample.errors / sample.requests, requestsPerTick, toRecord));
    if (this.ctx.inputs.has('downstream')) out.push(this.judgeRatio('funnel_drop', this.funnel, sample.downstream / sample.requests, requestsPerTick, toRecord));
    const anyAnomalous = out.some((e) => e.status === 'anomalous');
    for (const p of toRecord) p.baseline.record(p.value, anyAnomalous, timeMs);
    return out;
  }

  private judgeRate(requests: number, out: Evaluation[], toRecord: Pending[]): void {
    const { params } = this;
    if (!Number.isFinite(requests) || requests < 0) {
      out.push(unknown('rate_spike', requests, 'no data'), unknown('rate_drop', requests, 'no data'));
      return;
    }
    const x = Math.log(Math.max(requests, RATE_EPSILON));
    toRecord.push({ baseline: this.rate, value: x });
    if (this.rate.size < params.minBaselinePoints) {
      out.push(unknown('rate_spike', requests, 'warming up'), unknown('rate_drop', requests, 'warming up'));
      return;
    }
    const stats = this.rate.stats();
    const sigma = Math.max(stats.sigma, MIN_LOG_RATE_SIGMA);
    const z = (x - stats.median) / sigma;
    const baselineRate = Math.exp(stats.median);
    const factor = requests / baselineRate;
    const perTick = this.ctx.intervalMs / 1000;
    const spike = z >= params.zThreshold && factor >= params.spikeFactor && requests * perTick >= params.minRequestsPerTick;
    const drop = z <= -params.zThreshold && factor <= params.collapseFactor && baselineRate * perTick >= params.minRequestsPerTick;
    out.push(
      { kind: 'rate_spike', status: spike ? 'anomalous' : 'normal', score: z, observed: requests, baseline: baselineRate, sigma },
      { kind: 'rate_drop', status: drop ? 'anomalous' : 'normal', score: z, observed: requests, baseline: baselineRate, sigma },
    );
  }

  private judgeRatio(kind: 'error_ratio' | 'funnel_drop', baseline: RobustBaseline, ratio: number, requestsPerTick: number, toRecord: Pending[]): Evaluation {
    const { params } = this;
    if (!Number.isFinite(ratio) || ratio < 0) return unknown(kind, ratio, 'no data');
    if (!(requestsPerTick >= params.minRequestsPerTick)) return unknown(kind, ratio, 'too little traffic');
    toRecord.push({ baseline, value: ratio });
    if (baseline.size < params.minBaselinePoints) return unknown(kind, ratio, 'warming up');
    const stats = baseline.stats();
    const b = stats.median;
    // Binomial noise of a ratio over n requests: a quiet endpoint's ratio wobbles more.
    const binomial = Math.sqrt(Math.max(b * (1 - b), 0) / requestsPerTick);
    if (kind === 'error_ratio') {
      const sigma = Math.max(stats.sigma, binomial, MIN_ERROR_RATIO_SIGMA);
      const z = (ratio - b) / sigma;
      const anomalous = z >= params.zThreshold && ratio - b >= params.minErrorRatioIncrease;
      return { kind, status: anomalous ? 'anomalous' : 'normal', score: z, observed: ratio, baseline: b, sigma };
    }
    const sigma = Math.max(stats.sigma, binomial, MIN_FUNNEL_SIGMA);
    const z = (ratio - b) / sigma;
    const anomalous = z <= -params.zThreshold && ratio <= b * (1 - params.funnelDropFraction);
    return { kind, status: anomalous ? 'anomalous' : 'normal', score: z, observed: ratio, baseline: b, sigma };
  }
}

function unknown(kind: FindingKind, observed: number, reason: string): Evaluation {
  return { kind, status: 'unknown', score: Number.NaN, observed, baseline: Number.NaN, sigma: Number.NaN, reason };
}
