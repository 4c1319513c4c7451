// The evidence detector: each input is read as counts per tick (requests, errors, downstream
// completions), compared with robust trailing baselines through the likelihood of those counts, and
// the evidence is accumulated across ticks by sequential tests (CUSUM of log-likelihood ratios).
// A total break at 12 requests a second is certain within a couple of seconds, two missing
// completions out of 25 never are, and resolution takes the same kind of evidence as onset.
//
// Per check, one tick's log-likelihood ratio is divided by a dispersion φ ≥ 1 learnt from healthy
// ticks (quasi-likelihood: real counts vary more than Poisson or binomial ones: builds fetch crates
// in clumps, demand wobbles, two hops are scraped at slightly different moments), and by nothing
// else: no minimum traffic, no z cut-off. Missing data is no evidence either way.
//
// The expected request count knows the time of day and the day of the week: a learnt weekly profile
// of log-rate (stats/seasonal-profile.ts) plus a level, the median of the trailing window's buckets
// with the profile taken out (each at its own time), and their MAD as the spread. A morning ramp, a
// night trough or a Monday is then no change at all, and the level still adapts in about an hour.
// While the profile is younger than a day, it is the trailing median and MAD as before. The ratio checks keep their trailing baselines: a ratio has no
// daily cycle worth the memory, and a broken funnel must never be learnt as a season.

import { type ColumnScratch, encodeTyped, numbersTemplate } from '../core/column-encoder.js';
import { emptyKeepingRoom } from '../core/empty-keeping-room.js';
import { type SlabAllocator, type SlabViews, allocateRegion, slabViews } from '../core/slab.js';
import { wallClockOf } from '../core/wall-clock.js';
import { MAX_ORDERED_CAPACITY, WINDOW_HEADER_FLOATS } from '../series/sample-window.js';
import type { Evaluation, SignalSample } from '../core/types.js';
import type { Detector, DetectorContext } from './detector.js';
import { CheckEvaluation, EVALUATION_DOUBLES } from './check-evaluation.js';
import { additiveQuasiLLR, binomialAlternativeFor, binomialDevianceResidual, binomialLLR, cusumThreshold, negativeBinomialFactorFor, negativeBinomialLLR, poissonFactorFor, poissonLLR } from './stats/count-evidence.js';
import { completionBaseline, completionNull, errorBaseline, errorNull } from './stats/ratio-center.js';
import { type BaselineSnapshot, EMPTY_BUCKET_LOG_RATE, MAD_TO_SIGMA, MEDIAN_ERROR_FACTOR, RobustBaseline } from './stats/robust-baseline.js';
import { REPEAT_MEMORY_MS, type RepeatRecord, type TickSurprise, anomalyScore, tailScore, tickSurprise, weighRepeat } from './stats/anomaly-score.js';
import { BAND_SIGMAS, fallFactor } from './stats/band-floor.js';
import { dispersionUpperBound } from './stats/dispersion-bound.js';
import { pooledDispersion } from './stats/pooled-dispersion.js';
import { PROFILE_DOUBLES, PROFILE_TEMPLATE, type ProfileSnapshot, SLOTS_PER_WEEK, SeasonalProfile } from './stats/seasonal-profile.js';
import { breakLateShare, lateShareOf, learnLateShare } from './stats/late-share.js';
import { breakLagOne, learnLagOne, longRunDispersion } from './stats/lag-one-dispersion.js';
import { breakInFlight, inFlightShareOf, learnInFlight } from './stats/in-flight-share.js';
import { successiveRatioResidual, successiveResidual, WINSOR_CHI2, winsorisedResidual } from './stats/successive-dispersion.js';
import { RunSummary, setWindow } from './run-summary.js';
import { DISPERSION_FIELDS, type Dispersion, DispersionView } from './tick-dispersion.js';
import { excessShareAt } from './stats/funnel-excess.js';
import { CHECK_ALARMED, CHECK_FIELDS, CHECK_LARGE, CHECK_SMALL, type CheckState, checkStateAt, evidenceAt, newCheckState, setCheckStateAt, updateCheckAt } from './stats/sequential-check.js';
import { DRIFT_SLOTS, DRIFT_TIME_CONSTANT_MS, type DriftSnapshot, clearDrift, driftSurprise, restoreDrift, snapshotDrift, updateDrift } from './stats/level-drift.js';
import { TAIL_DAYS, TAIL_SUMMARY_FIELDS, TAIL_TEMPLATE, TAIL_VALUE_SLOTS, type TailSnapshot, advanceTail, clearTail, encodeTailColumns, learnTail, restoreTail, snapshotTail, summarisedTailSurprise, summariseTail, tailDay } from './stats/tail-record.js';
import { insertionSort, sortedMedian, sortedMedianDeviation } from './stats/sorted-median.js';
import { HELD, HELD_BURST, OUTGREW, OUTGREW_BURSTS, followBurst, newBursts, restoreBursts, snapshotBursts } from './stats/error-bursts.js';

export interface DetectorParams {
  /** How much history the baselines hold. */
  baselineWindowMs: number;
  /** Ticks are pooled into buckets this long (at least one tick): less memory, steadier values. */
  baselineResolutionMs: number;
  /** Ticks a baseline needs before it judges anything. */
  minBaselinePoints: number;
  /** Rate rise: evidence accumulates while requests exceed this × baseline. */
  spikeFactor: number;
  /** Rate collapse: evidence accumulates while requests are below this × baseline and below the band (stats/band-floor.ts). */
  collapseFactor: number;
  /** Error ratio: evidence accumulates above baseline + this (0.02 = two points). */
  minErrorRatioIncrease: number;
  /** Funnel: evidence accumulates when this fraction of requests no longer completes (0.03 = 3 %). */
  funnelDropFraction: number;
  /** Deploy verdicts (not the detector): requests a pooled post-deploy bucket needs to be judged. */
  minRequestsPerTick: number;
  /** A rate level shift with healthy completion that lasts this long is learnt as the new normal. */
  relearnAfterMs: number;
  /** Target false alarms per series and year; sets the evidence threshold for the tick size. */
  falseAlarmsPerYear: number;
  /** The time zone whose clocks the traffic follows (IANA name): the weekly profile's hours and days. Default UTC. */
  timeZone?: string;
  /** false: no error alarm is held within the series' earlier bursts (stats/error-bursts.ts). Default true. */
  holdErrorBursts?: boolean;
}

/** Failure fractions below this are treated as counting noise, whatever the baseline says. */
export const FAILURE_FLOOR = 0.01;
/** Demand wobbles at least this much (σ of log-rate per tick) on top of Poisson noise. */
export const MIN_LOG_RATE_SIGMA = 0.05;
/** Evidence (nats) for health that clears an alarm: health 100 times likelier than the smallest failure that matters. */
export const RESOLVE_EVIDENCE = Math.log(100);
/** Buckets a baseline needs before it judges: a MAD needs a few values to mean anything. */
const MIN_BASELINE_BUCKETS = 5;
/** The in-flight share is taken off a lost count only when known to within this (a standard error). */
const MAX_IN_FLIGHT_ERROR = 0.05;
/** The in-flight share's memory is the dispersion window over this: it follows a moved scrape phase within minutes. */
const IN_FLIGHT_MEMORY_SHARE = 12;
/**
 * The least memory, in ticks, of the in-flight share's fit: 15 s ticks' (a twelfth of an hour's
 * 240). At 60 s ticks a twelfth is five ticks, from which a fit of two coefficients on lumpy
 * demand rarely knew q to within MAX_IN_FLIGHT_ERROR, and half lost took 7-12 ticks to page (5-9
 * with twenty: scripts/funnel-lumpy.ts); a moved scrape phase is then followed within twenty
 * minutes rather than five.
 */
const MIN_IN_FLIGHT_TICKS = 20;
/** Consecutive ticks a block of the run-scale dispersion sums (see Dispersion.rateBlock). */
const RUN_BLOCK_TICKS = 3;
/** Blocks the run-scale dispersion needs before it is trusted over the tick's. */
const MIN_RUN_BLOCKS = 5;
/** Charts in a series' bank: rate rise, rate collapse, two for errors, two for the funnel. */
const CHARTS = 6;
/** The failure run's requests are averaged over about this long (exponential beyond it). */
const RUN_MEMORY_MS = 60_000;
/**
 * Once the baselines judge, a tick waits this long before they learn it, and is forgotten if an
 * alarm is raised meanwhile: the first ticks of a failure, before its evidence reached the
 * threshold, would otherwise enter the baselines and the dispersion and slow its own detection
 * (one broken 1 s tick in a short baseline can raise the funnel's φ twenty-fold).
 */
export const PROBATION_MS = 30_000;
/** A ratio check whose evidence is this share of its alarm's threshold or more is not learnt from (see learn). */
const BUILDING_SHARE = 0.25;
/** Fields of a tick on probation (see Probation). */
const P_N = 0;
const P_ERRORS = 1;
const P_COMPLETED = 2;
const P_RESID_RATE = 3;
const P_RESID_ERRORS = 4;
const P_RESID_FUNNEL = 5;
const P_FLAGS = 6;
const P_FIELDS = 8;
/**
 * The observed tick's squared Pearson residuals, set by the checks and put on probation by learn()
 * within one observe(), learnt into the dispersion if the tick is learnt: one per process (one
 * thread), not an object per series.
 */
const residual = { rate: Number.NaN, errors: Number.NaN, funnel: Number.NaN };
/** The repeat record's copy for weighRepeat (one per process: no object per series). */
const repeatScratch: RepeatRecord = { record: 0, episode: 0, newsAtMs: Number.NEGATIVE_INFINITY };
/** The tick's surprise as score() reads it (one thread): no object per series per tick. */
const surpriseScratch: TickSurprise = { nats: 0, threshold: 0, evidence: 0 };
const P_EXPECTED = 7;
const LEARN_ERRORS = 1;
const LEARN_FUNNEL = 2;
const LEARN_RATE = 4;
const LEARN_DISPERSION = 8;

type CheckName = 'spike' | 'drop' | 'errors' | 'funnel';

/** The sum of `xs`, first to last (as reduce adds them, without a closure). */
function sumOf(xs: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum;
}

/** An absent (NaN) count of the dispersion read as none yet. */
function orZero(x: number): number {
  return Number.isNaN(x) ? 0 : x;
}

export interface EvidenceSnapshot {
  rate: BaselineSnapshot;
  errorRatio: BaselineSnapshot;
  funnel: BaselineSnapshot;
  checks: Record<CheckName, CheckState>;
  rateShiftSinceMs: number | null;
  dispersion?: Dispersion;
  run?: FailureRun | null;
  /** Ticks on probation, oldest first, P_FIELDS numbers each (NaN written as null), and their data times. */
  probation?: (number | null)[];
  probationTimes?: number[];
  /** The weekly profile of log-rate, and the data time the rate baseline last learnt. */
  profile?: ProfileSnapshot;
  rateLearntAtMs?: number | null;
  /** The anomaly score's tail record of the series' own surprise (see tail-record.ts). */
  tail?: TailSnapshot;
  /** The largest evidence of the last tick (an alarm's onset is read against it). */
  lastEvidence?: number;
  /** The anomaly score's repeat record: past episodes' highest score and the current episode's last news (see weighRepeat). */
  scoreRecord?: number;
  scoreEpisode?: number;
  /** The data time of the episode's last news (null: none). */
  scoreNewsAtMs?: number | null;
  /** The slow view's drift state (see level-drift.ts) and its own tail record. */
  drift?: DriftSnapshot;
  driftTail?: TailSnapshot;
  /** The error alarm being followed and the bursts remembered (see error-bursts.ts; NaN as null); null: none yet. */
  errorBursts?: (number | null)[] | null;
}

/**
 * Requests since the ratio checks began to gather evidence of a failure (the CUSUM's change-point,
 * Page 1954), against what the baseline expected: the attempt multiplier over the whole failure so
 * far, not one tick's, so a 1 s tick's noise or a closed client pool's first second of retries does
 * not decide what kind of incident this is.
 */
interface FailureRun {
  sinceMs: number;
  observed: number;
  expected: number;
  seconds: number;
  /** The last RECENT_TICKS ticks' requests and expected requests, newest last. */
  recentObserved?: number[];
  recentExpected?: number[];
  /**
   * The first tick of the run's latest stretch of ticks whose evidence of a failure rose (silent
   * ticks between them neither end nor start it); 0 when the evidence last fell. Where the failure
   * began when the run's change-point leads it (see restartRun).
   */
  risingSinceMs?: number;
  /**
   * Requests, expected requests and ticks since the ratio checks first alarmed in this run (the
   * failure's own onset: sharp, where the run's change-point may lead it by a few noisy ticks),
   * from the first of the ticks just before the alarm that each lost at least half their requests
   * (a fault that began inside a tick, too little of it to alarm, or evidence that takes a few
   * ticks), and the silent ticks between them. Such ticks wait here, not yet reported, with
   * failureTicks 0 for one and −k for k, until a tick alarms or one is not mostly lost.
   * Undefined until then.
   */
  failureObserved?: number;
  failureExpected?: number;
  failureTicks?: number;
}

/** Whether a tick's ratio checks read at least half of its requests lost (failing, or not completed). */
function mostlyLost(errors: Evaluation | undefined, funnel: Evaluation | undefined): boolean {
  if (errors && errors.status !== 'unknown' && errors.observed >= 0.5) return true;
  return funnel !== undefined && funnel.status !== 'unknown' && funnel.observed <= 0.5 * funnel.baseline;
}

/**
 * Ticks the run's recent multiplier spans. A failure's kind shows in how the rate moves now, not
 * in its first seconds: cargo's retries wait 0.5-1.5 s, so a storm starts flat or low, while a
 * closed client pool retries once and then stalls. Three ticks is the fewest a 1 s rate read over
 * two scrapes averages out on.
 */
const RECENT_TICKS = 3;

/**
 * Runs that ended and their readings, for the next run to begin on any series (one thread). A run
 * lasts a few ticks: long enough, at 100k series, for the scavenges to carry each new one (an
 * object, two arrays, a reading) into the old generation, whose collections then came every few
 * ticks. Bounded: after a storm across many series the rest go.
 */
const spareRuns: FailureRun[] = [];
const spareReports: RunSummary[] = [];
const MAX_SPARE_RUNS = 4096;

