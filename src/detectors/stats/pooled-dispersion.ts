// One tick's dispersion φ from its two estimates, pooled by their degrees of freedom: the baseline
// buckets' scaled MAD of log-rate (σ²·expected) and the healthy ticks' mean squared Pearson
// residual. The checks take the larger of the two, bounded above (a page must not rest on a lucky
// calm history); a failing rate's rise, read only after a closed pool would have stalled
// (assess.ts, MIN_RISE_SECONDS), is read through the likelier value instead. On a young history the
// cautious one is far off: a live run read φ ≈ 20 where builds of 4 crates arriving at random give
// about 4.
//
// A variance estimate's information is its degrees of freedom, and pooled variance estimates are
// weighted by them (as in a one-way analysis of variance). The MAD's are those of a standard
// deviation from the same values times its asymptotic efficiency at the normal, 0.3675 (Rousseeuw
// & Croux 1993, "Alternatives to the median absolute deviation", JASA 88:1273: "37 %"), that is
// 8·φ(q)²·q² with q = norm.ppf(0.75) = 0.67449 and φ the normal density (scipy: 0.36752).

/** Asymptotic efficiency of the MAD as a scale estimate at the normal. */
export const MAD_EFFICIENCY = 0.36752;

/**
 * φ pooled from the MAD's (over `buckets` bucket values) and the Pearson residuals' (over `ticks`
 * ticks), never below 1 (Poisson). With no ticks it is the MAD's; with no buckets, the residuals'.
 */
export function pooledDispersion(madPhi: number, buckets: number, pearsonPhi: number, ticks: number): number {
  const madDof = MAD_EFFICIENCY * Math.max(0, buckets - 1);
  const tickDof = Math.max(0, ticks);
  if (madDof + tickDof === 0 || !Number.isFinite(madPhi) || !Number.isFinite(pearsonPhi)) return Math.max(1, Number.isFinite(madPhi) ? madPhi : pearsonPhi);
  return Math.max(1, (madDof * madPhi + tickDof * pearsonPhi) / (madDof + tickDof));
}
