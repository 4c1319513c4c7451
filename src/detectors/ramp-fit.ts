// Fits each client model's retry ramp to the multipliers observed tick by tick since a failure's
// onset: which client's schedule (cargo's delayed retries, cargo <= 1.69's immediate ones) explains
// how the storm grew, and the plateau it implies. Demand is read from the ticks just before the
// onset, not the long baseline, so a slow drift of demand is not taken for retries. Pure, apart
// from the small recorder that keeps those ticks per series.
//
// Per model: log M_j = log c + log(1 + A·f_j(τ)), with c the demand level before onset, f_j the
// model's share of its plateau excess in tick j given the onset τ seconds into the first tick
// (retry-ramp.ts), A the plateau excess; for each τ on a grid, A by maximum quasi-likelihood
// (Poisson deviance of M_j / c about 1 + A·f_j, a one-dimensional search), the best τ kept; the sum
// of squared log residuals says how well the shape fits.
//
// Why not least squares in log M for A too: a tick's requests come in lumps (a build's dozen
// requests at once from a client that retries at once), and E[log M] lies below log E[M] by about
// half the squared coefficient of variation, while the level c is an arithmetic mean. At 1 s ticks
// of 3 builds a second (CV 0.6) the log fit read cargo <= 1.69's 2.8 attempts per request as 2.59
// (median of 400 draws) and left out the ticks that held no request; the quasi-likelihood fit is
// the ticks' own mean where the ramp is flat (McCullagh & Nelder, Generalized Linear Models, 2nd
// ed., §9.2), and it counts those ticks.

import { type ColumnScratch, encodeNumber, encodeNumbers } from '../core/column-encoder.js';
import { emptyKeepingRoom } from '../core/empty-keeping-room.js';
import { type SlabPool, allocateRegion, releaseDoubles, slabViews } from '../core/slab.js';
import type { Evaluation } from '../core/types.js';
import { onsetTickFailing } from './failing-fraction.js';
import { type RampModel, onsetPoints, tickFractionAt } from './retry-ramp.js';

/** The ticks a fit sees: one minute of 1 s ticks, or longer at coarser ticks. */
export const MAX_RAMP_TICKS = 60;
/**
 * Healthy ticks before onset the demand level is averaged over: about 30 s, at least 2 ticks. At
 * 1 s ticks that is 30 (it was at most 8): a second of 3 builds of 4 crates holds 0-20 requests
 * (coefficient of variation 0.6, real cargo), so a level of 8 such ticks was ±20 %, more than the
 * storm's own minute.
 */
export function levelTicks(tickMs: number): number {
  return Math.min(30, Math.max(2, Math.round(30_000 / tickMs)));
}

/** What a fit needs: tick length, the demand level before onset, and the multipliers since. */
export interface RampObservation {
  tickMs: number;
  /** Mean multiplier (requests / baseline) over the healthy ticks before onset; NaN when unknown. */
  level: number;
  /** How many healthy ticks `level` averages (its standard error is levelLogSigma / √levelCount). */
  levelCount?: number;
  /** Multipliers of the ticks since onset, the first holding it; NaN for a gap. */
  multipliers: number[];
  /**
   * σ of one healthy tick's log multiplier about the level of the ticks just before it (NaN until
   * enough healthy ticks): how far demand strays from that level within a tick or two, the noise
   * the ramp's shape is read through. Demand wanders slowly, so this is often far below the σ
   * about the long baseline.
   */
  levelLogSigma?: number;
  /**
   * The share of the first tick that came before the onset, as its successful attempts over the
   * level say ((1 − failing) · multiplier / level; NaN when unknown). At a total failure it places
   * the onset; otherwise it bounds it from above (attempts after the onset succeed too).
   */
  beforeOnsetShare?: number;
  /** Shares of the first tick before the onset a fit may choose (see onsetWithin); any when absent. */
  onsetWithin?: { low: number; high: number };
  /**
   * How healthy demand moves from tick to tick, split (RampRecorder.demandNoise): a tick's own
   * noise and a random walk's variance per tick, both of the log rate; absent until measured.
   */
  demandNoise?: DemandNoise;
}