/** A run beginning at `timeMs`: a spare one made like new, or a new one. */
function takeRun(timeMs: number): FailureRun {
  const run = spareRuns.pop();
  if (run === undefined) return { sinceMs: timeMs, observed: 0, expected: 0, seconds: 0 };
  run.sinceMs = timeMs;
  run.observed = run.expected = run.seconds = 0;
  emptyKeepingRoom(run.recentObserved!);
  emptyKeepingRoom(run.recentExpected!);
  run.risingSinceMs = 0;
  // One at a time, in this order: a run's saved keys are in the order they were first set.
  run.failureObserved = undefined;
  run.failureExpected = undefined;
  run.failureTicks = undefined;
  return run;
}

/** Keeps a run that ended (and its reading, if it had one) for the next. */
function spareRun(run: FailureRun, report: RunSummary | null): void {
  if (spareRuns.length < MAX_SPARE_RUNS && run.recentObserved !== undefined && run.recentExpected !== undefined) spareRuns.push(run);
  if (report !== null && spareReports.length < MAX_SPARE_RUNS) spareReports.push(report);
}

/** Constants derived once per parameter set and tick size. */
interface Derived {
  threshold: number;
  spikeFactor: number;
  collapseFactor: number;
  funnelP0: number;
  funnelP1: number;
}

const derivedCache = new WeakMap<DetectorParams, Map<number, Derived>>();

function derive(params: DetectorParams, intervalMs: number): Derived {
  let byInterval = derivedCache.get(params);
  if (!byInterval) derivedCache.set(params, (byInterval = new Map()));
  let d = byInterval.get(intervalMs);
  if (!d) {
    const funnelP0 = Math.min(FAILURE_FLOOR, params.funnelDropFraction / 2);
    d = {
      threshold: cusumThreshold(params.falseAlarmsPerYear, intervalMs, CHARTS),
      spikeFactor: poissonFactorFor(params.spikeFactor),
      collapseFactor: poissonFactorFor(params.collapseFactor),
      funnelP0,
      funnelP1: binomialAlternativeFor(funnelP0, params.funnelDropFraction),
    };
    byInterval.set(intervalMs, d);
  }
  return d;
}

/** The alternative a total break is tested with: half of the requests failing, or more. */
function breakAlternative(p0: number): number {
  return p0 + (1 - p0) / 2;
}

const CHECK_NAMES = ['spike', 'drop', 'errors', 'funnel'] as const;
/** Where each check's state starts in a detector's doubles (sequential-check.ts's fields), then the probation's times. */
const SPIKE = 0;
const DROP = CHECK_FIELDS;
const ERRORS = 2 * CHECK_FIELDS;
const FUNNEL = 3 * CHECK_FIELDS;
const CHECK_AT: Record<CheckName, number> = { spike: SPIKE, drop: DROP, errors: ERRORS, funnel: FUNNEL };
/** The detector's own numbers (see the accessors of EvidenceDetector), then the baselines' (RobustBaseline.SCALARS each). */
const SCALARS_AT = 4 * CHECK_FIELDS;
const SCALAR_COUNT = 15;
/**
 * The two tail records' summaries (summariseTail), kept between the ticks that change them: a
 * tick reads its record's counts alone. NaN at the first field: to be read again.
 */
const TICK_TAIL_AT = SCALARS_AT + SCALAR_COUNT;
const DRIFT_TAIL_AT = TICK_TAIL_AT + TAIL_SUMMARY_FIELDS;
const BASELINES_AT = DRIFT_TAIL_AT + TAIL_SUMMARY_FIELDS;
/** The dispersion's numbers (DispersionView), the weekly profile's, then the four evaluations' (check-evaluation.ts). */
const DISPERSION_AT = BASELINES_AT + 3 * RobustBaseline.SCALARS;
const PROFILE_AT = DISPERSION_AT + DISPERSION_FIELDS;
const EVALUATIONS_AT = PROFILE_AT + PROFILE_DOUBLES;
const PROBATION_TIMES_AT = EVALUATIONS_AT + 4 * EVALUATION_DOUBLES;

/**
 * The most doubles encodeColumns writes between the baselines and the probation, a run's recent
 * values aside: the checks' 12, the level shift's time, the dispersion's 22 and its blocks' 5, a
 * run's 8.
 */
const FIXED_DOUBLES = 48;
/** Detectors' templates by the number encodeColumns sums their shape up in (a few in use at once). */
const templates = new Map<number, string>();
const MAX_TEMPLATES = 1024;

export class EvidenceDetector implements Detector {
  /**
   * What every detector of its parameters and signal shares: the parameters, the constants derived
   * from them, the layout of a region and the objects that read one (Parts). A field each, they
   * cost every series 16 slots of its own (128 bytes at 100k series: 12.8 MB).
   */
  private readonly shape: Shape;
  /** One view of each kind over the whole shared buffer its region is in (slabViews). */
  private readonly views: SlabViews;
  /** Where its region's floats start in `views` (the probation ring, then the windows: see Shape for the rest). */
  private readonly f: number;
  private run: FailureRun | null = null;
  /** The run as the rate evaluations hand it out, while there is one (run-summary.ts). */
  private runReport: RunSummary | null = null;
  /** The error alarms followed and the bursts remembered (stats/error-bursts.ts): made at the first error alarm, few series have one. */
  private bursts: Float64Array | null = null;
  /**
   * The evaluations observe returns, in their order (rate rise, rate collapse, then errors and the
   * funnel where the signal has them): rewritten in place every tick, so 100k series make no
   * evaluation objects a tick (they were most of the step's garbage).
   */
  private readonly evaluations: CheckEvaluation[];
  /**
   * The whole buffer's Float64 view; the region's part of it starts at `base`: the checks' states
   * (SPIKE … FUNNEL), the detector's numbers (SCALARS_AT; see the accessors below), the
   * baselines', the dispersion's and the profile's, the evaluations', then from PROBATION_TIMES_AT
   * the data time of each tick on probation (a float32 cannot hold a timestamp). A view of the
   * region's own cost every series about 100 bytes of heap.
   */
  private get doubles(): Float64Array {
    return this.views.f64;
  }
  private readonly base: number;
  /** The probation ring's oldest tick and its ticks. */
  private probationStart = 0;
  private probationSize = 0;
  /** The alarms of the previous tick: a newly raised one voids the probation. */
  private wasRatioAlarm = false;
  private wasRateAlarm = false;
  /**
   * The deseasonalised level and spread of the rate window, recomputed when a bucket completes or
   * the profile's reading changes (once a minute at most, not per tick); mode 0: not computed.
   */
  private levelMode: 0 | 1 | 2 = 0;
  private levelBuckets = -1;

  constructor(params: DetectorParams, ctx: DetectorContext) {
    // One region of a shared buffer (core/slab.ts), read through the whole buffer's views: doubles
    // (the checks, the detector's, baselines', dispersion's and profile's numbers, the
    // evaluations' numbers, the probation's times), floats (the probation ring,
    // the three windows' headers, the score's two tail records and drift), shorts (the weekly
    // profile, the tail records' values, the windows' values as 16-bit codes) and bytes (the
    // windows' sort orders). No ArrayBuffer of its own per series, and no object per baseline,
    // window or profile: the shape's (Parts) read them, re-pointed at this region when another
    // detector used them last. Each of those cost a series 40-100 bytes.
    const shape = shapeFor(params, ctx);
    this.shape = shape;
    const { buffer, byteOffset } = allocateRegion(shape.regionBytes, ctx.regions);
    this.views = slabViews(buffer);
    this.base = byteOffset / Float64Array.BYTES_PER_ELEMENT;
    this.f = (byteOffset + shape.floatsAt) / Float32Array.BYTES_PER_ELEMENT;
    clearDrift(this.views.f32, this.driftAt);
    this.profile.clear();
    this.dispersion.reset();
    const evaluationAt = (k: number) => EVALUATIONS_AT + k * EVALUATION_DOUBLES;
    // Of exact length: pushed onto, the array took 19 slots (168 bytes a series) for four.
    const evaluations = [new CheckEvaluation('rate_spike', this.doubles, this.base + evaluationAt(0)), new CheckEvaluation('rate_drop', this.doubles, this.base + evaluationAt(1))];
    if (ctx.inputs.has('errors')) evaluations.push(new CheckEvaluation('error_ratio', this.doubles, this.base + evaluationAt(2)));
    if (ctx.inputs.has('downstream')) evaluations.push(new CheckEvaluation('funnel_drop', this.doubles, this.base + evaluationAt(3)));
    this.evaluations = evaluations.slice();
    const doubles = this.doubles;
    const b = this.base;
    for (const at of [0, 1, 2, 3, 4, 5, 6, 7, 8, 10]) doubles[b + SCALARS_AT + at] = Number.NaN;
    this.staleTailSummaries();
    doubles[b + SCALARS_AT + 13] = Math.exp(-ctx.intervalMs / REPEAT_MEMORY_MS);
    doubles[b + SCALARS_AT + 14] = Number.NEGATIVE_INFINITY;
  }

  /**
   * Gives the detector's region back to its pipeline's pool, to be handed to a series that comes
   * later: the detector is not to be used again. Its evaluations keep the last tick's numbers in
   * arrays of their own (a report read late reads them, not another series').
   */
  release(): void {
    for (const e of this.evaluations) e.detach();
    this.shape.allocator?.release(this.doubles.buffer as ArrayBuffer, this.base * Float64Array.BYTES_PER_ELEMENT);
  }

  // The shape's, read through it.
  private get params(): DetectorParams {
    return this.shape.params;
  }
  private get ctx(): DetectorContext {
    return this.shape.ctx;
  }
  private get parts(): Parts {
    return this.shape.parts;
  }
  private get derived(): Derived {
    return this.shape.derived;
  }
  private get seconds(): number {
    return this.shape.seconds;
  }
  private get weight(): number {
    return this.shape.weight;
  }
  /** Ticks the dispersion averages over: the baseline window. */
  private get dispersionWindow(): number {
    return this.shape.dispersionWindow;
  }
  /** Ticks pooled into one rate bucket. */
  private get bucketTicks(): number {
    return this.shape.bucketTicks;
  }
  private get spikeEval(): CheckEvaluation {
    return this.evaluations[0]!;
  }
  private get dropEval(): CheckEvaluation {
    return this.evaluations[1]!;
  }
  private get errorsEval(): CheckEvaluation | undefined {
    const k = this.shape.errorsIndex;
    return k < 0 ? undefined : this.evaluations[k];
  }
  private get funnelEval(): CheckEvaluation | undefined {
    const k = this.shape.funnelIndex;
    return k < 0 ? undefined : this.evaluations[k];
  }
  // Where the region's parts start in the whole buffer's views: the three windows' headers (floats,
  // from `w`), the tail record's day counts, the drift tail record's after them and the drift state
  // (floats), the profile's slots, the tail records' values and the three windows' values (shorts,
  // from `s`), the windows' sort orders (bytes, from `o`; −1: none).
  private get w(): number {
    return this.f + this.shape.windowsAt;
  }
  private get tailCountsAt(): number {
    return this.f + this.shape.tailCountsAt;
  }
  private get driftAt(): number {
    return this.f + this.shape.driftAt;
  }
  private get s(): number {
    return 2 * this.f + this.shape.shortsAt;
  }
  private get o(): number {
    return this.shape.ordered ? 4 * this.f + this.shape.ordersAt : -1;
  }

  // Numbers kept in the doubles (no boxed number per field per series): data times, the error
  // chart's alternative, the level, the tail record's day, the last evidence and score, the repeat record.
  private get rateShiftSinceMs(): number {
    return this.doubles[this.base + SCALARS_AT + 0]!;
  }
  private set rateShiftSinceMs(v: number) {
    this.doubles[this.base + SCALARS_AT + 0] = v;
  }
  /** Data time of the first tick of the rate bucket being filled. */
  private get bucketStartMs(): number {
    return this.doubles[this.base + SCALARS_AT + 1]!;
  }
  private set bucketStartMs(v: number) {
    this.doubles[this.base + SCALARS_AT + 1] = v;
  }
  /** The error check's null and the error chart's alternative for the last baseline error ratio seen (they change once a bucket). */
  private get errorP0(): number {
    return this.doubles[this.base + SCALARS_AT + 2]!;
  }
  private set errorP0(v: number) {
    this.doubles[this.base + SCALARS_AT + 2] = v;
  }
  private get errorP1(): number {
    return this.doubles[this.base + SCALARS_AT + 3]!;
  }
  private set errorP1(v: number) {
    this.doubles[this.base + SCALARS_AT + 3] = v;
  }
  /** Data time of the last tick the rate baseline learnt: its window ends there. */
  private get rateLearntAtMs(): number {
    return this.doubles[this.base + SCALARS_AT + 4]!;
  }
  private set rateLearntAtMs(v: number) {
    this.doubles[this.base + SCALARS_AT + 4] = v;
  }
  private get levelMedian(): number {
    return this.doubles[this.base + SCALARS_AT + 5]!;
  }
  private set levelMedian(v: number) {
    this.doubles[this.base + SCALARS_AT + 5] = v;
  }
  private get levelSigma(): number {
    return this.doubles[this.base + SCALARS_AT + 6]!;
  }
  private set levelSigma(v: number) {
    this.doubles[this.base + SCALARS_AT + 6] = v;
  }
  /** The hour the level was computed in: the profile's reading of past buckets depends on it. */
  private get levelHour(): number {
    return this.doubles[this.base + SCALARS_AT + 7]!;
  }
  private set levelHour(v: number) {
    this.doubles[this.base + SCALARS_AT + 7] = v;
  }
  /** The tail record's current day (NaN: nothing learnt). */
  private get tailDayNow(): number {
    return this.doubles[this.base + SCALARS_AT + 8]!;
  }
  private set tailDayNow(v: number) {
    this.doubles[this.base + SCALARS_AT + 8] = v;
  }
  /** The last tick's largest evidence. */
  private get lastEvidence(): number {
    return this.doubles[this.base + SCALARS_AT + 9]!;
  }
  private set lastEvidence(v: number) {
    this.doubles[this.base + SCALARS_AT + 9] = v;
  }
  private get lastScore(): number {
    return this.doubles[this.base + SCALARS_AT + 10]!;
  }
  private set lastScore(v: number) {
    this.doubles[this.base + SCALARS_AT + 10] = v;
  }
  /**
   * The anomaly score's repeat record (see weighRepeat): past episodes' highest score of about the
   * last day, decaying; then the current episode's last news, and the decay per tick.
   */
  private get scoreRecord(): number {
    return this.doubles[this.base + SCALARS_AT + 11]!;
  }
  private set scoreRecord(v: number) {
    this.doubles[this.base + SCALARS_AT + 11] = v;
  }
  private get scoreEpisode(): number {
    return this.doubles[this.base + SCALARS_AT + 12]!;
  }
  private set scoreEpisode(v: number) {
    this.doubles[this.base + SCALARS_AT + 12] = v;
  }
  private get recordDecay(): number {
    return this.doubles[this.base + SCALARS_AT + 13]!;
  }
  /** The data time of the current episode's last news (−∞: none). */
  private get scoreNewsAtMs(): number {
    return this.doubles[this.base + SCALARS_AT + 14]!;
  }
  private set scoreNewsAtMs(v: number) {
    this.doubles[this.base + SCALARS_AT + 14] = v;
  }

