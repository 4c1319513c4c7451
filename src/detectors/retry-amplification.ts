// The retry-amplification model: from the observed attempt-rate multiplier M and the fraction of
// attempts that fail E, estimate how many logical requests fail (p), how often each is retried
// (r), the logical demand behind the traffic, and which client retry policy fits. Pure.
//
// Physics (demand unchanged, a fraction p of logical requests failing every attempt, each retried
// r times): M = 1 + p·r and E = p(1+r)/M, so p = E·M − (M−1) and r = (M−1)/p. When instead every
// attempt fails independently with probability q and a client makes at most R retries, attempts
// per logical request = (1 − q^(R+1)) / (1 − q) and E = q.
//
// Early in a storm the observed M is below the plateau these formulas describe: retries arrive
// over the client's schedule. Each model is judged on the plateau its own ramp implies
// (retry-ramp.ts), so the estimate does not depend on when it is read.

import { errorFunction } from 'simple-statistics';
import { type PlateauPosterior, plateauPosterior, retriesAtOnce, totalFailurePrior } from './plateau-prior.js';
import { type RampObservation, type WalkingDemand, fitRamp, levelTicks, onsetMarginal } from './ramp-fit.js';
import { ONSET_POINTS, plateauMultiplier, rampFraction } from './retry-ramp.js';
import type { ClientModel } from './client-model.js';

export type FailureRegime = 'total' | 'deterministic' | 'independent' | 'closed-loop' | 'none';

export interface ModelMatch {
  model: string;
  retries: number;
  /** Range of M this model predicts for the observed E. */
  predictedLow: number;
  predictedHigh: number;
  regime: 'deterministic' | 'independent' | 'total';
  /** 0 when the observed interval overlaps the prediction (within tolerance), else the log gap. */
  distance: number;
  generic: boolean;
  /** |log| distance from the observed M to the prediction's centre, to rank models that both fit. */
  centreGap: number;
  /** How well the model's ramp shape fits the ticks since onset (Σ squared log residuals; NaN unfitted). */
  rampRss: number;
  /** With demand walking (ramp-fit.ts, WalkingDemand): the shape's −2 log likelihood under the walk, which ranks the models instead of rampRss. */
  rampChi2?: number;
  /** The ramp's χ² at its best onset and its degrees of freedom: how far the ticks stray from the model's shape beyond their noise (overdispersion). */
  rampFit?: { chi2: number; dof: number };
  /** The plateau multiplier this model implies from the observed one (its ramp undone), with its interval. */
  multiplier: number;
  multiplierLow: number;
  multiplierHigh: number;
  /** σ of the log plateau the posterior reads it through. */
  plateauLogSigma?: number;
  /**
   * At a total failure: that plateau read through what the model can physically produce
   * (plateau-prior.ts), with how well the model explains it.
   */
  posterior?: PlateauPosterior;
}

export interface AmplificationInput {
  /** Observed attempts per second and the baseline (pre-incident) rate. */
  requests: number;
  requestsBaseline: number;
  /** Robust σ of log(rate) in the baseline: the noise M is read through. */
  logRateSigma: number;
  /** Fraction of attempts failing now, above the baseline's own failures, with a ~95 % interval. */
  failing: number;
  failingLow: number;
  failingHigh: number;
  /**
   * When `requests` is the failure run's average: the tick length and the time since the run's
   * first tick, so each model's ramp can be undone. Without it M is taken as a plateau.
   */
  ramp?: { tickMs: number; elapsedMs: number };
  /**
   * The multipliers tick by tick since onset and the demand level before it: each model's ramp is
   * fitted to them (ramp-fit.ts), which tells delayed retries from immediate ones. `tickLogSigma`:
   * σ of one tick's log multiplier. Takes precedence over `ramp`.
   */
  rampTicks?: RampObservation & { tickLogSigma: number };
}

