// The failure run as the rate checks hand it out (Evaluation.run): one object a run, rewritten at
// each of its ticks, and handed to both rate evaluations. Made afresh every tick, the reading and
// its two windows were four objects and a dozen boxed numbers a gathering series a tick, each
// living a whole tick: at 100k series the scavenges carried them into the old generation, whose
// collections then came every few ticks. Valid as an evaluation is: until its detector's next tick.

import type { RunWindow } from '../core/types.js';

/** A window's numbers start as doubles (NaN), so V8 stores them as doubles from the first write. */
function newWindow(): RunWindow {
  return { multiplier: Number.NaN, logSigma: Number.NaN, riseLogSigma: Number.NaN, seconds: Number.NaN };
}

export class RunSummary {
  sinceMs = Number.NaN;
  multiplier = Number.NaN;
  logSigma = Number.NaN;
  seconds = Number.NaN;
  /** The run's last ticks. */
  readonly recent: RunWindow = newWindow();
  /** The ticks since the failure's own onset, once the ratio checks alarmed; undefined before. */
  failure: RunWindow | undefined = undefined;
  /** The object `failure` is while it is set (a # field: JSON and equality see the reading alone). */
  readonly #failureWindow: RunWindow = newWindow();

  /** Sets the failure's window (and returns it), or clears it. */
  failureAs(present: boolean): RunWindow | undefined {
    this.failure = present ? this.#failureWindow : undefined;
    return this.failure;
  }
}

/** Sets a window's numbers. */
export function setWindow(w: RunWindow, multiplier: number, logSigma: number, riseLogSigma: number, seconds: number): void {
  w.multiplier = multiplier;
  w.logSigma = logSigma;
  w.riseLogSigma = riseLogSigma;
  w.seconds = seconds;
}