  // The baselines, profile and dispersion: the shape's objects, pointed at this detector's region
  // when another detector used them last (once a tick per series; every other read is a compare).
  private get rate(): RobustBaseline {
    return (this.parts.at === this ? this.parts : this.point()).rate;
  }
  private get errorRatio(): RobustBaseline {
    return (this.parts.at === this ? this.parts : this.point()).errorRatio;
  }
  private get funnel(): RobustBaseline {
    return (this.parts.at === this ? this.parts : this.point()).funnel;
  }
  private get profile(): SeasonalProfile {
    return (this.parts.at === this ? this.parts : this.point()).profile;
  }
  private get dispersion(): DispersionView {
    return (this.parts.at === this ? this.parts : this.point()).dispersion;
  }
  private point(): Parts {
    const p = this.parts;
    const v = this.views;
    const order = this.o >= 0 ? v.u8 : undefined;
    const orderAt = (k: number) => (order ? this.o + k * p.capacity : 0);
    const codesAt = this.s + WINDOW_CODES_AT;
    p.rate.rebase(v.f32, this.w, v.i16, codesAt, this.doubles, this.base + BASELINES_AT, order, orderAt(0));
    p.errorRatio.rebase(v.f32, this.w + WINDOW_HEADER_FLOATS, v.i16, codesAt + p.capacity, this.doubles, this.base + BASELINES_AT + RobustBaseline.SCALARS, order, orderAt(1));
    p.funnel.rebase(v.f32, this.w + 2 * WINDOW_HEADER_FLOATS, v.i16, codesAt + 2 * p.capacity, this.doubles, this.base + BASELINES_AT + 2 * RobustBaseline.SCALARS, order, orderAt(2));
    p.profile.rebase(v.i16, this.s, this.doubles, this.base + PROFILE_AT);
    p.dispersion.rebase(this.doubles, this.base + DISPERSION_AT);
    p.at = this;
    return p;
  }
  /** The region's floats and shorts: the whole buffer's views (indices from `f`, `w` and `s`). */
  private get floats(): Float32Array {
    return this.views.f32;
  }
  private get shorts(): Int16Array {
    return this.views.i16;
  }
  /** Where the two tail records' values start in the shorts: after the profile's slots. */
  private get tickValuesAt(): number {
    return this.s + SLOTS_PER_WEEK;
  }
  private get driftValuesAt(): number {
    return this.s + DRIFT_VALUES_AT;
  }

  /** Ticks the probation ring holds: the doubles end with their data times. */
  private get probationCapacity(): number {
    return this.shape.probationTicks;
  }

  /** The anomaly score of the last tick observed, in [0, 1]; NaN when no check could judge it. */
  get anomalyScore(): number {
    return this.lastScore;
  }

  /**
   * The score of the current episode's last news (its highest reported score: news beats the last
   * by a margin), 0 while no episode is open (see stats/anomaly-score.ts's weighRepeat).
   */
  get anomalyEpisodePeak(): number {
    return this.scoreEpisode;
  }

  /**
   * Raises the last tick's anomaly score to `floor` (the decider's, while the series' incident
   * holds: decisions/alert-decider.ts). Only what the tick reports: the score's own records (the
   * tails, the repeat record) are not touched, and a NaN score stays NaN.
   */
  holdScore(floor: number): void {
    if (this.lastScore < floor) this.lastScore = floor;
  }

  /** The evidence threshold h (nats) of this detector's tick size. */
  get threshold(): number {
    return this.derived.threshold;
  }

  snapshot(): EvidenceSnapshot {
    return {
      rate: this.rate.snapshot(),
      errorRatio: this.errorRatio.snapshot(),
      funnel: this.funnel.snapshot(),
      checks: { spike: checkStateAt(this.doubles, this.base + SPIKE), drop: checkStateAt(this.doubles, this.base + DROP), errors: checkStateAt(this.doubles, this.base + ERRORS), funnel: checkStateAt(this.doubles, this.base + FUNNEL) },
      rateShiftSinceMs: Number.isNaN(this.rateShiftSinceMs) ? null : this.rateShiftSinceMs,
      dispersion: this.dispersionSnapshot(),
      run: this.run ? structuredClone(this.run) : null,
      probation: this.probationEntries().map((x) => (Number.isFinite(x) ? x : null)),
      probationTimes: Array.from({ length: this.probationSize }, (_, i) => this.doubles[this.base + PROBATION_TIMES_AT + ((this.probationStart + i) % this.probationCapacity)]!),
      profile: this.profile.snapshot(),
      rateLearntAtMs: Number.isNaN(this.rateLearntAtMs) ? null : this.rateLearntAtMs,
      tail: snapshotTail(this.shorts, this.floats, this.tailDayNow, this.tickValuesAt, this.tailCountsAt),
      lastEvidence: this.lastEvidence,
      scoreRecord: this.scoreRecord,
      scoreEpisode: this.scoreEpisode,
      scoreNewsAtMs: Number.isFinite(this.scoreNewsAtMs) ? this.scoreNewsAtMs : null,
      drift: snapshotDrift(this.floats, this.driftAt),
      driftTail: snapshotTail(this.shorts, this.floats, this.tailDayNow, this.driftValuesAt, this.tailCountsAt + TAIL_DAYS),
      errorBursts: this.bursts ? snapshotBursts(this.bursts) : null,
    };
  }

  /**
   * snapshot()'s numbers written straight from the detector's typed arrays to columns, each array
   * in a column fixed by what it is (windows as float32, the profile as 16-bit fixed point, tail
   * records as their codes), and its template: decoded, exactly what JSON gives for snapshot() (a
   * test compares the two at every tick of a scenario). A save at 100k series makes no snapshot
   * objects, and no template either while the detector's shape is one seen before: most series
   * share a few shapes, each template made once (see core/column-encoder.ts).
   */
  encodeColumns(s: ColumnScratch): string {
    const c = this.doubles;
    const b = this.base;
    const d = this.dispersion;
    const run = this.run;
    const capacity = this.probationCapacity;
    const block = !Number.isNaN(d.blockN);
    const runBlock = !Number.isNaN(d.rateBlock);
    const recent = run?.recentObserved?.length ?? -1;
    const failure = recent >= 0 && run?.failureTicks !== undefined;
    const runForm = run === null ? 0 : recent < 0 ? 1 : (failure ? 6 : 2) + recent;
    // Scalars, not an array and a closure: this runs for every series at every save.
    const rateSize = this.rate.buckets;
    const errorSize = this.errorRatio.buckets;
    const funnelSize = this.funnel.buckets;
    const partials = (this.rate.partialTicks > 0 ? 1 : 0) + (this.errorRatio.partialTicks > 0 ? 2 : 0) + (this.funnel.partialTicks > 0 ? 4 : 0);
    const alarms = c[b + SPIKE + CHECK_ALARMED]! + 2 * c[b + DROP + CHECK_ALARMED]! + 4 * c[b + ERRORS + CHECK_ALARMED]! + 8 * c[b + FUNNEL + CHECK_ALARMED]!;
    // Everything the template depends on, as one number (exact below 2^53: 11 bits a window size, 53 in all).
    const cacheable = rateSize < 2048 && errorSize < 2048 && funnelSize < 2048 && this.probationSize < 64 && runForm < 16 && (recent < 0 || run?.recentExpected?.length === recent);
    const shape = cacheable ? (((((((rateSize * 2048 + errorSize) * 2048 + funnelSize) * 8 + partials) * 16 + alarms) * 4 + (block ? 2 : 0) + (runBlock ? 1 : 0)) * 16 + runForm) * 64 + this.probationSize) * 2 + (this.bursts ? 1 : 0) : -1;
    this.rate.encodeFixed(s);
    this.errorRatio.encodeFixed(s);
    this.funnel.encodeFixed(s);
    // Written straight into the column, room made once: a call to push a number each boxes it
    // (push is not inlined into a function this large), about 0.4 KB a series a save.
    const f64 = s.f64;
    f64.reserve(FIXED_DOUBLES + 2 * Math.max(0, recent));
    const out = f64.data;
    let n = f64.length;
    for (let at = SPIKE; at <= FUNNEL; at += CHECK_FIELDS) {
      out[n++] = c[b + at + CHECK_SMALL]!;
      out[n++] = c[b + at + CHECK_LARGE]!;
      out[n++] = c[b + at + 2]!;
    }
    out[n++] = this.rateShiftSinceMs;
    out[n++] = d.rate;
    out[n++] = d.errors;
    out[n++] = d.funnel;
    out[n++] = d.ticks;
    out[n++] = d.lateNum;
    out[n++] = d.lateDen;
    out[n++] = d.latePrevN;
    out[n++] = d.ratePrevN;
    out[n++] = d.lag0;
    out[n++] = d.lag1;
    out[n++] = d.lagTicks;
    out[n++] = d.lagPrev;
    out[n++] = d.funnelTicks;
    out[n++] = d.errorsPrevK;
    out[n++] = d.inNN;
    out[n++] = d.inND;
    out[n++] = d.inDD;
    out[n++] = d.inLN;
    out[n++] = d.inLD;
    out[n++] = d.inLL;
    out[n++] = d.inW;
    out[n++] = d.inPrevN;
    if (block) {
      out[n++] = d.blockN;
      out[n++] = d.blockExpected;
      out[n++] = d.blockTicks;
    }
    if (runBlock) {
      out[n++] = d.rateBlock;
      out[n++] = d.blocks;
    }
    if (run) {
      out[n++] = run.sinceMs;
      out[n++] = run.observed;
      out[n++] = run.expected;
      out[n++] = run.seconds;
      for (let i = 0; i < recent; i++) out[n++] = run.recentObserved![i]!;
      for (let i = 0; i < recent; i++) out[n++] = run.recentExpected![i]!;
      if (recent >= 0) out[n++] = run.risingSinceMs!;
      if (failure) {
        out[n++] = run.failureObserved!;
        out[n++] = run.failureExpected!;
        out[n++] = run.failureTicks!;
      }
    }
    // A typed array drops writes past its end without a word: a field added above and not counted
    // in FIXED_DOUBLES must fail here, not write a short state file.
    if (n > out.length) throw new Error(`encodeColumns wrote ${n - f64.length} fixed doubles, FIXED_DOUBLES makes room for fewer`);
    f64.length = n;
    for (let i = 0; i < this.probationSize; i++) {
      const at = this.f + ((this.probationStart + i) % capacity) * P_FIELDS;
      encodeTyped(this.floats, at, P_FIELDS, s.f32, 'f');
    }
    for (let i = 0; i < this.probationSize; i++) s.f64.push(this.doubles[this.base + PROBATION_TIMES_AT + ((this.probationStart + i) % capacity)]!);
    this.profile.encodeFixed(s);
    s.f64.push(this.rateLearntAtMs);
    encodeTailColumns(this.shorts, this.floats, this.tailDayNow, s, this.tickValuesAt, this.tailCountsAt);
    f64.reserve(4 + DRIFT_SLOTS);
    const late = f64.data;
    n = f64.length;
    late[n++] = this.lastEvidence;
    late[n++] = this.scoreRecord;
    late[n++] = this.scoreEpisode;
    late[n++] = Number.isFinite(this.scoreNewsAtMs) ? this.scoreNewsAtMs : Number.NaN;
    for (let i = 0; i < DRIFT_SLOTS; i++) late[n++] = this.floats[this.driftAt + i]!;
    f64.length = n;
    encodeTailColumns(this.shorts, this.floats, this.tailDayNow, s, this.driftValuesAt, this.tailCountsAt + TAIL_DAYS);
    if (this.bursts) for (let i = 0; i < this.bursts.length; i++) s.f64.push(this.bursts[i]!);
    let template = shape >= 0 ? templates.get(shape) : undefined;
    if (template === undefined) {
      template = this.template(block, runBlock, recent, failure);
      if (shape >= 0) {
        if (templates.size >= MAX_TEMPLATES) templates.clear();
        templates.set(shape, template);
      }
    }
    return template;
  }

  /** The template of encodeColumns's numbers (the keys and their order are snapshot()'s). */
  private template(block: boolean, runBlock: boolean, recent: number, failure: boolean): string {
    const check = (k: CheckName) => `{"small":0,"large":0,"health":0,"alarmed":${this.alarmed(CHECK_AT[k])}}`;
    const numbers = (kind: 'f' | 'd', n: number) => (n > 0 ? numbersTemplate(kind, n) : '[]');
    const baseline = (b: RobustBaseline) => RobustBaseline.fixedTemplate(b.buckets, b.partialTicks > 0, b.coding);
    const dispersion = `{"rate":0,"errors":0,"funnel":0,"ticks":0,"lateNum":0,"lateDen":0,"latePrevN":0,"ratePrevN":0,"lag0":0,"lag1":0,"lagTicks":0,"lagPrev":0,"funnelTicks":0,"errorsPrevK":0,"inNN":0,"inND":0,"inDD":0,"inLN":0,"inLD":0,"inLL":0,"inW":0,"inPrevN":0${block ? ',"blockN":0,"blockExpected":0,"blockTicks":0' : ''}${runBlock ? ',"rateBlock":0,"blocks":0' : ''}}`;
    const run = this.run === null ? 'null' : `{"sinceMs":0,"observed":0,"expected":0,"seconds":0${recent >= 0 ? `,"recentObserved":${numbers('d', recent)},"recentExpected":${numbers('d', recent)},"risingSinceMs":0${failure ? ',"failureObserved":0,"failureExpected":0,"failureTicks":0' : ''}` : ''}}`;
    return (
      `{"rate":${baseline(this.rate)},"errorRatio":${baseline(this.errorRatio)},"funnel":${baseline(this.funnel)}` +
      `,"checks":{${CHECK_NAMES.map((k) => `"${k}":${check(k)}`).join(',')}},"rateShiftSinceMs":0,"dispersion":${dispersion},"run":${run}` +
      `,"probation":${numbers('f', this.probationSize * P_FIELDS)},"probationTimes":${numbers('d', this.probationSize)}` +
      `,"profile":${PROFILE_TEMPLATE},"rateLearntAtMs":0,"tail":${TAIL_TEMPLATE},"lastEvidence":0,"scoreRecord":0,"scoreEpisode":0,"scoreNewsAtMs":0` +
      `,"drift":{"mean":0,"square":0,"ticks":0},"driftTail":${TAIL_TEMPLATE},"errorBursts":${this.bursts ? numbers('d', this.bursts.length) : 'null'}}`
    );
  }

