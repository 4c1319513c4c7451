// The detector plug-in contract: a detector turns one signal's rates at one time into evaluations.
// Detectors are pure: no I/O, no clock (time comes in), no metrics.

import type { SlabPool } from '../core/slab.js';
import type { Evaluation, SignalInput, SignalSample } from '../core/types.js';

export interface Detector {
  /** `deployWindow`: a deploy that can affect the signal is in question (its window open, or its alert firing). */
  observe(sample: SignalSample, timeMs: number, deployWindow?: boolean): Evaluation[];
  /** Plain-data state, so a restart mid-incident resumes with the pre-incident baselines. */
  snapshot(): unknown;
  /** Restores a snapshot; returns false (and changes nothing) when it does not fit. */
  restore(snapshot: unknown): boolean;
}

export interface DetectorContext {
  /** The tick interval, to turn rates into counts per tick. */
  intervalMs: number;
  /**
   * How much new evidence one tick carries (default 1). Below 1 when rates are read over a window
   * longer than a tick (PromQL rate() over 1m polled every 15 s): overlapping windows see the same
   * requests again.
   */
  evidenceWeight?: number;
  /** The inputs this signal has; checks that need a missing input are not run. */
  inputs: ReadonlySet<SignalInput>;
  /**
   * Where detectors' per-series state is carved from (the pipeline's pool, released by hand when a
   * series is forgotten); absent, each detector has a buffer of its own.
   */
  regions?: SlabPool;
  /**
   * false: the anomaly score is not kept (NaN every tick, its tail records left as they are). No
   * check nor decision reads it: a backtest that writes neither scores nor a report and judges no
   * deploy has no reader for it, and its transitions are the same. Default true.
   */
  anomalyScores?: boolean;
}