export interface AmplificationEstimate {
  /** Attempt-rate multiplier M = requests / baseline, with a ~95 % interval. */
  multiplier: number;
  multiplierLow: number;
  multiplierHigh: number;
  /** E: fraction of attempts that fail. */
  failingAttempts: number;
  /** p: fraction of logical requests that fail after all retries (deterministic reading). */
  failingRequests: number;
  failingRequestsLow: number;
  failingRequestsHigh: number;
  /** r: retries per failing logical request, NaN when nothing fails. */
  retriesPerFailure: number;
  /**
   * Attempts per logical request: the plateau M of the best-fitting model (the observed M when none
   * fits) when demand is unchanged, with a ~95 % interval never below 1; NaN when not estimable.
   */
  attemptsPerRequest: number;
  attemptsPerRequestLow: number;
  attemptsPerRequestHigh: number;
  /**
   * Why attempts per request cannot be read from the rate: fewer attempts than the baseline means
   * demand itself moved (a stalled client pool, builds that abort early, traffic that went away),
   * and no request is ever tried less than once.
   */
  notEstimable?: string;
  /**
   * Logical requests per second behind the attempts: requests divided by the attempts per request,
   * held within what the best-fitting client model can produce at this E (the baseline when no
   * model fits). NaN for a closed loop, where demand is not independent of the failure.
   */
  logicalDemand: number;
  /** Its ~95 % interval: the requests over the high and the low end of attempts per request. */
  logicalDemandLow: number;
  logicalDemandHigh: number;
  /** Significantly more attempts than the baseline, or than the demand level just before the onset (roseAtOnset). */
  amplified: boolean;
  regime: FailureRegime;
  /** Client models that fit, best first. */
  matches: ModelMatch[];
  /**
   * Each match's share of the likelihood of the specific clients that fit (bestModelShare's
   * weighing; 0 for catch-alls), aligned with `matches`; absent when neither a ramp nor a posterior
   * ranks them. Equal priors: it says how much likelier the data make one client than another,
   * within the models' own assumptions, not how often such a name is right.
   */
  shares?: number[];
  /** When several models fit: why the data cannot tell them apart (their predictions side by side, and their shares). */
  ambiguity?: string;
  /**
   * Several specific clients fit and none is named yet: the ramp since the onset holds fewer than two ticks
   * (one point fits every client's ramp, and where each would put the plateau alone ranks them:
   * on a storm's first 15 s tick the page named a 5-retry curl for cargo in 17 of 20 runs), or the
   * best is no likelier than all the others together (bestModelShare ≤ ½).
   */
  clientUndecided?: boolean;
}

/** Relative slack on a model's prediction: client mixes, a few non-retrying clients, build sizes. */
export const MODEL_TOLERANCE = 0.12;
/**
 * A plateau this far (log) outside a model's nominal range, or this far from its centre, counts as
 * much against the model as one tick's σ of ramp residual: outside the range weighs heavily,
 * off-centre inside it lightly.
 */
export const RANGE_SCALE = 0.05;
export const PLATEAU_SCALE = 0.2;
/** Seconds by which retries may arrive before or after their schedule (request time, onset within a tick, clock). */
export const RAMP_TIMING_SLACK_S = 1;
/**
 * The client-mix slack as a log σ on a model's total-failure prediction (MODEL_TOLERANCE is ~2σ):
 * a few clients of another version or configuration move the plateau by a few percent.
 */
export const MIX_LOG_SIGMA = Math.log(1 + MODEL_TOLERANCE) / 2;
/** A failing fraction at least this is a total failure: every attempt fails. */
export const TOTAL_FAILURE = 0.98;
/** M must exceed this (at the low end of its interval) to count as amplification. */
export const MIN_AMPLIFICATION = 1.05;
/** M below this (at the high end of its interval) while failing is a closed loop: clients stuck in retries. */
export const CLOSED_LOOP_BELOW = 0.9;

/** Attempts per logical request when each attempt fails independently with probability q. */
export function attemptsIndependent(q: number, retries: number): number {
  if (q >= 1) return retries + 1;
  if (q <= 0) return 1;
  return (1 - q ** (retries + 1)) / (1 - q);
}

/** Fraction p of logical requests failing that makes E of the attempts fail, with r retries each. */
export function failingRequestsFor(failingAttempts: number, retries: number): number {
  const e = clamp01(failingAttempts);
  return e / (1 + retries - e * retries);
}

/** The range of M a client model predicts when a fraction E of attempts fail. */
export function predictMultiplier(model: ClientModel, failingAttempts: number): { low: number; high: number; regime: ModelMatch['regime'] }[] {
  const e = clamp01(failingAttempts);
  const r = model.maxRetries;
  const p = failingRequestsFor(e, r);
  // Aborting on the first exhausted crate drops up to one retry chain's worth per failing request;
  // a client retrying at once aborts on time, before a large build's other requests even start
  // (plateau-prior.ts), so it may retry almost nothing.
  const deterministicLow = !model.abortsOnFirstExhausted ? 1 + p * r : retriesAtOnce(model.delaysSeconds) ? 1 : 1 + p * Math.max(r - 1, 0);
  const out: { low: number; high: number; regime: ModelMatch['regime'] }[] = [];
  if (e >= TOTAL_FAILURE) return [{ low: deterministicLow, high: 1 + r, regime: 'total' }];
  out.push({ low: deterministicLow, high: 1 + p * r, regime: 'deterministic' });
  const independent = attemptsIndependent(e, r);
  out.push({ low: independent, high: independent, regime: 'independent' });
  return out;
}

/** Where an aborting client's prediction centres, as a fraction of its range above R (see predictionCentre). */
export const ABORTING_CENTRE = 1 / 8;

/**
 * Where in its range a model's prediction is most likely. A client aborting on its first exhausted
 * request sends N·r + 1 requests for N failing ones (R + 1/N): builds of tens of crates sit near R,
 * single-crate fetches at R + 1. The centre is R + 1/8, a build of eight; the ranking (byRampFit)
 * weighs the distance to it lightly, so a plateau at R + 1 (every chain running out) still names
 * the client whose range holds it. A client aborting on time (retrying at once) may sit anywhere
 * in its range: its centre is the range's geometric middle.
 */
