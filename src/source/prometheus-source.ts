// Reads signals from a Prometheus-compatible API: one instant query per input each tick, and
// query_range for warm-up and backtests. A signal split `by` labels yields one series per label set.

import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import { type Frame, type MarkerSeries, type SignalInput, type SignalSample, emptySample } from '../core/types.js';
import { pickLabels, seriesIdOf } from '../series/series-key.js';
import { FORGET_GROUP_AFTER_MS } from '../series/snapshot-frames.js';
import type { PrometheusClient } from './prometheus-client.js';
import type { VectorAnswer } from './vector-answer.js';
import { runBounded } from './read-body.js';
import { SCRAPE_DURATION_QUERY, type TickOffset, bestTickOffset, readMarginMs, sampleTimeQuery, vectorSelectorsOf } from './scrape-phase.js';
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
  /**
   * The series of each split signal seen so far, by their `by` values (one value, or each prefixed by
   * its length): a series' id and labels are built once, not every tick, and the frame's sample and
   * which inputs filled it are kept on the series rather than in per-tick maps and sets.
   */
  private readonly known = new Map<string, Map<string, KnownSeries>>();
  /**
   * The same series by the text of their metric object in an instant-query answer, per split signal:
   * labels are parsed and keyed once per distinct text, then found by one lookup a tick.
   */
  private readonly byMetricText = new Map<string, Map<string, KnownSeries>>();

  constructor(
    private readonly client: PrometheusClient,
    private readonly signals: readonly SignalConfig[],
    private readonly markers: readonly MarkerConfig[] = [],
  ) {}

  async read(nowMs: number): Promise<SourceRead> {
    const frame: Frame = { timeMs: nowMs, signals: new Map() };
    const errors: SourceError[] = [];
    const results: { signal: SignalConfig; input: SignalInput; series: VectorAnswer | undefined }[] = [];
    const jobs: (() => Promise<void>)[] = [];
    for (const signal of this.signals) {
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, { query: string }][]) {
        const entry: (typeof results)[number] = { signal, input, series: undefined };
        results.push(entry);
        jobs.push(() =>
          this.client.vectorAnswer(spec.query, nowMs).then(
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
    for (const r of results) if (r.series) this.applyAnswer(frame, r.signal, r.input, r.series);
    return { frame, errors, problems: [] };
  }

  /**
   * The offset into the interval at which ticks read the watched targets' newest scrapes soonest
   * (scrape-phase.ts), from the latest sample time of each target behind every selector the signals'
   * queries use. Undefined when no target answers or the interval is too short to matter.
   */
  async tickOffset(nowMs: number, intervalMs: number): Promise<TickOffset | undefined> {
    const selectors = new Set<string>();
    for (const signal of this.signals) for (const spec of Object.values(signal.inputs) as { query: string }[]) for (const s of vectorSelectorsOf(spec.query)) selectors.add(s);
    const target = (labels: Record<string, string>) => `${labels.job ?? ''}\u0000${labels.instance ?? ''}`;
    const sampled = new Map<string, number>();
    const durations = new Map<string, number>();
    const jobs = [...selectors].map((selector) => async () => {
      for (const { labels, value } of await this.client.vector(sampleTimeQuery(selector), nowMs)) sampled.set(target(labels), Math.max(sampled.get(target(labels)) ?? Number.NEGATIVE_INFINITY, value * 1000));
    });
    jobs.push(async () => {
      // Without it (another server, relabelled targets) each target gets the default margin.
      for (const { labels, value } of await this.client.vector(SCRAPE_DURATION_QUERY, nowMs).catch(() => [])) durations.set(target(labels), value);
    });
    await runBounded(jobs, MAX_CONCURRENT_QUERIES);
    return bestTickOffset([...sampled].map(([key, sampleMs]) => ({ sampleMs, marginMs: readMarginMs(durations.get(key)) })), intervalMs);
  }

  /**
   * Past frames at `stepMs` from query_range. `only` reads just those inputs and no deploy markers
   * (the seasonal warm-up needs the request rate alone); the others stay missing in the frames.
   */
  async *history(fromMs: number, toMs: number, stepMs: number, only?: readonly SignalInput[]): AsyncIterable<Frame> {
    const columns: { signal: SignalConfig; input: SignalInput; values: Map<number, VectorSeries> }[] = [];
    for (const signal of this.signals) {
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, { query: string }][]) {
        if (only && !only.includes(input)) continue;
        columns.push({ signal, input, values: await this.client.rangeSeries(spec.query, fromMs, toMs, stepMs) });
      }
    }
    const markerColumns: { name: string; series: Map<number, MarkerSeries[]> }[] = [];
    if (!only) for (const m of this.markers) markerColumns.push({ name: m.name, series: await this.client.rangeSeries(m.query, fromMs, toMs, stepMs) });
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
    const known = this.known.get(signal.name);
    if (!known) return;
    for (const [key, k] of known) {
      // Label sets gone for long (pods, versions) are forgotten rather than kept at zero forever.
      if (frame.timeMs - k.lastSeenMs > FORGET_GROUP_AFTER_MS) {
        known.delete(key);
        const texts = this.byMetricText.get(signal.name);
        if (texts) for (const text of k.metricTexts) texts.delete(text);
        continue;
      }
      this.enter(frame, signal, k);
    }
  }

  /** Gives a known series an empty sample in this frame. */
  private enter(frame: Frame, signal: SignalConfig, k: KnownSeries): void {
    k.sample = emptySample();
    k.frame = frame;
    frame.signals.set(k.id, k.sample);
    (frame.series ??= new Map()).set(k.id, { signal: signal.name, labels: k.labels });
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
    const known = this.knownOf(signal);
    for (const s of series) this.add(frame, signal, input, this.seriesOf(signal, known, s.labels, frame), s.value);
    this.fillAbsent(frame, input, known);
  }

  /** As apply, for an instant query's answer: each distinct metric text is resolved once. */
  private applyAnswer(frame: Frame, signal: SignalConfig, input: SignalInput, answer: VectorAnswer): void {
    const { metrics, values } = answer;
    if (signal.by.length === 0) {
      if (values.length === 0) frame.signals.get(signal.name)![input] = absentValue(input);
      else {
        let sum = 0;
        for (let i = 0; i < values.length; i++) sum += values[i]!;
        frame.signals.get(signal.name)![input] = sum;
      }
      return;
    }
    const known = this.knownOf(signal);
    let texts = this.byMetricText.get(signal.name);
    if (!texts) this.byMetricText.set(signal.name, (texts = new Map()));
    for (let i = 0; i < metrics.length; i++) {
      const text = metrics[i]!;
      let k = texts.get(text);
      if (k === undefined) {
        k = this.seriesOf(signal, known, JSON.parse(text) as Record<string, string>, frame);
        texts.set(text, k);
        k.metricTexts.push(text);
      }
      this.add(frame, signal, input, k, values[i]!);
    }
    this.fillAbsent(frame, input, known);
  }

  private knownOf(signal: SignalConfig): Map<string, KnownSeries> {
    let known = this.known.get(signal.name);
    if (!known) this.known.set(signal.name, (known = new Map()));
    return known;
  }

  /** The known series of a label set (by the signal's `by` values), created on first sight. */
  private seriesOf(signal: SignalConfig, known: Map<string, KnownSeries>, labels: Record<string, string>, frame: Frame): KnownSeries {
    const by = signal.by;
    let key: string;
    if (by.length === 1) key = labels[by[0]!] ?? '';
    else {
      key = '';
      for (const name of by) {
        const v = labels[name] ?? '';
        key += `${v.length}:${v}`;
      }
    }
    let k = known.get(key);
    if (!k) {
      const picked = pickLabels(labels, by);
      k = { id: seriesIdOf(signal.name, picked), labels: picked, lastSeenMs: frame.timeMs, frame: undefined, sample: undefined, filled: {}, metricTexts: [] };
      known.set(key, k);
    }
    return k;
  }

  /** Adds one series' value to its label set's sample in this frame. */
  private add(frame: Frame, signal: SignalConfig, input: SignalInput, k: KnownSeries, value: number): void {
    if (k.frame !== frame) this.enter(frame, signal, k);
    k.lastSeenMs = frame.timeMs;
    // Several series of one label set (pods, codes) are summed.
    const sample = k.sample!;
    if (k.filled[input] === frame) sample[input] += value;
    else {
      sample[input] = value;
      k.filled[input] = frame;
    }
  }

  /** Series in the frame that this input's answer did not fill. */
  private fillAbsent(frame: Frame, input: SignalInput, known: Map<string, KnownSeries>): void {
    for (const k of known.values()) {
      if (k.frame === frame && k.filled[input] !== frame) k.sample![input] = absentValue(input);
    }
  }
}

/** A series of a split signal, as the source knows it across ticks. */
interface KnownSeries {
  id: string;
  labels: Record<string, string>;
  lastSeenMs: number;
  /** The frame being built when the series last got a sample, that sample, and which inputs it filled. */
  frame: Frame | undefined;
  sample: SignalSample | undefined;
  filled: Partial<Record<SignalInput, Frame>>;
  /** The metric texts of instant-query answers that resolved to this series (dropped with it). */
  metricTexts: string[];
}
