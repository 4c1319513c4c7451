// Combines one signal's check evaluations with the retry-amplification model into an assessment:
// is the signal failing, which kind of incident is it, is it an organic surge, and the numbers and
// sentence that explain it. Pure.

import type { Evaluation, SignalSample } from '../core/types.js';
import type { ClientModel } from '../detectors/client-model.js';
import { type AmplificationEstimate, CLOSED_LOOP_BELOW, MIN_AMPLIFICATION, estimateAmplification } from '../detectors/retry-amplification.js';
import type { RampObservation } from '../detectors/ramp-fit.js';
import { failingFraction } from '../detectors/failing-fraction.js';
import { HELD_BURST, OUTGREW_BURSTS } from '../detectors/stats/error-bursts.js';
import { stormStillPossible } from '../detectors/storm-possible.js';
import type { Assessment, IncidentKind } from './assessment.js';
import { explain } from './explain.js';
import { formatRate } from './format.js';
import { SeriesAssessment } from './series-assessment.js';
import { STORM_MIN_MULTIPLIER, retriesCanStorm } from './storm-floor.js';

export type { AlertKind, Assessment, IncidentKind } from './assessment.js';

/**
 * The rate's direction in a failure (a rise: retries; a fall: a stalled client pool) is read only
 * over at least this much of it: a storm's first seconds may be a lull while its clients wait to
 * retry (on lumpy 1 s traffic a two-second lull called storms outages).
 */
export const MIN_DIRECTION_SECONDS = 3;
/**
 * A rise needs a second more. A closed pool sends what an open-loop storm sends until its runners
 * are all waiting: the fetches its runners start as they finish a job, each failing, and their first
 * retries 0.5-1.5 s later (cargo), two or three seconds of it at up to 2x. Then it falls silent
 * until the next retries, 3.5 s on, while a storm's new arrivals keep coming. Live pools read 1.8x
 * then 1.4x, and 1.25, 1.35 and 1.56x, over their first ticks; eight recorded pools' fourth tick
 * after the onset is silent.
 */
export const MIN_RISE_SECONDS = 4;

function isStatus(e: Evaluation | undefined, status: Evaluation['status']): boolean {
  return e !== undefined && e.status === status;
}

/** Whether a ratio check read a ratio this tick. */
function isRead(e: Evaluation | undefined): boolean {
  return e !== undefined && e.status !== 'unknown' && Number.isFinite(e.observed);
}

/** A multiplier read over some ticks, one σ clear of 1 upwards (retries), through the σ a rise is read with where it has one. */
function clearlyUp(w: { multiplier: number; logSigma: number; riseLogSigma?: number }): boolean {
  return w.multiplier / Math.exp(w.riseLogSigma ?? w.logSigma) > MIN_AMPLIFICATION;
}

/** The failing share (its high end, where a ratio was read) below which a falling rate is demand, not a stalled client pool. */
const STALL_MIN_FAILING = 0.5;

/** A multiplier read over some ticks, one σ clear of 1 downwards (a stalled client pool). */
function clearlyDown(w: { multiplier: number; logSigma: number }): boolean {
  return w.multiplier * Math.exp(w.logSigma) < CLOSED_LOOP_BELOW;
}

/** The tick being assessed: its data time and length, to undo each client's retry ramp. */
export interface TickTime {
  timeMs: number;
  tickMs: number;
  /** The multipliers since the failure's onset and the demand level before it (ramp-fit.ts); read only for a failure or a surge (it may be made when read). */
  readonly ramp?: RampObservation | undefined;
}

/**
 * Assesses one tick of a signal. With `into`, the assessment is written there (every field) and
 * returned: the pipeline keeps one per series and rewrites it each tick, so 100k healthy series
 * make no assessment objects a tick. `collapse`: the series' rate-drop alarm was judged traffic
 * moved to its signal's other series (moved-traffic.ts), no failure; or it waits for a series of
 * the signal that appeared without a rate yet (its kind unsettled: the page waits a tick).
 */
