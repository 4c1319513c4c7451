// The per-tick anomaly scores of a backtest as CSV (`stormwatch backtest --scores FILE`): one row per
// series per tick, with the request rate, its seasonal band and the score, for dashboards, notebooks
// and benchmarks (NAB scores such a file). Pure: lines in, lines out; the caller writes them.

import type { Evaluation } from '../core/types.js';
import type { TickResult } from '../pipeline.js';
import { anomalyScore } from '../detectors/stats/anomaly-score.js';
import { BAND_SIGMAS, bandOf } from '../ui/band.js';

export const SCORES_CSV_HEADER = 'timestamp,series,anomaly_score,requests_per_second,expected_per_second,band_lower,band_upper,alarmed';

/** The request-rate band of a series' evaluations: the seasonal expectation ± BAND_SIGMAS σ of one tick (multiplicative). */
export function rateBand(evaluations: readonly Evaluation[]): { expected: number; lower: number; upper: number } {
  const spike = evaluations.find((e) => e.kind === 'rate_spike');
  if (!spike || spike.status === 'unknown') return { expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  const band = bandOf(spike, BAND_SIGMAS);
  return { expected: spike.baseline, lower: band.low, upper: band.high };
}

/** A number as CSV: empty when unknown (missing is not zero), else up to 6 significant digits. */
function cell(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : '';
}

/** RFC 4180 quoting of a series id (split signals' ids carry braces, quotes and commas). */
function quoted(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV rows of one tick, one per series, each ending in a newline. */
export function scoreRows(result: TickResult): string {
  let out = '';
  const timestamp = new Date(result.timeMs).toISOString();
  for (const [series, report] of result.signals) {
    const band = rateBand(report.evaluations);
    // 1 while a check that pages (rate collapse, error ratio, funnel) is alarmed; a rate rise alone is context.
    const alarmed = report.evaluations.some((e) => e.status === 'anomalous' && e.kind !== 'rate_spike') ? 1 : 0;
    out += `${timestamp},${quoted(series)},${cell(report.anomalyScore ?? anomalyScore(report.evaluations))},${cell(report.sample.requests)},${cell(band.expected)},${cell(band.lower)},${cell(band.upper)},${alarmed}\n`;
  }
  return out;
}