/**
 * Demand as a random walk read through a tick's own noise (the local level model: Harvey,
 * Forecasting, Structural Time Series Models and the Kalman Filter, 1989, §2.3.1), in log rate:
 * `white` is one tick's variance about demand, `walk` the variance demand's level gains a tick.
 * Demand that drifts over minutes strays from the level before onset by more every tick; its ticks
 * are not independent errors about the ramp.
 */
export interface DemandNoise {
  white: number;
  walk: number;
}

/** What a fit reads a ramp through when demand walks: the noise, and the variance of demand at the onset about the level. */
export interface WalkingDemand extends DemandNoise {
  start: number;
}

export interface RampFit {
  /** Plateau multiplier 1 + A, demand level divided out. */
  plateau: number;
  /** The plateaus of every onset that fits about as well (Δχ² ≤ 4 with the tick noise given). */
  plateauLow: number;
  plateauHigh: number;
  /** Σ of squared log residuals over the ticks that held requests. */
  rss: number;
  /** Ticks with a log residual (requests in them); the plateau counts the empty ones too. */
  ticks: number;
  /**
   * With demand walking: −2 log likelihood of the ticks' log residuals under it, less the part
   * every model shares (Σ v² / F of the Kalman filter's innovations); absent otherwise.
   */
  chi2?: number;
  /** rss and chi2 at each onset tried, spread evenly over where the onset may lie (onsetMarginal). */
  onsetRss?: number[];
  onsetChi2?: number[];
}

/**
 * −2 log of a fit's likelihood averaged over the onsets tried (a uniform prior over where it may
 * lie), from each onset's −2 log likelihood. Ranked by its best onset alone, a client wins whose
 * schedule some onset bends towards the data, so which onsets are tried decides: on a grid, the
 * client whose ramp a grid point happened to suit; spread closer, the most pliable schedule (pip's
 * for a drifting cargo storm). Averaged, a ramp that fits at one onset only counts for less than
 * one that fits wherever the onset may be.
 */
export function onsetMarginal(scores: readonly number[]): number {
  const best = Math.min(...scores);
  if (!Number.isFinite(best)) return best;
  let sum = 0;
  for (const s of scores) sum += Math.exp(-(s - best) / 2);
  return best - 2 * Math.log(sum / scores.length);
}

/**
 * Least-squares plateau excess A ≥ 0 for one model, the onset's place inside the first tick fitted
 * too (it is unknown, and decides how much of the first tick failed); `shiftSeconds` moves the
 * model's schedule (see tickFractionAt). With `walking` demand, the onsets are compared, and the
 * fit scored, by the likelihood of the walk (chi2, walkChi2): a drift that goes on past a client's
 * chain costs what demand's walk makes it cost, not what as many independent misses would. A is
 * fitted as before, every tick weighing one: weighing the early ticks more, as the walk would,
 * read cargo's plateau off the ticks its ramp fits worst (3.62 for a truth of 4.0, bundled noise).
 */
