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

import type { Evaluation, FindingKind, SignalSample } from '../core/types.js';
import type { Detector, DetectorContext } from './detector.js';
import { binomialAlternativeFor, binomialLLR, cusumThreshold, poissonFactorFor, poissonLLR } from './stats/count-evidence.js';
import { type BaselineSnapshot, RobustBaseline } from './stats/robust-baseline.js';
import { type CheckState, evidenceOf, newCheckState, updateCheck } from './stats/sequential-check.js';

export interface DetectorParams {
  /** How much history the baselines hold. */
  baselineWindowMs: number;
  /** Ticks are pooled into buckets this long (at least one tick): less memory, steadier values. */
  baselineResolutionMs: number;
  /** Ticks a baseline needs before it judges anything. */
  minBaselinePoints: number;
  /** Rate rise: evidence accumulates while requests exceed this × baseline. */
  spikeFactor: number;
  /** Rate collapse: evidence accumulates while requests are below this × baseline. */
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
}

/** Failure fractions below this are treated as counting noise, whatever the baseline says. */
export const FAILURE_FLOOR = 0.01;
/** Demand wobbles at least this much (σ of log-rate per tick) on top of Poisson noise. */
export const MIN_LOG_RATE_SIGMA = 0.05;
/** Evidence (nats) for health that clears an alarm: health 100 times likelier than the smallest failure that matters. */
export const RESOLVE_EVIDENCE = Math.log(100);
/** Buckets a baseline needs before it judges: a MAD needs a few values to mean anything. */
const MIN_BASELINE_BUCKETS = 5;
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
/** Fields of a tick on probation (see Probation). */
const P_N = 0;
const P_ERRORS = 1;
const P_COMPLETED = 2;
const P_RESID_RATE = 3;
const P_RESID_ERRORS = 4;
const P_RESID_FUNNEL = 5;
const P_FLAGS = 6;
const P_FIELDS = 8;
const P_EXPECTED = 7;
const LEARN_ERRORS = 1;
const LEARN_FUNNEL = 2;
const LEARN_RATE = 4;
const LEARN_DISPERSION = 8;

type CheckName = 'spike' | 'drop' | 'errors' | 'funnel';

/** Tick-level dispersion estimates (mean squared Pearson residual of healthy ticks) per input. */
interface Dispersion {
  rate: number;
  errors: number;
  funnel: number;
  /** Ticks averaged so far (a running mean until the window is full, then exponential). */
  ticks: number;
  /**
   * The request count's dispersion over RUN_BLOCK_TICKS consecutive healthy ticks, and how many
   * such blocks it averages. Lower than the tick's when a rate read over two scrapes counts a
   * late scrape's requests in the next tick: over a run those cancel, and the run's multiplier
   * (which decides the kind of a failure) is judged with this one.
   */
  rateBlock?: number;
  blocks?: number;
  /** The block being gathered: its requests, expected requests and ticks. */
  blockN?: number;
  blockExpected?: number;
  blockTicks?: number;
}

export interface EvidenceSnapshot {
  rate: BaselineSnapshot;
  errorRatio: BaselineSnapshot;
  funnel: BaselineSnapshot;
  checks: Record<CheckName, CheckState>;
  rateShiftSinceMs: number | null;
  dispersion?: Dispersion;
  run?: FailureRun | null;
  /** Ticks on probation, oldest first, P_FIELDS numbers each (NaN written as null). */
  probation?: (number | null)[];
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
}

/**
 * Ticks the run's recent multiplier spans. A failure's kind shows in how the rate moves now, not
 * in its first seconds: cargo's retries wait 0.5-1.5 s, so a storm starts flat or low, while a
 * closed client pool retries once and then stalls. Three ticks is the fewest a 1 s rate read over
 * two scrapes averages out on.
 */
const RECENT_TICKS = 3;

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