export function predictionCentre(model: ClientModel, prediction: { low: number; high: number; regime: ModelMatch['regime'] }, _failing: number): number {
  if (model.abortsOnFirstExhausted && !retriesAtOnce(model.delaysSeconds) && prediction.regime !== 'independent' && prediction.high > prediction.low) {
    return prediction.low + ABORTING_CENTRE * (prediction.high - prediction.low);
  }
  return Math.sqrt(prediction.low * prediction.high);
}

/** What a model is matched on: the observed M with the model's ramp undone. */
export interface ObservedMultiplier {
  multiplier: number;
  multiplierLow: number;
  multiplierHigh: number;
  failing: number;
  rampRss?: number;
  rampChi2?: number;
  rampFit?: { chi2: number; dof: number };
  /** σ of the log plateau as the posterior reads it (see plateauLogSigma); from the interval when absent. */
  plateauLogSigma?: number;
}

/**
 * Ranks client models by how well they explain the observed M at the observed E. `plateauFor`
 * gives the multiplier each model implies (its ramp undone); by default the observation itself.
 */
export function matchModels(models: readonly ClientModel[], input: ObservedMultiplier, plateauFor: (model: ClientModel) => ObservedMultiplier = () => input): ModelMatch[] {
  const matches: ModelMatch[] = [];
  for (const model of models) {
    const obs = plateauFor(model);
    let best: ModelMatch | undefined;
    for (const prediction of predictMultiplier(model, input.failing)) {
      const lo = prediction.low * (1 - MODEL_TOLERANCE);
      const hi = prediction.high * (1 + MODEL_TOLERANCE);
      const distance = obs.multiplierHigh < lo ? Math.log(lo / obs.multiplierHigh) : obs.multiplierLow > hi ? Math.log(obs.multiplierLow / hi) : 0;
      // Among overlapping predictions prefer the one whose centre is nearest the observation.
      const centreGap = Math.abs(Math.log(obs.multiplier / predictionCentre(model, prediction, input.failing)));
      const candidate: ModelMatch = {
        model: model.name, retries: model.maxRetries, predictedLow: prediction.low, predictedHigh: prediction.high, regime: prediction.regime, distance, generic: model.generic === true, centreGap,
        multiplier: obs.multiplier, multiplierLow: obs.multiplierLow, multiplierHigh: obs.multiplierHigh, rampRss: obs.rampRss ?? Number.NaN,
        ...(obs.rampChi2 !== undefined ? { rampChi2: obs.rampChi2 } : {}),
        ...(obs.rampFit !== undefined ? { rampFit: obs.rampFit } : {}),
        ...(obs.plateauLogSigma !== undefined ? { plateauLogSigma: obs.plateauLogSigma } : {}),
      };
      if (!best || candidate.distance < best.distance || (candidate.distance === best.distance && candidate.centreGap < best.centreGap)) best = candidate;
    }
    if (best) matches.push(best);
  }
  // Fitting models first; among them specific clients before catch-alls, then the closest.
  return matches.sort((a, b) => a.distance - b.distance || Number(a.generic) - Number(b.generic) || a.centreGap - b.centreGap);
}

