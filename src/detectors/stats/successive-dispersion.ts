// The request count's dispersion, read from one tick to the next rather than against the baseline.
// A squared Pearson residual against the trailing median measures the noise only while the median
// sits on the level. When the level moves by less than the checks' practical floors (a learnt
// burst ends, a surge relearnt after relearnAfter recedes, a start inside a daily batch job), the
// median lags for up to half its window, the ticks are healthy, and their misfit was learnt as
// noise: a 3x burst's end widened the band from ±0.1 to ±0.45 nat and a 97 % outage at the next
// trough paged after 2.5 minutes instead of 26 s (docs/seasonal-baselines.md).
//
// Two consecutive counts of one level differ by noise alone: for Poisson counts n₁, n₂ of equal
// mean, given s = n₁ + n₂ > 0, n₁ is Binomial(s, ½), so (n₁ − n₂)²/s has expectation exactly 1 (a
// pair's dispersion test; the mean square successive difference of von Neumann et al., Ann. Math.
// Statist. 12, 1941, is the same idea for a variance). Under Var = φ·mean it is φ. A level shift
// then costs one tick's residual, not half a window's, and that one tick is winsorised at the χ²(1)
// 0.999 quantile of the dispersion learnt so far. Slow misfit (a level wandering within the hour)
// is not this estimate's to carry: the checks take φ as at least the baseline's own spread of
// log-rate times the expected count (evidence-detector.ts, judgeRate). The ratios' Pearson
// residuals are winsorised the same way: one misread tick (a page cut short, 48 completions a
// request) is not the mean's to carry either. Pure.

/** χ²(1)'s 0.999 quantile (scipy.stats.chi2.ppf(0.999, 1)): a residual above this many φ is one tick in a thousand. */
export const WINSOR_CHI2 = 10.827566170662733;

/**
 * E[min(X, WINSOR_CHI2)] for X ~ χ²(1) (scipy.stats.chi2.expect): what winsorising leaves of a
 * unit dispersion. Not corrected for: 0.2 % lower, and the checks use an upper bound of φ anyway.
 */
export const WINSORISED_MEAN = 0.9981318333485447;

/**
 * The squared residual of `n` against the count before it, `previous` (a count of the same tick
 * length, negative or NaN when there is none: the first tick, or after a gap): (n − previous)² /
 * (n + previous), whose mean is the counts' dispersion φ when both share a level. NaN when there is
 * no previous count or both are 0 (two silent ticks say nothing of the spread).
 */
export function successiveResidual(n: number, previous: number): number {
  if (!(previous >= 0) || !(n >= 0)) return Number.NaN;
  const sum = n + previous;
  if (sum <= 0) return Number.NaN;
  const d = n - previous;
  return (d * d) / sum;
}

/**
 * The squared residual of a tick's `k` failures among `n` against the tick before's (`previousK`
 * among `previousN`; negative or NaN when there is none): the Pearson χ² of their 2×2 table,
 * N·(k·(n₀ − k₀) − k₀·(n − k))² / (n·n₀·K·(N − K)) with N = n + n₀, K = k + k₀ (scipy's
 * `chi2_contingency(…, correction=False)` statistic). For binomial counts of one ratio its mean is
 * N/(N − 1), about 1; under Var = φ·n·p(1 − p) about φ, as the Pearson residual against a known
 * ratio is (somewhat under it: 3.48 for φ of 4 and 5, tested), and it needs no baseline: the error
 * ratio's warming-up ticks teach the dispersion with it. NaN without a tick before, or when neither
 * tick has a failure, or both only failures (they say nothing of the spread).
 */
export function successiveRatioResidual(k: number, n: number, previousK: number, previousN: number): number {
  if (!(previousK >= 0 && previousN > 0 && k >= 0 && n > 0)) return Number.NaN;
  const total = n + previousN;
  const failed = k + previousK;
  if (!(failed > 0 && failed < total)) return Number.NaN;
  const cross = k * (previousN - previousK) - previousK * (n - k);
  return (total * cross * cross) / (n * previousN * failed * (total - failed));
}

/**
 * `residual` as the dispersion learns it: at most WINSOR_CHI2 times the dispersion learnt so far
 * (`learnt`, at least 1) once `trusted` (enough ticks averaged for the estimate to be more than its
 * first guesses); untrusted, as it is. NaN stays NaN.
 */
export function winsorisedResidual(residual: number, learnt: number, trusted: boolean): number {
  if (!trusted) return residual;
  const cap = WINSOR_CHI2 * Math.max(1, learnt);
  return residual > cap ? cap : residual;
}