  /**
   * Moves the weekly profile from the hours of the time zone it was learnt in (a saved state's) to
   * this detector's, as the two clocks stood at `atMs`: a restart with a new `timeZone` keeps what
   * was learnt, an hour or so turned, rather than reading it at the wrong hours for a week.
   */
  profileLearntIn(timeZone: string | undefined, atMs: number): void {
    const offsetHours = (zone: string | undefined) => (wallClockOf(zone)?.offsetMs(atMs) ?? 0) / 3_600_000;
    const change = offsetHours(this.params.timeZone) - offsetHours(timeZone);
    if (!Number.isFinite(change) || change === 0) return;
    this.profile.moveSlots(change);
    this.levelMode = 0;
  }

  /** The dispersion as saved: its keys in one order, whichever order they were set in. */
  private dispersionSnapshot(): Dispersion {
    const d = this.dispersion;
    const out: Dispersion = { rate: d.rate, errors: d.errors, funnel: d.funnel, ticks: d.ticks, lateNum: d.lateNum, lateDen: d.lateDen, latePrevN: d.latePrevN, ratePrevN: d.ratePrevN, lag0: d.lag0, lag1: d.lag1, lagTicks: d.lagTicks, lagPrev: d.lagPrev, funnelTicks: d.funnelTicks, errorsPrevK: d.errorsPrevK, inNN: d.inNN, inND: d.inND, inDD: d.inDD, inLN: d.inLN, inLD: d.inLD, inLL: d.inLL, inW: d.inW, inPrevN: d.inPrevN };
    if (!Number.isNaN(d.blockN)) Object.assign(out, { blockN: d.blockN, blockExpected: d.blockExpected, blockTicks: d.blockTicks });
    if (!Number.isNaN(d.rateBlock)) Object.assign(out, { rateBlock: d.rateBlock, blocks: d.blocks });
    return out;
  }

  private probationEntries(): number[] {
    const capacity = this.probationCapacity;
    const out: number[] = [];
    for (let i = 0; i < this.probationSize; i++) {
      const at = this.f + ((this.probationStart + i) % capacity) * P_FIELDS;
      for (let f = 0; f < P_FIELDS; f++) out.push(this.floats[at + f]!);
    }
    return out;
  }