export function estimateAmplification(input: AmplificationInput, models: readonly ClientModel[]): AmplificationEstimate {
  const m = input.requests / input.requestsBaseline;
  const spread = Math.exp(2 * Math.hypot(Math.max(input.logRateSigma, 0.02), levelStandardError(input.rampTicks)));
  const mLow = m / spread;
  const mHigh = m * spread;
  const e = clamp01(input.failing);
  // p = E·M − (M−1) = 1 − M(1−E): rises with E, falls with M.
  const p = clamp01(1 - m * (1 - e));
  const pLow = clamp01(1 - mHigh * (1 - clamp01(input.failingLow)));
  const pHigh = clamp01(1 - mLow * (1 - clamp01(input.failingHigh)));
  const amplified = mLow > MIN_AMPLIFICATION || (input.rampTicks !== undefined && roseAtOnset(input.rampTicks));
  const observed = { multiplier: m, multiplierLow: mLow, multiplierHigh: mHigh, failing: e };
  const ramp = input.ramp;
  const ticks = input.rampTicks;
  const rampSigma = ticks ? rampResidualSigma(ticks.tickLogSigma, ticks.levelLogSigma) : Number.NaN;
  const walking = ticks ? walkingDemand(ticks) : undefined;
  // Where demand walks, the onset's share is read off a level that has walked since (start).
  const onsetSigma = walking ? Math.sqrt(walking.white + walking.start) : rampSigma;
  const within = ticks ? onsetWithin(ticks.beforeOnsetShare, onsetSigma, e >= TOTAL_FAILURE) : undefined;
  const fitted = ticks && within ? { ...ticks, onsetWithin: within } : ticks;
  const plateauFor = (model: ClientModel): ObservedMultiplier => {
    if (fitted && fitted.multipliers.length > 0) {
      const fit = fitRamp(model, fitted, 0, fitted.tickLogSigma, walking);
      const early = fitRamp(model, fitted, RAMP_TIMING_SLACK_S, fitted.tickLogSigma, walking).plateauLow;
      const late = fitRamp(model, fitted, -RAMP_TIMING_SLACK_S, fitted.tickLogSigma, walking).plateauHigh;
      const low = Math.min(fit.plateauLow, early);
      const high = Math.max(fit.plateauHigh, late);
      // Clients are ranked by their fit averaged over where the onset may lie (onsetMarginal), in the units fitScore reads.
      const variance = rampSigma * rampSigma;
      const rampRss = fit.onsetRss && variance > 0 ? variance * onsetMarginal(fit.onsetRss.map((r) => r / variance)) : fit.rss;
      const rampChi2 = fit.onsetChi2 ? onsetMarginal(fit.onsetChi2) : fit.chi2;
      const bestChi2 = fit.chi2 ?? (variance > 0 ? fit.rss / variance : Number.NaN);
      const rampFit = Number.isFinite(bestChi2) ? { chi2: bestChi2, dof: fit.ticks - RAMP_PARAMETERS } : undefined;
      return { multiplier: fit.plateau, multiplierLow: low / spread, multiplierHigh: high * spread, failing: e, rampRss, ...(rampChi2 !== undefined ? { rampChi2 } : {}), ...(rampFit ? { rampFit } : {}), plateauLogSigma: plateauLogSigma(spread, low, high) };
    }
    if (!ramp) return observed;
    // Retries arriving a second sooner or later than the schedule says widen the interval.
    const f = rampFraction(model, ramp.tickMs, ramp.elapsedMs);
    const fEarly = rampFraction(model, ramp.tickMs, ramp.elapsedMs, RAMP_TIMING_SLACK_S);
    const fLate = rampFraction(model, ramp.tickMs, ramp.elapsedMs, -RAMP_TIMING_SLACK_S);
    return { multiplier: plateauMultiplier(m, f), multiplierLow: plateauMultiplier(mLow, fEarly), multiplierHigh: plateauMultiplier(mHigh, fLate), failing: e };
  };
  const fitting = matchModels(models, observed, plateauFor).filter((x) => x.distance === 0).map((x) => withPosterior(x, models));
  // A client that retries nothing cannot explain more attempts than requests.
  const matches = amplified && e > 0 ? byRampFit(fitting.filter((x) => x.retries > 0), rampSigma) : [];
  const best = matches[0];
  const shares = modelShares(matches, rampSigma);
  // Attempts per request over the requests observed (the run so far): the plateau, less the part of
  // the best model's ramp not yet arrived. Demand is those requests over it, not over the plateau.
  const fRun = best && ramp ? rampFraction(models.find((x) => x.name === best.model)!, ramp.tickMs, ramp.elapsedMs) : 1;
  const perRequestNow = (plateau: number) => (plateau > 1 ? 1 + (plateau - 1) * fRun : plateau);
  // The plateau the best model implies: what the storm settles at, not where its ramp is now.
  // At a total failure, the posterior: noisy data shrinks toward what the client can do.
  const [pm, bestLow, bestHigh] = best?.posterior
    ? [best.posterior.multiplier, best.posterior.multiplierLow, best.posterior.multiplierHigh]
    : best
      ? [best.multiplier, best.multiplierLow, best.multiplierHigh]
      : [m, mLow, mHigh];
  // The name is the likeliest reading; the interval holds the truth whichever client it is, each
  // as likely as the data makes it.
  const [pmLow, pmHigh] = best ? modelAveragedInterval(matches, rampSigma, bestLow, bestHigh) : [bestLow, bestHigh];
  let regime: FailureRegime = 'none';
  if (e > 0 && mHigh < CLOSED_LOOP_BELOW) regime = 'closed-loop';
  else if (matches[0]) regime = matches[0].regime;
  else if (amplified && e > 0) regime = e >= TOTAL_FAILURE ? 'total' : 'deterministic';
  return {
    multiplier: m,
    multiplierLow: mLow,
    multiplierHigh: mHigh,
    failingAttempts: e,
    failingRequests: regime === 'independent' && matches[0] ? e ** (matches[0].retries + 1) : p,
    failingRequestsLow: pLow,
    failingRequestsHigh: pHigh,
    retriesPerFailure: p > 0 ? (m - 1) / p : Number.NaN,
    ...attemptsOf(mHigh, pm, pmLow, pmHigh, regime),
    ...(shares ? { shares } : {}),
    ...(matches.length > 1 ? { ambiguity: ambiguityOf(matches, shares) } : {}),
    ...(specificRivals(matches) > 1 && (rampTicksRead(ticks) < 2 || (shares !== undefined && shares[0]! <= 0.5)) ? { clientUndecided: true } : {}),
    ...(regime === 'closed-loop'
      ? { notEstimable: 'requests fell while failing: a fixed pool of clients stuck in retries, so demand is not independent of the failure' }
      : mHigh < 1
        ? { notEstimable: 'fewer attempts than the baseline: demand moved (clients gave up or aborted early), so attempts per request cannot be read from the rate' }
        : {}),
    // Demand = attempts / (attempts per request), the latter as observed but held to what the client can do.
    // Over the attempts per request said beside it (its interval's ends give the demand's): a point
    // read off the best model's predicted range instead fell outside its own interval (799/s beside
    // 843-1,300/s), the interval being averaged over every model that fits.
    // Without an interval (requests clearly down) the fall is read as demand's.
    logicalDemand: regime === 'closed-loop' ? Number.NaN : input.requests / perRequestNow(mHigh < 1 ? Math.max(m, 1e-9) : Math.max(1, pm)),
    logicalDemandLow: regime === 'closed-loop' || mHigh < 1 ? Number.NaN : input.requests / perRequestNow(Math.max(1, pmHigh)),
    logicalDemandHigh: regime === 'closed-loop' || mHigh < 1 ? Number.NaN : input.requests / perRequestNow(Math.max(1, pmLow)),
    amplified,
    regime,
    matches,
  };
}

