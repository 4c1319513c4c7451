// Reads signals from a Prometheus-compatible API: one instant query per input each tick, and
// query_range for warm-up and backtests. A signal split `by` labels yields one series per label set.

import type { InputSpec } from '../config/config-types.js';
import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { AbsentErrorMetric, Frame, MarkerSeries, SignalInput } from '../core/types.js';
import { requiredLabels, selectorMetricName } from '../core/selector.js';
import { SeriesIndex, SeriesInfos, SpareSamples } from '../series/frame-samples.js';
import { MAX_POINTS_PER_RANGE_QUERY, type PrometheusClient, type RangeMatrix } from './prometheus-client.js';
import { runBounded } from './read-body.js';
import { type AnswerStream, INPUTS, SplitSeries } from './split-series.js';
import type { VectorSink } from './vector-decoder.js';
import { SCRAPE_DURATION_QUERY, type TickOffset, bestTickOffset, readMarginMs, sampleTimeQuery, vectorSelectorsOf } from './scrape-phase.js';
import type { HeldRate, HistorySource, LiveSource, SourceRead } from './source.js';
import { type DownTarget, type MissedSpec, missedQueryFor, targetsDownQuery, targetsLeftQuery } from './counter-query.js';
import { MISSED_FOR_MS } from '../series/counter-rate.js';

/**
 * An empty result is no data (NaN): the series went stale (a target down, a scrape gap) or never
 * existed, and missing data is never zero traffic. Zero traffic is series present and not
 * increasing. Error inputs are the exception: their series often appear only with the first error.
 */
function absentValue(input: SignalInput): number {
  return input === 'errors' ? 0 : Number.NaN;
}

/** The query whose answer has one series for each of `names` (metric names) that has a series now. */
export function metricsPresentQuery(names: readonly string[]): string {
  return `group by (__name__) ({__name__=~${JSON.stringify(names.join('|'))}})`;
}

/**
 * The query whose answer has one series (its __name__ and stormwatch_label) for each metric and
 * label of `pairs` such that some series of the metric has that label now.
 */
export function labelsPresentQuery(pairs: readonly { metric: string; label: string }[]): string {
  return pairs
    .map(({ metric, label }) => `label_replace(group by (__name__) ({__name__=${JSON.stringify(metric)}, ${label}!=""}), "stormwatch_label", ${JSON.stringify(label)}, "", "")`)
    .join(' or ');
}

/** Queries in flight against Prometheus at once, per tick. */
export const MAX_CONCURRENT_QUERIES = 8;

const ABSENT = INPUTS.map(absentValue);

/**
 * Points (series × steps) a history read asks for in one range answer: about 35 MB of JSON, decoded
 * as it streams in (VectorDecoder.forMatrix) into 9 MB of columns. 10k series make pieces of 100
 * steps; 100k, of 10. A quarter of it (pieces of 2 steps at 100k, each repeating every series'
 * labels) took 175 s of CPU to start 100k series cold, against 131 s (bench/cold-start.ts).
 */
export const MAX_POINTS_PER_ANSWER = 1_000_000;

/** An input with a missed series' query (InputSpec.missed), and where its tick's answer goes. */
interface MissableInput {
  signal: SignalConfig;
  table: SplitSeries | undefined;
  input: SignalInput;
  spec: InputSpec;
  /** The signal's inputs answered this tick, and their sums (unsplit), by INPUTS' order. */
  answered: boolean[];
  sum: number[];
}

/** Range answers of one piece of history, by query, and the most series any of them held. */
interface HistoryPiece {
  fromMs: number;
  stepMs: number;
  columns: HistoryColumn[];
  markers: { name: string; series: Map<number, MarkerSeries[]> }[];
  widest: number;
}

/**
 * One query's answer in a piece: its matrix, and (a split signal) each matrix series' series number
 * in the signal's table, resolved at its first step and kept while the table's generation lasts.
 */
interface HistoryColumn {
  signal: SignalConfig;
  input: SignalInput;
  matrix: RangeMatrix;
  seriesOf: Int32Array;
  generation: number;
}

