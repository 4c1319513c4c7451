// The one-sentence explanation an alert carries: what is happening and why stormwatch thinks so,
// in the words an on-call engineer would use. Pure.

import type { Assessment, AlertKind } from './assessment.js';
import { formatCompletion, formatFactor, formatPercent, formatRate } from './format.js';
import { STORM_MIN_MULTIPLIER, maxRetryMultiplier } from './storm-floor.js';

export function explain(signal: string, a: Assessment, kind: AlertKind): string {
  const est = a.estimate;
  const m = est ? formatFactor(est.multiplier) : 'n/a';
  // The multiplier is read over the ticks since the failure began (its ramp fitted), the rates are
  // the last tick's: where the two are apart, both are said, or the page's 3.52x sat beside rates
  // dividing to 4.05x.
  const lastTick = a.requests / a.requestsBaseline;
  const apart = est !== undefined && Number.isFinite(lastTick) && lastTick > 0 && Math.abs(Math.log(lastTick / est.multiplier)) > Math.log(1.1);
  const rates = `${formatRate(a.requests)} vs ${formatRate(a.requestsBaseline)}${apart ? `: ${formatFactor(lastTick)} in the last tick, ${m} since it began` : ''}`;
  const hasFunnel = Number.isFinite(a.completionBaseline);
  // A tick without requests has no completion ratio to quote (a 1 s tick of a stalling pool).
  const failingWhat = hasFunnel
    ? Number.isFinite(a.completion)
      ? `${formatCompletion(a.completion)} of requests complete downstream (baseline ${formatCompletion(a.completionBaseline)})`
      : `no request in the last tick to read completions from (baseline ${formatCompletion(a.completionBaseline)} complete)`
    : // The error ratio itself beside its baseline, as the summary and the ratios say it: the model's
      // failing share is the part above the baseline (7.82% "of requests fail" beside a summary's 9.84%).
      Number.isFinite(a.errorRatio)
      ? `${formatPercent(a.errorRatio)} of requests fail (baseline ${formatPercent(a.errorRatioBaseline)})`
      : `${formatPercent(est?.failingAttempts ?? Number.NaN)} of requests fail beyond the baseline's ${formatPercent(a.errorRatioBaseline)}`;
  switch (kind) {
    case 'organic_surge':
      return `${signal}: requests at ${m} baseline (${rates}) and ${hasFunnel ? `${formatCompletion(a.completion)} complete downstream` : `errors at ${formatPercent(a.errorRatio)}`}: more demand, served fine.`;
    case 'retry_storm': {
      const best = est?.matches[0];
      const demand = est && Number.isFinite(est.logicalDemand) ? `; logical demand about ${formatRate(est.logicalDemand)}` : '';
      if (!est) return `${signal}: ${failingWhat}.`;
      const attempts = Number.isFinite(est.attemptsPerRequest) ? `about ${est.attemptsPerRequest.toFixed(1)} attempts per request` : 'attempts per request not estimable';
      // A rise not yet clear of the rate's noise ranks no client (retry-amplification.ts): that is
      // too early to say, not a client that fits none.
      if (!best && !est.amplified) {
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: the rise is not yet clear of the rate's noise (${formatFactor(est.multiplierLow)}-${formatFactor(est.multiplierHigh)}), too early to tell which client retries (${attempts})${demand}.`;
      }
      if (!best) {
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: failing requests are being retried (${attempts}), but no known client retry policy fits${demand}.`;
      }
      if (est.clientUndecided) {
        const fitting = est.matches.slice(0, 4).map((x) => x.model);
        const what = best.regime === 'total' ? 'every request is failing and being retried' : `${formatPercent(est.failingAttempts)} of attempts fail and failures are retried`;
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: ${what} (about ${est.attemptsPerRequest.toFixed(1)} attempts per request); ${fitting.slice(0, -1).join(', ')} and ${fitting.at(-1)} fit, not yet told apart${demand}.`;
      }
      const alternatives = est.matches.slice(1).map((x) => x.model);
      const also = alternatives.length > 0 ? ` (also fits: ${alternatives.join(', ')})` : '';
      if (best.regime === 'total') {
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: every request is failing and ${best.model} retrying each one ${best.retries} times matches${also}${demand}${demandAgainstBaseline(est, a.requestsBaseline)}.`;
      }
      if (best.regime === 'independent') {
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: ${formatPercent(est.failingAttempts)} of attempts fail and each failure is retried; ${best.model} (up to ${best.retries} retries) predicts ${formatFactor(best.predictedLow)}${also}; about ${formatPercent(est.failingRequests)} of requests still fail after all retries${demand}.`;
      }
      return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: about ${formatPercent(est.failingRequests)} of requests fail on every attempt and ${best.model} retries them (${est.retriesPerFailure.toFixed(1)} retries each)${also}${demand}.`;
    }
    case 'outage':
      if (est?.regime === 'closed-loop') {
        return `${signal}: requests fell to ${m} baseline (${rates}) while ${failingWhat}: matches a fixed pool of clients each stuck retrying (CI runners waiting on their builds); demand cannot be read from the rate.`;
      }
      if (est && est.multiplier < 0.5) return `${signal}: requests fell to ${m} baseline (${rates}): traffic is not reaching the service.`;
      // Fewer requests than before, not yet told apart from a pool stalling on its retries.
      if (est && est.multiplier < 1) {
        return `${signal}: ${failingWhat} with requests at ${m} baseline: clients fail without retrying (a 404, or clients that do not retry), or a fixed pool of clients is stalling on its retries; too early to tell them apart.`;
      }
      return `${signal}: ${failingWhat} with requests at ${m} baseline: clients fail without retrying (a 404, or clients that do not retry).`;
    case 'error_regression': {
      // Requests up by more than any retries after this failing share can add: the rest is demand.
      const f = est?.failingAttempts ?? Number.NaN;
      if (est && est.multiplier >= STORM_MIN_MULTIPLIER && est.multiplier > maxRetryMultiplier(f)) {
        return `${signal}: ${failingWhat}, requests at ${m} baseline (${rates}): a regression; retries after ${formatPercent(f)} of attempts fail add at most ${formatFactor(maxRetryMultiplier(f))}, so the rest of the rise is demand.`;
      }
      return `${signal}: ${failingWhat}, requests at ${m} baseline (${rates}): a regression with no sign of retry amplification.`;
    }
  }
}

/**
 * Whether the logical demand read moved from the baseline's: ", unchanged" when the baseline lies
 * inside the demand's interval, else the baseline beside it. '' without a demand read.
 */
function demandAgainstBaseline(est: { logicalDemand: number; logicalDemandLow: number; logicalDemandHigh: number }, baseline: number): string {
  if (!Number.isFinite(est.logicalDemand) || !Number.isFinite(baseline)) return '';
  if (baseline >= est.logicalDemandLow && baseline <= est.logicalDemandHigh) return ', unchanged';
  return ` (${formatRate(baseline)} before)`;
}

/** The sentence of an incident whose cause is gone while requests stay amplified. */
export function explainAftermath(signal: string, a: Assessment, aftermath: { healthySinceMs: number; multiplier: number }): string {
  const since = new Date(aftermath.healthySinceMs).toISOString();
  return `${signal}: storm outlived its cause: failures back to baseline since ${since}, requests still ${formatFactor(aftermath.multiplier)} baseline (${formatRate(a.requests)} vs ${formatRate(a.requestsBaseline)}): clients still draining retries, or retries keeping the service overloaded. Resolves when the rate returns.`;
}