/**
 * The walk a ramp is read through (ramp-fit.ts, WalkingDemand), when the recorder measured one:
 * its tick noise held to [MIN_RAMP_LOG_SIGMA², the tick's variance about the long baseline] as
 * rampResidualSigma holds it, and demand at the onset off the level by the walk from the level's
 * middle tick ((k + 1)/2 ticks before it) and the level's own noise over its k ticks. Undefined
 * when demand does not walk: the ticks are then independent errors about the ramp, as before.
 */
export function walkingDemand(ticks: RampObservation & { tickLogSigma: number }): WalkingDemand | undefined {
  const noise = ticks.demandNoise;
  if (!noise || !(noise.walk > 0) || !Number.isFinite(noise.white)) return undefined;
  const ceiling = ticks.tickLogSigma > 0 ? ticks.tickLogSigma ** 2 : Number.POSITIVE_INFINITY;
  const white = Math.min(Math.max(noise.white, MIN_RAMP_LOG_SIGMA ** 2), Math.max(ceiling, MIN_RAMP_LOG_SIGMA ** 2));
  const k = ticks.levelCount !== undefined && ticks.levelCount > 0 ? ticks.levelCount : levelTicks(ticks.tickMs);
  return { white, walk: noise.walk, start: (noise.walk * (k + 1)) / 2 + white / k };
}

/**
 * σ of the log demand level a ramp is divided by: its ticks' noise over √(their number), 0 unless
 * the ramp is fitted. The plateau is read against the level, so a level of a few noisy ticks
 * (30 s of bursty builds at 1 s: ±7 %) is an error of the plateau as much as the run's own noise.
 */
export function levelStandardError(ticks: RampObservation | undefined): number {
  if (!ticks || ticks.levelCount === undefined || !(ticks.levelCount > 0) || ticks.levelLogSigma === undefined || !Number.isFinite(ticks.levelLogSigma)) return 0;
  return ticks.levelLogSigma / Math.sqrt(ticks.levelCount);
}

/**
 * σ of a ramp-fitted log plateau: the run's noise (`spread` is its ~2σ factor) and the plateaus of
 * the onsets and retry timings that fit about as well (`low`-`high`, a ~95 % range) are
 * independent errors, so their variances add. Their ~95 % half-widths added in log (the plateau's
 * interval, kept wide for deciding whether a model fits at all) read a 15 s tick's plateau ~1.5x
 * as uncertain as it is, and the posterior then leans on the prior's bulk, R + 0.1-0.2, instead of
 * the data: big builds read high, small ones low.
 */
export function plateauLogSigma(spread: number, low: number, high: number): number {
  return Math.hypot(Math.log(spread) / 2, Math.log(high / low) / 4);
}

/**
 * At a total failure, the model's plateau read through its prior (plateau-prior.ts), its σ the
 * fit's (plateauLogSigma), or a quarter of the plateau's ~95 % interval in log without a fit.
 */
function withPosterior(match: ModelMatch, models: readonly ClientModel[]): ModelMatch {
  const model = models.find((x) => x.name === match.model);
  if (match.regime !== 'total' || !model || !(match.multiplier > 0) || !(match.multiplierLow > 0) || !(match.multiplierHigh >= match.multiplierLow)) return match;
  const sigma = Math.max(match.plateauLogSigma ?? Math.log(match.multiplierHigh / match.multiplierLow) / 4, 0.01);
  return { ...match, posterior: plateauPosterior(totalFailurePrior(model), Math.log(match.multiplier), sigma, MIX_LOG_SIGMA) };
}