/** Steps of the next piece of history: as many as keep an answer of `series` series under `maxPoints` (at least one). */
export function stepsPerPiece(series: number, maxPoints: number): number {
  return Math.max(1, Math.min(MAX_POINTS_PER_RANGE_QUERY, Math.floor(maxPoints / Math.max(1, series))));
}

/** Prometheus's refusal of a query that would hold more samples than `--query.max-samples` (HTTP 422, errorType execution). */
function isTooManySamples(error: unknown): boolean {
  return error instanceof SourceError && !error.retryable && /too many samples/.test(error.message);
}

/**
 * The series of each split signal seen so far, in columns (split-series.ts), and the count of ticks
 * read (live and history) that stamps which values belong to the frame being built. Shared by a
 * source and the sources of part of its signals (PrometheusSource.subset), so the history a start
 * reads builds the tables its live ticks then use: at 100k series each table is 45 MB of ids,
 * labels and metric texts, which a start built three times (warm-up, catch-up, live) and two of
 * them outlived young collections. Keyed by the signal's configuration object: a reloaded
 * configuration's signals get tables of their own.
 */
class SeriesTables {
  readonly split = new Map<SignalConfig, SplitSeries>();
  tick = 0;
}

export class PrometheusSource implements LiveSource, HistorySource {
  /** Each query's answer stream (the order that predicts its next answer), by signal and input. */
  private readonly streams = new Map<string, AnswerStream>();
  /**
   * The last frame's series index and identities and the split tables' membership they were built
   * at: while no series comes or goes, the next frame shares them (nothing downstream changes a frame).
   */
  private lastSeries: { index: SeriesIndex; map: SeriesInfos | undefined; membership: string } | undefined;
  /** The columns of a frame handed back (recycle), for the next. */
  private readonly spare = new SpareSamples();
  /** The missed queries of the targets down at the last tick that had any (missedQueriesFor). */
  private missedQueries: { key: string; queries: Map<MissedSpec, string | undefined> } | undefined;
  /**
   * Targets the probe for series that left a page listed, each until MISSED_FOR_MS after it last
   * did: a series younger than five minutes is listed only in the window after it left
   * (targetsLeftQuery), and held for the rest of Prometheus's lookback as an older one is.
   */
  private readonly leftTargets = new Map<string, { target: DownTarget; untilMs: number }>();
  /** The probe for series that left a page, made once: the signals do not change. */
  private leftProbe: string | undefined;
  /** Whether the last read had no answer at all (Prometheus unreachable, stalled, restarting): see read. */
  private unreachable = false;

  constructor(
    private readonly client: PrometheusClient,
    private readonly signals: readonly SignalConfig[],
    private readonly markers: readonly MarkerConfig[] = [],
    /** Points (series × steps) a history read asks for in one answer (see history). */
    private readonly maxPointsPerAnswer = MAX_POINTS_PER_ANSWER,
    private readonly tables = new SeriesTables(),
  ) {}

  /**
   * A source of `signals` (objects of this source's configuration) and `markers` from the same
   * Prometheus, whose series are this source's: what it reads is known to this one's next read.
   */
  subset(signals: readonly SignalConfig[], markers: readonly MarkerConfig[]): PrometheusSource {
    return new PrometheusSource(this.client, signals, markers, this.maxPointsPerAnswer, this.tables);
  }

  recycle(frame: Frame): void {
    this.spare.keep(frame.signals);
  }

