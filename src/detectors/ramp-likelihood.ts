// The whole observed ramp of a total failure, read through each client model: the likelihood of
// every tick's multiplier (before and since the onset) given the model's plateau, and the model's
// marginal likelihood (its evidence) with the plateau, the onset's place inside the first tick, the
// retries' timing and the demand's wander all integrated out. Models are compared by it (a Bayes
// factor) and the plateau is its posterior. Pure.
//
// Observation model: y_t = log(multiplier of tick t) = x_t + log(1 + A·f_t), where x_t is the log
// of demand (over the baseline) and f_t the share of the plateau excess A the model's schedule puts
// in tick t (retry-ramp.ts; 0 before the onset). Demand wanders as a random walk, x_t − x_{t−1} ~
// N(0, s²), with s shared by every model and unknown: log-uniform between a counting floor and
// half the scale of the rate itself (Jeffreys' prior, truncated). So the data enter as
// increments, d_t = y_t − y_{t−1}, independent N(Δlog(1 + A·f_t), s²), and a plateau is read from
// the step at the onset against the wander of a tick or two, not of the minute since the healthy
// ticks (a client retrying at once shows its whole plateau from the first full tick; cargo's builds
// up over ~11 s). The onset lies uniformly inside the first tick; retries may come a second early
// or late (three schedules, equally likely). The plateau M = 1 + A has the client's physical prior
// (plateau-prior.ts), widened by the client-mix slack, integrated on a grid in log M.
//
// Marginal likelihoods and Bayes factors: Kass & Raftery, "Bayes factors", JASA 90 (1995) 773-795,
// §2 and §4 (numerical integration over the nuisance parameters); the random-walk level:
// Durbin & Koopman, Time Series Analysis by State Space Methods, 2nd ed. (2012), §2.1 (local level
// model with no observation noise: the increments are the innovations).

import { type PriorComponent, retriesAtOnce } from './plateau-prior.js';
import { type RampModel, onsetPoints, tickFractionAt } from './retry-ramp.js';

/** Range of the wander's per-tick σ (log): from counting noise to half the rate's scale. */
export const WANDER_SIGMA_MIN = 0.01;
export const WANDER_SIGMA_MAX = 0.5;
/** Points of the log-uniform grid over the wander's σ. */
const WANDER_POINTS = 24;
/** Step of the grid in log M the plateau is integrated over. */
const GRID_STEP = 0.008;
/** How far beyond the prior's components (in units of the mix slack) the grid reaches. */
const GRID_REACH = 4;
const INTERVAL = [0.025, 0.975] as const;

export interface RampSeries {
  tickMs: number;
  /**
   * Requests a tick holds at the baseline (the baseline's rate times the tick): below
   * COUNTING_NOISE_BELOW each tick's count is read with its counting noise (countingRampPosterior).
   */
  countsPerTick?: number;
  /** Multipliers of the healthy ticks before the onset, oldest first. */
  before: readonly number[];
  /** Multipliers since, the first tick holding the onset; NaN for a gap. */
  multipliers: readonly number[];
}

export interface RampPosterior {
  /** Posterior mean of the plateau M and its ~95 % interval. */
  multiplier: number;
  multiplierLow: number;
  multiplierHigh: number;
  /** log p(ticks | model): the model's evidence. Comparable across models of the same series. */
  logEvidence: number;
}

/** The increments the likelihood reads: between consecutive ticks with a reading, `span` ticks apart. */
interface Increment {
  d: number;
  /** Tick index of its end (≤ 0 before the onset, 1 = the tick holding it) and of its start. */
  to: number;
  from: number;
}

function incrementsOf(series: RampSeries): Increment[] {
  const points: { i: number; y: number }[] = [];
  series.before.forEach((m, k) => {
    if (Number.isFinite(m) && m > 0) points.push({ i: k - series.before.length + 1, y: Math.log(m) });
  });
  series.multipliers.forEach((m, k) => {
    if (Number.isFinite(m) && m > 0) points.push({ i: k + 1, y: Math.log(m) });
  });
  const out: Increment[] = [];
  for (let k = 1; k < points.length; k++) out.push({ d: points[k]!.y - points[k - 1]!.y, to: points[k]!.i, from: points[k - 1]!.i });
  return out;
}