  restore(snapshot: unknown): boolean {
    const s = snapshot as Partial<EvidenceSnapshot> | null;
    const ok = (b: unknown) => Array.isArray((b as { values?: unknown } | undefined)?.values) && (b as { values: unknown[] }).values.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!s || !ok(s.rate) || !ok(s.errorRatio) || !ok(s.funnel)) return false;
    this.rate.restore(s.rate!);
    this.errorRatio.restore(s.errorRatio!);
    this.funnel.restore(s.funnel!);
    for (const name of ['spike', 'drop', 'errors', 'funnel'] as const) {
      const c = s.checks?.[name];
      const valid = c && [c.small, c.large, c.health].every((x) => typeof x === 'number' && x >= 0) && typeof c.alarmed === 'boolean';
      setCheckStateAt(this.doubles, this.base + CHECK_AT[name], valid ? c : newCheckState());
    }
    this.rateShiftSinceMs = typeof s.rateShiftSinceMs === 'number' ? s.rateShiftSinceMs : Number.NaN;
    const d = s.dispersion;
    const validDispersion = d && [d.rate, d.errors, d.funnel, d.ticks].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
    // Saved before the funnel's residuals had a count of their own: they were learnt over `ticks`.
    const funnelTicks = typeof d?.funnelTicks === 'number' && Number.isFinite(d.funnelTicks) && d.funnelTicks >= 0 ? d.funnelTicks : d?.ticks;
    if (validDispersion) this.dispersion.reset(d.rate, d.errors, d.funnel, d.ticks, funnelTicks);
    else this.dispersion.reset();
    // Saved before the late share was learnt: it starts again.
    // Fields set one by one, not by Object.assign: the view's fields are accessors, which
    // Object.assign reaches only through its slow path (a third of the detector's restore at 100k).
    const view = this.dispersion;
    if (validDispersion && [d.lateNum, d.lateDen, d.latePrevN].every((x) => typeof x === 'number' && Number.isFinite(x)) && d.lateDen >= 0) {
      view.lateNum = d.lateNum;
      view.lateDen = d.lateDen;
      view.latePrevN = d.latePrevN;
    }
    // Saved before the rate's dispersion was read tick to tick (or after a gap, NaN: saved as null): no previous tick.
    if (validDispersion && typeof d.ratePrevN === 'number' && d.ratePrevN >= 0) view.ratePrevN = d.ratePrevN;
    if (validDispersion && typeof d.errorsPrevK === 'number' && d.errorsPrevK >= 0) view.errorsPrevK = d.errorsPrevK;
    // Saved before the in-flight share's sums (or broken): they are learnt anew.
    if (validDispersion && [d.inNN, d.inND, d.inDD, d.inLN, d.inLD, d.inLL, d.inW, d.inPrevN].every((x) => typeof x === 'number' && Number.isFinite(x)) && d.inNN! >= 0 && d.inDD! >= 0 && d.inLL! >= 0 && d.inW! >= 0) {
      view.inNN = d.inNN!;
      view.inND = d.inND!;
      view.inDD = d.inDD!;
      view.inLN = d.inLN!;
      view.inLD = d.inLD!;
      view.inLL = d.inLL!;
      view.inW = d.inW!;
      view.inPrevN = d.inPrevN!;
    }
    // Saved before the funnel's lag-one moments (or broken): they are learnt anew. lagPrev NaN is saved as null.
    if (validDispersion && [d.lag0, d.lag1, d.lagTicks].every((x) => typeof x === 'number' && Number.isFinite(x)) && d.lag0! >= 0 && d.lagTicks! >= 0) {
      view.lag0 = d.lag0!;
      view.lag1 = d.lag1!;
      view.lagTicks = d.lagTicks!;
      view.lagPrev = typeof d.lagPrev === 'number' && Number.isFinite(d.lagPrev) ? d.lagPrev : Number.NaN;
    }
    if (validDispersion && [d.rateBlock, d.blocks, d.blockN, d.blockExpected, d.blockTicks].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      view.rateBlock = d.rateBlock!;
      view.blocks = d.blocks!;
      view.blockN = d.blockN!;
      view.blockExpected = d.blockExpected!;
      view.blockTicks = d.blockTicks!;
    }
    const r = s.run;
    this.runReport = null;
    this.run = r && [r.sinceMs, r.observed, r.expected, r.seconds].every((x) => typeof x === 'number' && Number.isFinite(x)) ? { sinceMs: r.sinceMs, observed: r.observed, expected: r.expected, seconds: r.seconds } : null;
    const recentOk = (a: unknown) => Array.isArray(a) && a.length <= RECENT_TICKS && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (this.run && r && recentOk(r.recentObserved) && recentOk(r.recentExpected) && r.recentObserved!.length === r.recentExpected!.length) {
      this.run.recentObserved = [...r.recentObserved!];
      this.run.recentExpected = [...r.recentExpected!];
      this.run.risingSinceMs = typeof r.risingSinceMs === 'number' && Number.isFinite(r.risingSinceMs) ? r.risingSinceMs : 0;
      // failureTicks: ticks since the alarm, or −k for k ticks held before it (see FailureRun).
      const ticksOk = typeof r.failureTicks === 'number' && Number.isFinite(r.failureTicks) && (r.failureTicks >= 0 || Number.isInteger(r.failureTicks));
      if (ticksOk && [r.failureObserved, r.failureExpected].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
        Object.assign(this.run, { failureObserved: r.failureObserved, failureExpected: r.failureExpected, failureTicks: r.failureTicks });
      }
    }
    // Ticks on probation: what fits of them (a changed tick size keeps the newest).
    const fields = Array.isArray(s.probation) && s.probation.length % P_FIELDS === 0 && s.probation.every((x) => x === null || typeof x === 'number') ? s.probation : [];
    const times = Array.isArray(s.probationTimes) && s.probationTimes.length === fields.length / P_FIELDS && s.probationTimes.every((x) => typeof x === 'number' && Number.isFinite(x)) ? s.probationTimes : [];
    const p = times.length > 0 ? fields : [];
    const capacity = this.probationCapacity;
    const entries = Math.min(p.length / P_FIELDS, capacity);
    const skip = p.length / P_FIELDS - entries;
    for (let i = skip * P_FIELDS; i < p.length; i++) this.floats[this.f + i - skip * P_FIELDS] = p[i] ?? Number.NaN;
    this.doubles.set(times.slice(skip), this.base + PROBATION_TIMES_AT);
    this.probationStart = 0;
    this.probationSize = entries | 0;
    this.wasRatioAlarm = this.alarmed(ERRORS) || this.alarmed(FUNNEL);
    this.wasRateAlarm = this.alarmed(SPIKE) || this.alarmed(DROP);
    // A snapshot from before the profile existed restores without one: the profile starts to learn.
    if (s.profile !== undefined) this.profile.restore(s.profile);
    this.rateLearntAtMs = typeof s.rateLearntAtMs === 'number' && Number.isFinite(s.rateLearntAtMs) ? s.rateLearntAtMs : Number.NaN;
    this.levelMode = 0;
    // A snapshot from before the tail record (or a broken one) restores with an empty record: it learns anew.
    this.tailDayNow = restoreTail(this.shorts, this.floats, s.tail, this.tickValuesAt, this.tailCountsAt);
    this.staleTailSummaries();
    this.lastEvidence = typeof s.lastEvidence === 'number' && s.lastEvidence >= 0 ? s.lastEvidence : 0;
    this.scoreRecord = typeof s.scoreRecord === 'number' && s.scoreRecord >= 0 && s.scoreRecord <= 1 ? s.scoreRecord : 0;
    // A snapshot from before episodes restores outside one.
    this.scoreEpisode = typeof s.scoreEpisode === 'number' && s.scoreEpisode >= 0 && s.scoreEpisode <= 1 ? s.scoreEpisode : 0;
    // A snapshot from before the news time restores with none: the slow view's next rise may be news.
    this.scoreNewsAtMs = typeof s.scoreNewsAtMs === 'number' && Number.isFinite(s.scoreNewsAtMs) ? s.scoreNewsAtMs : Number.NEGATIVE_INFINITY;
    // The drift and its tail restore together or not at all (a snapshot from before them learns anew).
    const driftDay = restoreTail(this.shorts, this.floats, s.driftTail, this.driftValuesAt, this.tailCountsAt + TAIL_DAYS);
    if (!(driftDay === this.tailDayNow && restoreDrift(this.floats, s.drift, this.driftAt))) {
      clearTail(this.shorts, this.floats, this.driftValuesAt, this.tailCountsAt + TAIL_DAYS);
      clearDrift(this.floats, this.driftAt);
    }
    // A snapshot from before the bursts (or a broken one) restores with none remembered.
    this.bursts = restoreBursts(s.errorBursts);
    return true;
  }

  /**
   * Judges one tick. The evaluations returned are the detector's own, rewritten by its next
   * observe: copy what must outlive the tick.
   */
  observe(sample: SignalSample, timeMs: number, deployWindow = false): Evaluation[] {
    const n = sample.requests * this.seconds;
    const out = this.evaluations;
    if (!(n >= 0)) {
      // No data: no evidence either way, nothing learnt, every check keeps its state.
      breakLateShare(this.dispersion);
      breakLagOne(this.dispersion);
      unknown(this.spikeEval, sample.requests, 'no data');
      unknown(this.dropEval, sample.requests, 'no data');
      if (this.errorsEval) unknown(this.errorsEval, Number.NaN, 'no data');
      if (this.funnelEval) unknown(this.funnelEval, Number.NaN, 'no data');
      this.lastScore = Number.NaN;
      // No rate or error residual is read across a gap.
      this.dispersion.ratePrevN = this.dispersion.errorsPrevK = Number.NaN;
      return out;
    }
    // Median and MAD once per tick: they are the hot path at 100k series.
    const rateReady = this.ready(this.rate);
    if (rateReady) this.rateStats(timeMs);
    const baselineCount = rateReady ? Math.exp(rateStatsNow[RATE_MEDIAN]!) * this.seconds : Number.NaN;
    const baselineSigma = rateReady ? rateStatsNow[RATE_SIGMA]! : Number.NaN;
    const baselineError = rateReady ? rateStatsNow[RATE_MEDIAN_ERROR]! : 0;
    residual.rate = residual.errors = residual.funnel = Number.NaN;
    const c = this.doubles;
    const b = this.base;
    const ratioEvidenceBefore = c[b + ERRORS + CHECK_SMALL]! + c[b + FUNNEL + CHECK_SMALL]!;
    this.judgeRate(sample.requests, n, baselineCount, baselineSigma);
    const previousN = this.dispersion.ratePrevN;
    this.dispersion.ratePrevN = n;
    const errors = this.errorsEval ? this.judgeErrors(this.errorsEval, sample.errors * this.seconds, n, baselineCount, timeMs, deployWindow, previousN) : undefined;
    const funnel = this.funnelEval ? this.judgeFunnel(this.funnelEval, sample.downstream * this.seconds, n, baselineCount, previousN) : undefined;
    this.followRun(n, baselineCount, baselineError, timeMs, out, errors, funnel, Math.sign(c[b + ERRORS + CHECK_SMALL]! + c[b + FUNNEL + CHECK_SMALL]! - ratioEvidenceBefore));
    this.learn(sample, n, baselineCount, timeMs, errors, funnel);
    if (this.ctx.anomalyScores !== false) this.score(out, timeMs, n);
    else this.lastScore = Number.NaN;
    // Read within this tick only: kept, it would hold this detector (and through its context the
    // pipeline's every region) after a reload let the pipeline go.
    profileRead.of = undefined;
    return out;
  }

  /**
   * The tick's anomaly score: its surprise read through the series' own tail (the model's while the
   * tail is young), V* / (V* + SCORE_SCALE_NATS), or the slow view's drift read through its own tail
   * the same way, whichever is larger, weighed against the repeat record. Scored before this tick is learnt into
   * the tails: a tick is judged by what came before it. O(tail record).
   */
  private score(out: readonly Evaluation[], timeMs: number, n: number): void {
    const tick = tickSurprise(out, this.lastEvidence, surpriseScratch);
    this.lastEvidence = tick.evidence;
    const drift = driftSurprise(this.drift(timeMs, n));
    if (Number.isNaN(tick.nats)) {
      this.lastScore = Number.NaN;
      return;
    }
    const day = tailDay(timeMs);
    if (!(day <= this.tailDayNow)) {
      advanceTail(this.shorts, this.floats, this.tailDayNow, day, this.tickValuesAt, this.tailCountsAt);
      advanceTail(this.shorts, this.floats, this.tailDayNow, day, this.driftValuesAt, this.tailCountsAt + TAIL_DAYS);
      this.tailDayNow = day;
      this.staleTailSummaries();
    }
    const c = this.doubles;
    const b = this.base;
    if (Number.isNaN(c[b + TICK_TAIL_AT]!)) summariseTail(this.shorts, this.floats, this.tickValuesAt, this.tailCountsAt, c, b + TICK_TAIL_AT);
    const tail = summarisedTailSurprise(this.floats, tick.nats, this.tailCountsAt, c, b + TICK_TAIL_AT);
    const tickScore = Number.isNaN(tail) ? anomalyScore(out) : tailScore(tail);
    let score = tickScore;
    if (!Number.isNaN(drift)) {
      if (Number.isNaN(c[b + DRIFT_TAIL_AT]!)) summariseTail(this.shorts, this.floats, this.driftValuesAt, this.tailCountsAt + TAIL_DAYS, c, b + DRIFT_TAIL_AT);
      const driftTail = summarisedTailSurprise(this.floats, drift, this.tailCountsAt + TAIL_DAYS, c, b + DRIFT_TAIL_AT);
      if (!Number.isNaN(driftTail)) score = Math.max(score, tailScore(driftTail));
      if (learnTail(this.shorts, this.floats, this.tailDayNow, drift, this.driftValuesAt, this.tailCountsAt + TAIL_DAYS)) c[b + DRIFT_TAIL_AT] = Number.NaN;
    }
    repeatScratch.record = this.scoreRecord;
    repeatScratch.episode = this.scoreEpisode;
    repeatScratch.newsAtMs = this.scoreNewsAtMs;
    this.lastScore = weighRepeat(score, repeatScratch, this.recordDecay, tickScore, timeMs, DRIFT_TIME_CONSTANT_MS);
    this.scoreRecord = repeatScratch.record;
    this.scoreEpisode = repeatScratch.episode;
    this.scoreNewsAtMs = repeatScratch.newsAtMs;
    if (learnTail(this.shorts, this.floats, this.tailDayNow, tick.nats, this.tickValuesAt, this.tailCountsAt)) c[b + TICK_TAIL_AT] = Number.NaN;
  }

  /** Marks both tail records' summaries to be read again (their records changed beyond a kept value). */
  private staleTailSummaries(): void {
    this.doubles[this.base + TICK_TAIL_AT] = this.doubles[this.base + DRIFT_TAIL_AT] = Number.NaN;
  }

  /**
   * The slow view's z this tick (level-drift.ts): the tick's log-rate less the weekly profile now,
   * averaged over about two hours; NaN while the profile cannot say or the drift warms up.
   */
  private drift(timeMs: number, n: number): number {
    // The rate's expectation read the profile at this time already, unless the tick's learning changed it since.
    const profile = profileRead.of === this && profileRead.atMs === timeMs && profileRead.changes === this.profile.changes ? profileRead.value : this.profile.valueAt(timeMs);
    if (!Number.isFinite(profile)) return Number.NaN;
    return updateDrift(this.floats, Math.log(Math.max(n, 0.5) / this.seconds) - profile, this.ctx.intervalMs, this.driftAt);
  }

  /**
   * Learns one past request rate (per second, standing for `spanMs` around `timeMs`) into the
   * weekly profile alone: a warm start from history older than the trailing window. Whether that
   * history was healthy is unknown, so each value is winsorised at 1 nat from what the slot held.
   * Returns whether there was a rate to learn (missing data teaches nothing).
   */
  learnProfile(timeMs: number, requestsPerSecond: number, spanMs: number): boolean {
    if (!(requestsPerSecond >= 0)) return false;
    this.profile.learn(timeMs, Math.log(Math.max(requestsPerSecond, 1e-3)), spanMs, 1);
    return true;
  }

  /**
   * The expected log-rate at `timeMs` and the σ of one tick's log-rate: the profile's value now plus
   * the window's deseasonalised median (its MAD the spread); the plain trailing median and MAD while
   * the profile cannot say. Written to rateStatsNow (no object a tick).
   */
  private rateStats(timeMs: number): void {
    const mode = Number.isNaN(this.rateLearntAtMs) ? 0 : this.profile.mode(timeMs);
    const now = mode === 0 ? Number.NaN : this.profile.valueAt(timeMs);
    if (mode !== 0) {
      profileRead.of = this;
      profileRead.atMs = timeMs;
      profileRead.changes = this.profile.changes;
      profileRead.value = now;
    }
    if (Number.isNaN(now)) return this.trailingRateStats();
    const hour = Math.floor(timeMs / 3_600_000);
    if (this.levelMode !== mode || this.levelBuckets !== this.rate.buckets || this.levelHour !== hour || Number.isNaN(this.levelMedian)) {
      this.levelHour = hour;
      this.refreshLevel(timeMs, mode);
    }
    if (Number.isNaN(this.levelMedian)) return this.trailingRateStats();
    // The level's median is over the window's buckets: its standard error as RobustBaseline's.
    rateStatsNow[RATE_MEDIAN_ERROR] = (MEDIAN_ERROR_FACTOR * this.levelSigma) / Math.sqrt(this.bucketTicks * Math.max(1, this.levelBuckets));
    rateStatsNow[RATE_MEDIAN] = this.levelMedian + now;
    rateStatsNow[RATE_SIGMA] = this.levelSigma;
  }

  /** The rate window's plain trailing median, σ and median error, as rateStats writes them. */
  private trailingRateStats(): void {
    rateStatsNow[RATE_MEDIAN] = this.rate.median;
    rateStatsNow[RATE_SIGMA] = this.rate.sigma;
    rateStatsNow[RATE_MEDIAN_ERROR] = this.rate.medianError;
  }

  /**
   * The window's buckets less the profile at each bucket's time (they are contiguous, ending at the
   * last learnt tick), their median and scaled MAD. Once a minute (a bucket completes) and at every
   * hour: O(window) reads of the profile, no allocation. The differences are taken in the order of
   * the window's values, which a profile that moves little within the window's hour leaves nearly
   * sorted: an insertion sort then moves few of them.
   */
  private refreshLevel(asOfMs: number, mode: 0 | 1 | 2): void {
    const count = this.rate.buckets;
    if (levelScratch.length < count) {
      levelScratch = new Float64Array(2 * count);
      profileScratch = new Float64Array(2 * count);
      ageScratch = new Uint8Array(2 * count);
    }
    const ascending = this.rate.copyAscending(levelScratch, ageScratch) === count;
    if (!ascending) this.rate.copyValues(levelScratch);
    const spanMs = this.bucketTicks * this.ctx.intervalMs;
    // Ages count from the oldest: the newest bucket (age count − 1) is centred at lastCentreMs.
    const lastCentreMs = this.rateLearntAtMs - (spanMs - this.ctx.intervalMs) / 2;
    this.profile.valuesAlong(lastCentreMs, spanMs, count, asOfMs, profileScratch);
    let n = 0;
    for (let i = 0; i < count; i++) {
      const p = profileScratch[ascending ? ageScratch[i]! : i]!;
      if (Number.isFinite(p)) levelScratch[n++] = levelScratch[i]! - p;
    }
    this.levelMode = mode;
    // An integer as an integer: a count read from a Float32 header, stored as it came, makes the
    // field a double's, a number object of its own in every detector (16 bytes a series).
    this.levelBuckets = count | 0;
    if (n < MIN_BASELINE_BUCKETS) {
      this.levelMedian = this.levelSigma = Number.NaN;
      return;
    }
    const d = levelScratch;
    if (ascending) insertionSort(d, n);
    else d.subarray(0, n).sort();
    const median = sortedMedian(d, n);
    this.levelMedian = median;
    this.levelSigma = MAD_TO_SIGMA * Math.sqrt(this.bucketTicks) * sortedMedianDeviation(d, n, median);
  }

  /** Extends (or starts, or ends) the failure run, and reports it on the rate evaluations. */
  private followRun(n: number, expected: number, baselineError: number, timeMs: number, out: Evaluation[], errors: Evaluation | undefined, funnel: Evaluation | undefined, evidenceMoved: number): void {
    const c = this.doubles;
    const b = this.base;
    const gathering = this.alarmed(ERRORS) || this.alarmed(FUNNEL) || c[b + ERRORS + CHECK_SMALL]! + c[b + ERRORS + CHECK_LARGE]! + c[b + FUNNEL + CHECK_SMALL]! + c[b + FUNNEL + CHECK_LARGE]! > 0;
    if (!gathering || Number.isNaN(expected)) {
      if (!gathering && this.run !== null) {
        spareRun(this.run, this.runReport);
        this.run = null;
        this.runReport = null;
      }
      return;
    }
    const run = (this.run ??= takeRun(timeMs));
    if (run.seconds * 1000 >= RUN_MEMORY_MS) {
      // Beyond the memory, older ticks fade: the multiplier follows a storm that grows or ebbs.
      const keep = 1 - this.ctx.intervalMs / RUN_MEMORY_MS;
      run.observed *= keep;
      run.expected *= keep;
      run.seconds *= keep;
      if (run.failureTicks !== undefined && run.failureTicks * this.ctx.intervalMs >= RUN_MEMORY_MS) {
        run.failureObserved! *= keep;
        run.failureExpected! *= keep;
        run.failureTicks *= keep;
      }
    }
    run.observed += n;
    run.expected += expected;
    run.seconds += this.seconds;
    const recentObserved = (run.recentObserved ??= []);
    const recentExpected = (run.recentExpected ??= []);
    run.risingSinceMs ??= 0;
    if (evidenceMoved > 0 && run.risingSinceMs === 0) run.risingSinceMs = timeMs;
    else if (evidenceMoved < 0) run.risingSinceMs = 0;
    recentObserved.push(n);
    recentExpected.push(expected);
    if (recentObserved.length > RECENT_TICKS) {
      recentObserved.shift();
      recentExpected.shift();
    }
    const alarmed = this.alarmed(ERRORS) || this.alarmed(FUNNEL);
    // Ticks held before the alarm (see FailureRun): failureTicks 0 is one, −k is k.
    const held = run.failureTicks === undefined || run.failureTicks > 0 ? 0 : Math.max(1, -run.failureTicks);
    let began = false;
    if (run.failureTicks === undefined || held > 0) {
      if (alarmed) {
        began = true;
        // The failure begins: at the first held tick, if there is one.
        if (held === 0) {
          run.failureObserved = 0;
          run.failureExpected = 0;
        }
        run.failureTicks = held;
      } else if (mostlyLost(errors, funnel) || (held > 0 && !(n > 0))) {
        // Not alarmed yet. A fault that begins inside a tick often fails too few of its requests
        // to alarm, yet more than half; and when the two hops are scraped apart, the evidence of
        // a total break takes a few ticks (count-evidence.ts, additiveQuasiLLR). Such ticks are
        // held (not yet reported) as the failure's first, in case a later one alarms, and so is a
        // silent tick between them (a stalling pool sends nothing). A closed pool's first retries
        // are timed from the fault, not from the alarm (assess.ts, MIN_RISE_SECONDS).
        run.failureObserved = (held > 0 ? run.failureObserved! : 0) + n;
        run.failureExpected = (held > 0 ? run.failureExpected! : 0) + expected;
        run.failureTicks = held > 0 ? -(held + 1) : 0;
      } else if (held > 0) {
        // Undefined, not deleted: a deleted field turns the object into a dictionary.
        run.failureObserved = undefined;
        run.failureExpected = undefined;
        run.failureTicks = undefined;
      }
    }
    if (run.failureTicks !== undefined && (run.failureTicks > 0 || alarmed)) {
      run.failureObserved! += n;
      run.failureExpected! += expected;
      run.failureTicks += 1;
    }
    if (began && run.risingSinceMs > run.sinceMs) this.restartRun(run, timeMs);
    const spike = out.find((e) => e.kind === 'rate_spike');
    if (!spike || spike.status === 'unknown') return;
    // The tick's σ of log count is √(φ/expected); over the run, √(φ/Σexpected), with the φ of
    // several ticks together once the run is that long. The checks' φ (the larger estimate, bounded
    // above) bounds the run's σ and the amplification interval, and reads a fall: a lull of lumpy
    // traffic must not call a storm a stalled pool. A rise of the last ticks or of the failure so far
    // is read through the likelier φ, pooled from both estimates (pooled-dispersion.ts), once enough
    // ticks were seen: it only says which kind the failure is, after MIN_RISE_SECONDS of it.
    const tickPhi = spike.sigma * spike.sigma * expected;
    const d = this.dispersion;
    const risePhi = d.ticks >= this.params.minBaselinePoints ? Math.min(tickPhi, pooledDispersion(Math.max(rateStatsNow[RATE_SIGMA]!, MIN_LOG_RATE_SIGMA) ** 2 * expected, this.rate.buckets, d.rate, d.ticks)) : tickPhi;
    const recentN = sumOf(recentObserved);
    const recentE = sumOf(recentExpected);
    const report = (this.runReport ??= spareReports.pop() ?? new RunSummary());
    setWindow(report.recent, recentN / recentE, this.runSigma(recentObserved.length, recentE, tickPhi, baselineError), this.runSigma(recentObserved.length, recentE, risePhi, baselineError), recentObserved.length * this.seconds);
    // Since the failure's onset the counting noise of the mean shrinks as 1/√ticks: the longer a
    // failure lasts, the surer its direction (the baseline's own error stays: it is the same for every tick).
    const failure = report.failureAs(run.failureTicks !== undefined && run.failureTicks > 0);
    if (failure) {
      const failureTicks = Math.round(run.failureTicks!);
      setWindow(failure, run.failureObserved! / run.failureExpected!, this.runSigma(failureTicks, run.failureExpected!, tickPhi, baselineError), this.runSigma(failureTicks, run.failureExpected!, risePhi, baselineError), run.failureTicks! * this.seconds);
    }
    report.sinceMs = run.sinceMs;
    report.multiplier = run.observed / run.expected;
    report.logSigma = this.runSigma(Math.round(run.seconds / this.seconds), run.expected, tickPhi, baselineError);
    report.seconds = run.seconds;
    for (const e of out) if (e.kind === 'rate_spike' || e.kind === 'rate_drop') e.run = report;
  }

  /**
   * The σ of log count over `ticks` ticks expecting `expectedSum` requests: counting noise averages
   * out over the run; demand's own wobble does not (it is slow): a floor. The baseline's own
   * uncertainty (a short one is a guess) adds to the run's counting noise.
   */
  private runSigma(ticks: number, expectedSum: number, phi: number, baselineError: number): number {
    return Math.max(Math.sqrt(this.runDispersion(ticks, phi) / expectedSum + baselineError * baselineError), MIN_LOG_RATE_SIGMA);
  }

  /**
   * The run's change-point is where the evidence last left zero. When the two hops are scraped
   * apart, completions counted a tick late keep it above zero for many healthy ticks, and a
   * failure read from there would start too early and too low (its multiplier diluted, the
   * clients' retry ramp misplaced). So when the failure alarms, the run restarts at the first tick
   * of the evidence's last rise: a fault that began inside the tick before the failure's first
   * mostly lost one raised the evidence there, and stays in. Called on the alarm's tick, whose
   * counts are in the run; the ticks since the restart point are summed from the last RECENT_TICKS
   * (or are the failure's own, when those reach as far back): otherwise the run is kept.
   */
  private restartRun(run: FailureRun, timeMs: number): void {
    const fromMs = run.risingSinceMs!;
    const ticks = Math.round((timeMs - fromMs) / this.ctx.intervalMs) + 1;
    const recent = run.recentObserved!;
    if (ticks <= recent.length) {
      run.observed = run.expected = 0;
      for (let i = recent.length - ticks; i < recent.length; i++) {
        run.observed += recent[i]!;
        run.expected += run.recentExpected![i]!;
      }
    } else if (run.failureTicks === ticks) {
      run.observed = run.failureObserved!;
      run.expected = run.failureExpected!;
    } else return;
    run.sinceMs = fromMs;
    run.seconds = ticks * this.seconds;
  }

  /**
   * The tick-level dispersion of an input, once enough healthy ticks were seen to trust it: its
   * upper confidence bound, so that a short calm history does not make lumpy traffic look certain.
   */
  private tickDispersion(learnt: number): number {
    const d = this.dispersion;
    return d.ticks >= this.params.minBaselinePoints ? dispersionUpperBound(learnt, d.ticks) : 1;
  }

  /** Adds a tick's squared residuals (the rate's tick to tick, the ratios' Pearson; NaN where it has none), each winsorised, to the dispersion estimates. */
  private learnDispersion(rate: number, errors: number, funnel: number, n: number, expected: number): void {
    const d = this.dispersion;
    d.ticks = Math.min(d.ticks + 1, this.dispersionWindow);
    const alpha = 1 / d.ticks;
    // One tick of a level shift (or the first after an alarm), or of a counter misread (a page cut
    // short: 48 completions a request), is one residual in a thousand, not the mean's to carry.
    const trusted = d.ticks > this.params.minBaselinePoints;
    const r = winsorisedResidual(rate, d.rate, trusted);
    const re = winsorisedResidual(errors, d.errors, trusted);
    if (Number.isFinite(r)) d.rate += alpha * (r - d.rate);
    if (Number.isFinite(re)) d.errors += alpha * (re - d.errors);
    // The funnel's residuals by their own count: its baseline fills after the rate's, and its first
    // residuals averaged as if `ticks` calm ones came before them left φ near 1 for hundreds of
    // ticks (see funnelTickDispersion).
    if (Number.isFinite(funnel)) {
      const rf = winsorisedResidual(funnel, d.funnel, d.funnelTicks >= this.params.minBaselinePoints);
      d.funnelTicks = Math.min(d.funnelTicks + 1, this.dispersionWindow);
      d.funnel += (rf - d.funnel) / d.funnelTicks;
    }
    if (!(n >= 0 && expected > 0)) return;
    d.blockN = orZero(d.blockN) + n;
    d.blockExpected = orZero(d.blockExpected) + expected;
    d.blockTicks = orZero(d.blockTicks) + 1;
    if (d.blockTicks < RUN_BLOCK_TICKS) return;
    const residual = ((d.blockN - d.blockExpected) * (d.blockN - d.blockExpected)) / d.blockExpected;
    d.blocks = Math.min(orZero(d.blocks) + 1, Math.max(MIN_RUN_BLOCKS, Math.round(this.dispersionWindow / RUN_BLOCK_TICKS)));
    d.rateBlock = orZero(d.rateBlock) + (residual - orZero(d.rateBlock)) / d.blocks;
    d.blockN = d.blockExpected = d.blockTicks = 0;
  }

  /** A block is consecutive healthy ticks: one that is not learnt starts it again. */
  private breakBlock(): void {
    this.dispersion.blockN = this.dispersion.blockExpected = this.dispersion.blockTicks = 0;
  }

  /** The request count's dispersion to judge a run of `ticks` ticks with (see Dispersion.rateBlock). */
  private runDispersion(ticks: number, tickPhi: number): number {
    const d = this.dispersion;
    if (ticks < RUN_BLOCK_TICKS || orZero(d.blocks) < MIN_RUN_BLOCKS || Number.isNaN(d.rateBlock)) return tickPhi;
    return Math.max(1, Math.min(tickPhi, dispersionUpperBound(d.rateBlock, d.blocks)));
  }

  /** Whether the check at `at` of the doubles is alarmed. */
  private alarmed(at: number): boolean {
    return this.doubles[this.base + at + CHECK_ALARMED] !== 0;
  }

  private ready(b: RobustBaseline): boolean {
    return b.buckets >= MIN_BASELINE_BUCKETS && b.size >= this.params.minBaselinePoints;
  }

  private judgeRate(requests: number, n: number, expected: number, baselineSigma: number): void {
    // Against the tick before, not the expectation: a median lagging a level shift is no noise
    // (stats/successive-dispersion.ts). It needs no baseline, so warming-up ticks have it too:
    // without it they were counted as learnt ticks of φ = 1, and the first judgements read gamma-mixed
    // traffic (ticks ±58 %) as Poisson's, its band ±0.09 nat, and paged an outage at a lull.
    residual.rate = successiveResidual(n, this.dispersion.ratePrevN);
    if (Number.isNaN(expected)) {
      unknown(this.spikeEval, requests, 'warming up');
      unknown(this.dropEval, requests, 'warming up');
      return;
    }
    const { spikeFactor, collapseFactor, threshold } = this.derived;
    // Quasi-Poisson: Var(count) = φ·mean, φ from the baseline's own spread of log-rate (≈ φ/mean).
    const logSigma = Math.max(baselineSigma, MIN_LOG_RATE_SIGMA);
    const tickPhi = this.tickDispersion(this.dispersion.rate);
    const phi = Math.max(1, logSigma * logSigma * expected, tickPhi);
    const w = this.weight / phi;
    // σ of one tick's log count (Poisson and demand) as evidence weighs it: what the amplification
    // model reads M through.
    const sigma = Math.sqrt(phi / Math.max(expected, 1e-9));
    // The band a healthy tick falls in: a fall inside it is no collapse (band-floor.ts). The
    // baseline's σ is its buckets' spread scaled by √(ticks a bucket), which is a tick's σ only when
    // ticks are independent; demand that wanders within minutes makes it the spread of sums of many
    // ticks (a 1 s series wobbling ±30 % a minute read ±2.4 nats, a band reaching ×0.0006, and a
    // 98 % collapse paged never). The tick's own spread is the buckets' unscaled, plus what a tick
    // adds within its bucket (the tick-to-tick dispersion): equal to σ for independent ticks.
    const bucketTicks = this.bucketTicks;
    const bandPhi = bucketTicks > 1 ? Math.max(1, (logSigma * logSigma * expected) / bucketTicks + (1 - 1 / bucketTicks) * tickPhi) : phi;
    const bandSigma = Math.sqrt(bandPhi / Math.max(expected, 1e-9));
    const spike = updateCheckAt(this.doubles, this.base + SPIKE, poissonLLR(n, expected, spikeFactor) * w, Number.NaN, threshold, RESOLVE_EVIDENCE);
    // A rate cannot collapse from nothing: when the typical bucket of the trailing window had no
    // requests (a sparse series: bursts on silence), the expectation rests on the empty bucket's
    // floor (1e-3/s), not on a rate, and each silent tick would count against it as a collapse: an
    // outage paged every few hours of healthy silence, and resolved by the next burst.
    const fromNothing = this.rate.median <= EMPTY_BUCKET_LOG_RATE;
    const fall = fallFactor(this.params.collapseFactor, collapseFactor, bandSigma);
    let dropLLR = fromNothing ? 0 : poissonLLR(n, expected, fall) * w;
    // Quasi-Poisson knows a count's variance, not its shape: on traffic whose ticks vary ±58 % a
    // tick with almost no requests adds two nats, and a 98 % collapse at 60 s ticks took up to
    // twelve minutes. Gamma-mixed counts of that variance (negative binomial, shape
    // expected/(φ − 1)) make such a tick a one-in-10⁵ event; below the collapse's indifference
    // point the larger of the two is the evidence (the factor's bisection runs only there). Only
    // where (docs/how-it-decides.md, "The silence of lumpy traffic"): counting alone bands a tick
    // above the collapse factor (silence between clumps of a thin series comes in runs); φ > 2
    // (else the tail is Poisson's, as quasi-Poisson has it); the gamma's shape is at least 1 (else
    // its mode is at zero: silent by nature); and the tick-to-tick dispersion has learnt a whole
    // window (the first minutes' reads a third of it). Quasi-Poisson's evidence is positive exactly
    // below its indifference point, so a healthy tick stops at the first test. Counting alone bands
    // a tick above the collapse factor where exp(−BAND_SIGMAS/√expected) ≥ it (band-floor.ts).
    if (dropLLR > 0 && phi > 2 && phi - 1 <= expected && this.dispersion.ticks >= this.dispersionWindow && expected * Math.log(this.params.collapseFactor) ** 2 >= BAND_SIGMAS * BAND_SIGMAS) {
      const indifference = (fall - 1) / Math.log(fall);
      dropLLR = Math.max(dropLLR, negativeBinomialLLR(n, expected, negativeBinomialFactorFor(indifference, phi - 1), expected / (phi - 1)) * this.weight);
    }
    const drop = updateCheckAt(this.doubles, this.base + DROP, dropLLR, Number.NaN, threshold, RESOLVE_EVIDENCE);
    const score = (Math.log(Math.max(n, 0.5)) - Math.log(expected)) / sigma;
    const baseline = expected / this.seconds;
    judged(this.spikeEval, spike, score, requests, baseline, sigma, undefined, evidenceAt(this.doubles, this.base + SPIKE), threshold);
    judged(this.dropEval, drop, score, requests, baseline, sigma, undefined, evidenceAt(this.doubles, this.base + DROP), threshold);
  }

  private judgeErrors(out: Evaluation, errors: number, n: number, expected: number, timeMs: number, deployWindow: boolean, previousN: number): Evaluation {
    const d = this.dispersion;
    const previousK = d.errorsPrevK;
    d.errorsPrevK = errors >= 0 ? errors : Number.NaN;
    if (!(errors >= 0)) return unknown(out, Number.NaN, 'no data');
    const ratio = n > 0 ? errors / n : Number.NaN;
    if (!this.ready(this.errorRatio) || Number.isNaN(expected)) {
      // Warming up, the ratio's dispersion is read from one tick to the next: counted among the
      // learnt ticks as φ = 1, these ticks had the first judgements read bursty errors (a tick's
      // ratio ±70 %) as binomial: 22 of 300 starts of such a route (2 % at 100 requests/s, 15 s
      // ticks) alarmed in their first hour (scripts/cold-starts.ts).
      residual.errors = successiveRatioResidual(errors, n, previousK, previousN);
      return unknown(out, ratio, n <= 0 && errors <= 0 ? 'no requests' : 'warming up');
    }
    const e0 = Math.max(0, errorBaseline(this.errorRatio, expected));
    if (n <= 0 && errors <= 0) {
      unchanged(out, this.doubles, this.base + ERRORS, e0, this.derived.threshold);
      out.reason = this.followBursts(this.alarmed(ERRORS), Number.NaN, timeMs, deployWindow) ?? out.reason;
      return out;
    }
    // The null: e0, or where errors are sparse the most the window's requests leave possible (ratio-center.ts).
    const eNull = errorNull(this.errorRatio, expected, e0);
    const indifference = Math.min(eNull + this.params.minErrorRatioIncrease, 0.99);
    const p0 = Math.min(Math.max(FAILURE_FLOOR, eNull), (eNull + indifference) / 2);
    if (p0 !== this.errorP0) {
      this.errorP0 = p0;
      this.errorP1 = binomialAlternativeFor(p0, indifference);
    }
    // Errors counted a tick after their requests (two series scraped apart) still count.
    const k = errors;
    residual.errors = n > 0 ? ((k - n * e0) * (k - n * e0)) / (n * p0 * (1 - p0)) : Number.NaN;
    const phi = Math.max(dispersion(this.errorRatio.sigma, expected, p0), this.tickDispersion(this.dispersion.errors));
    const sigma = Math.sqrt((phi * p0 * (1 - p0)) / Math.max(n, 1));
    const w = this.weight / phi;
    const alarmed = updateCheckAt(this.doubles, this.base + ERRORS, binomialLLR(k, n, p0, this.errorP1) * w, binomialLLR(k, n, p0, breakAlternative(p0)) * w, this.derived.threshold, RESOLVE_EVIDENCE);
    // The score is the deviance residual, not (ratio − e0)/σ: a few requests all failing at a 1 %
    // baseline are a rare tick, not the 10⁻⁴⁴ one a normal reading of the Pearson residual makes of
    // them (count-evidence.ts), which ranked healthy sparse series above real incidents.
    const score = binomialDevianceResidual(k, n, p0) / Math.sqrt(phi);
    const bursts = this.followBursts(alarmed, k - n * e0, timeMs, deployWindow);
    return judged(out, alarmed, score, ratio, e0, sigma, bursts, evidenceAt(this.doubles, this.base + ERRORS), this.derived.threshold);
  }

  /** Follows the error alarm through the tick (stats/error-bursts.ts): the reason it carries, held within the bursts this series has had or past them; undefined for neither. */
  private followBursts(alarmed: boolean, excess: number, timeMs: number, deployWindow: boolean): string | undefined {
    if ((!alarmed && this.bursts === null) || this.params.holdErrorBursts === false) return undefined;
    this.bursts ??= newBursts();
    const answer = followBurst(this.bursts, alarmed, evidenceAt(this.doubles, this.base + ERRORS) > 0, excess, timeMs, this.ctx.intervalMs, deployWindow);
    return answer === HELD ? HELD_BURST : answer === OUTGREW ? OUTGREW_BURSTS : undefined;
  }

  private judgeFunnel(out: Evaluation, completed: number, n: number, expected: number, previousN: number): Evaluation {
    if (!(completed >= 0)) {
      breakLateShare(this.dispersion);
      breakLagOne(this.dispersion);
      breakInFlight(this.dispersion);
      return unknown(out, Number.NaN, 'no data');
    }
    const ratio = n > 0 ? completed / n : Number.NaN;
    if (!this.ready(this.funnel) || Number.isNaN(expected)) {
      breakLateShare(this.dispersion);
      breakInFlight(this.dispersion);
      // The lag-one moments start with the baseline's first bucket (its median so far, the tick's
      // requests for the expected ones before the rate judges), so the funnel's own warm-up
      // (below) mostly falls within its baseline's.
      const c0 = this.funnel.buckets > 0 ? this.funnel.median : Number.NaN;
      if (c0 > 0) this.learnFunnelLag(n - completed / c0, expected > 0 ? expected : n, this.derived.funnelP0);
      else breakLagOne(this.dispersion);
      return unknown(out, ratio, n <= 0 && completed <= 0 ? 'no requests' : 'warming up');
    }
    const c0 = completionBaseline(this.funnel, expected);
    if (!(c0 > 0) || (n <= 0 && completed <= 0)) breakLateShare(this.dispersion);
    if (!(c0 > 0)) {
      breakLagOne(this.dispersion);
      breakInFlight(this.dispersion);
      return unknown(out, ratio, 'nothing completes at baseline');
    }
    const { funnelP0: p0, funnelP1: p1, threshold } = this.derived;
    // Requests lost, relative to what the baseline completes: signed, so completions counted a tick
    // late (two hops scraped at slightly different moments, or a tick without new requests) give
    // back what they seemed to lose. Net of those the tick's change of requests put in flight
    // (stats/in-flight-share.ts) where that explains part of it: a share still being learnt after
    // the scrape phase moved must not make a healthy tick look lost (0.4 → 0 at 5 s ticks of lumpy
    // demand alarmed 36 of 40 runs with it always taken off, none so: scripts/funnel-lumpy.ts).
    const rawLost = n - completed / c0;
    const predicted = previousN >= 0 ? inFlightShareOf(this.dispersion, MAX_IN_FLIGHT_ERROR) * (n - previousN) : 0;
    const inFlight = Math.abs(rawLost - predicted) < Math.abs(rawLost) ? predicted : 0;
    const lost = rawLost - inFlight;
    residual.funnel = n > 0 ? (lost * lost) / (n * p0 * (1 - p0)) : Number.NaN;
    if (this.dispersion.lagTicks < MIN_BASELINE_BUCKETS) {
      // The funnel's own warm-up: its first ticks teach the lag-one moments at once (nothing is
      // judged yet, so nothing is building), and they are its dispersion until its residuals,
      // learnt after probation, are enough (funnelTickDispersion).
      this.learnFunnelLag(lost, expected, p0);
      if (this.alarmed(ERRORS)) breakLateShare(this.dispersion);
      else if (n > 0 || completed > 0) learnLateShare(this.dispersion, n, rawLost, this.dispersionWindow);
      learnInFlight(this.dispersion, n, rawLost, this.inFlightMemory);
      return unknown(out, ratio, 'warming up');
    }
    if (n <= 0 && completed <= 0) {
      // Nothing sent and nothing completed: nothing lost, nothing in flight.
      this.learnFunnelLag(0, expected, p0);
      learnInFlight(this.dispersion, 0, 0, this.inFlightMemory);
      return unchanged(out, this.doubles, this.base + FUNNEL, c0, threshold);
    }
    const relSigma = this.funnel.sigma / c0;
    const phi = Math.max(dispersion(relSigma, expected, p0), this.funnelTickDispersion());
    // The funnel's excess over binomial is mostly additive: requests in flight between the two
    // hops' scrapes, whether the downstream completes them or not (count-evidence.ts). It is a
    // share of the traffic, so it falls with the square of a tick's requests (stats/funnel-excess.ts).
    const extra = (phi - 1) * p0 * (1 - p0) * excessShareAt(n, previousN, expected);
    // Weighed against the null: c0, or where losses are sparse the least the window's requests
    // leave possible (ratio-center.ts); the residuals above stay with the estimate.
    const lostNull = n - completed / completionNull(this.funnel, expected, c0) - inFlight;
    const small = additiveQuasiLLR(lostNull, n, p0, p1, extra) * this.weight;
    const large = additiveQuasiLLR(lostNull, n, p0, breakAlternative(p0), extra) * this.weight;
    // While alarmed, health is weighed as a run of ticks is (see funnelRunDispersion), and must
    // exceed what one run end's requests in flight could show besides.
    let healthLLR = small;
    let resolveAt = RESOLVE_EVIDENCE;
    const runPhi = this.alarmed(FUNNEL) ? this.funnelRunDispersion() : phi;
    if (runPhi < phi) {
      const runExtra = (runPhi - 1) * p0 * (1 - p0);
      // A run's sum is exact but for the requests in flight at its two ends, and a health CUSUM
      // starts where it counts most for health: after a tick that lost a burst, before the tick
      // that gives it back. Health must exceed what one such end could show, the largest lost
      // count a healthy tick is learnt at (the residual's 0.999 quantile, as the dispersion caps
      // it), and no tick gives back more than that: over a long alarm some tick's burst exceeds
      // any quantile, and a partial failure's health, held at zero, would clear on it.
      const endLost = Math.sqrt(WINSOR_CHI2 * Math.max(1, this.dispersion.lag0) * expected * p0 * (1 - p0));
      healthLLR = additiveQuasiLLR(Math.max(lostNull, -endLost), n, p0, p1, runExtra) * this.weight;
      // n = 0: the ratio's slope alone, the evidence of endLost requests.
      resolveAt += additiveQuasiLLR(endLost, 0, p0, p1, runExtra) * this.weight;
    }
    const alarmed = updateCheckAt(this.doubles, this.base + FUNNEL, small, large, threshold, resolveAt, healthLLR);
    this.learnFunnelLag(lost, expected, p0);
    const sigma = c0 * Math.sqrt((phi * p0 * (1 - p0)) / Math.max(n, 1));
    // Healthy ticks teach the share of completions counted a tick late (the failing share of a
    // failure's first tick is read net of it: ramp-fit.ts).
    if (alarmed || this.alarmed(ERRORS)) breakLateShare(this.dispersion);
    else learnLateShare(this.dispersion, n, rawLost, this.dispersionWindow);
    // The in-flight share learns on every tick, alarmed or not (stats/in-flight-share.ts).
    learnInFlight(this.dispersion, n, rawLost, this.inFlightMemory);
    // Scored as the errors are (the deviance residual of the requests lost), negative for a loss.
    judged(out, alarmed, -binomialDevianceResidual(lost, n, p0) / Math.sqrt(phi), ratio, c0, sigma, undefined, evidenceAt(this.doubles, this.base + FUNNEL), threshold);
    out.lateShare = lateShareOf(this.dispersion) ?? Number.NaN;
    return out;
  }


  /**
   * Ticks the in-flight share remembers: a twelfth of the dispersion's window (five minutes of an
   * hour's), and at least MIN_IN_FLIGHT_TICKS.
   */
  private get inFlightMemory(): number {
    return Math.max(this.dispersionWindow / IN_FLIGHT_MEMORY_SHARE, MIN_IN_FLIGHT_TICKS);
  }

  /**
   * The funnel's tick dispersion: its residuals' upper bound once minBaselinePoints were learnt, and
   * before that the lag-one moments' γ₀ (the same squared residual, learnt at once from the funnel's
   * first ticks: judgeFunnel). Residuals wait on probation and a raised alarm voids them, so a
   * funnel judged with φ = 1 at a few requests a tick, its hops scraped apart, alarmed on the first
   * build counted a tick late, voided what would have taught it, and alarmed again: on a fresh
   * start at 4 requests/s, 97 of 140 simulated runs raised false funnel alarms and 14 were still
   * alarmed 45 minutes later (docs/known-limits.md, "Found by trying it…").
   */
  private funnelTickDispersion(): number {
    const d = this.dispersion;
    const min = this.params.minBaselinePoints;
    if (d.funnelTicks >= min) return dispersionUpperBound(d.funnel, d.funnelTicks);
    return dispersionUpperBound(Math.max(1, d.lag0), d.lagTicks);
  }

  /**
   * The funnel's dispersion for evidence summed over a run of ticks: the long-run dispersion of its
   * lost counts (stats/lag-one-dispersion.ts), its upper confidence bound, once enough ticks were
   * learnt (infinite before: the tick's is used, judgeFunnel takes the lower). Completions counted a tick late raise the tick's dispersion
   * a hundredfold at a few requests a tick, and cancel over a run: weighed tick by tick, the
   * evidence of health after a fault grew by a thousandth of a nat a tick and the alarm never
   * cleared (docs/known-limits.md, "Found by trying it…").
   */
  private funnelRunDispersion(): number {
    const d = this.dispersion;
    if (!(d.lagTicks >= this.params.minBaselinePoints)) return Number.POSITIVE_INFINITY;
    return dispersionUpperBound(longRunDispersion(d), d.lagTicks);
  }

  /**
   * Learns the funnel's lag-one moments from a tick's lost count (normalised by the binomial σ of
   * the expected requests: a tick with none sent and late completions has its residual too), on
   * the ticks the ratio baselines learn from: no alarm, no evidence of a failure building. (A
   * failure's ticks before its alarm, all lost, would add to γ₀ and γ₁ alike, and the long-run
   * dispersion is their small difference.)
   */
  private learnFunnelLag(lost: number, expected: number, p0: number): void {
    const d = this.dispersion;
    const building = this.derived.threshold * BUILDING_SHARE;
    if (this.alarmed(FUNNEL) || this.alarmed(ERRORS) || evidenceAt(this.doubles, this.base + FUNNEL) >= building || !(expected > 0)) breakLagOne(d);
    else learnLagOne(d, lost / Math.sqrt(expected * p0 * (1 - p0)), this.dispersionWindow, d.lagTicks > this.params.minBaselinePoints, WINSOR_CHI2);
  }

  /**
   * What this tick teaches the baselines. Ratios learn while neither ratio check is alarmed (a
   * broken funnel or error ratio never becomes the baseline, however long it lasts). The rate
   * learns while nothing is alarmed and no collapse is suspected (collapseSuspected), and after
   * `relearnAfter` of a rate shift alone with positive evidence of health (ratios known and
   * normal): a new level of demand, never a collapse into silence or a storm.
   */
  private learn(sample: SignalSample, n: number, expected: number, timeMs: number, errors: Evaluation | undefined, funnel: Evaluation | undefined): void {
    const ratioAlarm = this.alarmed(ERRORS) || this.alarmed(FUNNEL);
    const rateAlarm = this.alarmed(SPIKE) || this.alarmed(DROP);
    let flags = 0;
    if (!ratioAlarm) {
      // Pooled: completions of a tick without requests still belong in the bucket's ratio. Not
      // while a check's evidence of a failure is building (a quarter of the way to its alarm): a
      // regression just past what matters (3 % errors on 0.4 %), its alarm cleared by one quieter
      // tick, was learnt in 45 minutes as the new normal and never paged.
      const building = this.derived.threshold * BUILDING_SHARE;
      if (errors && hasData(errors) && !(evidenceAt(this.doubles, this.base + ERRORS) >= building)) flags |= LEARN_ERRORS;
      if (funnel && hasData(funnel) && !(evidenceAt(this.doubles, this.base + FUNNEL) >= building)) flags |= LEARN_FUNNEL;
    }
    if (!rateAlarm) this.rateShiftSinceMs = Number.NaN;
    else if (Number.isNaN(this.rateShiftSinceMs)) this.rateShiftSinceMs = timeMs;
    let learnRate = !rateAlarm && !ratioAlarm && !this.collapseSuspected();
    if (rateAlarm && !ratioAlarm && timeMs - this.rateShiftSinceMs >= this.params.relearnAfterMs) {
      const ratioChecks = [errors, funnel].filter((e): e is Evaluation => e !== undefined);
      learnRate = ratioChecks.length > 0 ? ratioChecks.every((e) => e.status === 'normal') : n > 0;
    }
    if (learnRate) flags |= LEARN_RATE;
    else if (!ratioAlarm && n >= 0 && this.ready(this.rate)) this.learnProfileOnly(n, timeMs);
    // Dispersion is learnt from fully healthy ticks only: an incident's residuals are not noise.
    if (!rateAlarm && !ratioAlarm) flags |= LEARN_DISPERSION;

    // A raised alarm voids what its onset would have taught: ticks still on probation are dropped
    // for every baseline the alarm concerns. (While an alarm lasts nothing new of that kind is
    // flagged for learning, except a rate shift relearnt after relearnAfter, which must stay.)
    if (ratioAlarm && !this.wasRatioAlarm) this.voidProbation(LEARN_ERRORS | LEARN_FUNNEL | LEARN_RATE | LEARN_DISPERSION);
    else if (rateAlarm && !this.wasRateAlarm) this.voidProbation(LEARN_RATE | LEARN_DISPERSION);
    this.wasRatioAlarm = ratioAlarm;
    this.wasRateAlarm = rateAlarm;
    // Until a baseline judges there is nothing to protect: it learns at once.
    let now = 0;
    if (!this.ready(this.errorRatio)) now |= flags & LEARN_ERRORS;
    if (!this.ready(this.funnel)) now |= flags & LEARN_FUNNEL;
    if (!this.ready(this.rate)) now |= flags & LEARN_RATE;
    if (this.dispersion.ticks < this.params.minBaselinePoints) now |= flags & LEARN_DISPERSION;
    // Written straight into the ring's next slot: no allocation per tick.
    const p = this.floats;
    const capacity = this.probationCapacity;
    if (this.probationSize === capacity) {
      this.apply(p, this.f + this.probationStart * P_FIELDS, this.doubles[this.base + PROBATION_TIMES_AT + this.probationStart]!, true);
      this.probationStart = (this.probationStart + 1) % capacity;
      this.probationSize--;
    }
    const slot = (this.probationStart + this.probationSize) % capacity;
    const at = this.f + slot * P_FIELDS;
    p[at + P_N] = n;
    p[at + P_ERRORS] = sample.errors * this.seconds;
    p[at + P_COMPLETED] = sample.downstream * this.seconds;
    p[at + P_RESID_RATE] = residual.rate;
    p[at + P_RESID_ERRORS] = residual.errors;
    p[at + P_RESID_FUNNEL] = residual.funnel;
    p[at + P_EXPECTED] = expected;
    p[at + P_FLAGS] = now;
    this.doubles[this.base + PROBATION_TIMES_AT + slot] = timeMs;
    if (now !== 0) this.apply(p, at, timeMs, false);
    p[at + P_FLAGS] = flags & ~now;
    // Nothing left to learn later and nothing before it waiting: done, the slot stays free.
    if (p[at + P_FLAGS] === 0 && this.probationSize === 0) {
      if (!(flags & LEARN_DISPERSION)) this.breakBlock();
      return;
    }
    this.probationSize++;
  }

  /**
   * Whether the evidence of a collapse is past half the threshold: under health as unlikely as the
   * square root of an alarm's probability. The rate does not learn such a tick, so a collapse whose
   * evidence builds slower than the window's median gives way (a sparse, bursty series gone silent:
   * a few tenths of a nat a tick, where half an hour of silence became the baseline and the
   * evidence stopped short of the threshold) still reaches it. A fall the drop check does not
   * accumulate (to half the level or more) is learnt as before; so is any rise: bursty series
   * rise often, and a baseline held back through each burst scored the ticks after it as news.
   */
  private collapseSuspected(): boolean {
    return evidenceAt(this.doubles, this.base + DROP) >= this.derived.threshold / 2;
  }

  private voidProbation(mask: number): void {
    const capacity = this.probationCapacity;
    for (let i = 0; i < this.probationSize; i++) {
      const at = this.f + ((this.probationStart + i) % capacity) * P_FIELDS + P_FLAGS;
      this.floats[at] = this.floats[at]! & ~mask;
    }
  }

  /**
   * Teaches the baselines one tick (fields at `at` of `data`, as its flags allow); `final` when
   * nothing more of it will be learnt, so a tick whose dispersion is not learnt ends a block.
   */
  private apply(data: ArrayLike<number>, at: number, timeMs: number, final: boolean): void {
    const flags = data[at + P_FLAGS]!;
    const n = data[at + P_N]!;
    if (flags & LEARN_ERRORS) this.errorRatio.learn(data[at + P_ERRORS]!, n);
    if (flags & LEARN_FUNNEL) this.funnel.learn(data[at + P_COMPLETED]!, n);
    if (flags & LEARN_RATE) this.learnRate(n, timeMs);
    if (flags & LEARN_DISPERSION) this.learnDispersion(data[at + P_RESID_RATE]!, data[at + P_RESID_ERRORS]!, data[at + P_RESID_FUNNEL]!, n, data[at + P_EXPECTED]!);
    else if (final) this.breakBlock();
  }

  /**
   * A tick of a rate alarm alone (no ratio alarmed) still teaches the weekly profile, winsorised at
   * 3σ of a bucket like every value it learns: a slot whose every visit alarms (its first guess was
   * wrong: a weekday's night read for a Saturday's, a ramp's early half) would otherwise never be
   * corrected and alarm every week. Such a rate moves its hour's slot by at most 3σ × the visit's
   * weight (half), once a week; the level (the trailing window) learns nothing of it, and a tick
   * with a broken funnel or failing requests teaches nothing at all (its rate may be retries).
   */
  private learnProfileOnly(n: number, timeMs: number): void {
    const sigma = this.rate.sigma / Math.sqrt(this.bucketTicks);
    this.profile.learn(timeMs, Math.log(Math.max(n / this.seconds, 1e-3)), this.ctx.intervalMs, Math.max(3 * sigma, 3 * MIN_LOG_RATE_SIGMA));
  }

  /** The rate baseline learns a tick; a completed bucket teaches the weekly profile its hour too. */
  private learnRate(n: number, timeMs: number): void {
    if (this.rate.partialTicks === 0) this.bucketStartMs = timeMs;
    const bucketValue = this.rate.learn(n, this.seconds);
    this.rateLearntAtMs = timeMs;
    if (Number.isNaN(bucketValue)) return;
    // A bucket whose ticks straddle a gap in learning (an incident between them) belongs to no one
    // hour: the baseline keeps it, the profile does not.
    if (timeMs - this.bucketStartMs >= this.bucketTicks * this.ctx.intervalMs) return;
    this.levelMode = 0;
    // The bucket's own σ is one tick's over √ticks; clipped at 3σ (at least 0.15 nats) it cannot drag a slot.
    const sigma = this.ready(this.rate) ? this.rate.sigma / Math.sqrt(this.bucketTicks) : Number.NaN;
    const clip = Number.isFinite(sigma) ? Math.max(3 * sigma, 3 * MIN_LOG_RATE_SIGMA) : 1;
    const spanMs = this.bucketTicks * this.ctx.intervalMs;
    this.profile.learn(timeMs - (spanMs - this.ctx.intervalMs) / 2, bucketValue, spanMs, clip);
  }

}

