// The anomaly score's slow view: how far the last couple of hours sit from the weekly profile,
// whatever the trailing hour's level has already absorbed. The tick-scale surprise is read against
// the profile plus the trailing window's level, which follows a lasting shift within the hour: a
// holiday a whole day lower, or an afternoon of heightened traffic, is then no surprise after its
// first hour. This reads the same log-rate against the profile alone.
//
// An exponentially weighted moving average of the deseasonalised log-rate r = ln(rate) − profile
// (Roberts 1959, "Control chart tests based on geometric moving averages", Technometrics 1(3)),
// with a time constant of DRIFT_TIME_CONSTANT_MS, standardised by its own root mean square over
// about two weeks (an exponentially weighted mean of its square, each square winsorised at
// DRIFT_CLIP² of the current one: Huber 1964's clipping, so a holiday does not widen the scale for
// the fortnight after it). Its surprise is the two-sided normal tail of that z in nats; the caller
// reads it through a tail record of its own (real drifts are heavier-tailed than normal, by an
// amount that differs per series), as the tick's surprise is read through its own.
//
// State: three numbers (the average, its mean square, ticks seen), Float32 in a slice of the
// caller's buffer. The square starts from the average's value after DRIFT_WARM_TIME_CONSTANTS time
// constants, and z is read a day after that (NaN before).

import { normalTailSurprise } from './anomaly-score.js';

/** Time constant of the average: two hours (one and two hours scored alike; six and a day worse). */
export const DRIFT_TIME_CONSTANT_MS = 2 * 3_600_000;
/** Memory of the mean square: two weeks, as the tail record's. */
export const DRIFT_SCALE_MEMORY_MS = 14 * 86_400_000;
/** A square counts at most this many times the current scale, squared. */
export const DRIFT_CLIP = 3;
/** Time constants of averaging before the mean square starts. */
const DRIFT_WARM_TIME_CONSTANTS = 2;
/** Float32 entries one drift state takes. */
export const DRIFT_SLOTS = 3;
const MEAN = 0;
const SQUARE = 1;
const TICKS = 2;
const DAY_MS = 86_400_000;

/** Empties a drift state. */
export function clearDrift(state: Float32Array, at = 0): void {
  state[at + MEAN] = 0;
  state[at + SQUARE] = Number.NaN;
  state[at + TICKS] = 0;
}

/**
 * Learns one tick's deseasonalised log-rate `residual` (ticks `intervalMs` apart) and returns the
 * average's z against its scale before this tick (NaN while warming up). O(1).
 */
export function updateDrift(state: Float32Array, residual: number, intervalMs: number, at = 0): number {
  if (!Number.isFinite(residual)) return Number.NaN;
  const alpha = 1 - Math.exp(-intervalMs / DRIFT_TIME_CONSTANT_MS);
  const mean = state[at + MEAN]! + alpha * (residual - state[at + MEAN]!);
  const ticks = state[at + TICKS]! + 1;
  state[at + MEAN] = mean;
  state[at + TICKS] = ticks;
  const warm = (DRIFT_WARM_TIME_CONSTANTS * DRIFT_TIME_CONSTANT_MS) / intervalMs;
  if (ticks < warm) return Number.NaN;
  const square = mean * mean;
  const scale = state[at + SQUARE]!;
  if (Number.isNaN(scale)) {
    state[at + SQUARE] = square;
    return Number.NaN;
  }
  const z = mean / Math.sqrt(Math.max(scale, 1e-6));
  const beta = 1 - Math.exp(-intervalMs / DRIFT_SCALE_MEMORY_MS);
  state[at + SQUARE] = scale + beta * (Math.min(square, DRIFT_CLIP * DRIFT_CLIP * scale) - scale);
  return ticks < warm + DAY_MS / intervalMs ? Number.NaN : z;
}

/** A drift's surprise in nats: −ln P(|Z| ≥ |z|) for a standard normal Z; NaN for NaN. */
export function driftSurprise(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return Math.max(0, normalTailSurprise(Math.abs(z)) - Math.LN2);
}

/** A drift state as plain numbers (for snapshots). */
export interface DriftSnapshot {
  mean: number;
  square: number | null;
  ticks: number;
}

export function snapshotDrift(state: Float32Array, at = 0): DriftSnapshot {
  const square = state[at + SQUARE]!;
  return { mean: state[at + MEAN]!, square: Number.isNaN(square) ? null : square, ticks: state[at + TICKS]! };
}

/** Restores a snapshot (an empty state when it does not fit); returns whether it fitted. */
export function restoreDrift(state: Float32Array, s: unknown, at = 0): boolean {
  const d = s as Partial<DriftSnapshot> | null | undefined;
  const fits = !!d && Number.isFinite(d.mean) && (d.square === null || (typeof d.square === 'number' && d.square >= 0 && Number.isFinite(d.square))) && typeof d.ticks === 'number' && d.ticks >= 0 && Number.isFinite(d.ticks);
  if (!fits) {
    clearDrift(state, at);
    return false;
  }
  state[at + MEAN] = d.mean!;
  state[at + SQUARE] = d.square ?? Number.NaN;
  state[at + TICKS] = d.ticks!;
  return true;
}
