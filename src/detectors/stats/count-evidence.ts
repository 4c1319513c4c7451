// Log-likelihood ratios of counts seen in one tick, for sequential tests that weigh evidence by how
// many requests were seen rather than by a rate alone: 12 failed downloads out of 12 are as sure as
// 180 out of 180 only after the second tick, and 2 missing out of 25 never are.
//
// References: Page (1954) "Continuous inspection schemes" (CUSUM of log-likelihood ratios);
// Lorden (1971) (its optimality); Wedderburn (1974) "Quasi-likelihood functions" (dividing a
// log-likelihood by an estimated dispersion when counts vary more than binomial/Poisson ones).
// McCullagh & Nelder (1989) "Generalized Linear Models", §2.4.3 (deviance residuals).
// Reference values in the tests were computed with scipy.stats (binom.logpmf, poisson.logpmf) and
// scipy.special.xlogy.

/**
 * Binomial log-likelihood ratio log P(k | n, p1) − log P(k | n, p0): k failures among n trials.
 * Linear in k, so k may be fractional (counts read from rates) or negative (a signed residual:
 * completions that arrive in the next tick give back what this tick seemed to lose). O(1).
 */
export function binomialLLR(k: number, n: number, p0: number, p1: number): number {
  return k * Math.log(p1 / p0) + (n - k) * Math.log((1 - p1) / (1 - p0));
}

/**
 * The quasi-likelihood log ratio of k failures among n trials, failure fraction p1 against p0, when
 * the count varies by `extraPerTrial`·n more than a binomial one, added rather than multiplied:
 * variance V(μ) = μ(1 − μ/n) + e·n (Wedderburn 1974; McCullagh & Nelder 1989, §9.2: the log ratio
 * is ∫ (k − t)/V(t) dt from n·p0 to n·p1). Dividing the binomial log ratio by a dispersion φ
 * assumes the excess grows with p(1 − p), so at p0 = 1 % a tick that lost everything counts barely
 * more than one that lost a few. A funnel's excess is mostly the requests in flight between its two
 * hops' scrapes: the same whether the downstream completes them or not. With e = 0 this is
 * binomialLLR exactly; near p0 it is binomialLLR / φ with φ = 1 + e / (p0·(1 − p0)). Linear in k
 * with a slope that does not depend on n, as binomialLLR: completions counted a tick late (a tick
 * with no requests) give back exactly what the tick before seemed to lose. O(1).
 */
export function additiveQuasiLLR(k: number, n: number, p0: number, p1: number, extraPerTrial: number): number {
  if (!(extraPerTrial > 0)) return binomialLLR(k, n, p0, p1);
  // V(t) = −(t − n·r1)(t − n·r2)/n with r1 < 0 < 1 < r2, and (k − t)/V(t) in partial fractions.
  const root = Math.sqrt(1 + 4 * extraPerTrial);
  const r1 = (-2 * extraPerTrial) / (1 + root);
  const r2 = (1 + root) / 2;
  const l1 = Math.log((p1 - r1) / (p0 - r1));
  const l2 = Math.log((r2 - p1) / (r2 - p0));
  return (k * (l1 - l2) + n * (r2 * l2 - r1 * l1)) / root;
}

/** Poisson log-likelihood ratio of `count` events under a mean of factor·expected vs expected. O(1). */
export function poissonLLR(count: number, expected: number, factor: number): number {
  return count * Math.log(factor) - (factor - 1) * expected;
}

/**
 * Negative binomial (gamma-Poisson) log-likelihood ratio of `count` events under a mean of
 * factor·expected vs expected, both of gamma shape `shape`: Var = μ + μ²/shape, the Poisson count of
 * a mean that itself varies by a gamma factor (Greenwood & Yule 1920; Hilbe 2011, "Negative Binomial
 * Regression", §8.2). With shape = expected/(φ − 1) its variance at the baseline is quasi-Poisson's
 * φ·expected, but its lower tail is bounded as counts of real demand are: the mean falls below a
 * tenth of itself far less often than a normal of that variance would. Tends to poissonLLR as shape
 * grows. O(1).
 */
export function negativeBinomialLLR(count: number, expected: number, factor: number, shape: number): number {
  return count * Math.log(factor) - (count + shape) * Math.log((shape + factor * expected) / (shape + expected));
}

/**
 * The negative binomial alternative factor f < 1 whose CUSUM is indifferent at `indifference` × the
 * expected count, for counts whose mean is `ratio` = expected/shape times their gamma shape: the
 * LLR of negativeBinomialLLR is zero at count c·μ where c·r·ln f = (c·r + 1)·ln((1 + f·r)/(1 + r)).
 * As r → 0 it is poissonFactorFor's root, (f − 1)/ln f = c; as r grows, the gamma scale family's,
 * f·ln(1/f)/(1 − f) = c (ten times larger at c = 0.2: 0.07 against 0.007). Bisection on log f;
 * O(log(1/precision)).
 */
