// Numenta Anomaly Benchmark (NAB, Lavin & Ahmad 2015) series read as stormwatch input, and
// stormwatch's output written back in NAB's result shape. A NAB series is `timestamp,value` rows
// (UTC, YYYY-MM-DD HH:MM:SS): each value is read as the count of one period, so a counter that
// accumulates them gives the rate the pipeline reads (value / period). Pure: text in, data out.

import type { AlertTransition, Evaluation } from '../../src/core/types.js';
import type { ReplayData } from '../../src/source/replay-source.js';

/** The counter a NAB series is replayed as. */
export const NAB_COUNTER = 'nab_value_total';

export interface NabSeries {
  /** Data times (ms) of the rows, in file order. */
  timesMs: number[];
  values: number[];
  /** The series' period: the most common gap between rows. */
  stepMs: number;
}

/** Parses a NAB data file; throws naming the file and line of the first row it cannot read. */
export function parseNabCsv(text: string, file: string): NabSeries {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0]?.trim() !== 'timestamp,value') throw new Error(`${file}:1: expected the header "timestamp,value", got ${JSON.stringify(lines[0] ?? '')}`);
  const timesMs: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const [ts, v] = lines[i]!.split(',');
    const t = Date.parse(`${ts?.trim().replace(' ', 'T')}Z`);
    const value = Number(v);
    if (!Number.isFinite(t) || v === undefined || v.trim() === '' || !Number.isFinite(value)) throw new Error(`${file}:${i + 1}: expected "YYYY-MM-DD HH:MM:SS,number", got ${JSON.stringify(lines[i])}`);
    if (value < 0) throw new Error(`${file}:${i + 1}: a count cannot be negative, got ${value}`);
    if (timesMs.length > 0 && t <= timesMs.at(-1)!) throw new Error(`${file}:${i + 1}: timestamps must increase`);
    timesMs.push(t);
    values.push(value);
  }
  if (timesMs.length < 2) throw new Error(`${file}: needs at least two rows`);
  return { timesMs, values, stepMs: mostCommonGap(timesMs) };
}

function mostCommonGap(timesMs: number[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < timesMs.length; i++) {
    const gap = timesMs[i]! - timesMs[i - 1]!;
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
}

/**
 * Replay snapshots of a series: a counter at each row's time holding the sum of the values so far
 * (the first row's value is the counter's start, so its period is not counted: a rate needs two
 * readings). Missing rows stay missing: the pipeline sees no data there, not zero.
 */
export function nabReplayData(series: NabSeries): ReplayData {
  let total = 0;
  const snapshots: ReplayData['snapshots'] = series.timesMs.map((t, i) => {
    total += series.values[i]!;
    return [t, [{ name: NAB_COUNTER, labels: {}, value: total }]];
  });
  return { snapshots, problems: [] };
}

/**
 * NAB result rows: `timestamp,value,anomaly_score`, one per data row in order. `scores` maps a data
 * time to its score; a row the pipeline could not score (warm-up, the first row) gets 0, because
 * NAB's format needs a number there (NAB's own detectors do the same while they learn).
 */
export function nabResultCsv(series: NabSeries, scores: ReadonlyMap<number, number>): string {
  let out = 'timestamp,value,anomaly_score\n';
  for (let i = 0; i < series.timesMs.length; i++) {
    const t = series.timesMs[i]!;
    const s = scores.get(t);
    const ts = new Date(t).toISOString().replace('T', ' ').replace('.000Z', '');
    out += `${ts},${series.values[i]},${s !== undefined && Number.isFinite(s) ? s : 0}\n`;
  }
  return out;
}

/**
 * Whether a transition is a page, i.e. a NAB detection: a critical alert starting to fire. An
 * update of a firing alert (same fingerprint and startsAt, a new reading) wakes nobody and is the
 * same incident; counted as detections, every update outside a window would be a false positive.
 */
export function isPage(t: Pick<AlertTransition, 'status' | 'labels' | 'update'>): boolean {
  return t.status === 'firing' && t.labels.severity === 'critical' && t.update === undefined;
}

/** The header of `npm run nab -- --detail`'s per-tick file (see nabDetailRow). */
export const NAB_DETAIL_HEADER = 'timestamp,value,rate,expected,sigma,z,spike,drop,anomaly_score\n';

/**
 * One tick of `npm run nab -- --detail`: what the score and the rate's baseline did, to read a
 * missed window or a false detection by (the period's count and rate, the expected rate, σ of one
 * tick's log count, the standardised residual z, the rise and collapse checks' status, the score).
 * Values the tick lacks (warm-up) are empty cells.
 */
export function nabDetailRow(timeMs: number, stepMs: number, requestsPerSecond: number, evaluations: readonly Evaluation[], anomalyScore: number | undefined): string {
  const spike = evaluations.find((e) => e.kind === 'rate_spike');
  const drop = evaluations.find((e) => e.kind === 'rate_drop');
  const cell = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? String(x) : '');
  const count = requestsPerSecond * (stepMs / 1000);
  return `${new Date(timeMs).toISOString()},${cell(count)},${cell(requestsPerSecond)},${cell(spike?.baseline)},${cell(spike?.sigma)},${cell(spike?.score)},${spike?.status ?? ''},${drop?.status ?? ''},${cell(anomalyScore)}\n`;
}