export function fitRamp(model: RampModel, obs: RampObservation, shiftSeconds = 0, tickLogSigma = 0, walking?: WalkingDemand): RampFit {
  const level = Number.isFinite(obs.level) && obs.level > 0 ? obs.level : 1;
  // Every tick read (a tick of no request too) counts for A; the shape's residuals are in log M.
  const ticks: { r: number; y: number; j: number }[] = [];
  obs.multipliers.forEach((m, i) => {
    if (Number.isFinite(m) && m >= 0) ticks.push({ r: m / level, y: m > 0 ? Math.log(m / level) : Number.NaN, j: i + 1 });
  });
  if (!ticks.some((t) => t.r > 0)) return { plateau: Number.NaN, plateauLow: Number.NaN, plateauHigh: Number.NaN, rss: Number.NaN, ticks: 0 };
  const logged = ticks.filter((t) => t.r > 0).length;
  const walks = walking !== undefined && walking.walk > 0 && walking.white > 0;
  const fits = onsetsWithin(obs.tickMs, obs.onsetWithin).map((tau) => {
    const points = ticks.map((t) => ({ r: t.r, y: t.y, f: tickFractionAt(model, obs.tickMs, t.j, tau, shiftSeconds), j: t.j }));
    const a = fitExcess(points);
    let rss = 0;
    for (const p of points) if (p.r > 0) rss += (p.y - Math.log(1 + a * p.f)) ** 2;
    return { plateau: 1 + a, rss, chi2: walks ? walkChi2(points, a, walking) : Number.NaN };
  });
  // Onsets the data cannot tell from the best: with one tick, any; the plateau is read over them.
  // By the walk's likelihood (Δχ² ≤ 4) when demand walks, else by residuals in the tick's variance.
  const score = walks ? (f: (typeof fits)[number]) => f.chi2 : (f: (typeof fits)[number]) => f.rss;
  const slack = walks ? 4 : 4 * tickLogSigma * tickLogSigma;
  const best = fits.reduce((b, f) => (score(f) < score(b) ? f : b));
  const near = fits.filter((f) => score(f) <= score(best) + slack + 1e-12).map((f) => f.plateau).sort((a, b) => a - b);
  return { plateau: near[(near.length - 1) >> 1]!, plateauLow: near[0]!, plateauHigh: near.at(-1)!, rss: best.rss, ticks: logged, onsetRss: fits.map((f) => f.rss), ...(walks ? { chi2: best.chi2, onsetChi2: fits.map((f) => f.chi2) } : {}) };
}

/**
 * Σ v² / F over the Kalman filter's innovations of the ticks' log residuals about the ramp
 * (log(1 + A·f_j)), demand's offset from the level walking from N(0, start) by `walk` a tick and
 * each tick read through `white`. Ticks with no request have no log and are skipped, the walk
 * going on over them. The filter's Σ log F is the same for every model and onset, and left out.
 */
export function walkChi2(points: readonly { r: number; y: number; f: number; j: number }[], a: number, walking: WalkingDemand): number {
  let offset = 0;
  let p = walking.start;
  let at = 0;
  let chi2 = 0;
  for (const t of points) {
    if (!(t.r > 0)) continue;
    p += walking.walk * (t.j - at);
    at = t.j;
    const v = t.y - Math.log(1 + a * t.f) - offset;
    const f = p + walking.white;
    chi2 += (v * v) / f;
    const gain = p / f;
    offset += gain * v;
    p *= 1 - gain;
  }
  return chi2;
}

/**
 * The onsets (seconds into the first tick) a fit chooses from: the grid of onsetPoints over the
 * whole tick, or as many points spread over `within` (as shares of the tick, kept inside the grid's
 * span). The first tick's successes often place the onset within a few seconds of a 15 s tick:
 * the grid's one point in there (1.9 s apart) was then the only onset tried.
 */
function onsetsWithin(tickMs: number, within: { low: number; high: number } | undefined): readonly number[] {
  const grid = onsetPoints(tickMs);
  if (!within) return grid;
  const tick = tickMs / 1000;
  const first = grid[0]! / tick;
  const last = grid.at(-1)! / tick;
  const low = Math.min(Math.max(within.low, first), last);
  const high = Math.max(Math.min(within.high, last), low);
  if (high - low < 1e-9) return [low * tick];
  // An odd count, so the window's middle (at a total failure, where the successes put the onset) is one of them.
  const count = grid.length | 1;
  return Array.from({ length: count }, (_, i) => (low + ((i + 0.5) / count) * (high - low)) * tick);
}

/**
 * The A minimising the Poisson deviance Σ r·log(r / μ) − (r − μ), μ = 1 + A·f, of the ticks'
 * multipliers r over the level, over [0, 20]: golden-section search (convex in A: μ is linear in it).
 */
