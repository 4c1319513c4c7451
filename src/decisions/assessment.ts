// What an assessment of one series at one tick says: failing or not, which kind of incident, the
// amplification estimate and the numbers and sentence that explain it. Types only, shared by the
// assessment (assess.ts), its explanation (explain.ts) and the alert decisions.

import type { AmplificationEstimate } from '../detectors/retry-amplification.js';

export type IncidentKind = 'retry_storm' | 'outage' | 'error_regression';
export type AlertKind = IncidentKind | 'organic_surge';

export interface Assessment {
  /** Undefined when no check could judge (warm-up, gap): alert states stay as they are. */
  failing: boolean | undefined;
  surge: boolean | undefined;
  kind: IncidentKind;
  /**
   * False while a failure's kind cannot be told yet: the requests neither rose (retries) nor fell
   * (a stuck client pool, a collapse) beyond their noise, and retries could still be on their way.
   */
  settled: boolean;
  estimate?: AmplificationEstimate;
  /** Completions per request now and at baseline (NaN without a downstream input). */
  completion: number;
  completionBaseline: number;
  errorRatio: number;
  errorRatioBaseline: number;
  requests: number;
  requestsBaseline: number;
  /**
   * True when the signal has ratio checks and none read this tick (a tick without requests: lumpy
   * traffic at short ticks has them mid-storm): how much is failing is unknown, not zero, so the
   * tick's estimate says nothing new about a firing incident's client or count. False when one read
   * it or the signal has none (requests only). Absent: read.
   */
  failureUnread?: boolean;
  /** The series' rate collapsed and its signal's other series took the traffic (moved-traffic.ts): no failure. Absent: not so. */
  trafficMoved?: boolean;
  explanation: string;
  /**
   * Set by the alert decider on a firing incident whose cause is gone (the failure checks healthy)
   * while requests stay amplified: clients draining retry chains, or retries keeping the service
   * overloaded. The incident stays firing, explained as such, until the rate returns.
   */
  aftermath?: { healthySinceMs: number; multiplier: number };
}
