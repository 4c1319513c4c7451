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
/** Charts in a series' bank: rate rise, rate collapse, two for errors, two for the funnel. */
const CHARTS = 6;
/** The failure run's requests are averaged over about this long (exponential beyond it). */
const RUN_MEMORY_MS = 60_000;

type CheckName = 'spike' | 'drop' | 'errors' | 'funnel';

/** Tick-level dispersion estimates (mean squared Pearson residual of healthy ticks) per input. */
interface Dispersion {
  rate: number;
  errors: number;
  funnel: number;
  /** Ticks averaged so far (a running mean until the window is full, then exponential). */
  ticks: number;
}

export interface EvidenceSnapshot {
  rate: BaselineSnapshot;
  errorRatio: BaselineSnapshot;
  funnel: BaselineSnapshot;
  checks: Record<CheckName, CheckState>;
  rateShiftSinceMs: number | null;
  dispersion?: Dispersion;
  run?: FailureRun | null;
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
      checks: { spike: { ...this.checks.spike }, drop: { ...this.checks.drop }, errors: { ...this.checks.errors }, funnel: { ...this.checks.funnel } },
      rateShiftSinceMs: Number.isNaN(this.rateShiftSinceMs) ? null : this.rateShiftSinceMs,
      dispersion: { ...this.dispersion },
      run: this.run ? { ...this.run } : null,
    };
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
    const r = s.run;
    this.run = r && [r.sinceMs, r.observed, r.expected, r.seconds].every((x) => typeof x === 'number' && Number.isFinite(x)) ? { ...r } : null;
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
    this.followRun(n, baselineCount, timeMs, out);
    this.learn(sample, n, timeMs, errors, funnel);
    return out;
  }

  /** Extends (or starts, or ends) the failure run, and reports it on the rate evaluations. */
  private followRun(n: number, expected: number, timeMs: number, out: Evaluation[]): void {
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
    const spike = out.find((e) => e.kind === 'rate_spike');
    if (!spike || spike.status === 'unknown') return;
    // The tick's σ of log count is √(φ/expected); over the run, √(φ/Σexpected).
    const phi = spike.sigma * spike.sigma * expected;
    for (const e of out) {
      if (e.kind !== 'rate_spike' && e.kind !== 'rate_drop') continue;
      // Counting noise averages out over the run; demand's own wobble does not (it is slow): a floor.
      e.run = { sinceMs: run.sinceMs, multiplier: run.observed / run.expected, logSigma: Math.max(Math.sqrt(phi / run.expected), MIN_LOG_RATE_SIGMA), seconds: run.seconds };
    }
  }

  /** The tick-level dispersion of an input, once enough healthy ticks were seen to trust it. */
  private tickDispersion(input: keyof typeof this.residual): number {
    return this.dispersion.ticks >= this.params.minBaselinePoints ? this.dispersion[input] : 1;
  }

  /** Adds this tick's residuals (those it has) to the dispersion estimates. */
  private learnDispersion(): void {
    const d = this.dispersion;
    d.ticks = Math.min(d.ticks + 1, this.dispersionWindow);
    const alpha = 1 / d.ticks;
    for (const input of ['rate', 'errors', 'funnel'] as const) {
      const r = this.residual[input];
      if (Number.isFinite(r)) d[input] += alpha * (r - d[input]);
    }
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
    if (n <= 0 && errors <= 0) return unknown('error_ratio', Number.NaN, 'no requests');
    const ratio = n > 0 ? errors / n : Number.NaN;
    if (!this.ready(this.errorRatio) || Number.isNaN(expected)) return unknown('error_ratio', ratio, 'warming up');
    const stats = this.errorRatio.stats();
    const e0 = Math.max(0, stats.median);
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
    if (n <= 0 && completed <= 0) return unknown('funnel_drop', Number.NaN, 'no requests');
    const ratio = n > 0 ? completed / n : Number.NaN;
    if (!this.ready(this.funnel) || Number.isNaN(expected)) return unknown('funnel_drop', ratio, 'warming up');
    const stats = this.funnel.stats();
    const c0 = stats.median;
    if (!(c0 > 0)) return unknown('funnel_drop', ratio, 'nothing completes at baseline');
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
  private learn(sample: SignalSample, n: number, timeMs: number, errors: Evaluation | undefined, funnel: Evaluation | undefined): void {
    const { checks } = this;
    const ratioAlarm = checks.errors.alarmed || checks.funnel.alarmed;
    const rateAlarm = checks.spike.alarmed || checks.drop.alarmed;
    if (!ratioAlarm) {
      // Pooled: completions of a tick without requests still belong in the bucket's ratio.
      if (errors && hasData(errors)) this.errorRatio.learn(sample.errors * this.seconds, n);
      if (funnel && hasData(funnel)) this.funnel.learn(sample.downstream * this.seconds, n);
    }
    if (!rateAlarm) this.rateShiftSinceMs = Number.NaN;
    else if (Number.isNaN(this.rateShiftSinceMs)) this.rateShiftSinceMs = timeMs;
    let learnRate = !rateAlarm && !ratioAlarm;
    if (rateAlarm && !ratioAlarm && timeMs - this.rateShiftSinceMs >= this.params.relearnAfterMs) {
      const ratioChecks = [errors, funnel].filter((e): e is Evaluation => e !== undefined);
      learnRate = ratioChecks.length > 0 ? ratioChecks.every((e) => e.status === 'normal') : n > 0;
    }
    if (learnRate) this.rate.learn(n, this.seconds);
    // Dispersion is learnt from fully healthy ticks only: an incident's residuals are not noise.
    if (!rateAlarm && !ratioAlarm) this.learnDispersion();
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

function unknown(kind: FindingKind, observed: number, reason: string): Evaluation {
  return { kind, status: 'unknown', score: Number.NaN, observed, baseline: Number.NaN, sigma: Number.NaN, reason };
}
