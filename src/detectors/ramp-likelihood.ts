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

import type { PriorComponent } from './plateau-prior.js';
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