/**
 * The least σ a ramp's residuals are read through: the fit places the onset on a grid of
 * ONSET_POINTS per tick, so a tick's share of the ramp is off by up to half a step (1/16 of the
 * plateau excess), uniformly: σ = (1/16)/√3 ≈ 0.036, about that in log for plateaus of 2-3x.
 * Demand steadier than that (the bundled noise: ~0.025 from one 15 s tick to the next) would let
 * the grid's own error decide between clients.
 */
export const MIN_RAMP_LOG_SIGMA = 1 / (2 * ONSET_POINTS * Math.sqrt(3));

/**
 * σ of a tick's log multiplier about the demand level before onset, the noise a ramp's shape is
 * judged through: what demand strays from its level within a tick or two (`levelLogSigma`,
 * ramp-fit.ts) when known, never above one tick's σ about the long baseline. Demand that wanders
 * slowly strays far from the long baseline but little from the ticks just before the onset; read
 * through the baseline's σ, an immediate ramp (cargo <= 1.69) and a delayed one (npm, cargo) look
 * alike at 3x demand noise, and the plateau alone names the client whose prior crowds there.
 */
export function rampResidualSigma(tickLogSigma: number, levelLogSigma: number | undefined): number {
  if (levelLogSigma === undefined || !Number.isFinite(levelLogSigma)) return tickLogSigma;
  const level = Math.max(levelLogSigma, MIN_RAMP_LOG_SIGMA);
  return tickLogSigma > 0 ? Math.min(tickLogSigma, level) : level;
}

/**
 * Whether attempts rose at the onset: the first tick wholly after it, over the demand level just
 * before it, clear of MIN_AMPLIFICATION by twice the level's noise (rampResidualSigma), that noise
 * grown by the tick's extra lag (demand wanders like a random walk over a minute or two: its
 * variance grows with the lag; the level's own noise is measured about `levelTicks` ticks, its
 * mean lag (k + 1)/2). Demand that has drifted from the long baseline (a quiet hour) hides a
 * storm of 1.3x from the baseline's reading; the ticks around the onset still show it.
 */
export function roseAtOnset(ticks: RampObservation & { tickLogSigma: number }): boolean {
  const after = ticks.multipliers[1];
  if (after === undefined || !(after > 0) || !(ticks.level > 0) || ticks.levelLogSigma === undefined || !Number.isFinite(ticks.levelLogSigma)) return false;
  const lag = (levelTicks(ticks.tickMs) + 1) / 2;
  const sigma = rampResidualSigma(ticks.tickLogSigma, ticks.levelLogSigma) * Math.sqrt((lag + 1) / lag);
  return Math.log(after / ticks.level) - 2 * sigma > Math.log(MIN_AMPLIFICATION);
}

/**
 * Where in the first tick the onset may lie, as shares of the tick before it: around
 * `beforeOnsetShare` (that tick's successes over the demand level, ramp-fit.ts) at a total
 * failure, below it otherwise (attempts after the onset may succeed too). Its noise is the level's
 * (`sigma`, relative) plus a sixteenth of the tick either side, so the window is never narrower
 * than an eighth of the tick. Left free, the onset
 * lets a delayed ramp start early enough to look immediate: at 15 s ticks cargo's and npm's
 * ramps then fit a storm of cargo <= 1.69 about as well as its own.
 */
export function onsetWithin(beforeOnsetShare: number | undefined, sigma: number, total: boolean): { low: number; high: number } | undefined {
  if (beforeOnsetShare === undefined || !Number.isFinite(beforeOnsetShare) || !(sigma > 0)) return undefined;
  const slack = 2 * sigma * beforeOnsetShare + 1 / (2 * ONSET_POINTS);
  return { low: total ? beforeOnsetShare - slack : 0, high: beforeOnsetShare + slack };
}

/**
 * Orders the models whose plateau fits by how well they explain both the shape of the ramp (its
 * residuals, in units of their variance: rampResidualSigma) and where the plateau sits: at a total failure, by
 * the model's evidence for it (−2 log p(plateau | model), plateau-prior.ts), so that noise in the
 * plateau weighs as much as it should and no more; otherwise by how far it lies outside the
 * model's nominal range, and off its centre. Neither the ramp nor the plateau alone decides, so a
 * ramp that merely looks early cannot outvote a plateau that says otherwise. Catch-all models
 * stay last.
 */
export function byRampFit(matches: readonly ModelMatch[], tickLogSigma: number): ModelMatch[] {
  const rampKnown = tickLogSigma > 0 && matches.some((m) => Number.isFinite(m.rampRss));
  if (!rampKnown && !matches.some((m) => m.posterior)) return [...matches];
  const score = fitScore(matches, tickLogSigma);
  return [...matches].sort((a, b) => a.distance - b.distance || Number(a.generic) - Number(b.generic) || score(a) - score(b));
}

