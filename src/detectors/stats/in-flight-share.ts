// The share of a tick's change of requests that is still in flight at the downstream's scrape. When
// a funnel's two hops are scraped at different phases, a tick's lost count (requests less
// completions over the baseline ratio) is a·n + q·(n − n_prev) plus noise: a the share lost, q the
// share of a tick between the two scrapes (late-share.ts reads q alone on healthy ticks). On lumpy
// demand q·(n − n_prev) swings with the square of the traffic and the funnel's variance model, which
// grows with the requests, weighs a failure against it: half lost took 7 ticks at 15 s where
// Poisson demand takes 1. Subtracting it needs q where it is now: a downstream target replaced
// scrapes at another phase, and a q learnt only on healthy ticks never unlearns a move the funnel
// then alarms on. So q is estimated jointly with a, by least squares of lost on n and its change,
// exponentially forgotten (recursive least squares with a forgetting factor; Ljung & Söderström
// 1983, "Theory and Practice of Recursive Identification", §2.6), on every tick: a failure's
// constant share is a's to carry, not q's. Its standard error comes from the fit's own residuals.
// Pure; its state is eight numbers.

/** Σ n², Σ n·Δn, Σ Δn², Σ lost·n, Σ lost·Δn, Σ lost², Σ 1 (each forgotten), and the last tick's requests (−1: none). */
export interface InFlightState {
  inNN: number;
  inND: number;
  inDD: number;
  inLN: number;
  inLD: number;
  inLL: number;
  inW: number;
  inPrevN: number;
}

export function newInFlight(): InFlightState {
  return { inNN: 0, inND: 0, inDD: 0, inLN: 0, inLD: 0, inLL: 0, inW: 0, inPrevN: -1 };
}

/** Learns one tick: its requests `n` and lost count `lost` (signed, not net of anything). `memory` in ticks. */
export function learnInFlight(s: InFlightState, n: number, lost: number, memory: number): void {
  if (!(n >= 0) || !Number.isFinite(lost)) {
    s.inPrevN = -1;
    return;
  }
  if (s.inPrevN >= 0) {
    const dn = n - s.inPrevN;
    const keep = 1 - 1 / memory;
    s.inNN = s.inNN * keep + n * n;
    s.inND = s.inND * keep + n * dn;
    s.inDD = s.inDD * keep + dn * dn;
    s.inLN = s.inLN * keep + lost * n;
    s.inLD = s.inLD * keep + lost * dn;
    s.inLL = s.inLL * keep + lost * lost;
    s.inW = s.inW * keep + 1;
  }
  s.inPrevN = n;
}

/** A tick whose counts are not read: the next change is not measured across it. */
export function breakInFlight(s: InFlightState): void {
  s.inPrevN = -1;
}

/**
 * q, the least squares coefficient of the change of requests, in [0, 0.95], when its standard error
 * (from the fit's residual variance, over the weights less the two coefficients) is at most
 * `maxError`; 0 otherwise (too little change seen, too noisy, or none in flight).
 */
export function inFlightShareOf(s: InFlightState, maxError: number): number {
  const det = s.inNN * s.inDD - s.inND * s.inND;
  if (!(det > 0) || !(s.inW > MIN_WEIGHT)) return 0;
  const q = (s.inNN * s.inLD - s.inND * s.inLN) / det;
  if (!(q > 0)) return 0;
  const a = (s.inDD * s.inLN - s.inND * s.inLD) / det;
  const residualVariance = Math.max(0, s.inLL - a * s.inLN - q * s.inLD) / (s.inW - 2);
  const se = Math.sqrt((residualVariance * s.inNN) / det);
  return se <= maxError ? Math.min(q, 0.95) : 0;
}

/** Ticks of weight below which the fit's residuals say too little of their variance. */
export const MIN_WEIGHT = 10;