/**
 * Dispersion of a failure count against the binomial at p0: the baseline's per-tick σ of the
 * ratio, at its usual requests per tick, is a variance per request (σ²·n̄); φ is its excess over
 * p0(1−p0). At least 1: the baseline never makes evidence stronger than the binomial's.
 */
function dispersion(tickSigma: number, expectedPerTick: number, p0: number): number {
  const perRequest = tickSigma * tickSigma * expectedPerTick;
  return Math.max(1, perRequest / (p0 * (1 - p0)));
}

/** Where the drift's tail record starts in the Int16 part of the buffer: after the profile and the tick's tail record. */
const DRIFT_VALUES_AT = SLOTS_PER_WEEK + TAIL_VALUE_SLOTS;
/** Where the three windows' values start in a region's shorts: after the tail records'. */
const WINDOW_CODES_AT = SLOTS_PER_WEEK + 2 * TAIL_VALUE_SLOTS;

/**
 * The expected log-rate's median, σ and median error of the tick being observed (rateStats; one
 * thread). Slots of a typed array: a module variable holds a double boxed, a new box every store.
 */
const rateStatsNow = new Float64Array(3);
const RATE_MEDIAN = 0;
const RATE_SIGMA = 1;
const RATE_MEDIAN_ERROR = 2;