export function negativeBinomialFactorFor(indifference: number, ratio: number): number {
  if (!(indifference > 0 && indifference < 1) || !(ratio > 0)) throw new RangeError(`indifference point must be in (0, 1) and the mean-to-shape ratio positive, got ${indifference} and ${ratio}`);
  const c = indifference * ratio;
  // Negative below the root (f → 0), positive between it and 1 (where the LLR's slope in f is c − 1 < 0 at f = 1).
  const at = (f: number) => c * Math.log(f) - (c + 1) * Math.log((1 + f * ratio) / (1 + ratio));
  let lo = 1e-300;
  let hi = indifference;
  for (let i = 0; i < 200 && hi / lo > 1 + 1e-12; i++) {
    const mid = Math.sqrt(lo * hi);
    if (at(mid) < 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The Poisson alternative factor f whose CUSUM is indifferent at `indifference` × the expected
 * count: the expected LLR per tick, λ(x·ln f − (f − 1)), is zero at x = (f − 1) / ln f. Below it
 * (for a rise) evidence drains, above it evidence accumulates, faster the larger the change. So a
 * configured "smallest change that matters" is exactly where evidence starts to accumulate.
 * Bisection on the monotone map; O(log(1/precision)).
 */
export function poissonFactorFor(indifference: number): number {
  if (!(indifference > 0) || indifference === 1) throw new RangeError(`indifference point must be positive and not 1, got ${indifference}`);
  const at = (f: number) => (f - 1) / Math.log(f);
  // (f − 1)/ln f is increasing in f; it maps (0, 1) onto (0, 1) and (1, ∞) onto (1, ∞).
  let lo = indifference > 1 ? 1 + 1e-12 : 1e-300;
  let hi = indifference > 1 ? 2 : 1 - 1e-12;
  while (indifference > 1 && at(hi) < indifference) hi *= 2;
  for (let i = 0; i < 200 && hi / lo > 1 + 1e-12; i++) {
    const mid = indifference > 1 ? (lo + hi) / 2 : Math.sqrt(lo * hi);
    if (at(mid) < indifference) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The binomial alternative p1 > p0 whose CUSUM is indifferent at a failure fraction of
 * `indifference`: the expected LLR per trial, x·ln(p1/p0) + (1 − x)·ln((1 − p1)/(1 − p0)), is zero
 * at x = ln((1−p0)/(1−p1)) / (ln(p1/p0) + ln((1−p0)/(1−p1))). Needs p0 < indifference < 1.
 * Newton's method kept inside a bisection's bracket (Press et al. 2007, §9.4, `rtsafe`): the error
 * check asks for it at every tick of every series whose error baseline moved, where the bisection's
 * forty steps were 3 % of a 100k-series tick; three to seven steps (ten at most, over the floors and
 * increases a check uses) reach the root to a double's precision.
 */
export function binomialAlternativeFor(p0: number, indifference: number): number {
  if (!(p0 > 0 && p0 < indifference && indifference < 1)) throw new RangeError(`need 0 < p0 < indifference < 1, got p0=${p0}, indifference=${indifference}`);
  // at(p1) = D/(U + D) is increasing in p1 on (p0, 1), from p0 towards 1.
  let lo = p0;
  let hi = 1 - 1e-12;
  // Where the two are close the indifference point is midway between them.
  let p = Math.min(2 * indifference - p0, (indifference + 1) / 2);
  for (let i = 0; i < 100; i++) {
    const up = Math.log(p / p0);
    const down = Math.log((1 - p0) / (1 - p));
    const sum = up + down;
    const g = down / sum - indifference;
    if (g < 0) lo = p;
    else hi = p;
    const slope = (up / (1 - p) - down / p) / (sum * sum);
    let next = p - g / slope;
    // Outside the bracket (or no slope): bisect instead.
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    const step = Math.abs(next - p);
    p = next;
    if (step <= 1e-15 || hi - lo <= 1e-15) break;
  }
  return p;
}

/**
 * The CUSUM alarm threshold h (in nats) that holds false alarms to `perYear` per series: a CUSUM
 * of log-likelihood ratios started at 0 crosses h under the null with probability at most e^−h per
 * excursion (Wald's inequality), so its average run length to a false alarm is at least e^h ticks
 * (Lorden 1971), and a bank of `charts` such charts at least e^h / charts. h = ln(charts · ticks a
 * year / perYear). The bound is exact only when the counts follow the assumed model; the measured
 * rates (README) are what to trust.
 */
export function cusumThreshold(perYear: number, intervalMs: number, charts: number): number {
  if (!(perYear > 0)) throw new RangeError(`false alarms per year must be positive, got ${perYear}`);
  const ticksPerYear = (365.25 * 86_400_000) / intervalMs;
  return Math.log((charts * ticksPerYear) / perYear);
}

/** a·ln(b), 0 when a is 0 (the limit, as scipy.special.xlogy). */
function xlogy(a: number, b: number): number {
  return a === 0 ? 0 : a * Math.log(b);
}

/**
 * The binomial deviance residual of k failures among n trials at failure fraction p:
 * sign(k − n·p)·√(2·[k·ln(k/(n·p)) + (n − k)·ln((n − k)/(n·(1 − p)))]) (McCullagh & Nelder 1989,
 * §2.4.3), k clipped to [0, n] (a signed count read from rates can leave it). Its square over two
 * is the Chernoff exponent of the tail, so a standard normal's tail at it tracks the count's own far
 * out, where the Pearson residual (k − n·p)/√(n·p·(1 − p)) does not: 2 lost of 2 at p = 1 % is a
 * 1-in-10⁴ tick (9.2 nats), the Pearson residual 14.1 reads it as 10⁻⁴⁴ (100 nats), the deviance
 * residual 4.29 as 11.6 nats. NaN without trials or with p outside (0, 1). O(1).
 */
export function binomialDevianceResidual(k: number, n: number, p: number): number {
  if (!(n > 0 && p > 0 && p < 1) || Number.isNaN(k)) return Number.NaN;
  const y = Math.min(Math.max(k, 0), n);
  const mu = n * p;
  const d = 2 * (xlogy(y, y / mu) + xlogy(n - y, (n - y) / (n - mu)));
  const r = Math.sqrt(Math.max(d, 0));
  return y < mu ? -r : r;
}
