// What one tick of one series contributes to its charts, read only from the pipeline's public
// report fields (sample, evaluations, assessment), so the detector can change underneath. Pure.

import type { Evaluation } from '../core/types.js';
import type { SignalReport } from '../pipeline.js';
import { bandOf } from './band.js';

/** The chart columns, in storage order. */
export const COLUMNS = [
  'requests',
  'requestsBaseline',
  /** The requests band: baseline·exp(±z·σ) of the log-rate check. */
  'bandLow',
  'bandHigh',
  'errorRatio',
  'errorRatioBaseline',
  'completion',
  'completionBaseline',
  /** Requests over their baseline: the attempt-rate multiplier M. */
  'amplification',
  /** The check score farthest from zero (signed robust z). */
  'score',
  /** 0 normal, 1 surge, 2 failing; NaN when nothing could judge. */
  'state',
  /** How unusual the tick is, in [0, 1] (the anomaly score); NaN while no check can judge. */
  'anomaly',
] as const;
export type Column = (typeof COLUMNS)[number];
export const COLUMN_COUNT = COLUMNS.length;
export const COL = Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<Column, number>;

function find(evaluations: readonly Evaluation[], kind: Evaluation['kind']): Evaluation | undefined {
  return evaluations.find((e) => e.kind === kind);
}

/** Writes the chart values of one report into `out` (length COLUMN_COUNT). */
export function chartPoint(report: SignalReport, zThreshold: number, out: Float32Array | number[]): void {
  const { sample, evaluations, assessment: a } = report;
  const spike = find(evaluations, 'rate_spike') ?? find(evaluations, 'rate_drop');
  const known = (e: Evaluation | undefined) => e !== undefined && e.status !== 'unknown';
  const base = known(spike) ? spike!.baseline : Number.NaN;
  const band = known(spike) ? bandOf(spike!, zThreshold) : { low: Number.NaN, high: Number.NaN };
  out[COL.requests] = sample.requests;
  out[COL.requestsBaseline] = base;
  out[COL.bandLow] = band.low;
  out[COL.bandHigh] = band.high;
  const err = find(evaluations, 'error_ratio');
  out[COL.errorRatio] = known(err) ? err!.observed : ratio(sample.errors, sample.requests);
  out[COL.errorRatioBaseline] = known(err) ? err!.baseline : Number.NaN;
  const funnel = find(evaluations, 'funnel_drop');
  out[COL.completion] = known(funnel) ? funnel!.observed : ratio(sample.downstream, sample.requests);
  out[COL.completionBaseline] = known(funnel) ? funnel!.baseline : Number.NaN;
  out[COL.amplification] = base > 0 ? sample.requests / base : Number.NaN;
  let score = Number.NaN;
  for (const e of evaluations) if (Number.isFinite(e.score) && !(Math.abs(e.score) <= Math.abs(score))) score = e.score;
  out[COL.score] = score;
  out[COL.state] = a.failing === true ? 2 : a.surge === true ? 1 : a.failing === false || a.surge === false ? 0 : Number.NaN;
  out[COL.anomaly] = report.anomalyScore ?? Number.NaN;
}

function ratio(part: number, whole: number): number {
  return whole > 0 && Number.isFinite(part) ? part / whole : Number.NaN;
}