function logSumExp(xs: readonly number[]): number {
  const max = Math.max(...xs);
  if (!Number.isFinite(max)) return max;
  return max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
}

/** The wander's σ grid (log-uniform, equal weights) and, per point, log s. */
const WANDER_LOG_SIGMAS = Array.from({ length: WANDER_POINTS }, (_, i) => Math.log(WANDER_SIGMA_MIN) + ((i + 0.5) / WANDER_POINTS) * Math.log(WANDER_SIGMA_MAX / WANDER_SIGMA_MIN));
const WANDER_HALF_PRECISIONS = WANDER_LOG_SIGMAS.map((ls) => 1 / (2 * Math.exp(2 * ls)));

/**
 * log p(increments | residual sum of squares `rss` over `n` of them, `logSpan` = Σ log span): the
 * random walk's σ integrated over its prior.
 */
function wanderLogLikelihood(rss: number, n: number, logSpan: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < WANDER_POINTS; i++) max = Math.max(max, -n * WANDER_LOG_SIGMAS[i]! - rss * WANDER_HALF_PRECISIONS[i]!);
  let sum = 0;
  for (let i = 0; i < WANDER_POINTS; i++) sum += Math.exp(-n * WANDER_LOG_SIGMAS[i]! - rss * WANDER_HALF_PRECISIONS[i]! - max);
  return max + Math.log(sum / WANDER_POINTS) - 0.5 * n * Math.log(2 * Math.PI) - 0.5 * logSpan;
}

/** Range and step of log RSS over which wanderLogLikelihood is tabulated (interpolated linearly between). */
const TABLE_LOG_RSS = [Math.log(1e-8), Math.log(1e4)] as const;
const TABLE_STEP = 0.02;

/** wanderLogLikelihood for `n` increments as a function of RSS, tabulated in log RSS: it is smooth there, and costly. */
function wanderTable(n: number, logSpan: number): (rss: number) => number {
  const [x0, x1] = TABLE_LOG_RSS;
  const size = Math.ceil((x1 - x0) / TABLE_STEP) + 1;
  const table = new Float64Array(size);
  for (let i = 0; i < size; i++) table[i] = wanderLogLikelihood(Math.exp(x0 + i * TABLE_STEP), n, logSpan);
  return (rss) => {
    const pos = (Math.log(Math.max(rss, 1e-300)) - x0) / TABLE_STEP;
    if (pos <= 0) return table[0]!;
    if (pos >= size - 1) return wanderLogLikelihood(rss, n, logSpan);
    const i = Math.floor(pos);
    return table[i]! + (pos - i) * (table[i + 1]! - table[i]!);
  };
}

/**
 * The plateau's posterior and the model's evidence from the whole ramp; undefined when the ticks
 * cannot say (no healthy tick before the onset, or none since).
 */