export class EvidenceDetector implements Detector {
  private readonly rate: RobustBaseline;
  private readonly errorRatio: RobustBaseline;
  private readonly funnel: RobustBaseline;
  private checks: Record<CheckName, CheckState> = { spike: newCheckState(), drop: newCheckState(), errors: newCheckState(), funnel: newCheckState() };
  private rateShiftSinceMs = Number.NaN;
  private dispersion: Dispersion = { rate: 1, errors: 1, funnel: 1, ticks: 0 };
  private run: FailureRun | null = null;
  /** This tick's squared Pearson residuals, learnt into `dispersion` if the tick is learnt. */
  private residual = { rate: Number.NaN, errors: Number.NaN, funnel: Number.NaN };
  /** Ticks the dispersion averages over: the baseline window. */
  private readonly dispersionWindow: number;
  private readonly derived: Derived;
  private readonly seconds: number;
  private readonly weight: number;
  /** Ticks waiting to be learnt, oldest first: a ring of P_FIELDS numbers per tick. */
  private readonly probation: Float32Array;
  private probationStart = 0;
  private probationSize = 0;
  /** The alarms of the previous tick: a newly raised one voids the probation. */
  private wasRatioAlarm = false;
  private wasRateAlarm = false;
  /** The error chart's alternative for the last baseline error ratio seen (it changes once a bucket). */
  private errorP0 = Number.NaN;
  private errorP1 = Number.NaN;

