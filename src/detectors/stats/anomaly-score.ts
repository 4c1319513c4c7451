// A continuous anomaly score in [0, 1] per series and tick: how surprising the current counts are
// under the band, with the evidence the sequential tests have gathered, on one scale. Dashboards,
// reports and benchmarks rank moments by it; pages stay on the sequential tests' own alarms.
//
// Two quantities in nats, both with the same false-alarm meaning under the model:
// - the tick's surprise S = −ln P(a healthy tick is at least this far out): the normal tail of the
//   check's standardised residual (the detector's σ: counting noise, dispersion φ, demand's wobble),
//   two-sided for the request rate (a rise and a collapse both matter), one-sided for the ratios.
//   P(S ≥ s) = e^−s under the band, by definition of a p-value: S is Exp(1), mean 1 nat.
// - the CUSUM evidence E of each check: under the baseline, P(E ever reaches e) ≤ e^−e per excursion
//   (Wald's inequality; Lorden 1971).
// So a value v of either is an event of probability at most e^−v, and the detector's threshold h
// (ln(6 × ticks a year / false alarms a year)) is where it pages.
//
// Real series are heavier-tailed than any count model (bursty mentions, half-hourly backups,
// clumped builds), so a model p-value overstates surprise by an amount that differs per series. The
// score reads V = max(S, E) against the series' own recent tail of V, kept as the exponentially
// weighted fraction of past ticks whose V reached each of 16 levels (0.5, 1, 2, ... 16384 nats;
// kept as −ln of the fraction, so no tail underflows), with about a day of memory: an empirical, conformal-style p-value (Vovk et al. 2005; Laxhammar &
// Falkman 2014 for anomaly detection), V* = min(V, −ln p̂(V)), p̂ log-linear between levels. The
// fractions start at the model's e^−level, so a young series is judged by the model; a level the
// series reaches every half hour soon has a large fraction and calms; a level it never reached
// keeps the model's tail, up to 2h (the most evidence a CUSUM banks here). Calibration only calms.
// The score is V* / (V* + h): monotone, 0 for nothing surprising, 0.5 at the paging evidence of a
// series that behaves as modelled, 2/3 at the CUSUM's cap, approaching 1 without reaching it (the
// model's own surprise is not cut at 2h: without calibration a wilder tick always ranks higher).
// A single wild tick (a spike the CUSUM would need several ticks to believe) and a slow shift (no
// single tick surprising, evidence accumulating) both rank. Missing data has no score (NaN), never 0.
//
// Repeats count half (repeatWeighted): a score that does not beat the series' recent record (the
// highest score of about the last week, decaying) by a margin is halved. An episode of anomaly is
// news once, at its onset; the ticks it stays high, and the recurring bursts of a bursty series,
// rank below the next new event (non-maximum suppression in time; NAB's scorer too counts the
// first detection in a window and penalises each further one outside it).
// Memory: 16 Float32 (64 bytes) per series, and the record (one number).

import type { Evaluation } from '../../core/types.js';

/** Levels (nats) whose exceedance fractions the calibration keeps: 2^(k−1), k = 0..15. */
export const CALIBRATION_LEVELS = 16;
const LEVELS = Float64Array.from({ length: CALIBRATION_LEVELS }, (_, k) => 2 ** (k - 1));
const levelOf = (k: number) => LEVELS[k]!;

/**
 * A new calibration: the model's own tail at each level, kept as −ln P(V ≥ level) = level (in
 * logs, so a tail of e^−16384 is representable and nothing underflows). A calibration is 16 values
 * of a Float32Array from index `at` (a slice of a buffer many series share: no view per series).
 */
export function newCalibration(storage?: Float32Array, at = 0): Float32Array {
  const c = storage ?? new Float32Array(CALIBRATION_LEVELS);
  for (let k = 0; k < CALIBRATION_LEVELS; k++) c[at + k] = levelOf(k);
  return c;
}

/**
 * V read through the series' own tail: −ln p̂(V), p̂ log-linear in V between the two levels around
 * it, each level's tail taken at most `maxTail` nats, and beyond the top level falling at the
 * model's rate. A level the series has not reached keeps the model's tail (growing as it is
 * forgotten), so above the highest level it reaches the score climbs back towards `maxTail` within
 * one doubling: what the series has not done stays surprising. Never more than V: calibration only
 * calms. O(1).
 */
export function calibratedSurprise(c: Float32Array, v: number, maxTail = Number.POSITIVE_INFINITY, at = 0): number {
  if (v <= levelOf(0)) return v;
  const tail = (k: number) => Math.min(c[at + k]!, maxTail);
  const last = CALIBRATION_LEVELS - 1;
  if (v >= levelOf(last)) return Math.min(v, tail(last) + (v - levelOf(last)));
  const k = Math.floor(Math.log2(v)) + 1;
  const u = (v - levelOf(k)) / (levelOf(k + 1) - levelOf(k));
  return Math.min(v, tail(k) + u * (tail(k + 1) - tail(k)));
}

/** A calibrated tail is trusted up to this many thresholds of evidence: the CUSUM's own cap (sequential-check.ts). */
export const CAP_THRESHOLDS = 2;