function fitExcess(points: readonly { r: number; f: number }[]): number {
  const deviance = (a: number) => {
    let d = 0;
    for (const p of points) {
      const mu = 1 + a * p.f;
      d += (p.r > 0 ? p.r * Math.log(p.r / mu) : 0) - (p.r - mu);
    }
    return d;
  };
  let lo = 0;
  let hi = 20;
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = deviance(x1);
  let f2 = deviance(x2);
  for (let i = 0; i < 50; i++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = deviance(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = deviance(x2);
    }
  }
  return (lo + hi) / 2;
}

/**
 * Keeps, for one series, the multipliers of its last healthy ticks and of the ticks since the
 * current failure run began. Bounded: MAX_RAMP_TICKS + a few numbers.
 */
export interface RampSnapshot {
  /** Request rates of the last healthy ticks (multipliers in snapshots without `beforeRates`). */
  before: (number | null)[];
  beforeRates?: true;
  /** The baseline the run's multipliers are read over (null when unknown). */
  runBaseline?: number | null;
  since: (number | null)[];
  /** The failing fraction of each of those ticks (null when unknown; absent in older snapshots). */
  sinceFailing?: (number | null)[];
  runSinceMs: number | null;
  /** The failing fraction of the run's first tick (null when unknown): read when `sinceFailing` is absent. */
  firstFailing?: number | null;
  /**
   * The running mean |log(multiplier / level)| of healthy ticks and the ticks it holds
   * (levelLogSigma), then the running mean |log| differences at lag 1 and at the level's length
   * and the ticks they hold (demandNoise; absent in older snapshots).
   */
  levelNoise?: [number, number] | [number, number, number, number, number];
}

/** Healthy ticks the level noise is averaged over (a running mean, then exponential with this memory). */
export const LEVEL_NOISE_TICKS = 240;
/** Healthy ticks measured before the level noise is used. */
export const LEVEL_NOISE_MIN_TICKS = 20;

/** The empty failure run of a healthy series: shared, never written (a run takes arrays of its own). */
const NO_RUN: readonly number[] = Object.freeze([]);

/**
 * Arrays of ticks whose runs ended, emptied, for the next run of any series (one thread): a run
 * lasts a few ticks, long enough at 100k series for the scavenges to carry new arrays into the old
 * generation. Bounded: after a storm across many series the rest go.
 */
const spareTicks: number[][] = [];
const MAX_SPARE_TICKS = 8192;

/** encodeColumns's scratch: the level's ticks oldest first, and the level noise's five numbers (one thread). */
let beforeScratch = new Float64Array(64);
const NOISE_FIELDS = 5;
const noiseScratch = new Float64Array(NOISE_FIELDS);

/** Where the recorder's numbers sit in its array, before the ring of rates (see RampRecorder.doubles). */
const RUN_BASELINE = 0;
const LAST_REQUESTS = 1;
const LEVEL_DEVIATION = 2;
const LAG_ONE_DEVIATION = 3;
const LAG_FULL_DEVIATION = 4;
const RING_AT = 5;

export class RampRecorder {
  /**
   * Its numbers, then from RING_AT the last healthy ticks' request rates: a ring of levelTicks
   * slots, `beforeCount` of them used, the oldest at `beforeStart`. Doubles from `at` on in a
   * Float64Array, sized once: a number in a field of its own is a boxed double (24 bytes a series
   * each, five of them); an array of doubles of its own took 48 bytes besides its values, a region
   * of the pipeline's shared slabs (core/slab.ts) none. Rates, not multipliers: they need no
   * baseline (a sidecar just started reads its level from its first ticks, before the baseline has
   * enough points to judge), and the level is put over the run's baseline once a run starts.
   */
  private doubles: Float64Array;
  private at: number;
  private beforeStart = 0;
  private beforeCount = 0;
  private since: number[] = NO_RUN as number[];
  /** The failing fraction of each tick in `since`: the first one's says where in it the onset came (beforeOnsetShare), wherever the run restarts. */
  private sinceFailing: number[] = NO_RUN as number[];
  private runSinceMs: number | undefined;
  /** Healthy ticks the running level deviation and the lags' deviations hold. */
  private levelDeviationTicks = 0;
  private lagTicks = 0;