/** The profile's value last read for the rate's expectation (one thread: the same observe's drift reads it back). */
const profileRead: { of: EvidenceDetector | undefined; atMs: number; changes: number; value: number } = { of: undefined, atMs: Number.NaN, changes: -1, value: Number.NaN };

/**
 * The objects that read a detector's parts, one set per shape (a pipeline's signal context and
 * parameters): every detector of that shape re-points them at its region when it finds them pointed
 * elsewhere (one thread). A tick's `profileRead`, and anything else kept across calls, is keyed by
 * the detector, never by these objects.
 */
interface Parts {
  /** The detector they point at now. */
  at: EvidenceDetector | undefined;
  capacity: number;
  rate: RobustBaseline;
  errorRatio: RobustBaseline;
  funnel: RobustBaseline;
  profile: SeasonalProfile;
  dispersion: DispersionView;
}

/**
 * A shape's own: shared by every pipeline, the last detector they pointed at (and the region its
 * views read) outlived its pipeline, so a reload kept the old pipeline's every region.
 */
function newParts(capacity: number, bucket: number, timeZone: string | undefined): Parts {
  return {
    at: undefined,
    capacity,
    rate: new RobustBaseline(capacity, bucket, 'log-rate'),
    errorRatio: new RobustBaseline(capacity, bucket, 'ratio'),
    funnel: new RobustBaseline(capacity, bucket, 'ratio'),
    profile: new SeasonalProfile(undefined, wallClockOf(timeZone)),
    dispersion: new DispersionView(new Float64Array(DISPERSION_FIELDS), 0),
  };
}