/** A repeat's weight: a score that does not beat the recent record counts this much. */
export const REPEAT_WEIGHT = 0.5;
/** A score beats the record when it exceeds it by this much (a plateau creeping up is no news). */
export const REPEAT_MARGIN = 0.03;
/** The record decays with this time constant: about a week (a weekly cycle's bursts are repeats). */
export const REPEAT_MEMORY_MS = 7 * 86_400_000;

/** Which tail of each ratio check's residual is a failure (the rate is read two-sided). */
const DIRECTION: Record<'error_ratio' | 'funnel_drop', 1 | -1> = { error_ratio: 1, funnel_drop: -1 };

/**
 * −ln P(Z ≥ z) for a standard normal Z: the upper-tail surprise in nats, accurate far into the
 * tail (no underflow: computed in logs). Uses the complementary error function's Chebyshev fit of
 * Numerical Recipes (Press et al. 2007, §6.2.2, `erfccheb`'s predecessor `erfcc`: fractional error
 * below 1.2e-7 everywhere), whose form t·exp(−x² + poly(t)) gives the log directly. O(1).
 * Reference values: scipy.stats.norm.logsf (see the test).
 */
export function normalTailSurprise(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = z / Math.SQRT2;
  if (x < 0) {
    // P(Z ≥ z) = 1 − P(Z ≥ −z): no cancellation problem on this side (the probability is ≥ 1/2).
    return -Math.log1p(-Math.exp(-normalTailSurprise(-z)));
  }
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const lnErfc = Math.log(t) - x * x + poly;
  // P(Z ≥ z) = erfc(z/√2) / 2.
  return Math.LN2 - lnErfc;
}

/** A check's surprise this tick (nats; Exp(1) under the model), NaN when it has no residual. */
export function checkSurprise(e: Pick<Evaluation, 'kind' | 'score'>): number {
  if (!Number.isFinite(e.score)) return Number.NaN;
  // Two-sided for the rate: −ln(2·P(Z ≥ |z|)).
  if (e.kind === 'rate_spike' || e.kind === 'rate_drop') return Math.max(0, normalTailSurprise(Math.abs(e.score)) - Math.LN2);
  return normalTailSurprise(DIRECTION[e.kind] * e.score);
}

/** The most surprising check's max(surprise, CUSUM evidence) in nats, and its threshold; NaN when no check judged. */
function rawSurprise(evaluations: readonly Evaluation[]): { nats: number; threshold: number } {
  let nats = Number.NaN;
  let threshold = Number.NaN;
  for (const e of evaluations) {
    if (e.status === 'unknown' || !(e.threshold !== undefined && e.threshold > 0)) continue;
    const surprise = checkSurprise(e);
    const v = Math.max(Number.isNaN(surprise) ? 0 : surprise, e.evidence ?? 0, 0);
    if (!(v / e.threshold <= nats / threshold)) {
      nats = v;
      threshold = e.threshold;
    }
  }
  return { nats, threshold };
}

/**
 * The anomaly score of one series at one tick from its checks' evaluations: V* / (V* + h), V*
 * the most surprising check's max(surprise, evidence) read through `calibration`
 * (the model's own tail when none is given). NaN when no check could judge (warm-up, no data). O(checks).
 */
export function anomalyScore(evaluations: readonly Evaluation[], calibration?: Float32Array, at = 0): number {
  const { nats, threshold } = rawSurprise(evaluations);
  if (Number.isNaN(nats)) return Number.NaN;
  // A calibrated tail is not trusted beyond the CUSUM's cap: what a series has never done is as
  // surprising as the most evidence the detector banks, no more (beyond the top level it grows again).
  const v = calibration ? calibratedSurprise(calibration, nats, CAP_THRESHOLDS * threshold, at) : nats;
  return v / (v + threshold);
}

/**
 * A score weighed against the series' recent record: itself when it beats the record by
 * REPEAT_MARGIN, REPEAT_WEIGHT of itself otherwise. NaN stays NaN. O(1).
 */
export function repeatWeighted(score: number, record: number): number {
  return score > record + REPEAT_MARGIN ? score : score * REPEAT_WEIGHT;
}

/** The record after a tick's (unweighted) score: the larger of the score and the record decayed by `decay`. */
export function nextRecord(score: number, record: number, decay: number): number {
  return Number.isNaN(score) ? record : Math.max(score, record * decay);
}

/**
 * Learns one tick into the calibration: each level's exceedance fraction moves towards 1 if this
 * tick's V reached it, towards 0 if not, with weight `alpha` (1 − e^(−tick / memory)). Mutates `c`.
 * O(levels).
 */
export function learnCalibration(c: Float32Array, evaluations: readonly Evaluation[], alpha: number, at = 0): void {
  const { nats } = rawSurprise(evaluations);
  if (Number.isNaN(nats)) return;
  const keep = -Math.log1p(-alpha);
  // F ← (1 − α)F + α·reached, in logs: not reached is exactly −ln F + (−ln(1 − α)).
  // Tails past 2^15 nats say nothing more (the score reads at most 2h) and would only lose precision.
  for (let k = at; k < at + CALIBRATION_LEVELS; k++) c[k] = nats >= levelOf(k - at) ? -Math.log((1 - alpha) * Math.exp(-c[k]!) + alpha) : Math.min(c[k]! + keep, 32_768);
}
