// A continuous anomaly score in [0, 1] per series and tick: how surprising the current counts are
// under the band, with the evidence the sequential tests have gathered, on one scale. Dashboards,
// reports and benchmarks rank moments by it; pages stay on the sequential tests' own alarms.
//
// Two quantities in nats, both with the same false-alarm meaning:
// - the tick's surprise S = −ln P(a healthy tick is at least this far out), the one-sided normal
//   tail of the check's standardised residual (the detector's σ: counting noise, dispersion φ and
//   demand's wobble). P(S ≥ s) = e^−s under the band, by definition of a p-value.
// - the CUSUM evidence E of each check: under the baseline, P(E ever reaches e) ≤ e^−e per excursion
//   (Wald's inequality; Lorden 1971).
// So a value v of either is an event of probability at most e^−v, and the detector's threshold h
// (ln(6 × ticks a year / false alarms a year)) is where it pages. The score is x / (1 + x) with
// x = max(S, E) / h: monotone in the surprise, 0 for nothing surprising, exactly 0.5 at the paging
// evidence, towards 1 beyond. A single wild tick (a spike the CUSUM's alternative would need several
// ticks to believe) and a slow shift (no single tick surprising, evidence accumulating) both rank.
// Missing data has no score (NaN), never 0.

import type { Evaluation, FindingKind } from '../../core/types.js';

/** Which tail of each check's standardised residual is a failure. */
const DIRECTION: Record<FindingKind, 1 | -1> = {
  rate_spike: 1,
  rate_drop: -1,
  error_ratio: 1,
  funnel_drop: -1,
};

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

/**
 * The anomaly score of one series at one tick from its checks' evaluations: x / (1 + x) with
 * x = max over judged checks of max(tail surprise, CUSUM evidence) / threshold. NaN when no check
 * could judge (warm-up, no data). O(checks).
 */
export function anomalyScore(evaluations: readonly Evaluation[]): number {
  let x = Number.NaN;
  for (const e of evaluations) {
    if (e.status === 'unknown' || !(e.threshold !== undefined && e.threshold > 0)) continue;
    const surprise = Number.isFinite(e.score) ? normalTailSurprise(DIRECTION[e.kind] * e.score) : 0;
    const nats = Math.max(surprise, e.evidence ?? 0, 0);
    const v = nats / e.threshold;
    if (!(v <= x)) x = v;
  }
  return Number.isNaN(x) ? Number.NaN : x / (1 + x);
}
