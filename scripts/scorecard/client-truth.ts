// Scores what a receiver read about the client and its attempts per request: the incident's page
// and its updates, taken at the moment it fired and as they stood a while after the fault's onset,
// against the simulated truth. Pure: the scorecard script and its tests share it.

import type { AlertTransition } from '../../src/core/types.js';

/** What one notification of an incident said about the client. */
export interface ClientReading {
  evaluatedAtMs: number;
  model: string;
  attempts: number;
  attemptsLow: number;
  attemptsHigh: number;
}

export interface ClientTruth {
  client: string;
  attemptsPerRequest: number;
}

export interface ClientVerdict {
  model: string;
  attempts: number;
  /** The model named is the true client. */
  named: boolean;
  /** attempts / truth − 1 (NaN when not estimable). */
  error: number;
  /** Within `tolerance` of the truth. */
  close: boolean;
  /** The interval holds the truth. */
  covered: boolean;
  /** How wide the interval is: its high end over its low end (NaN when not estimable). */
  width: number;
}

/** The first incident (not a deploy verdict) that fired, and every update of it, in order. */
export function incidentReadings(transitions: readonly AlertTransition[], isIncident: (t: AlertTransition) => boolean): ClientReading[] {
  const first = transitions.find((t) => t.status === 'firing' && t.update === undefined && isIncident(t));
  if (!first) return [];
  const num = (v: string | undefined) => (v === undefined || v === '' ? Number.NaN : Number(v));
  return transitions
    .filter((t) => t.status === 'firing' && t.fingerprint === first.fingerprint && t.startsAtMs === first.startsAtMs)
    .map((t) => ({
      evaluatedAtMs: t.evaluatedAtMs,
      model: t.annotations.client_model ?? '',
      attempts: num(t.annotations.attempts_per_request),
      attemptsLow: num(t.annotations.attempts_per_request_low),
      attemptsHigh: num(t.annotations.attempts_per_request_high),
    }));
}

/** What a receiver held at `atMs`: the latest reading sent by then. */
export function readingAt(readings: readonly ClientReading[], atMs: number): ClientReading | undefined {
  let out: ClientReading | undefined;
  for (const r of readings) if (r.evaluatedAtMs <= atMs) out = r;
  return out;
}

export function judgeReading(reading: ClientReading | undefined, truth: ClientTruth, tolerance: number): ClientVerdict {
  if (!reading) return { model: '', attempts: Number.NaN, named: false, error: Number.NaN, close: false, covered: false, width: Number.NaN };
  const error = reading.attempts / truth.attemptsPerRequest - 1;
  return {
    model: reading.model,
    attempts: reading.attempts,
    named: reading.model === truth.client,
    error,
    close: Math.abs(error) <= tolerance,
    covered: reading.attemptsLow <= truth.attemptsPerRequest && truth.attemptsPerRequest <= reading.attemptsHigh,
    width: reading.attemptsHigh / reading.attemptsLow,
  };
}