/**
 * byRampFit's score of a match among `matches` (lower fits better, in units of −2 log likelihood
 * where a posterior is known); NaN when neither a ramp nor a posterior ranks them.
 */
export function fitScore(matches: readonly ModelMatch[], tickLogSigma: number): (m: ModelMatch) => number {
  const rampKnown = tickLogSigma > 0 && matches.some((m) => Number.isFinite(m.rampRss));
  if (!rampKnown && !matches.some((m) => m.posterior)) return () => Number.NaN;
  return (m: ModelMatch) => {
    const ramp = m.rampChi2 !== undefined && Number.isFinite(m.rampChi2) ? m.rampChi2 : rampKnown && Number.isFinite(m.rampRss) ? m.rampRss / (tickLogSigma * tickLogSigma) : 0;
    if (m.posterior) return ramp - 2 * m.posterior.logEvidence;
    const outside = m.multiplier < m.predictedLow ? Math.log(m.predictedLow / m.multiplier) : m.multiplier > m.predictedHigh ? Math.log(m.multiplier / m.predictedHigh) : 0;
    return ramp + (outside / RANGE_SCALE) ** 2 + (m.centreGap / PLATEAU_SCALE) ** 2;
  };
}

/** Whether the i-th match counts among the best's rivals: the best itself, and every specific client that fits as well (catch-alls weigh nothing). */
function weighed(m: ModelMatch, i: number): boolean {
  return i === 0 || (!m.generic && m.distance === 0);
}

/** What a ramp fit estimates besides its shape: the plateau's excess and the onset's place. */
const RAMP_PARAMETERS = 2;

/**
 * How much more the best model's ramp strays than its noise allows, ĉ = χ²/dof (at least 1; 1
 * when fewer than three degrees of freedom read it): the models' likelihood ratios are divided by
 * it, as QAIC does (Burnham & Anderson 2002, §6.5), so a shape none of them fits well does not make
 * one of them look certain.
 */
export function overdispersion(best: ModelMatch): number {
  const fit = best.rampFit;
  if (!fit || !(fit.dof >= 3) || !Number.isFinite(fit.chi2)) return 1;
  return Math.max(1, fit.chi2 / fit.dof);
}

/** Models below this share of the posterior (model averaging) are left out of the interval. */
const MIN_MODEL_WEIGHT = 1e-3;

/**
 * The ~95 % interval of attempts per request averaged over the client models that fit (matches
 * ranked by byRampFit, the best first, its interval `low`-`high`): each model's reading taken as
 * log-normal with its own ~95 % interval, weighted by exp(−score / 2) (byRampFit's score is −2 log
 * likelihood; equal priors over the models that fit), and the mixture's 2.5 % and 97.5 % points
 * read off. At 1 s ticks of a few builds a second a cargo <= 1.69 storm (2.7 per crate) and a cargo
 * one (3.25) fit within a unit of each other, and the best one's interval alone (its prior's range)
 * missed the truth whenever the other was right. A model the data makes 20 times less likely holds
 * under 5 % of the mass and moves an end only as far as that share reaches; one a thousand times
 * less likely is left out. Catch-all models weigh nothing. Never narrower than the best model's own.
 */
export function modelAveragedInterval(matches: readonly ModelMatch[], tickLogSigma: number, low: number, high: number): [number, number] {
  const best = matches[0];
  if (!best || !(low > 0) || !(high >= low)) return [low, high];
  const weights = likelihoodWeights(matches, tickLogSigma);
  if (!weights) return [low, high];
  const parts: { w: number; mu: number; sigma: number }[] = [];
  for (const [i, m] of matches.entries()) {
    if (!weighed(m, i)) continue;
    const [lo, hi] = i === 0 ? [low, high] : m.posterior ? [m.posterior.multiplierLow, m.posterior.multiplierHigh] : [m.multiplierLow, m.multiplierHigh];
    const w = weights[i]!;
    if (!(w >= MIN_MODEL_WEIGHT) || !(lo > 0) || !(hi >= lo)) continue;
    parts.push({ w, mu: (Math.log(lo) + Math.log(hi)) / 2, sigma: Math.max((Math.log(hi) - Math.log(lo)) / (2 * 1.959964), 1e-6) });
  }
  if (parts.length < 2) return [low, high];
  const total = parts.reduce((sum, p) => sum + p.w, 0);
  const cdf = (x: number) => parts.reduce((sum, p) => sum + p.w * normalCdf((x - p.mu) / p.sigma), 0) / total;
  const quantile = (q: number) => {
    let a = Math.min(...parts.map((p) => p.mu - 6 * p.sigma));
    let b = Math.max(...parts.map((p) => p.mu + 6 * p.sigma));
    for (let k = 0; k < 60; k++) {
      const mid = (a + b) / 2;
      if (cdf(mid) < q) a = mid;
      else b = mid;
    }
    return Math.exp((a + b) / 2);
  };
  return [Math.min(low, quantile(0.025)), Math.max(high, quantile(0.975))];
}