  async read(nowMs: number): Promise<SourceRead> {
    const tick = ++this.tables.tick;
    const frame: Frame = { timeMs: nowMs, signals: new Map() };
    const errors: SourceError[] = [];
    const failed = (error: unknown) => {
      errors.push(error instanceof SourceError ? error : new SourceError('bad_response', String(error), false));
    };
    const ok = new Map<SignalConfig, boolean[]>();
    // Queries Prometheus answered: none at all is Prometheus unreachable (see below), not inputs
    // read as no data by their own rules (a group whose missed series would be most of it).
    let answers = 0;
    const sums = new Map<SignalConfig, number[]>();
    const jobs: (() => Promise<void>)[] = [];
    // Inputs whose missed series' query this tick may ask for, once the probe has said which targets are down.
    const missable: MissableInput[] = [];
    for (const signal of this.signals) {
      const table = this.tableOf(signal);
      table?.forget(nowMs);
      const answered = INPUTS.map(() => false);
      ok.set(signal, answered);
      const sum = INPUTS.map(() => Number.NaN);
      sums.set(signal, sum);
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, InputSpec][]) {
        const i = INPUTS.indexOf(input);
        jobs.push(this.ask(signal, table, input, spec.query, tick, nowMs, (total, count) => {
          sum[i] = count === 0 ? absentValue(input) : total;
          answered[i] = true;
          answers++;
        }, failed));
        if (spec.missed) missable.push({ signal, table, input, spec, answered, sum });
      }
    }
    if (this.markers.length > 0) {
      const markers = new Map<string, MarkerSeries[]>();
      frame.markers = markers;
      for (const m of this.markers) {
        jobs.push(() =>
          this.client.vector(m.query, nowMs).then((series) => {
            markers.set(m.name, series);
          }, failed),
        );
      }
    }
    // The probes for targets down and for series that left a page go with the rest; a failed one
    // leaves the targets unknown (every watched series may be one).
    let down: DownTarget[] | undefined = [];
    let left: DownTarget[] | undefined = [];
    let downProbeFailure: string | undefined;
    const probeFailed = (error: unknown) => {
      downProbeFailure ??= error instanceof Error ? error.message : String(error);
    };
    const targetsOf = (series: readonly MarkerSeries[]) => series.map(({ labels }) => ({ job: labels.job ?? '', instance: labels.instance ?? '' }));
    if (missable.length > 0) {
      jobs.push(() =>
        this.client.vector(targetsDownQuery(Math.max(...missable.map((m) => m.spec.missed!.windowMs))), nowMs).then(
          (targets) => void (down = targetsOf(targets)),
          (error: unknown) => {
            down = undefined;
            probeFailed(error);
          },
        ),
      );
      jobs.push(() =>
        this.client.vector(this.leftProbeOf(missable), nowMs).then(
          (targets) => void (left = this.noteLeft(targetsOf(targets), nowMs)),
          (error: unknown) => {
            left = undefined;
            probeFailed(error);
          },
        ),
      );
    }
    // Bounded: many signals must not open hundreds of queries against Prometheus at once.
    await runBounded(jobs, MAX_CONCURRENT_QUERIES);
    const suspects = down && left && [...new Map([...down, ...left].map((t) => [`${t.job}\u0000${t.instance}`, t])).values()];
    const held = suspects?.length === 0 ? [] : await this.readMissed(missable, suspects, tick, nowMs, failed);
    const answeredAny = answers > 0;
    // The first answer after none: Prometheus catching up scrapes a target at once and again at
    // its usual offset, a fraction of an interval apart, and irate over two such samples reads a
    // counter that moves once a second as stopped: a false Outage on every signal after a 30 s
    // stall, and a deploy failed by it. Not judged; the next read's samples are a scrape apart.
    const settling = this.unreachable && answeredAny;
    // Not a read merely slow: one that outlasted two intervals at 1 s ticks of a busy CI machine
    // left the next unread too, while nothing had stalled. A stall shorter than the source's
    // timeout is answered as of each query's time, and the read after it may meet the catch-up.
    // Nor one whose inputs its own rules read as no data (most of a group's series missed): the
    // tick after that was left unread too, and its held rates unsaid.
    if (ok.size > 0) this.unreachable = !answeredAny && errors.length > 0;
    if (settling) {
      for (const answered of ok.values()) answered.fill(false);
      for (const sum of sums.values()) sum.fill(Number.NaN);
    }
    // A failed query leaves its input NaN (a gap); a successful one fills every series of the signal.
    this.fillFrame(frame, ok, sums, tick);
    return {
      frame,
      errors,
      problems: [],
      ...(held.length > 0 && !settling ? { held } : {}),
      ...(downProbeFailure !== undefined ? { downProbeFailure } : {}),
      ...(settling ? { unjudged: 'the first read after Prometheus answered nothing: its catch-up scrapes can be a fraction of an interval apart, and a rate over them misreads' } : {}),
    };
  }

  /** Abandons the queries in flight (a stop): see LiveSource.close. */
  close(): void {
    this.client.close();
  }

  /** The probe for series that left a page (targetsLeftQuery) of every selector the missed queries read. */
  private leftProbeOf(missable: readonly MissableInput[]): string {
    if (this.leftProbe === undefined) {
      const reads = new Map<string, { selector: string; windowMs: number }>();
      for (const { spec } of missable) {
        for (const selector of [spec.missed!.selector.text, spec.missed!.gate.text]) reads.set(`${selector}\u0000${spec.missed!.windowMs}`, { selector, windowMs: spec.missed!.windowMs });
      }
      this.leftProbe = targetsLeftQuery([...reads.values()]);
    }
    return this.leftProbe;
  }

  /** Keeps `listed` (the probe's answer at `nowMs`) for MISSED_FOR_MS, and returns every target kept. */
  private noteLeft(listed: readonly DownTarget[], nowMs: number): DownTarget[] {
    for (const target of listed) this.leftTargets.set(`${target.job}\u0000${target.instance}`, { target, untilMs: nowMs + MISSED_FOR_MS });
    const kept: DownTarget[] = [];
    for (const [key, { target, untilMs }] of this.leftTargets) {
      if (untilMs < nowMs) this.leftTargets.delete(key);
      else kept.push(target);
    }
    return kept;
  }

  /**
   * Asks each input's missed series' query (missedQueryFor) narrowed to `down` (targets down, or
   * with series that left a page), and adds what it holds; an input whose query fails becomes no
   * data. Inputs none of whose series can be of those targets are not asked (nothing would be
   * added). Returns what was held, to be said.
   */
  private async readMissed(missable: readonly MissableInput[], down: readonly DownTarget[] | undefined, tick: number, nowMs: number, failed: (error: unknown) => void): Promise<HeldRate[]> {
    const held: HeldRate[] = [];
    const jobs: (() => Promise<void>)[] = [];
    const sums: (() => void)[] = [];
    const queries = this.missedQueriesFor(down);
    for (const { signal, table, input, spec, answered, sum } of missable) {
      if (!queries.has(spec.missed!)) queries.set(spec.missed!, missedQueryFor(spec.missed!, down));
      const query = queries.get(spec.missed!);
      if (query === undefined) continue;
      const i = INPUTS.indexOf(input);
      // Asked for: the input is known only if this answer came too (what it adds is not zero).
      let missed = Number.NaN;
      let missedSeries = 0;
      jobs.push(this.ask(signal, table, input, query, tick, nowMs, (total, count) => {
        missed = total;
        missedSeries = count;
      }, failed, 'missed'));
      sums.push(() => {
        if (Number.isNaN(missed)) {
          answered[i] = false;
          sum[i] = Number.NaN;
          return;
        }
        if (!table) sum[i]! += missed;
        // Not said for an input that reads no data anyway (the series of a target back after a
        // restart count their reset value over the gap: a rate far below the real one).
        if (missedSeries > 0 && Number.isFinite(missed) && (table !== undefined || Number.isFinite(sum[i]!))) held.push({ signal: signal.name, input, rate: missed });
      });
    }
    await runBounded(jobs, MAX_CONCURRENT_QUERIES);
    for (const add of sums) add();
    return held;
  }

  /**
   * The errors inputs whose selector's metric has no series in Prometheus now, or whose series none
   * has a label the selector requires (one query for all such names, `group by (__name__)`, and
   * one for all the labels they require: they read the latest sample of each of their series, so
   * they are asked now and then, not every tick); undefined when a query fails.
   */
  async absentErrorMetrics(nowMs: number): Promise<AbsentErrorMetric[] | undefined> {
    const named: { entry: AbsentErrorMetric; required: string[] }[] = [];
    for (const signal of this.signals) {
      const selector = signal.inputs.errors?.selector;
      const metric = selector && selectorMetricName(selector);
      if (metric !== undefined) named.push({ entry: { signal: signal.name, metric, selector: selector!.text }, required: requiredLabels(selector!) });
    }
    if (named.length === 0) return [];
    const names = [...new Set(named.map((n) => n.entry.metric))];
    try {
      const found = new Set((await this.client.vector(metricsPresentQuery(names), nowMs)).map((s) => s.labels.__name__));
      const absent = named.filter((n) => !found.has(n.entry.metric)).map((n) => n.entry);
      return [...absent, ...(await this.missingErrorLabels(named.filter((n) => found.has(n.entry.metric)), nowMs))];
    } catch {
      return undefined;
    }
  }

  /**
   * Of errors inputs whose metric has series, those requiring a label none of them has: one query
   * for every (metric, label) pair at once, and for each metric missing one, one series' labels
   * (what was meant).
   */
  private async missingErrorLabels(present: readonly { entry: AbsentErrorMetric; required: string[] }[], nowMs: number): Promise<AbsentErrorMetric[]> {
    const pairKey = (metric: string, label: string) => `${metric}\u0000${label}`;
    const pairs = new Map<string, { metric: string; label: string }>();
    for (const { entry, required } of present) for (const label of required) pairs.set(pairKey(entry.metric, label), { metric: entry.metric, label });
    if (pairs.size === 0) return [];
    const has = new Set((await this.client.vector(labelsPresentQuery([...pairs.values()]), nowMs)).map((s) => pairKey(s.labels.__name__ ?? '', s.labels.stormwatch_label ?? '')));
    const missing = present.map(({ entry, required }) => ({ entry, missingLabels: required.filter((l) => !has.has(pairKey(entry.metric, l))) })).filter((m) => m.missingLabels.length > 0);
    const seen = new Map<string, string[]>();
    for (const metric of new Set(missing.map((m) => m.entry.metric))) {
      const [one] = await this.client.vector(`topk(1, {__name__=${JSON.stringify(metric)}})`, nowMs);
      seen.set(metric, Object.keys(one?.labels ?? {}).filter((l) => l !== '__name__').sort());
    }
    return missing.map(({ entry, missingLabels }) => ({ ...entry, missingLabels, labelsSeen: seen.get(entry.metric) ?? [] }));
  }

  /**
   * Each input's missed query narrowed to `down` (filled as they are asked for): kept while the
   * same targets stay down, as they mostly do for many ticks.
   */
  private missedQueriesFor(down: readonly DownTarget[] | undefined): Map<MissedSpec, string | undefined> {
    const key = down === undefined ? '' : down.map((t) => `${t.job}\u0000${t.instance}`).sort().join('\u0001') + '\u0002';
    if (this.missedQueries?.key !== key) this.missedQueries = { key, queries: new Map() };
    return this.missedQueries.queries;
  }

  /**
   * The job asking `query` for one input of `signal`: a split signal's answer goes into its table
   * (values of one series at one tick add up, so a missed series' query adds to its input's
   * query); an unsplit one's is summed and handed to `done` with how many series it held.
   */
  private ask(signal: SignalConfig, table: SplitSeries | undefined, input: SignalInput, query: string, tick: number, nowMs: number, done: (total: number, count: number) => void, failed: (error: unknown) => void, part: 'whole' | 'missed' = 'whole'): () => Promise<void> {
    let total = 0;
    let count = 0;
    if (table) {
      const stream = this.streamOf(signal, table, input, part);
      // The missed series' total is reported (SourceRead.held); the whole answer's is not needed. A
      // group the missed query reads as no data (NaN) goes into the table as such, not into the total.
      const tally =
        part === 'missed'
          ? (v: number) => {
              if (Number.isFinite(v)) {
                total += v;
                count++;
              }
              return v;
            }
          : (v: number) => v;
      const sink: VectorSink = {
        series: (bytes, start, stop, value) => table.add(stream, bytes, start, stop, tally(sampleOf(value)), tick),
        expected: () => table.expected(stream),
        expectedSeries: (value) => table.addExpected(stream, tally(sampleOf(value)), tick),
      };
      return () => {
        table.begin(stream);
        return this.client.streamVector(query, nowMs, sink).then(() => {
          table.commit(stream, nowMs);
          done(total, count);
        }, failed);
      };
    }
    const sink: VectorSink = {
      series: (_bytes, _start, _end, value) => {
        total += sampleOf(value);
        count++;
      },
    };
    return () => this.client.streamVector(query, nowMs, sink).then(() => done(total, count), failed);
  }

  /**
   * The offset into the interval at which ticks read the watched targets' newest scrapes soonest
   * (scrape-phase.ts), from the latest sample time of each target behind every selector the signals'
   * queries use. Undefined when no target answers or the interval is too short to matter.
   */
  async tickOffset(nowMs: number, intervalMs: number): Promise<TickOffset | undefined> {
    const selectors = new Set<string>();
    // `up` is every counter query's term for targets down (counterQuery), not a watched series: every target has one.
    for (const signal of this.signals) for (const spec of Object.values(signal.inputs) as { query: string }[]) for (const s of vectorSelectorsOf(spec.query)) if (s !== 'up') selectors.add(s);
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
   *
   * Read in pieces of time, each piece's frames made before the next is asked for, so what a read
   * holds at once does not grow with the range (a week of 10k series at 5 minutes is 23M points,
   * far past the answer size limit and gigabytes of objects). A piece has as many steps as keep an
   * answer under `maxPointsPerAnswer` points (series × steps) at the series the piece before held
   * at one step; the first piece is one step, to count them. A piece Prometheus refuses for
   * loading too many samples (`--query.max-samples`) is asked again in halves.
   */
  async *history(fromMs: number, toMs: number, stepMs: number, only?: readonly SignalInput[]): AsyncIterable<Frame> {
    const queries: { signal: SignalConfig; input: SignalInput; query: string }[] = [];
    for (const signal of this.signals) {
      for (const [input, spec] of Object.entries(signal.inputs) as [SignalInput, { query: string }][]) {
        if (!only || only.includes(input)) queries.push({ signal, input, query: spec.query });
      }
    }
    const markers = only ? [] : this.markers;
    let steps = 1;
    // The most steps Prometheus has not refused (it stays refused for the rest of the read).
    let allowed = Number.POSITIVE_INFINITY;
    for (let start = fromMs; start <= toMs; ) {
      const end = Math.min(toMs, start + (steps - 1) * stepMs);
      let piece: HistoryPiece;
      try {
        piece = await this.readPiece(queries, markers, start, end, stepMs);
      } catch (error) {
        const asked = Math.round((end - start) / stepMs) + 1;
        if (asked > 1 && isTooManySamples(error)) {
          allowed = steps = Math.ceil(asked / 2);
          continue;
        }
        throw error;
      }
      for (let t = start; t <= end; t += stepMs) yield this.historyFrame(piece, t);
      steps = Math.min(allowed, stepsPerPiece(piece.widest, this.maxPointsPerAnswer));
      start = end + stepMs;
    }
  }

  /**
   * How many series `input`'s queries of every signal return at `timeMs` (one `count(...)` instant
   * query each): what a history read of that input will carry per step, known before it is asked for.
   */
  async seriesCount(timeMs: number, input: SignalInput): Promise<number> {
    let total = 0;
    const jobs = this.signals.flatMap((signal) => {
      const spec = signal.inputs[input];
      return spec ? [async () => void (total += (await this.client.instant(`count(${spec.query})`, timeMs)) ?? 0)] : [];
    });
    await runBounded(jobs, MAX_CONCURRENT_QUERIES);
    return total;
  }

  /** Every query's answer from `fromMs` to `toMs` (one range query each: at most MAX_POINTS_PER_RANGE_QUERY steps). */
  private async readPiece(queries: readonly { signal: SignalConfig; input: SignalInput; query: string }[], markers: readonly MarkerConfig[], fromMs: number, toMs: number, stepMs: number): Promise<HistoryPiece> {
    const piece: HistoryPiece = { fromMs, stepMs, columns: [], markers: [], widest: 0 };
    // Up to MAX_CONCURRENT_QUERIES at once: one signal after another, a slow Prometheus made a
    // start of 10 signals take minutes. The columns keep the queries' order.
    const matrices: RangeMatrix[] = new Array(queries.length);
    await runBounded(
      queries.map((q, i) => async () => void (matrices[i] = await this.client.rangeMatrix(q.query, fromMs, toMs, stepMs))),
      MAX_CONCURRENT_QUERIES,
    );
    queries.forEach((q, i) => {
      const matrix = matrices[i]!;
      piece.columns.push({ signal: q.signal, input: q.input, matrix, seriesOf: new Int32Array(matrix.series).fill(-1), generation: -1 });
      piece.widest = Math.max(piece.widest, matrix.series);
    });
    for (const m of markers) {
      const series = await this.client.rangeSeries(m.query, fromMs, toMs, stepMs);
      piece.markers.push({ name: m.name, series });
      for (const at of series.values()) piece.widest = Math.max(piece.widest, at.length);
    }
    return piece;
  }

  /** The frame at `t` of a piece of history. */
  private historyFrame(piece: HistoryPiece, t: number): Frame {
    const tick = ++this.tables.tick;
    const frame: Frame = { timeMs: t, signals: new Map() };
    if (piece.markers.length > 0) frame.markers = new Map(piece.markers.map((c) => [c.name, c.series.get(t) ?? []]));
    const ok = new Map(this.signals.map((s) => [s, INPUTS.map(() => false)]));
    const sums = new Map(this.signals.map((s) => [s, INPUTS.map(() => Number.NaN)]));
    for (const signal of this.signals) this.tableOf(signal)?.forget(t);
    const j = Math.round((t - piece.fromMs) / piece.stepMs);
    for (const c of piece.columns) {
      const i = INPUTS.indexOf(c.input);
      ok.get(c.signal)![i] = true;
      const { steps, series, texts, values, present } = c.matrix;
      const table = this.tableOf(c.signal);
      if (table) {
        if (c.generation !== table.generation) {
          c.seriesOf.fill(-1);
          c.generation = table.generation;
        }
        for (let k = 0, at = j; k < series; k++, at += steps) {
          if (present[at] === 0) continue;
          let s = c.seriesOf[k]!;
          if (s < 0) c.seriesOf[k] = s = table.seriesOfText(texts[k]!);
          table.addSeries(i, s, sampleOf(values[at]!), tick, t);
        }
      } else {
        let sum = 0;
        let count = 0;
        for (let k = 0, at = j; k < series; k++, at += steps) {
          if (present[at] === 0) continue;
          sum += sampleOf(values[at]!);
          count++;
        }
        sums.get(c.signal)![i] = count === 0 ? absentValue(c.input) : sum;
      }
    }
    this.fillFrame(frame, ok, sums, tick);
    return frame;
  }

  /** Puts every signal's samples into the frame's columns, and the split series' identities (shared while they stay the same). */
  private fillFrame(frame: Frame, ok: Map<SignalConfig, boolean[]>, sums: Map<SignalConfig, number[]>, tick: number): void {
    const tables = this.signals.map((signal) => this.tableOf(signal));
    const membership = tables.map((t) => t?.membership ?? '').join(',');
    let last = this.lastSeries;
    if (last?.membership !== membership) {
      const index = new SeriesIndex();
      const map = tables.some((t) => t !== undefined) ? new SeriesInfos(index) : undefined;
      this.signals.forEach((signal, i) => {
        const table = tables[i];
        if (table) table.index(index, map!);
        else index.add(signal.name);
      });
      this.lastSeries = last = { index, map, membership };
    }
    const samples = this.spare.take(last.index);
    this.signals.forEach((signal, i) => {
      const table = tables[i];
      if (table) table.fill(samples, ok.get(signal)!, tick, ABSENT);
      else {
        const sum = sums.get(signal)!;
        samples.put(last.index.slotOf(signal.name)!, sum[0]!, sum[1]!, sum[2]!);
      }
    });
    frame.signals = samples;
    if (last.map) frame.series = last.map;
  }

  /** The column table of a split signal (undefined for a signal that is not split). */
  private tableOf(signal: SignalConfig): SplitSeries | undefined {
    if (signal.by.length === 0) return undefined;
    let table = this.tables.split.get(signal);
    if (!table) this.tables.split.set(signal, (table = new SplitSeries(signal)));
    return table;
  }

  private streamOf(signal: SignalConfig, table: SplitSeries, input: SignalInput, part: 'whole' | 'missed'): AnswerStream {
    const key = `${signal.name}\u0000${input}\u0000${part}`;
    let stream = this.streams.get(key);
    if (!stream) this.streams.set(key, (stream = table.stream(input)));
    return stream;
  }
}

/** A sample value as the pipeline takes it: ±Inf (a division by zero in a query) is no data, as NaN is. */
function sampleOf(value: number): number {
  return Number.isFinite(value) ? value : Number.NaN;
}
