// Whether a retry storm could still be building behind a failure whose request rate has not risen.
// Retries arrive on each client's schedule (retry-ramp.ts), so a flat rate early in a failure says
// nothing about a client that waits ten seconds before its first retry, and much about one that
// retries within a second. Pure.

import type { ClientModel } from './client-model.js';
import { MODEL_TOLERANCE, RAMP_TIMING_SLACK_S, predictMultiplier } from './retry-amplification.js';
import { excessArrived, plateauExcess } from './retry-ramp.js';

export interface RunSoFar {
  /** Upper end of the run's attempt multiplier (requests over the baseline since onset). */
  multiplierHigh: number;
  tickMs: number;
  /** From the end of the run's first tick (the one holding the onset) to now. */
  elapsedMs: number;
}

/**
 * The least share of a model's plateau excess the run can show: the onset at the very end of the
 * run's first tick and the retries a second late. Cumulative, without the run's fading memory
 * (which only raises the share once the run is older than a minute).
 */
function leastShown(model: ClientModel, run: RunSoFar): number {
  const sinceOnsetS = run.elapsedMs / 1000 - RAMP_TIMING_SLACK_S;
  const runS = (run.elapsedMs + run.tickMs) / 1000;
  const plateau = plateauExcess(model);
  return plateau > 0 && sinceOnsetS > 0 ? excessArrived(model, sinceOnsetS) / (plateau * runS) : 0;
}

/**
 * True while some client model that can make a storm (a plateau of at least `stormFrom` at this
 * failing fraction, in either of the ways its requests can fail) predicts, for the run so far, no more attempts than the run's upper end: its
 * retries, arriving as late as the onset and its schedule allow and at the low end of its
 * tolerance, could still be on their way. False once every such model would already show.
 */
export function stormStillPossible(models: readonly ClientModel[], run: RunSoFar, failingLow: number, stormFrom: number): boolean {
  for (const model of models) {
    if (model.maxRetries <= 0) continue;
    const shown = leastShown(model, run);
    // Each way the model can fail (every request failing alike, or each attempt independently).
    for (const prediction of predictMultiplier(model, failingLow)) {
      // The least storm it can make: its range's low end, or, where the range reaches below a
      // storm (a client aborting on time may retry almost nothing), the least that is a storm.
      if (prediction.high * (1 + MODEL_TOLERANCE) < stormFrom) continue;
      const plateauLow = Math.max(prediction.low * (1 - MODEL_TOLERANCE), stormFrom);
      if (1 + (plateauLow - 1) * shown <= run.multiplierHigh) return true;
    }
  }
  return false;
}