export function rampPosterior(model: RampModel, prior: readonly PriorComponent[], series: RampSeries, mixLogSigma: number, timingSlackS: number): RampPosterior | undefined {
  const n0 = series.countsPerTick;
  if (n0 !== undefined && n0 > 0 && n0 < COUNTING_NOISE_BELOW) return countingRampPosterior(model, prior, { ...series, countsPerTick: n0 }, mixLogSigma, timingSlackS);
  const incs = incrementsOf(series);
  if (!incs.some((x) => x.from <= 0) || !incs.some((x) => x.to >= 1) || prior.length === 0) return undefined;
  const n = incs.length;
  const logSpan = incs.reduce((s, x) => s + Math.log(x.to - x.from), 0);
  const lastTick = Math.max(...incs.map((x) => x.to));
  // Each schedule (onset inside the first tick, retries early, on time, late): f_t for t = 0..lastTick.
  const shares: Float64Array[] = [];
  for (const shift of [-timingSlackS, 0, timingSlackS]) {
    for (const tau of onsetPoints(series.tickMs)) {
      const f = new Float64Array(lastTick + 1);
      for (let t = 1; t <= lastTick; t++) f[t] = tickFractionAt(model, series.tickMs, t, tau, shift);
      shares.push(f);
    }
  }
  // Once every schedule's share stops changing, an increment's expectation is 0 whatever the
  // plateau: its residual is fixed (it tells only the wander), summed once.
  let settled = lastTick;
  while (settled > 0 && shares.every((f) => Math.abs(f[settled - 1]! - f[lastTick]!) < 1e-12)) settled--;
  const shaped = incs.filter((x) => x.from < settled);
  const flatRss = incs.filter((x) => x.from >= settled).reduce((s, x) => s + (x.d * x.d) / (x.to - x.from), 0);
  const lo = Math.min(...prior.map((c) => c.logM)) - GRID_REACH * mixLogSigma;
  const hi = Math.max(...prior.map((c) => c.logM)) + GRID_REACH * mixLogSigma;
  const grid: { u: number; logPost: number }[] = [];
  const g = new Float64Array(settled + 1);
  const perSchedule = new Float64Array(shares.length);
  const wander = wanderTable(n, logSpan);
  for (let u = lo; u <= hi + 1e-12; u += GRID_STEP) {
    let priorDensity = 0;
    for (const c of prior) priorDensity += c.weight * Math.exp(-((u - c.logM) ** 2) / (2 * mixLogSigma * mixLogSigma));
    priorDensity /= Math.sqrt(2 * Math.PI) * mixLogSigma;
    if (!(priorDensity > 0)) continue;
    const a = Math.exp(u) - 1;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < shares.length; k++) {
      const f = shares[k]!;
      for (let t = 0; t <= settled; t++) g[t] = Math.log(Math.max(1 + a * f[t]!, 1e-9));
      let rss = flatRss;
      for (const x of shaped) {
        const r = x.d - (g[Math.min(Math.max(x.to, 0), settled)]! - g[Math.max(x.from, 0)]!);
        rss += (r * r) / (x.to - x.from);
      }
      perSchedule[k] = wander(rss);
      max = Math.max(max, perSchedule[k]!);
    }
    let sum = 0;
    for (let k = 0; k < shares.length; k++) sum += Math.exp(perSchedule[k]! - max);
    grid.push({ u, logPost: max + Math.log(sum / shares.length) + Math.log(priorDensity * GRID_STEP) });
  }
  return summarise(grid);
}

/** Evidence, posterior mean and ~95 % interval from the grid in log M. */
function summarise(grid: readonly { u: number; logPost: number }[]): RampPosterior | undefined {
  if (grid.length === 0) return undefined;
  const logEvidence = logSumExp(grid.map((p) => p.logPost));
  const w = grid.map((p) => Math.exp(p.logPost - logEvidence));
  const mean = grid.reduce((s, p, i) => s + w[i]! * Math.exp(p.u), 0);
  const quantile = (q: number) => {
    let acc = 0;
    for (let i = 0; i < grid.length; i++) {
      acc += w[i]!;
      if (acc >= q) return Math.exp(grid[i]!.u);
    }
    return Math.exp(grid.at(-1)!.u);
  };
  return { multiplier: mean, multiplierLow: quantile(INTERVAL[0]), multiplierHigh: quantile(INTERVAL[1]), logEvidence };
}