  /** `regions`: the pool its doubles come from (released to it by `release`); none: an array of its own. */
  constructor(
    private readonly tickMs: number,
    regions?: SlabPool,
  ) {
    const count = RING_AT + levelTicks(tickMs);
    const region = allocateRegion(count * Float64Array.BYTES_PER_ELEMENT, regions);
    this.doubles = slabViews(region.buffer).f64;
    this.at = region.byteOffset / Float64Array.BYTES_PER_ELEMENT;
    this.doubles.fill(Number.NaN, this.at, this.at + count);
    this.levelDeviation = this.lagOneDeviation = this.lagFullDeviation = 0;
  }

  /** The baseline of the run's first tick with one: the level's rate is read over it. */
  private get runBaseline(): number {
    return this.doubles[this.at + RUN_BASELINE]!;
  }
  private set runBaseline(v: number) {
    this.doubles[this.at + RUN_BASELINE] = v;
  }
  /** The last tick's requests (NaN: none read): the late completions of a tick are of these. */
  private get lastRequests(): number {
    return this.doubles[this.at + LAST_REQUESTS]!;
  }
  private set lastRequests(v: number) {
    this.doubles[this.at + LAST_REQUESTS] = v;
  }
  /** Running mean of |log(rate / level)| over healthy ticks with a full level (levelDeviationTicks of them). */
  private get levelDeviation(): number {
    return this.doubles[this.at + LEVEL_DEVIATION]!;
  }
  private set levelDeviation(v: number) {
    this.doubles[this.at + LEVEL_DEVIATION] = v;
  }
  /** Running means of |log| of a healthy rate over the one a tick before and the one `levelSlots` ticks before (demandNoise; lagTicks of them). */
  private get lagOneDeviation(): number {
    return this.doubles[this.at + LAG_ONE_DEVIATION]!;
  }
  private set lagOneDeviation(v: number) {
    this.doubles[this.at + LAG_ONE_DEVIATION] = v;
  }
  private get lagFullDeviation(): number {
    return this.doubles[this.at + LAG_FULL_DEVIATION]!;
  }
  private set lagFullDeviation(v: number) {
    this.doubles[this.at + LAG_FULL_DEVIATION] = v;
  }
  /** Slots of the level's ring. */
  private get levelSlots(): number {
    return levelTicks(this.tickMs);
  }

  /**
   * Gives its doubles back to `regions` (the pool it came from): its series is forgotten. They move
   * to an array of its own first, so the recorder still reads as it did.
   */
  release(regions: SlabPool): void {
    this.doubles = releaseDoubles(regions, this.doubles, this.at, RING_AT + this.levelSlots);
    this.at = 0;
  }
  /** The level's ring slot `i` (0 … levelSlots − 1), in the array. */
  private slot(i: number): number {
    return this.doubles[this.at + RING_AT + i]!;
  }

  /** One tick from its rate evaluation: its requests, the baseline, and the failure run if any. */
  observeTick(requests: number, evaluations: readonly Evaluation[]): void {
    const spike = evaluations.find((e) => e.kind === 'rate_spike');
    const known = spike !== undefined && spike.status !== 'unknown' && spike.baseline > 0;
    const runSinceMs = spike?.run?.sinceMs;
    // How much of each run tick failed: the run's first tick's says where in it the onset came.
    const failing = runSinceMs !== undefined ? onsetTickFailing(evaluations.find((e) => e.kind === 'funnel_drop'), evaluations.find((e) => e.kind === 'error_ratio'), requests, this.lastRequests) : Number.NaN;
    this.lastRequests = Number.isFinite(requests) && requests >= 0 ? requests : Number.NaN;
    this.observe(requests, known ? spike.baseline : Number.NaN, runSinceMs, failing);
  }

