// What a client can physically do at a total failure, as a prior over its attempt multiplier, and
// the observed plateau read through it: the posterior (attempts per request and its interval) and
// the evidence (how well the client explains the plateau, for naming). Pure.
//
// A client aborting on its first exhausted request (cargo, pip, npm) whose retries wait sends
// N·R + 1 requests for a build of N failing ones: M = R + 1/N (all N start before the first retry,
// and when the first chain runs out the others are asleep before their last attempt).
// Build sizes are taken log-uniform over 1 to MAX_BUILD_REQUESTS (scale-free: no size preferred),
// so the prior piles up just above R. A client that retries at once, with no sleep (cargo ≤ 1.69),
// aborts on time rather than count: its first chain runs out within a few round trips, while
// other requests of a large build have not even started, so M lies anywhere from 1 to R + 1
// (uniform). Measured on loopback, requests per crate of a failing build of N: cargo 1.95 exactly
// R + 1/N at N = 1-100; cargo 1.65 3.0, 2.79, 2.10, 1.58, 1.58, 1.29 at N = 1, 4, 10, 20, 50, 100.
// A client that retries each request on its own makes R + 1 attempts. Both are widened by the client-mix
// slack (a few clients of another version, or not retrying). The observed plateau is log-normal
// around the truth with the σ of its own fit (which holds the run's dispersion, demand's wander
// included): noisy data shrinks toward what the client can do, and clean data still moves the
// estimate. The same prior names the client (its evidence) and counts the attempts (its mean).
//
// Gaussian conjugacy per mixture component (Gelman et al., Bayesian Data Analysis, 3rd ed., §2.5
// and §5.1 for mixtures of conjugate priors): component k with prior N(μ_k, τ²) and observation
// y ~ N(μ, σ²) has evidence N(y; μ_k, τ² + σ²) and posterior N((μ_k/τ² + y/σ²)/(1/τ² + 1/σ²),
// 1/(1/τ² + 1/σ²)).

/** The largest build (requests failing at once) the prior allows; big workspaces fetch several hundred crates. */
export const MAX_BUILD_REQUESTS = 1000;
/** Quantiles of the posterior reported as its interval (~95 %). */
const INTERVAL = [0.025, 0.975] as const;

export interface PlateauPriorModel {
  maxRetries: number;
  abortsOnFirstExhausted: boolean;
  /** Sleep before each retry. Absent: taken as sleeping. */
  delaysSeconds?: readonly { min: number; max: number }[];
}

/** Whether a client with these sleeps before its retries retries at once: its builds abort on time. Absent: it sleeps. */
export function retriesAtOnce(delaysSeconds: readonly { min: number; max: number }[] | undefined): boolean {
  return delaysSeconds !== undefined && delaysSeconds.every((d) => d.max <= 0);
}

/** Components of the uniform prior of a client aborting on time (retriesAtOnce). */
const AT_ONCE_STEPS = 64;

/** One component of the prior: log M and its weight (weights sum to 1). */
export interface PriorComponent {
  logM: number;
  weight: number;
}

/** The multipliers a client can produce when every attempt fails, weighted by how likely each is. */
export function totalFailurePrior(model: PlateauPriorModel): PriorComponent[] {
  const r = model.maxRetries;
  if (!model.abortsOnFirstExhausted || r <= 0) return [{ logM: Math.log(r + 1), weight: 1 }];
  if (retriesAtOnce(model.delaysSeconds)) {
    return Array.from({ length: AT_ONCE_STEPS }, (_, i) => ({ logM: Math.log(1 + (r * (i + 0.5)) / AT_ONCE_STEPS), weight: 1 / AT_ONCE_STEPS }));
  }
  // Log-uniform N: weight ∝ 1/N; builds whose M lie within MERGE_LOG of each other are one
  // component (their weighted mean), far inside the mix slack: ~50 terms instead of 1000.
  const out: PriorComponent[] = [];
  for (let n = 1; n <= MAX_BUILD_REQUESTS; n++) {
    const logM = Math.log(r + 1 / n);
    const last = out.at(-1);
    if (last && last.logM - logM < MERGE_LOG) {
      const weight = last.weight + 1 / n;
      last.logM = (last.logM * last.weight + logM / n) / weight;
      last.weight = weight;
    } else out.push({ logM, weight: 1 / n });
  }
  return normalised(out);
}

/** Prior components closer than this in log M are merged: a tenth of the client-mix slack. */
const MERGE_LOG = 0.005;

function normalised(prior: PriorComponent[]): PriorComponent[] {
  const total = prior.reduce((t, c) => t + c.weight, 0);
  return prior.map((c) => ({ ...c, weight: c.weight / total }));
}

export interface PlateauPosterior {
  /** Posterior mean of M (the prior is skewed toward R; its mean, unlike its median, keeps the weight of R + 1) and its ~95 % interval. */
  multiplier: number;
  multiplierLow: number;
  multiplierHigh: number;
  /** log p(y | model): how well the model explains the observed log plateau y. */
  logEvidence: number;
}

/**
 * The posterior of the plateau M given the observed log plateau `y` (σ `sigmaObs`) and a prior
 * whose components are each widened by `sigmaMix` (log).
 */
export function plateauPosterior(prior: readonly PriorComponent[], y: number, sigmaObs: number, sigmaMix: number): PlateauPosterior {
  const s2 = sigmaObs * sigmaObs;
  const t2 = sigmaMix * sigmaMix;
  const v = s2 + t2;
  const postVar = 1 / (1 / t2 + 1 / s2);
  const parts = prior.map((c) => ({ logW: Math.log(c.weight) - 0.5 * Math.log(2 * Math.PI * v) - ((y - c.logM) ** 2) / (2 * v), mean: postVar * (c.logM / t2 + y / s2) }));
  const maxLog = Math.max(...parts.map((p) => p.logW));
  const sum = parts.reduce((s, p) => s + Math.exp(p.logW - maxLog), 0);
  const comps = parts.map((p) => ({ w: Math.exp(p.logW - maxLog) / sum, mean: p.mean }));
  const sd = Math.sqrt(postVar);
  const cdf = (x: number) => comps.reduce((s, c) => s + c.w * normalCdf((x - c.mean) / sd), 0);
  const lo = Math.min(...comps.map((c) => c.mean)) - 6 * sd;
  const hi = Math.max(...comps.map((c) => c.mean)) + 6 * sd;
  const quantile = (q: number) => {
    let a = lo;
    let b = hi;
    for (let i = 0; i < 40; i++) {
      const mid = (a + b) / 2;
      if (cdf(mid) < q) a = mid;
      else b = mid;
    }
    return Math.exp((a + b) / 2);
  };
  const mean = comps.reduce((s, c) => s + c.w * Math.exp(c.mean + postVar / 2), 0);
  return { multiplier: mean, multiplierLow: quantile(INTERVAL[0]), multiplierHigh: quantile(INTERVAL[1]), logEvidence: maxLog + Math.log(sum) };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