// ---------------------------------------------------------------------------------------------
// Small counts. At 1 s ticks of a dozen requests (builds of 4 crates fetched at once) a tick's
// count is mostly counting noise: σ ≈ 0.5 in log, white, not a wander. Read as a random walk
// (above), the level before the onset is the last tick alone and the step at the onset one
// noisy increment: an immediate retrier's step in one tick then explains the ramp as well as a
// delayed one's, and the plateau is lost (real cargo 1.95 at 1 s ticks was named cargo-legacy).
// So below COUNTING_NOISE_BELOW requests a tick the model is the local level model with
// observation noise (Durbin & Koopman 2012, §2.1): y_t = x_t + log(1 + A·f_t) + e_t, x a random
// walk (σ per tick), e_t the counting noise of tick t. Counts come in clusters of κ requests
// (one arrival sending κ: a build's crates) arriving as a Poisson process: Var(count) = κ·λ.
// y_t = log((count + κ/2)/n0) with the delta method's corrections (variance κλ/(λ+κ/2)², bias
// −v/2 and the shift's log(λ/(λ+κ/2))), λ the tick's expected count: n0 before the onset, n0
// times the run's mean multiplier since. The increments d are then Gaussian with a tridiagonal
// covariance (σ²·span on the diagonal plus the two ticks' v, −v of the shared tick off it),
// solved by its LDLᵀ factorisation. σ and κ are the values that best explain the increments no
// model's ramp touches (before the onset and after every schedule has settled): empirical Bayes
// (Casella, "An introduction to empirical Bayes data analysis", Am. Stat. 39 (1985) 83-87), the
// same for every candidate schedule.

/** Below this many requests a tick at the baseline (counting σ ≥ 0.03 in log) counts are read with their noise. */
export const COUNTING_NOISE_BELOW = 1000;
/** Seconds after the onset by which every schedule but the longest (curl's 31 s, npm's 70 s) has settled: cargo's 11.5 s plus slack. */
const NOISE_FROM_S = 16;
/** Requests per arrival (a build's crates fetched at once) the counting noise may have. */
const CLUSTER_SIZES = [1, 2, 4, 8, 16] as const;
/** The random walk's σ per tick the empirical Bayes step chooses from (log-spaced). */
const COUNTING_WANDER_SIGMAS = Array.from({ length: 16 }, (_, i) => Math.exp(Math.log(0.005) + (i / 15) * Math.log(0.5 / 0.005)));

interface CountPoint {
  i: number;
  /** log((count + κ/2)/n0) before the corrections, and the tick's expected level (multiplier). */
  m: number;
  level: number;
}

/** The observation y and its variance v of one tick, for clusters of `kappa`. */
export function countObservation(m: number, level: number, n0: number, kappa: number): { y: number; v: number } {
  const lambda = n0 * level;
  const c = kappa / 2;
  const v = (kappa * lambda) / ((lambda + c) * (lambda + c));
  return { y: Math.log(Math.max(m, 0) + c / n0) + v / 2 + Math.log(lambda / (lambda + c)), v };
}

/** A symmetric tridiagonal matrix's LDLᵀ factors: diagonal `a`, off-diagonal `b` (b[k] between k and k+1). */
export function tridiagonalFactor(a: ArrayLike<number>, b: ArrayLike<number>): { l: Float64Array; dd: Float64Array; logDet: number } {
  const n = a.length;
  const l = new Float64Array(n);
  const dd = new Float64Array(n);
  let logDet = 0;
  for (let k = 0; k < n; k++) {
    if (k === 0) dd[k] = a[k]!;
    else {
      l[k] = b[k - 1]! / dd[k - 1]!;
      dd[k] = a[k]! - l[k]! * b[k - 1]!;
    }
    logDet += Math.log(dd[k]!);
  }
  return { l, dd, logDet };
}

/** C⁻¹r and rᵀC⁻¹r from the factors. */
export function tridiagonalSolve(f: { l: Float64Array; dd: Float64Array }, r: ArrayLike<number>): { x: Float64Array; q: number } {
  const n = r.length;
  const z = new Float64Array(n);
  let q = 0;
  for (let k = 0; k < n; k++) {
    z[k] = r[k]! - (k > 0 ? f.l[k]! * z[k - 1]! : 0);
    q += (z[k]! * z[k]!) / f.dd[k]!;
  }
  const x = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) x[k] = z[k]! / f.dd[k]! - (k < n - 1 ? f.l[k + 1]! * x[k + 1]! : 0);
  return { x, q };
}

