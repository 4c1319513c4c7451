// Shared types that flow through the pipeline: frames in, evaluations, alert transitions out.

export type Labels = Record<string, string>;

/** The inputs a signal may have; each is a per-second rate. */
export type SignalInput = 'requests' | 'errors' | 'downstream';

/** Per-second rates of one signal at one instant. NaN means "not known at this tick". */
export interface SignalSample {
  requests: number;
  errors: number;
  downstream: number;
}

/** A series of a deploy-marker metric: its labels and value. */
export interface MarkerSeries {
  labels: Labels;
  value: number;
}

/**
 * A sample rewritten in place each tick. A class of its own, not an object literal: V8 shares a
 * hidden class among literals with the same keys, and the config's `inputs` ({requests, errors,
 * downstream} of query strings) would make these fields untyped, so every tick's rate would be
 * stored as a newly allocated number (three a series a tick, each kept alive from the old
 * generation until the next). Here the fields stay typed as numbers, each rewritten in its own box.
 */
class MutableSample implements SignalSample {
  requests = Number.NaN;
  errors = Number.NaN;
  downstream = Number.NaN;
}

/** A sample with nothing known yet. */
export function emptySample(): SignalSample {
  return new MutableSample();
}

/** Which signal a series belongs to, and its group labels (for a signal split `by` labels). */
export interface SeriesInfo {
  signal: string;
  labels: Labels;
}

/** Every signal's rates at one data time, and the series of each deploy marker. */
export interface Frame {
  timeMs: number;
  /**
   * Rates by series id: the signal's name, or name{labels} for a signal split `by` labels. Sources
   * give columns (series/frame-samples.ts); `get` makes a sample object when asked.
   */
  signals: ReadonlyMap<string, SignalSample>;
  /** For the series of split signals: their signal and group labels. */
  series?: ReadonlyMap<string, SeriesInfo>;
  markers?: Map<string, MarkerSeries[]>;
}

/** What a detector can flag. Each kind has its own alert definition in alerts/. */
export type FindingKind = 'rate_spike' | 'rate_drop' | 'error_ratio' | 'funnel_drop';

/**
 * One check's verdict at one tick. `unknown` (warming up, missing data) leaves the alert state as it
 * was, so a scrape gap neither raises nor resolves an alert. A ratio check at a tick without
 * requests keeps its last status (no evidence either way) with `reason: 'no requests'` and no ratio.
 */
export interface Evaluation {
  kind: FindingKind;
  status: 'anomalous' | 'normal' | 'unknown';
  /** This tick's standardised residual against its baseline (signed). NaN when unknown. */
  score: number;
  observed: number;
  baseline: number;
  /** σ of one tick's value, noise of counting included (log units for rate checks, ratio units otherwise). */
  sigma: number;
  /**
   * Why the status is unknown, for logs and annotations; on an anomalous error check, HELD_BURST
   * (detectors/stats/error-bursts.ts) when the alarm is within the bursts the series has had: no failure.
   */
  reason?: string;
  /** Evidence gathered for this check's failure by its sequential test (nats), and the alarm threshold; absent or NaN when the check did not judge. */
  evidence?: number;
  threshold?: number;
  /**
   * Rate checks during a failure: requests over what the baseline expected since the failure's
   * evidence began (its change-point), with the σ of that log-ratio and the seconds it spans;
   * `recent`: the same over its last few ticks (how the rate moves now); `failure`: the same since
   * the ratio checks first alarmed (the failure's own onset), once they have.
   */
  run?: { sinceMs: number; multiplier: number; logSigma: number; seconds: number; recent?: RunWindow; failure?: RunWindow };
  /** Funnel: the share of a tick's completions counted at the next tick (hops scraped apart), as learnt; absent or NaN while unknown. */
  lateShare?: number;
}

/** A multiplier of requests over the baseline's expectation across some ticks of a failure's run. */
export interface RunWindow {
  multiplier: number;
  logSigma: number;
  /**
   * The σ a rise over these ticks is read through: the likelier dispersion, not the checks'
   * cautious bound (assess.ts, MIN_RISE_SECONDS). Absent: logSigma.
   */
  riseLogSigma?: number;
  seconds: number;
}

export type AlertStatus = 'firing' | 'resolved';

/** An alert changed state at `evaluatedAtMs` (the data time), carrying its identity and explanation. */
export interface AlertTransition {
  status: AlertStatus;
  labels: Labels;
  annotations: Labels;
  fingerprint: string;
  startsAtMs: number;
  /** Set when resolved: the data time at which the condition was last seen. */
  endsAtMs?: number;
  evaluatedAtMs: number;
  /**
   * Set on a firing alert's refresh: the n-th update of the same incident (same fingerprint and
   * startsAt, new annotations as the evidence grew). An update is not a new incident.
   */
  update?: number;
}

/**
 * An errors input whose selector's metric no series has, or whose series none has a label the
 * selector requires: a misspelt name or label reads as no errors (LiveSource.absentErrorMetrics).
 */
export interface AbsentErrorMetric {
  signal: string;
  metric: string;
  selector: string;
  /** Set when the metric has series: the labels the selector requires that none of them has. */
  missingLabels?: string[];
  /** With missingLabels: the labels its series do have (to show what was meant). */
  labelsSeen?: string[];
}

/**
 * A signal input's rate (summed over its series) held from series that are missing (their
 * targets' scrapes fail, or they left a page still scraped): an estimate, not a reading.
 */
export interface HeldRate {
  signal: string;
  input: SignalInput;
  rate: number;
}
