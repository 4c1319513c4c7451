// What one tick saw and weighed, per signal, for `--log-level debug`: enough to replay by eye why
// a page came (or did not) at a given data time.

import type { MovedCollapse, TickResult } from '../pipeline.js';

/** A number to a few significant digits; NaN and infinities as text (JSON has no such numbers). */
function round(x: number | undefined, digits = 3): number | string | undefined {
  if (x === undefined) return undefined;
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : String(x);
}

export function tickDebugFields(result: TickResult, dataTimeMs: number): Record<string, unknown> {
  const signals: Record<string, unknown> = {};
  for (const [id, report] of result.signals) {
    signals[id] = {
      requests: round(report.sample.requests, 4),
      errors: round(report.sample.errors, 4),
      downstream: round(report.sample.downstream, 4),
      failing: report.assessment.failing,
      kind: report.assessment.kind,
      settled: report.assessment.settled,
      checks: report.evaluations.map((e) => ({
        check: e.kind,
        status: e.status,
        observed: round(e.observed),
        baseline: round(e.baseline),
        sigma: round(e.sigma),
        // A check that did not judge has none (absent or NaN): left out.
        evidence: Number.isNaN(e.evidence) ? undefined : round(e.evidence),
        threshold: Number.isNaN(e.threshold) ? undefined : round(e.threshold),
        ...(e.run ? { run: { since: new Date(e.run.sinceMs).toISOString(), multiplier: round(e.run.multiplier), logSigma: round(e.run.logSigma), seconds: round(e.run.seconds), ...(e.run.recent ? { recent: round(e.run.recent.multiplier), recentLogSigma: round(e.run.recent.logSigma), recentRiseLogSigma: round(e.run.recent.riseLogSigma) } : {}), ...(e.run.failure ? { failure: round(e.run.failure.multiplier), failureLogSigma: round(e.run.failure.logSigma), failureRiseLogSigma: round(e.run.failure.riseLogSigma), failureSeconds: round(e.run.failure.seconds) } : {}) } } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
      })),
    };
  }
  return { dataTime: new Date(dataTimeMs).toISOString(), signals };
}

/** The line a collapse judged traffic moved is logged with (at info: a page not sent is said). */
export const MOVED_TRAFFIC_LOG = "a collapse judged traffic moved to its signal's other series, whose total held: not paged";

/** Its fields: the series, what it lost, how the signal's total moved (drift taken off) and the spread that was read against. */
export function movedTrafficFields(m: MovedCollapse, dataTimeMs: number): Record<string, unknown> {
  return { dataTime: new Date(dataTimeMs).toISOString(), series: m.series, lostPerSecond: round(m.lost), totalChangePerSecond: round(m.totalChange), spreadPerSecond: round(m.spread) };
}