/** log N(d; 0, C) for C tridiagonal (a, b). */
export function tridiagonalLogDensity(d: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (d.length === 0) return 0;
  const f = tridiagonalFactor(a, b);
  return -0.5 * (d.length * Math.log(2 * Math.PI) + f.logDet + tridiagonalSolve(f, d).q);
}

function countingRampPosterior(model: RampModel, prior: readonly PriorComponent[], series: RampSeries & { countsPerTick: number }, mixLogSigma: number, timingSlackS: number): RampPosterior | undefined {
  const n0 = series.countsPerTick;
  const since = series.multipliers.filter((m) => Number.isFinite(m) && m >= 0);
  const runLevel = Math.max(1, since.reduce((s, m) => s + m, 0) / Math.max(since.length, 1));
  const points: CountPoint[] = [];
  series.before.forEach((m, k) => {
    if (Number.isFinite(m) && m >= 0) points.push({ i: k - series.before.length + 1, m, level: 1 });
  });
  series.multipliers.forEach((m, k) => {
    if (Number.isFinite(m) && m >= 0) points.push({ i: k + 1, m, level: runLevel });
  });
  const n = points.length - 1;
  if (n < 1 || prior.length === 0 || !points.some((p) => p.i <= 0) || !points.some((p) => p.i >= 1)) return undefined;
  const to = points.slice(1).map((p) => p.i);
  const from = points.slice(0, -1).map((p) => p.i);
  const lastTick = Math.max(...to);
  const shares: Float64Array[] = [];
  for (const shift of [-timingSlackS, 0, timingSlackS]) {
    for (const tau of onsetPoints(series.tickMs)) {
      const f = new Float64Array(lastTick + 1);
      for (let t = 1; t <= lastTick; t++) f[t] = tickFractionAt(model, series.tickMs, t, tau, shift);
      shares.push(f);
    }
  }
  let settled = lastTick;
  while (settled > 0 && shares.every((f) => Math.abs(f[settled - 1]! - f[lastTick]!) < 1e-12)) settled--;
  // The noise is read from the same ticks whichever the model: none of the first NOISE_FROM_S
  // seconds, where one model's ramp is another's noise (a model that settles at once would
  // otherwise explain a delayed ramp as counting noise).
  settled = Math.min(lastTick, Math.max(settled, Math.ceil((NOISE_FROM_S * 1000) / series.tickMs)));
  // Increments whose expectation the plateau moves (or may, for another model): after the onset, before it settles.
  const shaped: number[] = [];
  for (let k = 0; k < n; k++) if (to[k]! >= 1 && from[k]! < settled) shaped.push(k);
  const isShaped = new Uint8Array(n);
  for (const k of shaped) isShaped[k] = 1;
  // The increments and their covariance for one (σ, κ).
  // A client retrying at once sends a build's attempts together: its clusters grow with the multiplier.
  const together = retriesAtOnce(model.delaysSeconds) ? runLevel : 1;
  const build = (sigma: number, kappaBefore: number, kappaSince: number) => {
    const obs = points.map((p) => countObservation(p.m, p.level, n0, p.i <= 0 ? kappaBefore : kappaSince * together));
    const d = new Float64Array(n);
    const a = new Float64Array(n);
    const b = new Float64Array(Math.max(n - 1, 0));
    for (let k = 0; k < n; k++) {
      d[k] = obs[k + 1]!.y - obs[k]!.y;
      a[k] = sigma * sigma * (to[k]! - from[k]!) + obs[k]!.v + obs[k + 1]!.v;
      if (k < n - 1) b[k] = -obs[k + 1]!.v;
    }
    return { d, a, b };
  };
  // Empirical Bayes: σ and κ from the runs of increments no schedule touches.
  let bestSigma = COUNTING_WANDER_SIGMAS[0]!;
  let bestKappa: [number, number] = [CLUSTER_SIZES[0], CLUSTER_SIZES[0]];
  let bestLog = Number.NEGATIVE_INFINITY;
  // One cluster size before and since the onset: one fitted apart since reads a delayed ramp's
  // ticks as noise (cargo at 1 s ticks was then named cargo ≤ 1.69 in 4 of 5 design seeds).
  const kappaPairs = CLUSTER_SIZES.map((k) => [k, k] as [number, number]);
  for (const kappa of kappaPairs) {
    for (const sigma of COUNTING_WANDER_SIGMAS) {
      const { d, a, b } = build(sigma, kappa[0], kappa[1]);
      let logLik = 0;
      for (let k = 0; k < n; ) {
        if (isShaped[k]) {
          k++;
          continue;
        }
        let e = k;
        while (e < n && !isShaped[e]) e++;
        logLik += tridiagonalLogDensity(d.subarray(k, e), a.subarray(k, e), b.subarray(k, Math.max(e - 1, k)));
        k = e;
      }
      if (logLik > bestLog) [bestLog, bestSigma, bestKappa] = [logLik, sigma, kappa];
    }
  }
  const { d, a, b } = build(bestSigma, bestKappa[0], bestKappa[1]);
  const fac = tridiagonalFactor(a, b);
  const { x: cd, q: q0 } = tridiagonalSolve(fac, d);
  // (C⁻¹)_{S,S}: only the shaped increments' expectations move with the plateau.
  const s = shaped.length;
  const block = new Float64Array(s * s);
  shaped.forEach((k, j) => {
    const e = new Float64Array(n);
    e[k] = 1;
    const col = tridiagonalSolve(fac, e).x;
    for (let jj = 0; jj < s; jj++) block[jj * s + j] = col[shaped[jj]!]!;
  });
  const constant = -0.5 * (n * Math.log(2 * Math.PI) + fac.logDet);
  const lo = Math.min(...prior.map((c) => c.logM)) - GRID_REACH * mixLogSigma;
  const hi = Math.max(...prior.map((c) => c.logM)) + GRID_REACH * mixLogSigma;
  const grid: { u: number; logPost: number }[] = [];
  const g = new Float64Array(settled + 1);
  const h = new Float64Array(s);
  const perSchedule = new Float64Array(shares.length);
  for (let u = lo; u <= hi + 1e-12; u += GRID_STEP) {
    let priorDensity = 0;
    for (const c of prior) priorDensity += c.weight * Math.exp(-((u - c.logM) ** 2) / (2 * mixLogSigma * mixLogSigma));
    priorDensity /= Math.sqrt(2 * Math.PI) * mixLogSigma;
    if (!(priorDensity > 0)) continue;
    const amp = Math.exp(u) - 1;
    let max = Number.NEGATIVE_INFINITY;
    for (let sc = 0; sc < shares.length; sc++) {
      const f = shares[sc]!;
      for (let t = 0; t <= settled; t++) g[t] = Math.log(Math.max(1 + amp * f[t]!, 1e-9));
      let q = q0;
      for (let j = 0; j < s; j++) {
        const k = shaped[j]!;
        h[j] = g[Math.min(Math.max(to[k]!, 0), settled)]! - g[Math.max(from[k]!, 0)]!;
        q -= 2 * h[j]! * cd[k]!;
      }
      for (let j = 0; j < s; j++) {
        let row = 0;
        for (let jj = 0; jj < s; jj++) row += block[j * s + jj]! * h[jj]!;
        q += h[j]! * row;
      }
      perSchedule[sc] = constant - 0.5 * q;
      max = Math.max(max, perSchedule[sc]!);
    }
    let sum = 0;
    for (let sc = 0; sc < shares.length; sc++) sum += Math.exp(perSchedule[sc]! - max);
    grid.push({ u, logPost: max + Math.log(sum / shares.length) + Math.log(priorDensity * GRID_STEP) });
  }
  return summarise(grid);
}