  /**
   * One tick: its request rate and baseline (NaN while the baseline is unknown), the failure
   * run's start (undefined while healthy) and, in a run, the fraction of the tick's attempts failing.
   */
  observe(requests: number, baseline: number, runSinceMs: number | undefined, failing = Number.NaN): void {
    if (runSinceMs === undefined) {
      if (this.since !== NO_RUN) this.endRun();
      this.runSinceMs = undefined;
      this.pushLevel(requests);
      return;
    }
    // A run's change-point only moves forward when the detector restarts it at the failure's rise
    // (evidence-detector.ts, restartRun; a new run follows a healthy tick, which cleared it): the
    // ticks before it were healthy after all, and join the level. Unless the ticks kept stopped
    // short of it (MAX_RAMP_TICKS): then the failure's ramp starts here.
    const dropped = this.runSinceMs === undefined ? 0 : Math.round((runSinceMs - this.runSinceMs) / this.tickMs);
    if (dropped > 0 && dropped <= this.since.length && this.since.length < MAX_RAMP_TICKS) {
      for (let i = 0; i < dropped; i++) this.pushLevel(this.since[i]! * this.runBaseline);
      this.since = this.since.slice(dropped);
      this.sinceFailing = this.sinceFailing.slice(dropped);
      this.runSinceMs = runSinceMs;
    } else if (runSinceMs !== this.runSinceMs) {
      if (this.since !== NO_RUN) this.endRun();
      this.runSinceMs = runSinceMs;
      this.since = spareTicks.pop() ?? [];
      this.sinceFailing = spareTicks.pop() ?? [];
      this.runBaseline = Number.NaN;
    }
    if (!(this.runBaseline > 0) && baseline > 0) this.runBaseline = baseline;
    if (this.since.length < MAX_RAMP_TICKS) {
      this.since.push(baseline > 0 ? requests / baseline : Number.NaN);
      this.sinceFailing.push(failing);
    }
  }

  /** Lets the run's ticks go, their arrays kept for the next run of any series. */
  private endRun(): void {
    if (spareTicks.length < MAX_SPARE_TICKS) {
      emptyKeepingRoom(this.since);
      emptyKeepingRoom(this.sinceFailing);
      spareTicks.push(this.since, this.sinceFailing);
    }
    this.since = NO_RUN as number[];
    this.sinceFailing = NO_RUN as number[];
  }

  /** A healthy tick's request rate into the level's ring (missing data is left out). */
  private pushLevel(requests: number): void {
    if (!(Number.isFinite(requests) && requests >= 0)) return;
    const k = this.levelSlots;
    if (this.beforeCount === k) this.observeLevelNoise(requests);
    this.doubles[this.at + RING_AT + ((this.beforeStart + this.beforeCount) % k)] = requests;
    if (this.beforeCount < k) this.beforeCount++;
    else this.beforeStart = (this.beforeStart + 1) % k;
  }

  /** How far a healthy tick strays from the level of the ticks before it, and from the newest and oldest of them (the level is full). */
  private observeLevelNoise(rate: number): void {
    const k = this.levelSlots;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += this.slot(i);
    const d = Math.abs(Math.log(rate / (sum / k)));
    if (!Number.isFinite(d)) return;
    this.levelDeviationTicks = Math.min(this.levelDeviationTicks + 1, LEVEL_NOISE_TICKS);
    this.levelDeviation += (d - this.levelDeviation) / this.levelDeviationTicks;
    // A tick of no request has no log: the lags skip it (the level's mean holds it).
    const lagOne = Math.abs(Math.log(rate / this.slot((this.beforeStart + k - 1) % k)));
    const lagFull = Math.abs(Math.log(rate / this.slot(this.beforeStart)));
    if (!Number.isFinite(lagOne) || !Number.isFinite(lagFull)) return;
    this.lagTicks = Math.min(this.lagTicks + 1, LEVEL_NOISE_TICKS);
    this.lagOneDeviation += (lagOne - this.lagOneDeviation) / this.lagTicks;
    this.lagFullDeviation += (lagFull - this.lagFullDeviation) / this.lagTicks;
  }

