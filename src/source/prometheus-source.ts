// Reads signals from a Prometheus-compatible API: one instant query per input each tick, and
// query_range for warm-up and backtests.

import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Frame, MarkerSeries, SignalInput } from '../core/types.js';
import type { PrometheusClient } from './prometheus-client.js';
import { type HistorySource, type LiveSource, type SourceRead, emptySample } from './source.js';

/**
 * An empty result reads as 0 once the input has had data (its series vanished: no traffic), as no
 * data (NaN) before that, and always as 0 for error inputs, whose series often appear only with the
 * first error.
 */
function absentValue(input: SignalInput, seenBefore: boolean): number {
  return input === 'errors' || seenBefore ? 0 : Number.NaN;
}

export class PrometheusSource implements LiveSource, HistorySource {
  private readonly seen = new Set<string>();

  constructor(
    private readonly client: PrometheusClient,
    private readonly signals: readonly SignalConfig[],
    private readonly markers: readonly MarkerConfig[] = [],
  ) {}

  async read(nowMs: number): Promise<SourceRead> {
    const frame: Frame = { timeMs: nowMs, signals: new Map() };
    const errors: SourceError[] = [];
    const jobs: Promise<void>[] = [];
    for (const signal of this.signals) {
      const sample = emptySample();
      frame.signals.set(signal.name, sample);
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, { query: string }][]) {
        jobs.push(
          this.client.instant(spec.query, nowMs).then(
            (value) => {
              const key = `${signal.name}\u0000${input}`;
              if (value === undefined) {
                sample[input] = absentValue(input, this.seen.has(key));
              } else {
                this.seen.add(key);
                sample[input] = value;
              }
            },
            (error: unknown) => {
              errors.push(error instanceof SourceError ? error : new SourceError('bad_response', String(error), false));
            },
          ),
        );
      }
    }
    if (this.markers.length > 0) {
      const markers = new Map<string, MarkerSeries[]>();
      frame.markers = markers;
      for (const m of this.markers) {
        jobs.push(
          this.client.vector(m.query, nowMs).then(
            (series) => {
              markers.set(m.name, series);
            },
            (error: unknown) => {
              errors.push(error instanceof SourceError ? error : new SourceError('bad_response', String(error), false));
            },
          ),
        );
      }
    }
    await Promise.all(jobs);
    return { frame, errors, problems: [] };
  }

  async *history(fromMs: number, toMs: number, stepMs: number): AsyncIterable<Frame> {
    const columns: { signal: string; input: SignalInput; values: Map<number, number> }[] = [];
    for (const signal of this.signals) {
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, { query: string }][]) {
        columns.push({ signal: signal.name, input, values: await this.client.range(spec.query, fromMs, toMs, stepMs) });
      }
    }
    const markerColumns: { name: string; series: Map<number, MarkerSeries[]> }[] = [];
    for (const m of this.markers) markerColumns.push({ name: m.name, series: await this.client.rangeSeries(m.query, fromMs, toMs, stepMs) });
    for (let t = fromMs; t <= toMs; t += stepMs) {
      const frame: Frame = { timeMs: t, signals: new Map() };
      if (markerColumns.length > 0) frame.markers = new Map(markerColumns.map((c) => [c.name, c.series.get(t) ?? []]));
      for (const signal of this.signals) frame.signals.set(signal.name, emptySample());
      for (const column of columns) {
        const key = `${column.signal}\u0000${column.input}`;
        const value = column.values.get(t);
        if (value === undefined) {
          frame.signals.get(column.signal)![column.input] = absentValue(column.input, this.seen.has(key));
        } else {
          this.seen.add(key);
          frame.signals.get(column.signal)![column.input] = value;
        }
      }
      yield frame;
    }
  }
}
