// The one-sentence explanation an alert carries: what is happening and why stormwatch thinks so,
// in the words an on-call engineer would use. Pure.

import type { Assessment, AlertKind } from './assessment.js';
import { formatFactor, formatPercent, formatRate } from './format.js';
import { STORM_MIN_MULTIPLIER, maxRetryMultiplier } from './storm-floor.js';

export function explain(signal: string, a: Assessment, kind: AlertKind): string {
  const est = a.estimate;
  const m = est ? formatFactor(est.multiplier) : 'n/a';
  const rates = `${formatRate(a.requests)} vs ${formatRate(a.requestsBaseline)}`;
  const hasFunnel = Number.isFinite(a.completionBaseline);
  const failingWhat = hasFunnel
    ? `${formatPercent(a.completion)} of requests complete downstream (baseline ${formatPercent(a.completionBaseline)})`
    : `${formatPercent(est?.failingAttempts ?? Number.NaN)} of requests fail (baseline ${formatPercent(a.errorRatioBaseline)})`;
  switch (kind) {
    case 'organic_surge':
      return `${signal}: requests at ${m} baseline (${rates}) and ${hasFunnel ? `${formatPercent(a.completion)} complete downstream` : `errors at ${formatPercent(a.errorRatio)}`}: more demand, served fine.`;
    case 'retry_storm': {
      const best = est?.matches[0];
      const demand = est && Number.isFinite(est.logicalDemand) ? `; logical demand about ${formatRate(est.logicalDemand)}` : '';
      if (!est) return `${signal}: ${failingWhat}.`;
      if (!best) {
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: failing requests are being retried (about ${est.attemptsPerRequest.toFixed(1)} attempts per request), but no known client retry policy fits${demand}.`;
      }
      if (est.clientUndecided) {
        const fitting = est.matches.slice(0, 4).map((x) => x.model);
        const what = best.regime === 'total' ? 'every request is failing and being retried' : `${formatPercent(est.failingAttempts)} of attempts fail and failures are retried`;
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: ${what} (about ${est.attemptsPerRequest.toFixed(1)} attempts per request); ${fitting.slice(0, -1).join(', ')} and ${fitting.at(-1)} fit, not yet told apart${demand}.`;
      }
      const alternatives = est.matches.slice(1).map((x) => x.model);
      const also = alternatives.length > 0 ? ` (also fits: ${alternatives.join(', ')})` : '';
      if (best.regime === 'total') {
        return `${signal}: requests at ${m} baseline (${rates}) while ${failingWhat}: every request is failing and ${best.model} retrying each one ${best.retries} times matches${also}${demand}, unchanged.`;
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

/** The sentence of an incident whose cause is gone while requests stay amplified. */
export function explainAftermath(signal: string, a: Assessment, aftermath: { healthySinceMs: number; multiplier: number }): string {
  const since = new Date(aftermath.healthySinceMs).toISOString();
  return `${signal}: storm outlived its cause: failures back to baseline since ${since}, requests still ${formatFactor(aftermath.multiplier)} baseline (${formatRate(a.requests)} vs ${formatRate(a.requestsBaseline)}): clients still draining retries, or retries keeping the service overloaded. Resolves when the rate returns.`;
}
