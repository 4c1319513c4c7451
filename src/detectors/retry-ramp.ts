// How a retry storm builds up: after a failure starts, retry k of a failed request arrives only
// after the client's sleeps before it, so the attempt multiplier M(t) ramps from 1 to its plateau
// over the client's retry schedule (cargo's chains fill ~11.5 s after onset; cargo <= 1.69 retries
// at once). The failure run's multiplier (evidence-detector) averages the ticks since onset, so
// early in a storm it reads below the plateau by a factor each client model predicts. Pure.
//
// Model: a fraction p of requests fails every attempt; retry k arrives S_k = d_1 + … + d_k after
// the first attempt (d_i uniform in the model's delay range, S_k taken uniform over
// [Σ min, Σ max], exact when at most one delay varies). The excess attempt rate at time t after
// onset is p·Σ_k P(S_k ≤ t), its plateau p·R. Onset falls uniformly inside the run's first tick.

import type { ClientModel } from './client-model.js';

/** Matches the failure run's memory (evidence-detector RUN_MEMORY_MS): older ticks fade beyond it. */
export const RUN_MEMORY_MS = 60_000;
/** Onset positions averaged over inside the first tick. */
export const ONSET_POINTS = 8;

/** ∫_0^t P(S ≤ s) ds for S uniform on [a, b]: the attempts of one retry arrived by t, integrated. */
function arrivedIntegral(t: number, a: number, b: number): number {
  if (t <= a) return 0;
  if (b - a < 1e-9) return t - a;
  if (t >= b) return t - (a + b) / 2;
  return ((t - a) * (t - a)) / (2 * (b - a));
}

/** Cumulative excess attempts (per unit of failing demand) sent by t seconds after onset. */
export function excessArrived(model: RampModel, t: number): number {
  let a = 0;
  let b = 0;
  let total = 0;
  for (let k = 0; k < model.maxRetries; k++) {
    const d = model.delaysSeconds[k] ?? model.delaysSeconds.at(-1) ?? { min: 0, max: 0 };
    a += d.min;
    b += d.max;
    total += retryWeight(model, k) * arrivedIntegral(t, a, b);
  }
  return total;
}

export type RampModel = Pick<ClientModel, 'maxRetries' | 'delaysSeconds' | 'abortsOnFirstExhausted'>;

/**
 * The share of failing requests that make retry k+1. A client that aborts on its first exhausted
 * request (cargo: one crate out of a build) sends only one of a build's last retries, a small
 * share of the storm whatever the build size: its ramp is that of the earlier retries.
 */
function retryWeight(model: RampModel, k: number): number {
  return model.abortsOnFirstExhausted && model.maxRetries > 1 && k === model.maxRetries - 1 ? 0 : 1;
}

/** Excess attempts per failing request at the plateau (retries that count, see retryWeight). */
export function plateauExcess(model: RampModel): number {
  let w = 0;
  for (let k = 0; k < model.maxRetries; k++) w += retryWeight(model, k);
  return w;
}

/**
 * The fraction of a model's plateau excess (M − 1) that the run's multiplier shows `elapsedMs`
 * after the run's first tick ended (the run covers ticks of `tickMs`, the first holding the
 * onset), with the run's fading memory applied as the evidence detector applies it. 1 for a model
 * without retries. `shiftSeconds` moves the storm earlier (positive) or later: the onset is only
 * known to within a tick, and requests take time themselves.
 */
export function rampFraction(model: RampModel, tickMs: number, elapsedMs: number, shiftSeconds = 0): number {
  if (model.maxRetries <= 0) return 1;
  const tick = tickMs / 1000;
  const ticks = Math.max(1, Math.round(elapsedMs / tickMs) + 1);
  let sum = 0;
  for (let i = 0; i < ONSET_POINTS; i++) {
    // Onset at τ seconds into the first tick.
    const tau = ((i + 0.5) / ONSET_POINTS) * tick;
    let observed = 0;
    let expected = 0;
    let seconds = 0;
    for (let j = 1; j <= ticks; j++) {
      if (seconds * 1000 >= RUN_MEMORY_MS) {
        const keep = 1 - tickMs / RUN_MEMORY_MS;
        observed *= keep;
        expected *= keep;
        seconds *= keep;
      }
      const end = Math.max(0, j * tick - tau + shiftSeconds);
      const start = Math.max(0, (j - 1) * tick - tau + shiftSeconds);
      observed += excessArrived(model, end) - excessArrived(model, start);
      expected += tick * plateauExcess(model);
      seconds += tick;
    }
    sum += observed / expected;
  }
  return Math.min(1, Math.max(sum / ONSET_POINTS, 1e-3));
}

/** The plateau multiplier a model implies from the run's multiplier, given its ramp fraction. */
export function plateauMultiplier(runMultiplier: number, fraction: number): number {
  return runMultiplier > 1 ? 1 + (runMultiplier - 1) / fraction : runMultiplier;
}

/**
 * The fraction of a model's plateau excess that tick `j` (1 = the tick holding the onset) shows,
 * onset uniform inside that first tick.
 */
export function tickFraction(model: RampModel, tickMs: number, j: number, shiftSeconds = 0): number {
  let sum = 0;
  for (const tau of onsetPoints(tickMs)) sum += tickFractionAt(model, tickMs, j, tau, shiftSeconds);
  return sum / ONSET_POINTS;
}

/** Onset positions (seconds into the first tick) a fit may choose from. */
export function onsetPoints(tickMs: number): number[] {
  return Array.from({ length: ONSET_POINTS }, (_, i) => ((i + 0.5) / ONSET_POINTS) * (tickMs / 1000));
}

/** The share of the plateau excess tick `j` shows when the onset came `tau` seconds into the first tick. */
export function tickFractionAt(model: RampModel, tickMs: number, j: number, tau: number, shiftSeconds = 0): number {
  if (model.maxRetries <= 0) return 1;
  const tick = tickMs / 1000;
  const plateau = plateauExcess(model);
  if (plateau <= 0) return 1;
  const end = Math.max(0, j * tick - tau + shiftSeconds);
  const start = Math.max(0, (j - 1) * tick - tau + shiftSeconds);
  return (excessArrived(model, end) - excessArrived(model, start)) / (tick * plateau);
}
