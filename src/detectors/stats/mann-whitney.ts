// The Mann-Whitney U test (Wilcoxon rank-sum), as canary analysis (Kayenta) compares a metric after
// a change with before it: distribution-free, robust to outliers. One-sided, normal approximation
// with continuity correction; ties get average ranks (no variance correction, which is conservative).
// Reference: Mann & Whitney (1947); Hollander, Wolfe & Chicken, "Nonparametric Statistical Methods".

import { errorFunction, wilcoxonRankSum } from 'simple-statistics';

export interface MannWhitneyResult {
  /** U statistic of `post`: pairs (post, pre) where post is larger, ties counting half. */
  u: number;
  z: number;
  /** One-sided p-value for the alternative asked. */
  pValue: number;
  /** Probability that a post value exceeds a pre value (0.5: no shift). */
  superiority: number;
}

/**
 * Tests whether `post` is shifted `greater` or `less` than `pre`. Needs both samples non-empty.
 * O((n+m) log(n+m)).
 */
export function mannWhitneyU(post: readonly number[], pre: readonly number[], alternative: 'greater' | 'less'): MannWhitneyResult {
  const n1 = post.length;
  const n2 = pre.length;
  const w = wilcoxonRankSum([...post], [...pre]);
  const u = w - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  const shifted = alternative === 'greater' ? u - mean - 0.5 : mean - u - 0.5;
  const z = sd > 0 ? shifted / sd : 0;
  return { u, z, pValue: upperTail(z), superiority: u / (n1 * n2) };
}

/**
 * The smallest p-value the test can give samples of these sizes (every post value beyond every pre
 * value): at or above a level, no data of these sizes can show a shift there, so not finding one
 * says nothing. 4 against 4 gives 0.0152 (scipy.stats.mannwhitneyu([1,2,3,4], [5,6,7,8],
 * alternative='less', method='asymptotic')): never under 0.01.
 */
export function mannWhitneyFloor(n1: number, n2: number): number {
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return sd > 0 ? upperTail((mean - 0.5) / sd) : 1;
}

/**
 * P(Z > z) for a standard normal Z, from the error function: 1 − Φ(z) = erfc(z/√2)/2. The
 * table-based cumulativeStdNormalProbability stops at |z| ≈ 3.1, too coarse for early verdicts.
 */
function upperTail(z: number): number {
  return Math.max(0, 0.5 * (1 - errorFunction(z / Math.SQRT2)));
}
