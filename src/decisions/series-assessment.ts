// The assessment the pipeline keeps for one series and rewrites every tick. Its verdict (failing,
// surge, kind, the estimate, the sentence) are fields; its numbers (requests and completion and
// error ratios, each with its baseline) are read from the tick's sample and evaluations, which
// hold them already: six copies kept as fields were six boxed doubles a series (V8 keeps a double
// in an object field as a number object of its own), 144 bytes a series with their slots.
//
// Valid for as long as the sample and evaluations it reads are: until the pipeline's next step.
// Spread or stored, it is copied first (copyAssessment), as anything else of a report is.

import type { Evaluation, SignalSample } from '../core/types.js';
import type { AmplificationEstimate } from '../detectors/retry-amplification.js';
import type { Assessment, IncidentKind } from './assessment.js';

const NO_EVALUATIONS: readonly Evaluation[] = Object.freeze([]);

function observedOf(evaluations: readonly Evaluation[], kind: Evaluation['kind']): number {
  for (const e of evaluations) if (e.kind === kind) return e.observed;
  return Number.NaN;
}

function baselineOf(evaluations: readonly Evaluation[], kind: Evaluation['kind']): number {
  for (const e of evaluations) if (e.kind === kind) return e.baseline;
  return Number.NaN;
}

export class SeriesAssessment implements Assessment {
  failing: boolean | undefined = undefined;
  surge: boolean | undefined = undefined;
  kind: IncidentKind = 'error_regression';
  settled = true;
  estimate: AmplificationEstimate | undefined = undefined;
  failureUnread = false;
  trafficMoved = false;
  explanation = '';
  aftermath: { healthySinceMs: number; multiplier: number } | undefined = undefined;
  /** The evaluations its numbers are read from (the detector's, rewritten in place each tick). */
  private evaluations: readonly Evaluation[] = NO_EVALUATIONS;

  /** `sample`: the one it reads its requests from (the series' report's, rewritten in place each tick). */
  constructor(private sample: SignalSample) {}

  /** Reads its numbers from `sample` and `evaluations` from now on (the pipeline hands it the same two each tick). */
  readFrom(sample: SignalSample, evaluations: readonly Evaluation[]): void {
    this.sample = sample;
    this.evaluations = evaluations;
  }

  get requests(): number {
    return this.sample.requests;
  }
  get requestsBaseline(): number {
    return baselineOf(this.evaluations, 'rate_spike');
  }
  get completion(): number {
    return observedOf(this.evaluations, 'funnel_drop');
  }
  get completionBaseline(): number {
    return baselineOf(this.evaluations, 'funnel_drop');
  }
  get errorRatio(): number {
    return observedOf(this.evaluations, 'error_ratio');
  }
  get errorRatioBaseline(): number {
    return baselineOf(this.evaluations, 'error_ratio');
  }

  /** A plain copy (logs, JSON). */
  toJSON(): Assessment {
    return copyAssessment(this);
  }
}

/** Every field of `a` in a plain object of its own, whatever `a` is (a SeriesAssessment's numbers are accessors a spread would miss). */
export function copyAssessment(a: Assessment): Assessment {
  return {
    failing: a.failing,
    surge: a.surge,
    kind: a.kind,
    settled: a.settled,
    estimate: a.estimate,
    completion: a.completion,
    completionBaseline: a.completionBaseline,
    errorRatio: a.errorRatio,
    errorRatioBaseline: a.errorRatioBaseline,
    requests: a.requests,
    requestsBaseline: a.requestsBaseline,
    ...(a.failureUnread !== undefined ? { failureUnread: a.failureUnread } : {}),
    ...(a.trafficMoved !== undefined ? { trafficMoved: a.trafficMoved } : {}),
    explanation: a.explanation,
    aftermath: a.aftermath,
  };
}