/** What every detector of one parameter set and signal shares (EvidenceDetector.shape). */
interface Shape {
  params: DetectorParams;
  ctx: DetectorContext;
  derived: Derived;
  parts: Parts;
  /** The pool's allocator the regions come from (undefined: a buffer of their own). */
  allocator: SlabAllocator | undefined;
  seconds: number;
  weight: number;
  dispersionWindow: number;
  bucketTicks: number;
  /** The evaluations' places of the error and funnel checks (−1: the signal has none). */
  errorsIndex: number;
  funnelIndex: number;
  /** A region's layout: its bytes, the probation's ticks, where its floats start (bytes), and whether windows keep sort orders. */
  regionBytes: number;
  probationTicks: number;
  floatsAt: number;
  ordered: boolean;
  /**
   * Where its parts start, from the detector's `f` (its first float in the whole buffer's floats):
   * the windows, the tail records' day counts and the drift (floats, `f +`), the profile's slots
   * (shorts, `2f +`) and the windows' sort orders (bytes, `4f +`).
   */
  windowsAt: number;
  tailCountsAt: number;
  driftAt: number;
  shortsAt: number;
  ordersAt: number;
}

const shapes = new WeakMap<DetectorContext, Map<DetectorParams, Shape>>();

function shapeFor(params: DetectorParams, ctx: DetectorContext): Shape {
  let byParams = shapes.get(ctx);
  if (!byParams) shapes.set(ctx, (byParams = new Map()));
  let shape = byParams.get(params);
  if (shape) return shape;
  const bucket = Math.max(1, Math.round(params.baselineResolutionMs / ctx.intervalMs));
  const capacity = Math.max(MIN_BASELINE_BUCKETS, Math.ceil(params.minBaselinePoints / bucket), Math.round(params.baselineWindowMs / (ctx.intervalMs * bucket)));
  const probationTicks = Math.max(1, Math.ceil(PROBATION_MS / ctx.intervalMs));
  const probationFloats = probationTicks * P_FIELDS;
  const floatCount = probationFloats + 3 * WINDOW_HEADER_FLOATS + 2 * TAIL_DAYS + DRIFT_SLOTS;
  const shortCount = WINDOW_CODES_AT + 3 * capacity;
  const floatsAt = (PROBATION_TIMES_AT + probationTicks) * Float64Array.BYTES_PER_ELEMENT;
  const orderAt = floatsAt + floatCount * Float32Array.BYTES_PER_ELEMENT + shortCount * Int16Array.BYTES_PER_ELEMENT;
  const ordered = capacity <= MAX_ORDERED_CAPACITY;
  const regionBytes = orderAt + (ordered ? 3 * capacity : 0);
  const hasErrors = ctx.inputs.has('errors');
  shape = {
    params,
    ctx,
    derived: derive(params, ctx.intervalMs),
    parts: newParts(capacity, bucket, params.timeZone),
    allocator: ctx.regions?.allocatorFor(regionBytes),
    seconds: ctx.intervalMs / 1000,
    weight: ctx.evidenceWeight ?? 1,
    dispersionWindow: Math.max(10, Math.round(params.baselineWindowMs / ctx.intervalMs)),
    bucketTicks: bucket,
    errorsIndex: hasErrors ? 2 : -1,
    funnelIndex: ctx.inputs.has('downstream') ? (hasErrors ? 3 : 2) : -1,
    regionBytes,
    probationTicks,
    floatsAt,
    ordered,
    windowsAt: probationFloats,
    tailCountsAt: probationFloats + 3 * WINDOW_HEADER_FLOATS,
    driftAt: probationFloats + 3 * WINDOW_HEADER_FLOATS + 2 * TAIL_DAYS,
    shortsAt: 2 * floatCount,
    ordersAt: 4 * floatCount + 2 * shortCount,
  };
  byParams.set(params, shape);
  return shape;
}

/** Scratch for the deseasonalised window (one thread; grown on demand). */
let levelScratch = new Float64Array(128);

/** The profile at each bucket's time, and each sorted value's age (refreshLevel; one thread, grown with levelScratch). */
let profileScratch = new Float64Array(128);
let ageScratch = new Uint8Array(128);

/** Whether a check's input was there this tick (judged, or only warming up). */
function hasData(e: Evaluation): boolean {
  return e.reason !== 'no data' && e.reason !== 'no requests';
}

/** Rewrites `e` as this tick's evaluation (its run and late share cleared: the tick sets them). */
function judged(e: Evaluation, alarmed: boolean, score: number, observed: number, baseline: number, sigma: number, reason: string | undefined, evidence: number, threshold: number): Evaluation {
  e.status = alarmed ? 'anomalous' : 'normal';
  e.score = score;
  e.observed = observed;
  e.baseline = baseline;
  e.sigma = sigma;
  e.reason = reason;
  e.evidence = evidence;
  e.threshold = threshold;
  e.run = undefined;
  e.lateShare = Number.NaN;
  return e;
}

/**
 * A ratio check at a tick without requests: no evidence either way, so the check stays as it was
 * (an alarm stays raised while a stalled client pool sends nothing), with no ratio to show.
 */
function unchanged(e: Evaluation, checks: Float64Array, at: number, baseline: number, threshold: number): Evaluation {
  return judged(e, checks[at + CHECK_ALARMED] !== 0, Number.NaN, Number.NaN, baseline, Number.NaN, 'no requests', evidenceAt(checks, at), threshold);
}

function unknown(e: Evaluation, observed: number, reason: string): Evaluation {
  judged(e, false, Number.NaN, observed, Number.NaN, Number.NaN, reason, Number.NaN, Number.NaN);
  e.status = 'unknown';
  return e;
}