  constructor(
    private readonly params: DetectorParams,
    private readonly ctx: DetectorContext,
  ) {
    const bucket = Math.max(1, Math.round(params.baselineResolutionMs / ctx.intervalMs));
    const capacity = Math.max(MIN_BASELINE_BUCKETS, Math.ceil(params.minBaselinePoints / bucket), Math.round(params.baselineWindowMs / (ctx.intervalMs * bucket)));
    // One buffer for all three windows.
    const storage = new Float32Array(3 * capacity);
    this.rate = new RobustBaseline(capacity, bucket, 'log-rate', storage, 0);
    this.errorRatio = new RobustBaseline(capacity, bucket, 'ratio', storage, capacity);
    this.funnel = new RobustBaseline(capacity, bucket, 'ratio', storage, 2 * capacity);
    this.derived = derive(params, ctx.intervalMs);
    this.seconds = ctx.intervalMs / 1000;
    this.weight = ctx.evidenceWeight ?? 1;
    this.dispersionWindow = Math.max(10, Math.round(params.baselineWindowMs / ctx.intervalMs));
    this.probation = new Float32Array(Math.max(1, Math.ceil(PROBATION_MS / ctx.intervalMs)) * P_FIELDS);
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
      checks: structuredClone(this.checks),
      rateShiftSinceMs: Number.isNaN(this.rateShiftSinceMs) ? null : this.rateShiftSinceMs,
      dispersion: { ...this.dispersion },
      run: this.run ? structuredClone(this.run) : null,
      probation: this.probationEntries().map((x) => (Number.isFinite(x) ? x : null)),
    };
  }

  private probationEntries(): number[] {
    const capacity = this.probation.length / P_FIELDS;
    const out: number[] = [];
    for (let i = 0; i < this.probationSize; i++) {
      const at = ((this.probationStart + i) % capacity) * P_FIELDS;
      for (let f = 0; f < P_FIELDS; f++) out.push(this.probation[at + f]!);
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
      this.checks[name] = valid ? { small: c.small, large: c.large, health: c.health, alarmed: c.alarmed } : newCheckState();
    }
    this.rateShiftSinceMs = typeof s.rateShiftSinceMs === 'number' ? s.rateShiftSinceMs : Number.NaN;
    const d = s.dispersion;
    const validDispersion = d && [d.rate, d.errors, d.funnel, d.ticks].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
    this.dispersion = validDispersion ? { rate: d.rate, errors: d.errors, funnel: d.funnel, ticks: d.ticks } : { rate: 1, errors: 1, funnel: 1, ticks: 0 };
    if (validDispersion && [d.rateBlock, d.blocks, d.blockN, d.blockExpected, d.blockTicks].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      Object.assign(this.dispersion, { rateBlock: d.rateBlock, blocks: d.blocks, blockN: d.blockN, blockExpected: d.blockExpected, blockTicks: d.blockTicks });
    }
    const r = s.run;
    this.run = r && [r.sinceMs, r.observed, r.expected, r.seconds].every((x) => typeof x === 'number' && Number.isFinite(x)) ? { sinceMs: r.sinceMs, observed: r.observed, expected: r.expected, seconds: r.seconds } : null;
    const recentOk = (a: unknown) => Array.isArray(a) && a.length <= RECENT_TICKS && a.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (this.run && r && recentOk(r.recentObserved) && recentOk(r.recentExpected) && r.recentObserved!.length === r.recentExpected!.length) {
      this.run.recentObserved = [...r.recentObserved!];
      this.run.recentExpected = [...r.recentExpected!];
    }
    // Ticks on probation: what fits of them (a changed tick size keeps the newest).
    const p = Array.isArray(s.probation) && s.probation.length % P_FIELDS === 0 && s.probation.every((x) => x === null || typeof x === 'number') ? s.probation : [];
    const capacity = this.probation.length / P_FIELDS;
    const entries = Math.min(p.length / P_FIELDS, capacity);
    const skip = p.length / P_FIELDS - entries;
    this.probation.set(p.slice(skip * P_FIELDS).map((x) => (x === null ? Number.NaN : x)));
    this.probationStart = 0;
    this.probationSize = entries;
    this.wasRatioAlarm = this.checks.errors.alarmed || this.checks.funnel.alarmed;
    this.wasRateAlarm = this.checks.spike.alarmed || this.checks.drop.alarmed;
    return true;
  }

  observe(sample: SignalSample, timeMs: number): Evaluation[] {
    const { inputs } = this.ctx;
    const n = sample.requests * this.seconds;
    if (!(n >= 0)) {
      // No data: no evidence either way, nothing learnt, every check keeps its state.
      const out = [unknown('rate_spike', sample.requests, 'no data'), unknown('rate_drop', sample.requests, 'no data')];
      if (inputs.has('errors')) out.push(unknown('error_ratio', Number.NaN, 'no data'));
      if (inputs.has('downstream')) out.push(unknown('funnel_drop', Number.NaN, 'no data'));
      return out;
    }
    // Median and MAD once per tick: they are the hot path at 100k series.
    const rateStats = this.ready(this.rate) ? this.rate.stats() : undefined;
    const baselineCount = rateStats ? Math.exp(rateStats.median) * this.seconds : Number.NaN;
    this.residual.rate = this.residual.errors = this.residual.funnel = Number.NaN;
    const out: Evaluation[] = [];
    this.judgeRate(sample.requests, n, baselineCount, rateStats?.sigma ?? Number.NaN, out);
    const errors = inputs.has('errors') ? this.judgeErrors(sample.errors * this.seconds, n, baselineCount) : undefined;
    const funnel = inputs.has('downstream') ? this.judgeFunnel(sample.downstream * this.seconds, n, baselineCount) : undefined;
    if (errors) out.push(errors);
    if (funnel) out.push(funnel);
    this.followRun(n, baselineCount, rateStats?.medianError ?? 0, timeMs, out);
    this.learn(sample, n, baselineCount, timeMs, errors, funnel);
    return out;
  }

  /** Extends (or starts, or ends) the failure run, and reports it on the rate evaluations. */
  private followRun(n: number, expected: number, baselineError: number, timeMs: number, out: Evaluation[]): void {
    const { errors, funnel } = this.checks;
    const gathering = errors.alarmed || funnel.alarmed || errors.small + errors.large + funnel.small + funnel.large > 0;
    if (!gathering || Number.isNaN(expected)) {
      if (!gathering) this.run = null;
      return;
    }
    const run = (this.run ??= { sinceMs: timeMs, observed: 0, expected: 0, seconds: 0 });
    if (run.seconds * 1000 >= RUN_MEMORY_MS) {
      // Beyond the memory, older ticks fade: the multiplier follows a storm that grows or ebbs.
      const keep = 1 - this.ctx.intervalMs / RUN_MEMORY_MS;
      run.observed *= keep;
      run.expected *= keep;
      run.seconds *= keep;
    }
    run.observed += n;
    run.expected += expected;
    run.seconds += this.seconds;
    const recentObserved = (run.recentObserved ??= []);
    const recentExpected = (run.recentExpected ??= []);
    recentObserved.push(n);
    recentExpected.push(expected);
    if (recentObserved.length > RECENT_TICKS) {
      recentObserved.shift();
      recentExpected.shift();
    }
    const spike = out.find((e) => e.kind === 'rate_spike');
    if (!spike || spike.status === 'unknown') return;
    // The tick's σ of log count is √(φ/expected); over the run, √(φ/Σexpected), with the φ of
    // several ticks together once the run is that long.
    const tickPhi = spike.sigma * spike.sigma * expected;
    // Counting noise averages out over the run; demand's own wobble does not (it is slow): a floor.
    // The baseline's own uncertainty (a short one is a guess) adds to the run's counting noise.
    const sigmaOf = (ticks: number, expectedSum: number) => Math.max(Math.sqrt(this.runDispersion(ticks, tickPhi) / expectedSum + baselineError * baselineError), MIN_LOG_RATE_SIGMA);
    const recentN = recentObserved.reduce((a, b) => a + b, 0);
    const recentE = recentExpected.reduce((a, b) => a + b, 0);
    const recent = { multiplier: recentN / recentE, logSigma: sigmaOf(recentObserved.length, recentE), seconds: recentObserved.length * this.seconds };
    for (const e of out) {
      if (e.kind !== 'rate_spike' && e.kind !== 'rate_drop') continue;
      e.run = { sinceMs: run.sinceMs, multiplier: run.observed / run.expected, logSigma: sigmaOf(Math.round(run.seconds / this.seconds), run.expected), seconds: run.seconds, recent };
    }
  }

  /** The tick-level dispersion of an input, once enough healthy ticks were seen to trust it. */
  private tickDispersion(input: keyof typeof this.residual): number {
    return this.dispersion.ticks >= this.params.minBaselinePoints ? this.dispersion[input] : 1;
  }

  /** Adds a tick's squared Pearson residuals (those it has: NaN otherwise) to the dispersion estimates. */
  private learnDispersion(rate: number, errors: number, funnel: number, n: number, expected: number): void {
    const d = this.dispersion;
    d.ticks = Math.min(d.ticks + 1, this.dispersionWindow);
    const alpha = 1 / d.ticks;
    if (Number.isFinite(rate)) d.rate += alpha * (rate - d.rate);
    if (Number.isFinite(errors)) d.errors += alpha * (errors - d.errors);
    if (Number.isFinite(funnel)) d.funnel += alpha * (funnel - d.funnel);
    if (!(n >= 0 && expected > 0)) return;
    d.blockN = (d.blockN ?? 0) + n;
    d.blockExpected = (d.blockExpected ?? 0) + expected;
    d.blockTicks = (d.blockTicks ?? 0) + 1;
    if (d.blockTicks < RUN_BLOCK_TICKS) return;
    const residual = ((d.blockN - d.blockExpected) * (d.blockN - d.blockExpected)) / d.blockExpected;
    d.blocks = Math.min((d.blocks ?? 0) + 1, Math.max(MIN_RUN_BLOCKS, Math.round(this.dispersionWindow / RUN_BLOCK_TICKS)));
    d.rateBlock = (d.rateBlock ?? 0) + (residual - (d.rateBlock ?? 0)) / d.blocks;
    d.blockN = d.blockExpected = d.blockTicks = 0;
  }

  /** A block is consecutive healthy ticks: one that is not learnt starts it again. */
  private breakBlock(): void {
    this.dispersion.blockN = this.dispersion.blockExpected = this.dispersion.blockTicks = 0;
  }

  /** The request count's dispersion to judge a run of `ticks` ticks with (see Dispersion.rateBlock). */
  private runDispersion(ticks: number, tickPhi: number): number {
    const d = this.dispersion;
    if (ticks < RUN_BLOCK_TICKS || (d.blocks ?? 0) < MIN_RUN_BLOCKS || d.rateBlock === undefined) return tickPhi;
    return Math.max(1, Math.min(tickPhi, d.rateBlock));
  }

  private ready(b: RobustBaseline): boolean {
    return b.buckets >= MIN_BASELINE_BUCKETS && b.size >= this.params.minBaselinePoints;
  }

  private judgeRate(requests: number, n: number, expected: number, baselineSigma: number, out: Evaluation[]): void {
    if (Number.isNaN(expected)) {
      out.push(unknown('rate_spike', requests, 'warming up'), unknown('rate_drop', requests, 'warming up'));
      return;
    }
    const { spikeFactor, collapseFactor, threshold } = this.derived;
    // Quasi-Poisson: Var(count) = φ·mean, φ from the baseline's own spread of log-rate (≈ φ/mean).
    const logSigma = Math.max(baselineSigma, MIN_LOG_RATE_SIGMA);
    this.residual.rate = ((n - expected) * (n - expected)) / Math.max(expected, 1e-9);
    const phi = Math.max(1, logSigma * logSigma * expected, this.tickDispersion('rate'));
    const w = this.weight / phi;
    const spike = updateCheck(this.checks.spike, poissonLLR(n, expected, spikeFactor) * w, Number.NaN, threshold, RESOLVE_EVIDENCE);
    const drop = updateCheck(this.checks.drop, poissonLLR(n, expected, collapseFactor) * w, Number.NaN, threshold, RESOLVE_EVIDENCE);
    // σ of one tick's log count (Poisson and demand): what the amplification model reads M through.
    const sigma = Math.sqrt(phi / Math.max(expected, 1e-9));
    const score = (Math.log(Math.max(n, 0.5)) - Math.log(expected)) / sigma;
    const baseline = expected / this.seconds;
    out.push(
      { kind: 'rate_spike', status: spike.alarmed ? 'anomalous' : 'normal', score, observed: requests, baseline, sigma, evidence: evidenceOf(spike), threshold },
      { kind: 'rate_drop', status: drop.alarmed ? 'anomalous' : 'normal', score, observed: requests, baseline, sigma, evidence: evidenceOf(drop), threshold },
    );
  }

  private judgeErrors(errors: number, n: number, expected: number): Evaluation {
    if (!(errors >= 0)) return unknown('error_ratio', Number.NaN, 'no data');
    const ratio = n > 0 ? errors / n : Number.NaN;
    if (!this.ready(this.errorRatio) || Number.isNaN(expected)) return unknown('error_ratio', ratio, n <= 0 && errors <= 0 ? 'no requests' : 'warming up');
    const stats = this.errorRatio.stats();
    const e0 = Math.max(0, stats.median);
    if (n <= 0 && errors <= 0) return unchanged('error_ratio', this.checks.errors, e0, this.derived.threshold);
    const indifference = Math.min(e0 + this.params.minErrorRatioIncrease, 0.99);
    const p0 = Math.min(Math.max(FAILURE_FLOOR, e0), (e0 + indifference) / 2);
    if (p0 !== this.errorP0) {
      this.errorP0 = p0;
      this.errorP1 = binomialAlternativeFor(p0, indifference);
    }
    // Errors counted a tick after their requests (two series scraped apart) still count.
    const k = errors;
    this.residual.errors = n > 0 ? ((k - n * e0) * (k - n * e0)) / (n * p0 * (1 - p0)) : Number.NaN;
    const phi = Math.max(dispersion(stats.sigma, expected, p0), this.tickDispersion('errors'));
    const sigma = Math.sqrt((phi * p0 * (1 - p0)) / Math.max(n, 1));
    const w = this.weight / phi;
    const check = updateCheck(this.checks.errors, binomialLLR(k, n, p0, this.errorP1) * w, binomialLLR(k, n, p0, breakAlternative(p0)) * w, this.derived.threshold, RESOLVE_EVIDENCE);
    return { kind: 'error_ratio', status: check.alarmed ? 'anomalous' : 'normal', score: (ratio - e0) / sigma, observed: ratio, baseline: e0, sigma, evidence: evidenceOf(check), threshold: this.derived.threshold };
  }

  private judgeFunnel(completed: number, n: number, expected: number): Evaluation {
    if (!(completed >= 0)) return unknown('funnel_drop', Number.NaN, 'no data');
    const ratio = n > 0 ? completed / n : Number.NaN;
    if (!this.ready(this.funnel) || Number.isNaN(expected)) return unknown('funnel_drop', ratio, n <= 0 && completed <= 0 ? 'no requests' : 'warming up');
    const stats = this.funnel.stats();
    const c0 = stats.median;
    if (!(c0 > 0)) return unknown('funnel_drop', ratio, 'nothing completes at baseline');
    if (n <= 0 && completed <= 0) return unchanged('funnel_drop', this.checks.funnel, c0, this.derived.threshold);
    const { funnelP0: p0, funnelP1: p1, threshold } = this.derived;
    // Requests lost, relative to what the baseline completes: signed, so completions counted a tick
    // late (two hops scraped at slightly different moments, or a tick without new requests) give
    // back what they seemed to lose.
    const lost = n - completed / c0;
    const relSigma = stats.sigma / c0;
    this.residual.funnel = n > 0 ? (lost * lost) / (n * p0 * (1 - p0)) : Number.NaN;
    const phi = Math.max(dispersion(relSigma, expected, p0), this.tickDispersion('funnel'));
    const w = this.weight / phi;
    const check = updateCheck(this.checks.funnel, binomialLLR(lost, n, p0, p1) * w, binomialLLR(lost, n, p0, breakAlternative(p0)) * w, threshold, RESOLVE_EVIDENCE);
    const sigma = c0 * Math.sqrt((phi * p0 * (1 - p0)) / Math.max(n, 1));
    return { kind: 'funnel_drop', status: check.alarmed ? 'anomalous' : 'normal', score: (ratio - c0) / sigma, observed: ratio, baseline: c0, sigma, evidence: evidenceOf(check), threshold };
  }

  /**
   * What this tick teaches the baselines. Ratios learn while neither ratio check is alarmed (a
   * broken funnel or error ratio never becomes the baseline, however long it lasts). The rate
   * learns while nothing is alarmed, and after `relearnAfter` of a rate shift alone with positive
   * evidence of health (ratios known and normal): a new level of demand, never a collapse into
   * silence or a storm.
   */
  private learn(sample: SignalSample, n: number, expected: number, timeMs: number, errors: Evaluation | undefined, funnel: Evaluation | undefined): void {
    const { checks } = this;
    const ratioAlarm = checks.errors.alarmed || checks.funnel.alarmed;
    const rateAlarm = checks.spike.alarmed || checks.drop.alarmed;
    let flags = 0;
    if (!ratioAlarm) {
      // Pooled: completions of a tick without requests still belong in the bucket's ratio.
      if (errors && hasData(errors)) flags |= LEARN_ERRORS;
      if (funnel && hasData(funnel)) flags |= LEARN_FUNNEL;
    }
    if (!rateAlarm) this.rateShiftSinceMs = Number.NaN;
    else if (Number.isNaN(this.rateShiftSinceMs)) this.rateShiftSinceMs = timeMs;
    let learnRate = !rateAlarm && !ratioAlarm;
    if (rateAlarm && !ratioAlarm && timeMs - this.rateShiftSinceMs >= this.params.relearnAfterMs) {
      const ratioChecks = [errors, funnel].filter((e): e is Evaluation => e !== undefined);
      learnRate = ratioChecks.length > 0 ? ratioChecks.every((e) => e.status === 'normal') : n > 0;
    }
    if (learnRate) flags |= LEARN_RATE;
    // Dispersion is learnt from fully healthy ticks only: an incident's residuals are not noise.
    if (!rateAlarm && !ratioAlarm) flags |= LEARN_DISPERSION;

    // A raised alarm voids what its onset would have taught: ticks still on probation are dropped
    // for every baseline the alarm concerns.
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
    const p = this.probation;
    const capacity = p.length / P_FIELDS;
    if (this.probationSize === capacity) {
      this.apply(p, this.probationStart * P_FIELDS, true);
      this.probationStart = (this.probationStart + 1) % capacity;
      this.probationSize--;
    }
    const at = ((this.probationStart + this.probationSize) % capacity) * P_FIELDS;
    p[at + P_N] = n;
    p[at + P_ERRORS] = sample.errors * this.seconds;
    p[at + P_COMPLETED] = sample.downstream * this.seconds;
    p[at + P_RESID_RATE] = this.residual.rate;
    p[at + P_RESID_ERRORS] = this.residual.errors;
    p[at + P_RESID_FUNNEL] = this.residual.funnel;
    p[at + P_EXPECTED] = expected;
    p[at + P_FLAGS] = now;
    if (now !== 0) this.apply(p, at, false);
    p[at + P_FLAGS] = flags & ~now;
    // Nothing left to learn later and nothing before it waiting: done, the slot stays free.
    if (p[at + P_FLAGS] === 0 && this.probationSize === 0) {
      if (!(flags & LEARN_DISPERSION)) this.breakBlock();
      return;
    }
    this.probationSize++;
  }

  private voidProbation(mask: number): void {
    const capacity = this.probation.length / P_FIELDS;
    for (let i = 0; i < this.probationSize; i++) {
      const at = ((this.probationStart + i) % capacity) * P_FIELDS + P_FLAGS;
      this.probation[at] = this.probation[at]! & ~mask;
    }
  }

  /**
   * Teaches the baselines one tick (fields at `at` of `data`, as its flags allow); `final` when
   * nothing more of it will be learnt, so a tick whose dispersion is not learnt ends a block.
   */
  private apply(data: ArrayLike<number>, at: number, final: boolean): void {
    const flags = data[at + P_FLAGS]!;
    const n = data[at + P_N]!;
    if (flags & LEARN_ERRORS) this.errorRatio.learn(data[at + P_ERRORS]!, n);
    if (flags & LEARN_FUNNEL) this.funnel.learn(data[at + P_COMPLETED]!, n);
    if (flags & LEARN_RATE) this.rate.learn(n, this.seconds);
    if (flags & LEARN_DISPERSION) this.learnDispersion(data[at + P_RESID_RATE]!, data[at + P_RESID_ERRORS]!, data[at + P_RESID_FUNNEL]!, n, data[at + P_EXPECTED]!);
    else if (final) this.breakBlock();
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

/** Whether a check's input was there this tick (judged, or only warming up). */
function hasData(e: Evaluation): boolean {
  return e.reason !== 'no data' && e.reason !== 'no requests';
}

/**
 * A ratio check at a tick without requests: no evidence either way, so the check stays as it was
 * (an alarm stays raised while a stalled client pool sends nothing), with no ratio to show.
 */
function unchanged(kind: FindingKind, check: CheckState, baseline: number, threshold: number): Evaluation {
  return { kind, status: check.alarmed ? 'anomalous' : 'normal', score: Number.NaN, observed: Number.NaN, baseline, sigma: Number.NaN, reason: 'no requests', evidence: evidenceOf(check), threshold };
}

function unknown(kind: FindingKind, observed: number, reason: string): Evaluation {
  return { kind, status: 'unknown', score: Number.NaN, observed, baseline: Number.NaN, sigma: Number.NaN, reason };
}
