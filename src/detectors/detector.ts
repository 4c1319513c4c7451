// The detector plug-in contract: a detector turns one signal's rates at one time into evaluations.
// Detectors are pure: no I/O, no clock (time comes in), no metrics.

import type { Evaluation, SignalInput, SignalSample } from '../core/types.js';

export interface Detector {
  observe(sample: SignalSample, timeMs: number): Evaluation[];
}

export interface DetectorContext {
  /** The tick interval, to turn rates into counts per tick for traffic guards. */
  intervalMs: number;
  /** The inputs this signal has; checks that need a missing input are not run. */
  inputs: ReadonlySet<SignalInput>;
}
