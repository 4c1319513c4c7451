// How much a young dispersion estimate may understate the truth. A tick's dispersion φ is the mean
// of ν squared Pearson residuals; under the model ν·φ̂/φ is χ²(ν), so a short history of calm ticks
// says little: 10 calm ticks are also what a series twice as lumpy gives one time in ten. Judging
// with φ̂ alone pages on the first clumped builds after start-up (or after a gap). The checks use
// the one-sided upper confidence bound instead, φ̂·ν / χ²_{α}(ν) (a variance's confidence interval:
// Cox & Hinkley 1974, §7.2), which tends to φ̂ as the history grows (×2.05 at 10 ticks, ×1.45 at 30,
// ×1.13 at 240, ×1.03 at 3600).

/** The lower-tail probability α of the bound: one chance in ten that φ is above it. */
export const DISPERSION_BOUND_ALPHA = 0.1;
/** Standard normal quantile of 1 − α (scipy.stats.norm.ppf(0.9)). */
const Z = 1.2815515655446004;

/**
 * The α quantile of χ²(ν) by Wilson and Hilferty's cube-root normal approximation (1931): within
 * 0.1 % of the exact quantile from 5 degrees of freedom (scipy.stats.chi2.ppf, see the test).
 * simple-statistics' chi-squared table stops at 100 degrees of freedom and lists no α between its
 * columns; the dispersion's history runs to thousands of ticks. O(1).
 */
export function chiSquaredLowerQuantile(dof: number, z = Z): number {
  const c = 2 / (9 * dof);
  return dof * (1 - c - z * Math.sqrt(c)) ** 3;
}

/** The upper bound of a dispersion estimate averaged over `dof` residuals (NaN/≤0 dof: as given). */
export function dispersionUpperBound(estimate: number, dof: number): number {
  if (!(dof >= 1) || !Number.isFinite(estimate)) return estimate;
  const q = quantileOf(dof);
  // Below about 2 degrees of freedom the approximation's quantile reaches 0: no bound to speak of.
  return q > 0.05 * dof ? (estimate * dof) / q : estimate * 20;
}

/**
 * chiSquaredLowerQuantile at the default z by integer degrees of freedom, computed once each: every
 * series asks for the same few hundred each tick (the dispersion's ticks, its blocks).
 */
const quantiles: number[] = [];
const MAX_CACHED_DOF = 1 << 14;

function quantileOf(dof: number): number {
  if (!Number.isInteger(dof) || dof >= MAX_CACHED_DOF) return chiSquaredLowerQuantile(dof);
  while (quantiles.length <= dof) quantiles.push(chiSquaredLowerQuantile(quantiles.length));
  return quantiles[dof]!;
}
