// The fraction of attempts failing above the baseline's own failures, read from a signal's funnel
// (completions downstream) or its error ratio, whichever says more. Pure.

import type { Evaluation } from '../core/types.js';

/** Fraction of attempts failing above the baseline's own failures, with a ~95 % interval. */
export function failingFraction(funnel: Evaluation | undefined, errors: Evaluation | undefined): { e: number; low: number; high: number } {
  // Scalars until the answer is known: one object per call (this runs for every series every tick).
  let e = 0;
  let low = 0;
  let high = 0;
  if (funnel && funnel.status !== 'unknown' && funnel.baseline > 0 && Number.isFinite(funnel.observed)) {
    e = Math.max(0, 1 - funnel.observed / funnel.baseline);
    const spread = (2 * funnel.sigma) / funnel.baseline;
    low = Math.max(0, e - spread);
    high = Math.min(1, e + spread);
  }
  if (errors && errors.status !== 'unknown' && Number.isFinite(errors.observed)) {
    const fromErrors = Math.max(0, errors.observed - errors.baseline);
    if (fromErrors > e) {
      e = fromErrors;
      low = Math.max(0, e - 2 * errors.sigma);
      high = Math.min(1, e + 2 * errors.sigma);
    }
  }
  return { e, low, high };
}

/**
 * The share of a tick's own attempts failing, for placing a failure's onset inside it: the
 * funnel's completions less those of the previous tick's requests counted late (its `lateShare` q
 * of them: the requests made after the downstream's scrape), over this tick's requests. Without
 * that, a tick that failed from its start reads as partly healthy (its completions are the last
 * tick's), the onset lands late in it, and the next ticks' retries look immediate. `requests` and
 * `previousRequests` are per second (or both counts); the error ratio needs no correction.
 */
export function onsetTickFailing(funnel: Evaluation | undefined, errors: Evaluation | undefined, requests: number, previousRequests: number): number {
  const plain = failingFraction(funnel, errors).e;
  // Not learnt yet: absent or NaN.
  const q = funnel?.lateShare ?? Number.NaN;
  if (!(q >= 0) || !funnel || funnel.status === 'unknown' || !(funnel.baseline > 0) || !(requests > 0) || !(previousRequests >= 0)) return plain;
  const onTime = funnel.observed / funnel.baseline - (q * previousRequests) / requests;
  return Math.max(plain, 1 - Math.min(1, Math.max(0, onTime)));
}