/** The best match and the specific clients that fit as well as it (weighed: catch-alls are no rival to a name). */
function specificRivals(matches: readonly ModelMatch[]): number {
  let n = 0;
  for (const [i, m] of matches.entries()) if (weighed(m, i)) n++;
  return n;
}

/** Ticks of the ramp since the onset that hold a reading (unbounded without a ramp observation: nothing to judge it by). */
function rampTicksRead(ticks: RampObservation | undefined): number {
  if (!ticks) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (const x of ticks.multipliers) if (Number.isFinite(x)) n++;
  return n;
}

/**
 * The best match's share of the likelihood of the models that fit (byRampFit's score as −2 log
 * likelihood, equal priors, catch-all models left out, as modelAveragedInterval weighs them); NaN
 * when neither a ramp nor a posterior ranks them.
 */
export function bestModelShare(matches: readonly ModelMatch[], tickLogSigma: number): number {
  return modelShares(matches, tickLogSigma)?.[0] ?? Number.NaN;
}

/**
 * Every match's share of that likelihood (bestModelShare's weighing), aligned with `matches`: 0 for
 * catch-alls; undefined when there are no matches or neither a ramp nor a posterior ranks them.
 */
export function modelShares(matches: readonly ModelMatch[], tickLogSigma: number): number[] | undefined {
  const weights = likelihoodWeights(matches, tickLogSigma);
  if (!weights) return undefined;
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

/**
 * Each match's likelihood relative to the best's (1 for the best), byRampFit's score read as −2 log
 * likelihood and divided by the best ramp's overdispersion; 0 for catch-alls and what cannot be
 * weighed; undefined when there are no matches or nothing ranks them.
 */
function likelihoodWeights(matches: readonly ModelMatch[], tickLogSigma: number): number[] | undefined {
  const best = matches[0];
  if (!best) return undefined;
  const score = fitScore(matches, tickLogSigma);
  const bestScore = score(best);
  if (!Number.isFinite(bestScore)) return undefined;
  const c = overdispersion(best);
  return matches.map((m, i) => {
    const w = weighed(m, i) ? Math.exp(-(score(m) - bestScore) / (2 * c)) : 0;
    return Number.isFinite(w) ? w : 0;
  });
}

/** Standard normal CDF, through simple-statistics' error function. */
function normalCdf(z: number): number {
  return (1 + errorFunction(z / Math.SQRT2)) / 2;
}

/** Attempts per request and its interval: never below one (no request is tried less than once). */
function attemptsOf(pmHighRaw: number, pm: number, pmLow: number, pmHigh: number, regime: FailureRegime): Pick<AmplificationEstimate, 'attemptsPerRequest' | 'attemptsPerRequestLow' | 'attemptsPerRequestHigh'> {
  if (pmHighRaw < 1 || regime === 'closed-loop') return { attemptsPerRequest: Number.NaN, attemptsPerRequestLow: Number.NaN, attemptsPerRequestHigh: Number.NaN };
  // Within noise of the baseline: about one attempt per request, not fewer.
  return { attemptsPerRequest: Math.max(1, pm), attemptsPerRequestLow: Math.max(1, pmLow), attemptsPerRequestHigh: Math.max(1, pmHigh) };
}

/**
 * Which models fit and what each predicts, for a reader to see why they cannot be told apart; with
 * shares, how likely the ramp and plateau make each specific client (catch-alls, which weigh
 * nothing, are not given one).
 */
function ambiguityOf(matches: readonly ModelMatch[], shares: readonly number[] | undefined): string {
  const shown = matches.slice(0, 3);
  const names = shown.map((x) => x.model);
  const predictions = shown.map((x) => (Math.abs(x.predictedHigh - x.predictedLow) < 0.01 ? `${x.predictedLow.toFixed(2)}x` : `${x.predictedLow.toFixed(2)}-${x.predictedHigh.toFixed(2)}x`));
  const text = `${names.slice(0, -1).join(', ')} and ${names.at(-1)} predict ${predictions.slice(0, -1).join(', ')} and ${predictions.at(-1)}: the observed ${shown[0]!.multiplierLow.toFixed(2)}-${shown[0]!.multiplierHigh.toFixed(2)}x cannot tell them apart`;
  const weighedShown = shares ? shown.flatMap((x, i) => (shares[i]! > 0 ? [`${x.model} ${formatShare(shares[i]!)}`] : [])) : [];
  return weighedShown.length > 1 ? `${text} (as likely by the ramp and the plateau: ${weighedShown.join(', ')})` : text;
}

/** A share as a whole percent, never 0 % or 100 % for what is merely unlikely or likely. */
function formatShare(share: number): string {
  if (share < 0.01) return '<1 %';
  if (share > 0.99) return '>99 %';
  return `${Math.round(share * 100)} %`;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
