// The first detector: robust trailing baselines (median/MAD) for the request rate (spike, drop),
// the error ratio (errors / requests) and the funnel ratio (downstream completions / requests).

import type { Evaluation, FindingKind, SignalSample } from '../core/types.js';
import type { Detector, DetectorContext } from './detector.js';
import { RobustBaseline } from './stats/robust-baseline.js';

export interface BaselineParams {
  /** How much history the baselines hold. */
  baselineWindowMs: number;
  /** Points a baseline needs before it judges anything. */
  minBaselinePoints: number;
  /** |robust z| at or above which a point is anomalous. */
  zThreshold: number;
  /** Rate spike: observed / baseline must reach this too (statistical and practical significance). */
  spikeFactor: number;
  /** Rate drop: observed / baseline at or below this. */
  dropFactor: number;
  /** Error ratio: absolute increase over the baseline ratio (0.02 = two points). */
  minErrorRatioIncrease: number;
  /** Funnel: relative fall of downstream completions per request (0.2 = 20 % fewer). */
  funnelDropFraction: number;
  /** Ratio checks need at least this many requests per tick, else they say unknown. */
  minRequestsPerTick: number;
  /** An anomaly lasting longer than this is learnt as the new normal. */
  relearnAfterMs: number;
}

// σ floors: below these, a quiet series would turn harmless wobbles into huge z-scores.
const MIN_LOG_RATE_SIGMA = 0.05;
const MIN_ERROR_RATIO_SIGMA = 0.002;
const MIN_FUNNEL_SIGMA = 0.01;
// Keeps log() finite for a rate of zero; far below any rate worth watching.
const RATE_EPSILON = 1e-3;

export class BaselineDetector implements Detector {
  private readonly rate: RobustBaseline;
  private readonly errorRatio: RobustBaseline;
  private readonly funnel: RobustBaseline;

  constructor(
    private readonly params: BaselineParams,
    private readonly ctx: DetectorContext,
  ) {
    const capacity = Math.max(params.minBaselinePoints, Math.round(params.baselineWindowMs / ctx.intervalMs));
    this.rate = new RobustBaseline(capacity, params.relearnAfterMs);
    this.errorRatio = new RobustBaseline(capacity, params.relearnAfterMs);
    this.funnel = new RobustBaseline(capacity, params.relearnAfterMs);
  }

  observe(sample: SignalSample, timeMs: number): Evaluation[] {
    const out: Evaluation[] = [];
    this.observeRate(sample.requests, timeMs, out);
    const requestsPerTick = (sample.requests * this.ctx.intervalMs) / 1000;
    if (this.ctx.inputs.has('errors')) {
      out.push(this.observeRatio('error_ratio', this.errorRatio, sample.errors / sample.requests, requestsPerTick, timeMs));
    }
    if (this.ctx.inputs.has('downstream')) {
      out.push(this.observeRatio('funnel_drop', this.funnel, sample.downstream / sample.requests, requestsPerTick, timeMs));
    }
    return out;
  }

  private observeRate(requests: number, timeMs: number, out: Evaluation[]): void {
    const { params } = this;
    if (!Number.isFinite(requests) || requests < 0) {
      out.push(unknown('rate_spike', requests, 'no data'), unknown('rate_drop', requests, 'no data'));
      return;
    }
    const x = Math.log(Math.max(requests, RATE_EPSILON));
    if (this.rate.size < params.minBaselinePoints) {
      this.rate.record(x, false, timeMs);
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
    const drop = z <= -params.zThreshold && factor <= params.dropFactor && baselineRate * perTick >= params.minRequestsPerTick;
    this.rate.record(x, spike || drop, timeMs);
    out.push(
      { kind: 'rate_spike', status: spike ? 'anomalous' : 'normal', score: z, observed: requests, baseline: baselineRate },
      { kind: 'rate_drop', status: drop ? 'anomalous' : 'normal', score: z, observed: requests, baseline: baselineRate },
    );
  }

  private observeRatio(kind: 'error_ratio' | 'funnel_drop', baseline: RobustBaseline, ratio: number, requestsPerTick: number, timeMs: number): Evaluation {
    const { params } = this;
    if (!Number.isFinite(ratio) || ratio < 0) return unknown(kind, ratio, 'no data');
    if (!(requestsPerTick >= params.minRequestsPerTick)) return unknown(kind, ratio, 'too little traffic');
    if (baseline.size < params.minBaselinePoints) {
      baseline.record(ratio, false, timeMs);
      return unknown(kind, ratio, 'warming up');
    }
    const stats = baseline.stats();
    const b = stats.median;
    // Binomial noise of a ratio over n requests: a quiet endpoint's ratio wobbles more.
    const binomial = Math.sqrt(Math.max(b * (1 - b), 0) / requestsPerTick);
    let anomalous: boolean;
    let z: number;
    if (kind === 'error_ratio') {
      z = (ratio - b) / Math.max(stats.sigma, binomial, MIN_ERROR_RATIO_SIGMA);
      anomalous = z >= params.zThreshold && ratio - b >= params.minErrorRatioIncrease;
    } else {
      z = (ratio - b) / Math.max(stats.sigma, binomial, MIN_FUNNEL_SIGMA);
      anomalous = z <= -params.zThreshold && ratio <= b * (1 - params.funnelDropFraction);
    }
    baseline.record(ratio, anomalous, timeMs);
    return { kind, status: anomalous ? 'anomalous' : 'normal', score: z, observed: ratio, baseline: b };
  }
}

function unknown(kind: FindingKind, observed: number, reason: string): Evaluation {
  return { kind, status: 'unknown', score: Number.NaN, observed, baseline: Number.NaN, reason };
}
