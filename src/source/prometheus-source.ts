// Reads signals from a Prometheus-compatible API: one instant query per input each tick, and
// query_range for warm-up and backtests. A signal split `by` labels yields one series per label set.

import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import { type Frame, type MarkerSeries, type SignalInput, emptySample } from '../core/types.js';
import { pickLabels, seriesIdOf } from '../series/series-key.js';
import { FORGET_GROUP_AFTER_MS } from '../series/snapshot-frames.js';
import type { PrometheusClient } from './prometheus-client.js';
import { runBounded } from './read-body.js';
import type { HistorySource, LiveSource, SourceRead } from './source.js';

type VectorSeries = { labels: Record<string, string>; value: number }[];

/**
 * An empty result is no data (NaN): the series went stale (a target down, a scrape gap) or never
 * existed, and missing data is never zero traffic. Zero traffic is series present and not
 * increasing. Error inputs are the exception: their series often appear only with the first error.
 */
function absentValue(input: SignalInput): number {
  return input === 'errors' ? 0 : Number.NaN;
}

/** Queries in flight against Prometheus at once, per tick. */
export const MAX_CONCURRENT_QUERIES = 8;

export class PrometheusSource implements LiveSource, HistorySource {
  /** Series ids of split signals seen so far, with their labels and when last seen. */
  private readonly known = new Map<string, { signal: string; labels: Record<string, string>; lastSeenMs: number; valuesKey: string }>();
  /** Series ids by signal and `by` values (each prefixed by its length): a series' id and labels are built once, not every tick. */
  private readonly ids = new Map<string, { id: string; labels: Record<string, string> }>();

  constructor(
    private readonly client: PrometheusClient,
    private readonly signals: readonly SignalConfig[],
    private readonly markers: readonly MarkerConfig[] = [],
  ) {}

  async read(nowMs: number): Promise<SourceRead> {
    const frame: Frame = { timeMs: nowMs, signals: new Map() };
    const errors: SourceError[] = [];
    const results: { signal: SignalConfig; input: SignalInput; series: VectorSeries | undefined }[] = [];
    const jobs: (() => Promise<void>)[] = [];
    for (const signal of this.signals) {
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, { query: string }][]) {
        const entry: (typeof results)[number] = { signal, input, series: undefined };
        results.push(entry);
        jobs.push(() =>
          this.client.vector(spec.query, nowMs).then(
            (series) => {
              entry.series = series;
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
        jobs.push(() =>
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
    // Bounded: many signals must not open hundreds of queries against Prometheus at once.
    await runBounded(jobs, MAX_CONCURRENT_QUERIES);
    for (const signal of this.signals) this.prepare(frame, signal);
    // A failed query leaves its input NaN (a gap); a successful one fills every series of the signal.
    for (const r of results) if (r.series) this.apply(frame, r.signal, r.input, r.series);
    return { frame, errors, problems: [] };
  }

  async *history(fromMs: number, toMs: number, stepMs: number): AsyncIterable<Frame> {
    const columns: { signal: SignalConfig; input: SignalInput; values: Map<number, VectorSeries> }[] = [];
    for (const signal of this.signals) {
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, { query: string }][]) {
        columns.push({ signal, input, values: await this.client.rangeSeries(spec.query, fromMs, toMs, stepMs) });
      }
    }
    const markerColumns: { name: string; series: Map<number, MarkerSeries[]> }[] = [];
    for (const m of this.markers) markerColumns.push({ name: m.name, series: await this.client.rangeSeries(m.query, fromMs, toMs, stepMs) });
    for (let t = fromMs; t <= toMs; t += stepMs) {
      const frame: Frame = { timeMs: t, signals: new Map() };
      if (markerColumns.length > 0) frame.markers = new Map(markerColumns.map((c) => [c.name, c.series.get(t) ?? []]));
      for (const signal of this.signals) this.prepare(frame, signal);
      for (const c of columns) this.apply(frame, c.signal, c.input, c.values.get(t) ?? []);
      yield frame;
    }
  }

  /** Puts an empty sample in the frame for the signal, or for every known series of a split signal. */
  private prepare(frame: Frame, signal: SignalConfig): void {
    if (signal.by.length === 0) {
      frame.signals.set(signal.name, emptySample());
      return;
    }
    for (const [id, info] of this.known) {
      if (info.signal !== signal.name) continue;
      // Label sets gone for long (pods, versions) are forgotten rather than kept at zero forever.
      if (frame.timeMs - info.lastSeenMs > FORGET_GROUP_AFTER_MS) {
        this.known.delete(id);
        this.ids.delete(info.valuesKey);
        continue;
      }
      frame.signals.set(id, emptySample());
      (frame.series ??= new Map()).set(id, { signal: info.signal, labels: info.labels });
    }
  }

  private apply(frame: Frame, signal: SignalConfig, input: SignalInput, series: VectorSeries): void {
    if (signal.by.length === 0) {
      if (series.length === 0) {
        frame.signals.get(signal.name)![input] = absentValue(input);
      } else {
        frame.signals.get(signal.name)![input] = series.reduce((a, s) => a + s.value, 0);
      }
      return;
    }
    const present = new Set<string>();
    for (const s of series) {
      let valuesKey = signal.name;
      for (const name of signal.by) {
        const v = s.labels[name] ?? '';
        valuesKey += `|${v.length}:${v}`;
      }
      let ident = this.ids.get(valuesKey);
      if (!ident) {
        const groupLabels = pickLabels(s.labels, signal.by);
        ident = { id: seriesIdOf(signal.name, groupLabels), labels: groupLabels };
        this.ids.set(valuesKey, ident);
      }
      const { id, labels } = ident;
      let sample = frame.signals.get(id);
      if (!sample) {
        sample = emptySample();
        frame.signals.set(id, sample);
        (frame.series ??= new Map()).set(id, { signal: signal.name, labels });
      }
      const known = this.known.get(id);
      if (known) known.lastSeenMs = frame.timeMs;
      else this.known.set(id, { signal: signal.name, labels, lastSeenMs: frame.timeMs, valuesKey });
      sample[input] = (present.has(id) ? sample[input] : 0) + s.value;
      present.add(id);
    }
    for (const [id, info] of this.known) {
      if (info.signal === signal.name && !present.has(id)) frame.signals.get(id)![input] = absentValue(input);
    }
  }
}