export function assess(signal: string, sample: SignalSample, evaluations: readonly Evaluation[], models: readonly ClientModel[], tick?: TickTime, into?: Assessment, collapse?: 'moved' | 'awaiting'): Assessment {
  // One pass, no arrays or closures: this runs for every series every tick.
  let spike: Evaluation | undefined;
  let drop: Evaluation | undefined;
  let funnel: Evaluation | undefined;
  let errors: Evaluation | undefined;
  for (const e of evaluations) {
    if (e.kind === 'rate_spike') spike ??= e;
    else if (e.kind === 'rate_drop') drop ??= e;
    else if (e.kind === 'funnel_drop') funnel ??= e;
    else if (e.kind === 'error_ratio') errors ??= e;
  }
  // An error alarm within the bursts the series has had is no failure (stats/error-bursts.ts), and
  // the requests it adds (a client's failing batch) are no organic surge either.
  const heldBurst = errors !== undefined && errors.status === 'anomalous' && errors.reason === HELD_BURST;
  const errorsFailing = isStatus(errors, 'anomalous') && !heldBurst;
  // A collapse whose traffic the signal's other series took is no failure either (moved-traffic.ts).
  const collapsed = isStatus(drop, 'anomalous') && collapse !== 'moved';
  const movedAway = isStatus(drop, 'anomalous') && collapse === 'moved';
  const failing = isStatus(funnel, 'anomalous') || errorsFailing || collapsed ? true : isStatus(funnel, 'normal') || isStatus(errors, 'normal') || heldBurst || movedAway || isStatus(drop, 'normal') ? false : undefined;
  const surge = spike && spike.status !== 'unknown' ? spike.status === 'anomalous' && failing !== true && !heldBurst : undefined;

  const fraction = failingFraction(funnel, errors);
  let estimate: AmplificationEstimate | undefined;
  // The model and the sentence are only needed when something is wrong: at 100k healthy series
  // they would cost more than the detection itself.
  const interesting = failing === true || surge === true;
  // During a failure the multiplier is read over the failure so far (since its change-point), not
  // one tick: a 1 s tick is noisy, and a closed client pool retries for a second before it stalls.
  const run = spike?.run;
  if (interesting && spike && spike.status !== 'unknown') {
    const [requests, logRateSigma] = run ? [run.multiplier * spike.baseline, run.logSigma] : [sample.requests, spike.sigma];
    // The run's multiplier averages the ticks since onset: each model's ramp is undone for it.
    const observed = run && tick ? tick.ramp : undefined;
    const ramp = run && tick ? { ramp: { tickMs: tick.tickMs, elapsedMs: Math.max(0, tick.timeMs - run.sinceMs) }, ...(observed ? { rampTicks: { ...observed, tickLogSigma: spike.sigma } } : {}) } : {};
    estimate = estimateAmplification({ requests, requestsBaseline: spike.baseline, logRateSigma, failing: fraction.e, failingLow: fraction.low, failingHigh: fraction.high, ...ramp }, models);
  }
  // The kind needs less certainty than the page (the failure itself is already certain, the rate
  // only says which kind it is): the multiplier one σ clear of 1 upwards (retries) or downwards (a
  // stalled client pool), over at least MIN_DIRECTION_SECONDS of the failure.
  // The direction is read over the run's last few ticks (how the rate moves now: a storm starts
  // flat while clients wait to retry, a closed pool retries once before it stalls). Their σ does
  // not shrink however long the failure lasts, so on lumpy traffic the ticks since the failure's
  // onset add the certainty: their multiplier one σ clear, the last ticks pointing the same way.
  // A fall counts only within the failure, over at least MIN_DIRECTION_SECONDS of it: the run's
  // change-point may lead the onset by a few noisy ticks, and a lull there is no stalled pool.
  const directionReadable = !run || run.seconds >= MIN_DIRECTION_SECONDS;
  const failure = run?.failure;
  const now = run?.recent ?? run;
  const since = failure && now && failure.seconds > now.seconds ? failure : undefined;
  const nowInFailure = failure && now && failure.seconds < now.seconds ? (failure.seconds >= MIN_DIRECTION_SECONDS ? failure : undefined) : now;
  // A rise is read over MIN_RISE_SECONDS of the failure itself (the run may have begun in noise
  // before it), and needs the latest tick not back below the baseline: a closed pool's first
  // retries crest and fall within its first ticks, while a storm's retries keep its rate up.
  const riseReadable = !run || (failure ? failure.seconds : run.seconds) >= MIN_RISE_SECONDS;
  const latestUp = !spike || !(sample.requests < spike.baseline);
  const direction =
    now && directionReadable && riseReadable && latestUp && (clearlyUp(now) || (since !== undefined && now.multiplier > MIN_AMPLIFICATION && clearlyUp(since)))
      ? 'up'
      : now && directionReadable && nowInFailure !== undefined && (clearlyDown(nowInFailure) || (since !== undefined && nowInFailure.multiplier < CLOSED_LOOP_BELOW && clearlyDown(since)))
        ? 'down'
        : undefined;
  // A storm also needs retries to add a material share of attempts over the failure so far (the
  // steadier reading), so that a partial failure near the line is not a storm on one seed and a
  // regression on the next: from the failure's onset once that spans the last ticks (before, one
  // tick of a 15 s failure would be less steady than the run).
  const multiplier = failure && now && failure.seconds >= now.seconds ? failure.multiplier : run ? run.multiplier : estimate?.multiplier ?? Number.NaN;
  // With a run, its last ticks decide the direction; without one (no change-point yet), the estimate.
  const rising = run ? direction === 'up' : estimate?.amplified === true;
  // Retries cannot add more than 1/(1 − f) at a failing share f (storm-floor.ts): while even f's
  // high end cannot add the storm floor's share (5 % failing: at most 1.053x), a larger rise is
  // demand that came with the failure, and the failure is a regression, not a storm.
  const amplified = rising && multiplier >= STORM_MIN_MULTIPLIER && retriesCanStorm(fraction.high);
  // A stall names an outage only where a material share fails: a fall of demand under a few per
  // cent failing (a wobble one σ down) paged 3 % errors, one zone of three failing and a funnel
  // at 60 % as outages, "5.69 % of requests fail", in one positive of five on unseen traffic.
  const ratioRead = isRead(funnel) || isRead(errors);
  const stalled = (run ? direction === 'down' : estimate?.regime === 'closed-loop') && !(ratioRead && fraction.high < STALL_MIN_FAILING);
  let kind: IncidentKind = 'error_regression';
  if (amplified && fraction.e > 0) kind = 'retry_storm';
  else if (collapsed || fraction.e >= 0.5 || stalled) kind = 'outage';

  // Settled by a collapse, or once the rate over enough of the failure is up, down, or cannot hide
  // retries. A tick without requests has no failing fraction (its ratio checks keep their alarm and
  // have nothing to read): it cannot tell an outage from an error regression, so it settles no kind
  // that rests on the fraction. A stall does not: a failing rate clearly down is an outage whatever
  // fails (a closed pool's silent second is its plainest sign).
  // When most attempts fail (an outage or a storm, nothing between), a rate that has not risen rules
  // the storm out once every client model that could make one would show by now (a client retrying
  // within a second shows within a tick; one waiting ten seconds keeps the question open that long).
  // A partial failure keeps waiting for the rate (at most classifyWithin): a few percent failing is
  // not urgent to the second, and a transient one (pods restarting) clears in that time.
  // The rate's upper end and the time retries had, from the failure's onset once known: ticks of
  // the run before it had no retries to show, and may hold a lull that is no evidence against one.
  const multiplierHigh = estimate && failure ? Math.max(estimate.multiplierHigh, failure.multiplier * Math.exp(2 * failure.logSigma)) : estimate?.multiplierHigh ?? Number.NaN;
  const noStorm =
    !amplified &&
    fraction.e >= 0.5 &&
    estimate !== undefined &&
    run !== undefined &&
    tick !== undefined &&
    !stormStillPossible(
      models,
      failure
        ? { multiplierHigh, tickMs: tick.tickMs, elapsedMs: Math.max(0, failure.seconds * 1000 - tick.tickMs) }
        : { multiplierHigh: estimate.multiplierHigh, tickMs: tick.tickMs, elapsedMs: Math.max(0, tick.timeMs - run.sinceMs) },
      fraction.low,
      STORM_MIN_MULTIPLIER,
    );
  // A rate that has not risen says so only over enough of the failure itself: the run may have
  // begun in a lull before it, and a storm's retries need seconds to show.
  const failureReadable = failure ? failure.seconds >= MIN_DIRECTION_SECONDS : directionReadable;
  const settled = collapsed && collapse === 'awaiting' ? false : failing !== true || collapsed || !estimate || (directionReadable && stalled) || (ratioRead && (amplified || (failureReadable && (multiplierHigh <= MIN_AMPLIFICATION || noStorm))));
  // Unread, not absent: a signal with no ratio check at all (requests only) has no fraction to miss.
  const failureUnread = (funnel !== undefined || errors !== undefined) && !ratioRead;
  const assessment = into ?? blankAssessment();
  assessment.failing = failing;
  assessment.surge = surge;
  assessment.kind = kind;
  assessment.settled = settled;
  assessment.estimate = estimate;
  // A series' own assessment reads its numbers from this tick's sample and evaluations; any other is written them.
  if (assessment instanceof SeriesAssessment) assessment.readFrom(sample, evaluations);
  else {
    const written: Assessment = assessment;
    written.completion = funnel?.observed ?? Number.NaN;
    written.completionBaseline = funnel?.baseline ?? Number.NaN;
    written.errorRatio = errors?.observed ?? Number.NaN;
    written.errorRatioBaseline = errors?.baseline ?? Number.NaN;
    written.requests = sample.requests;
    written.requestsBaseline = spike?.baseline ?? Number.NaN;
  }
  assessment.failureUnread = failureUnread;
  assessment.trafficMoved = movedAway;
  assessment.explanation = '';
  assessment.aftermath = undefined;
  if (interesting) assessment.explanation = explain(signal, assessment, failing === true ? kind : 'organic_surge');
  else if (movedAway && drop) assessment.explanation = `${signal}: requests at ${formatRate(drop.observed)} (${formatRate(drop.baseline)} expected) while the signal's other series took what it lost: traffic moved, not lost. Not a page.`;
  // An error failure on a route with bursts was held while it looked like them: the page says why it came now.
  if (failing === true && errorsFailing && errors?.reason === OUTGREW_BURSTS) assessment.explanation += ' The errors have outgrown the bursts this series had in the last week (each held, not paged): larger, longer or more intense than they were.';
  return assessment;
}

/** An assessment with every field present (one shape), for assess to write. */
export function blankAssessment(): Assessment {
  return {
    failing: undefined,
    surge: undefined,
    kind: 'error_regression',
    settled: true,
    estimate: undefined,
    completion: Number.NaN,
    completionBaseline: Number.NaN,
    errorRatio: Number.NaN,
    errorRatioBaseline: Number.NaN,
    requests: Number.NaN,
    requestsBaseline: Number.NaN,
    failureUnread: false,
    trafficMoved: false,
    explanation: '',
    aftermath: undefined,
  };
}