  /**
   * Demand's noise split into a tick's own and a random walk's (DemandNoise), from the variogram
   * of healthy ticks: a log rate's difference over a lag of L ticks has variance 2·white + L·walk,
   * read at lag 1 and at the level's length k (each σ by the mean absolute difference times √(π/2),
   * as levelLogSigma). The long lag keeps the walk's estimate steady where the tick's own noise is
   * large (1 s ticks of a few builds: k = 30). Undefined until LEVEL_NOISE_MIN_TICKS ticks or with
   * a level of one tick.
   */
  demandNoise(): DemandNoise | undefined {
    const k = this.levelSlots;
    if (this.lagTicks < LEVEL_NOISE_MIN_TICKS || k < 2) return undefined;
    const lagOne = (this.lagOneDeviation ** 2 * Math.PI) / 2;
    const lagFull = (this.lagFullDeviation ** 2 * Math.PI) / 2;
    const walk = Math.max(0, (lagFull - lagOne) / (k - 1));
    return { white: Math.max(0, (lagOne - walk) / 2), walk };
  }

  /**
   * σ of a healthy tick's log multiplier about the level before it: the mean absolute deviation
   * times √(π/2) (normal), less swayed by the odd outlier than the root mean square.
   */
  levelLogSigma(): number {
    if (this.levelDeviationTicks >= LEVEL_NOISE_MIN_TICKS) return this.levelDeviation * Math.sqrt(Math.PI / 2);
    return this.levelSpread();
  }

  /**
   * Until the running deviation has LEVEL_NOISE_MIN_TICKS ticks (a series watched for under a
   * minute at 1 s, as a sidecar just started is): the spread of the level's own ticks, their
   * coefficient of variation (the level is their arithmetic mean, and a tick of a few bursty
   * builds may hold no request at all, which a log cannot read). Read through the tick's σ about
   * the long baseline instead (1.6 for a 1 s tick whose baseline has seen few ticks), a ramp's
   * shape counted for nothing and the name came from the plateau's prior alone.
   */
  private levelSpread(): number {
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    // Unused slots hold NaN; the order of the sum does not matter.
    for (let i = 0; i < this.levelSlots; i++) {
      const x = this.slot(i);
      if (!Number.isFinite(x)) continue;
      n++;
      sum += x;
      sumSq += x * x;
    }
    if (n < 4 || !(sum > 0)) return Number.NaN;
    const mean = sum / n;
    return Math.sqrt(Math.max(0, (sumSq - n * mean * mean) / (n - 1))) / mean;
  }

  /** Plain data for the saved state: a restart mid-storm fits the same ramp. */
  snapshot(): RampSnapshot {
    return { before: this.beforeValues(), beforeRates: true, runBaseline: Number.isFinite(this.runBaseline) ? this.runBaseline : null, since: [...this.since], sinceFailing: this.sinceFailing.map((x) => (Number.isFinite(x) ? x : null)), runSinceMs: this.runSinceMs ?? null, levelNoise: [this.levelDeviation, this.levelDeviationTicks, this.lagOneDeviation, this.lagFullDeviation, this.lagTicks] };
  }

  /**
   * snapshot()'s template and numbers, written straight from the recorder to columns
   * (core/column-encoder.ts): what encodeValue writes for snapshot(), template and columns alike (a
   * test compares them), without the snapshot's object and four arrays for every series at every
   * save.
   */
  encodeColumns(s: ColumnScratch): string {
    const n = this.beforeCount;
    if (beforeScratch.length < n) beforeScratch = new Float64Array(2 * n);
    const k = this.levelSlots;
    for (let i = 0; i < n; i++) beforeScratch[i] = this.slot((this.beforeStart + i) % k);
    noiseScratch[0] = this.levelDeviation;
    noiseScratch[1] = this.levelDeviationTicks;
    noiseScratch[2] = this.lagOneDeviation;
    noiseScratch[3] = this.lagFullDeviation;
    noiseScratch[4] = this.lagTicks;
    // The keys in snapshot()'s order: the columns are filled in the order the template is read.
    return (
      `{"before":${encodeNumbers(beforeScratch, 0, n, s)},"beforeRates":true,"runBaseline":${encodeNumber(Number.isFinite(this.runBaseline) ? this.runBaseline : null, s)}` +
      `,"since":${encodeNumbers(this.since, 0, this.since.length, s)},"sinceFailing":${encodeNumbers(this.sinceFailing, 0, this.sinceFailing.length, s)}` +
      `,"runSinceMs":${encodeNumber(this.runSinceMs ?? null, s)},"levelNoise":${encodeNumbers(noiseScratch, 0, NOISE_FIELDS, s)}}`
    );
  }

