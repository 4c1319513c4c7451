// The fraction of attempts failing above the baseline's own failures, read from a signal's funnel
// (completions downstream) or its error ratio, whichever says more. Pure.

import type { Evaluation } from '../core/types.js';

/** Fraction of attempts failing above the baseline's own failures, with a ~95 % interval. */
export function failingFraction(funnel: Evaluation | undefined, errors: Evaluation | undefined): { e: number; low: number; high: number } {
  let best = { e: 0, low: 0, high: 0 };
  if (funnel && funnel.status !== 'unknown' && funnel.baseline > 0 && Number.isFinite(funnel.observed)) {
    const e = Math.max(0, 1 - funnel.observed / funnel.baseline);
    const spread = (2 * funnel.sigma) / funnel.baseline;
    best = { e, low: Math.max(0, e - spread), high: Math.min(1, e + spread) };
  }
  if (errors && errors.status !== 'unknown' && Number.isFinite(errors.observed)) {
    const e = Math.max(0, errors.observed - errors.baseline);
    if (e > best.e) best = { e, low: Math.max(0, e - 2 * errors.sigma), high: Math.min(1, e + 2 * errors.sigma) };
  }
  return best;
}