  /** Restores a snapshot; anything malformed leaves the recorder empty. */
  restore(s: unknown): void {
    const r = s as Partial<RampSnapshot> | null | undefined;
    const numbers = (a: unknown, max: number) => Array.isArray(a) && a.length <= max && a.every((x) => x === null || typeof x === 'number');
    if (!r || !numbers(r.before, levelTicks(this.tickMs)) || !numbers(r.since, MAX_RAMP_TICKS) || !(r.runSinceMs === null || typeof r.runSinceMs === 'number')) return;
    // Multipliers from an older snapshot do not mix with rates: the level is read afresh.
    const before = r.beforeRates === true ? r.before!.map((x) => (x === null ? Number.NaN : x)) : [];
    this.doubles.fill(Number.NaN, this.at + RING_AT, this.at + RING_AT + this.levelSlots);
    for (let i = 0; i < before.length; i++) this.doubles[this.at + RING_AT + i] = before[i]!;
    this.beforeStart = 0;
    this.beforeCount = before.length;
    this.since = r.since!.map((x) => (x === null ? Number.NaN : x));
    // Older snapshots kept only the first tick's: the others are unknown.
    const failing = numbers(r.sinceFailing, MAX_RAMP_TICKS) && r.sinceFailing!.length === this.since.length ? r.sinceFailing! : [r.firstFailing];
    this.sinceFailing = this.since.map((_, i) => (typeof failing[i] === 'number' ? failing[i] : Number.NaN));
    this.runSinceMs = r.runSinceMs ?? undefined;
    this.runBaseline = typeof r.runBaseline === 'number' ? r.runBaseline : Number.NaN;
    // Saved before the level noise was kept, or before its lags were (two numbers): measured afresh.
    const noise = r.levelNoise;
    const valid = Array.isArray(noise) && (noise.length === 2 || noise.length === 5) && noise.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
    const lags = valid && noise.length === 5;
    this.levelDeviation = valid ? noise[0] : 0;
    this.levelDeviationTicks = valid ? Math.min(Math.round(noise[1]), LEVEL_NOISE_TICKS) : 0;
    this.lagOneDeviation = lags ? noise[2]! : 0;
    this.lagFullDeviation = lags ? noise[3]! : 0;
    this.lagTicks = lags ? Math.min(Math.round(noise[4]!), LEVEL_NOISE_TICKS) : 0;
  }

  /** The observation for a fit, or undefined outside a failure run. */
  view(): RampObservation | undefined {
    if (this.runSinceMs === undefined || this.since.length === 0) return undefined;
    const before = this.beforeValues();
    // The level as a multiplier of the run's baseline, like the ticks since the onset.
    const level = before.length > 0 && this.runBaseline > 0 ? before.reduce((s, x) => s + x, 0) / before.length / this.runBaseline : Number.NaN;
    const first = this.since[0]!;
    const beforeOnsetShare = Math.min(1, Math.max(0, ((1 - this.sinceFailing[0]!) * first) / level));
    const demandNoise = this.demandNoise();
    return { tickMs: this.tickMs, level, levelCount: before.length, multipliers: [...this.since], levelLogSigma: this.levelLogSigma(), beforeOnsetShare: Number.isFinite(beforeOnsetShare) ? beforeOnsetShare : Number.NaN, ...(demandNoise ? { demandNoise } : {}) };
  }

  /** The healthy ticks' multipliers, oldest first. */
  private beforeValues(): number[] {
    const k = this.levelSlots;
    const out = new Array<number>(this.beforeCount);
    for (let i = 0; i < this.beforeCount; i++) out[i] = this.slot((this.beforeStart + i) % k);
    return out;
  }
}
