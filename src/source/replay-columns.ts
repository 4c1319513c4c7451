// Replay data as columns: each distinct series (a metric name and a label set) once, then every
// sample as a series number and a value in typed arrays, grouped by timestamp. A replay file repeats
// every series at every timestamp: an object per sample (5.75M for a day of 999 series) kept the
// whole file on the heap as small objects, and garbage collection of that heap was a quarter of a
// backtest's CPU. Pure: building and reading columns, no I/O.

import type { Labels } from '../core/types.js';
import { seriesKey } from '../series/series-key.js';
import { detached } from '../core/detached.js';
import type { ExpositionProblem } from './exposition.js';

export interface ReplaySeries {
  name: string;
  labels: Labels;
}

/** One timestamp's samples as objects (simulations, tests, the scrape of a replayed scenario). */
export interface ReplaySample {
  name: string;
  labels: Labels;
  value: number;
}

export interface ReplayColumns {
  /** Distinct series by number. */
  series: ReplaySeries[];
  /** Snapshot times, ascending. */
  timesMs: Float64Array;
  /** Snapshot k's samples are [starts[k], starts[k + 1]) in the sample columns (length: snapshots + 1). */
  starts: Uint32Array;
  /** Each sample's series number and value, in file order within a snapshot. */
  seriesIds: Uint32Array;
  values: Float64Array;
  problems: ExpositionProblem[];
  /** Valid samples of the file that were not kept: their metrics are not watched (see loadReplayColumns). */
  unwanted?: number;
}

/** What ReplayColumnsBuilder.add did with a sample: added, or refused as a duplicate (its series has a sample at that time already) or out of order (its series has a later one). */
export const Added = { Yes: 0, Duplicate: 1, OutOfOrder: 2 } as const;
export type Added = (typeof Added)[keyof typeof Added];

/** finish() keeps the columns it filled as they are when at least this share of them is used. */
const MIN_KEPT_FILL = 0.9;

/**
 * Collects samples, each series' in time order and the series in any order, into ReplayColumns. A series is known by its metric name and
 * its label set object (a LabelSetCache hands out one frozen object per label set, whatever order its
 * labels are written in, so a series of a file is one object): the series after the last one is predicted (files repeat their order at
 * every timestamp), so most samples are numbered by two comparisons, without hashing.
 */
export class ReplayColumnsBuilder {
  private readonly series: ReplaySeries[] = [];
  /** Each metric name's series by label set, and the name in storage of its own (see idOf). */
  private readonly idsByName = new Map<string, { name: string; ids: Map<Labels, number> }>();
  /** The series that followed each series last time (-1: none yet). */
  private nextOf = new Int32Array(64).fill(-1);
  /** Each series' last timestamp added (a second sample at it is a duplicate: see add). */
  private lastTimeOf = new Float64Array(64).fill(Number.NaN);
  private lastId = -1;
  private readonly times: number[] = [];
  private readonly timeIndexOf = new Map<number, number>();
  private runMs = Number.NaN;
  private runIndex = -1;
  private count = 0;
  private ids = new Uint32Array(1024);
  private timeIndex = new Uint32Array(1024);
  private vals = new Float64Array(1024);
  /** Whether samples came in time order so far, each timestamp in one run (then no sort is needed). */
  private ordered = true;

  /**
   * Adds a sample, or refuses it (nothing added) when its series already has one at `timeMs` or
   * later (then `refusedAfterMs` is that one's time): the same line written twice, or two
   * exporters writing one series (summed into one snapshot, its counter would count twice); or a
   * sample out of order, which Prometheus refuses too (sorted into place, a counter that went
   * back read as a reset and paged a 500x surge).
   */
  add(name: string, labels: Labels, timeMs: number, value: number): Added {
    const id = this.idOf(name, labels);
    const last = this.lastTimeOf[id]!;
    if (timeMs <= last) {
      this.refusedAfterMs = last;
      return timeMs === last ? Added.Duplicate : Added.OutOfOrder;
    }
    this.lastTimeOf[id] = timeMs;
    // Lines of one timestamp come in runs (a family's series at one scrape): one lookup a run. Not
    // before the sample is taken: a time only refused samples had was an empty snapshot, a gap.
    if (timeMs !== this.runMs) this.startRun(timeMs);
    if (this.count === this.ids.length) this.grow();
    this.ids[this.count] = id;
    this.timeIndex[this.count] = this.runIndex;
    this.vals[this.count] = value;
    this.count++;
    return Added.Yes;
  }

  /** The time of the sample that made `add` refuse the last one it refused. */
  refusedAfterMs = Number.NaN;

  private startRun(timeMs: number): void {
    this.runMs = timeMs;
    // A file written family by family gives every timestamp of one family, then of the next: the
    // timestamp after the last run's is predicted, and the Map is asked once a family.
    const next = this.runIndex + 1;
    if (next < this.times.length && this.times[next] === timeMs) {
      if (next !== this.times.length - 1) this.ordered = false;
      this.runIndex = next;
      return;
    }
    let index = this.timeIndexOf.get(timeMs);
    if (index === undefined) {
      index = this.times.length;
      if (index > 0 && timeMs < this.times[index - 1]!) this.ordered = false;
      this.times.push(timeMs);
      this.timeIndexOf.set(timeMs, index);
    } else if (index !== this.times.length - 1) this.ordered = false;
    this.runIndex = index;
  }

  private idOf(name: string, labels: Labels): number {
    const last = this.lastId;
    const predicted = last >= 0 ? this.nextOf[last]! : -1;
    if (predicted >= 0) {
      const s = this.series[predicted]!;
      if (s.labels === labels && s.name === name) {
        this.lastId = predicted;
        return predicted;
      }
    }
    let byName = this.idsByName.get(name);
    // The parser cuts a name from the piece of text it reads, and a series kept for the whole
    // backtest kept that piece (64 KB) with it: a file written series by series (as OpenMetrics
    // requires) begins series in a new piece each time, and held 999 pieces, 66 MB of heap,
    // for the generated day. One copy of each name instead.
    if (byName === undefined) {
      const copy = detached(name);
      this.idsByName.set(copy, (byName = { name: copy, ids: new Map() }));
    }
    let id = byName.ids.get(labels);
    if (id === undefined) {
      id = this.series.length;
      this.series.push({ name: byName.name, labels });
      byName.ids.set(labels, id);
      if (id >= this.nextOf.length) {
        const grown = new Int32Array(this.nextOf.length * 2).fill(-1);
        grown.set(this.nextOf);
        this.nextOf = grown;
        const times = new Float64Array(grown.length).fill(Number.NaN);
        times.set(this.lastTimeOf);
        this.lastTimeOf = times;
      }
    }
    if (last >= 0) this.nextOf[last] = id;
    this.lastId = id;
    return id;
  }

  /** Samples added so far. */
  get samples(): number {
    return this.count;
  }

  /**
   * Makes room for `samples` in all, at once: a reader that can estimate a file's samples from its
   * size saves the copies of growing by doubling (about 13 of them, and 180 MB copied, for a day of
   * 999 series) and, when the estimate holds, the trimmed copy at finish().
   */
  reserve(samples: number): void {
    if (samples > this.ids.length) this.resize(Math.ceil(samples));
  }

  private grow(): void {
    this.resize(this.ids.length * 2);
  }

  private resize(n: number): void {
    const ids = new Uint32Array(n);
    ids.set(this.ids.subarray(0, this.count));
    this.ids = ids;
    const timeIndex = new Uint32Array(n);
    timeIndex.set(this.timeIndex.subarray(0, this.count));
    this.timeIndex = timeIndex;
    const vals = new Float64Array(n);
    vals.set(this.vals.subarray(0, this.count));
    this.vals = vals;
  }

  /** The columns, snapshots in time order, samples of one timestamp in the order added. */
  finish(problems: ExpositionProblem[]): ReplayColumns {
    const n = this.count;
    const snapshots = this.times.length;
    // Rank of each time index in ascending time (the identity when the file was in order).
    const rankOf = new Uint32Array(snapshots);
    const timesMs = new Float64Array(snapshots);
    if (this.ordered) {
      for (let k = 0; k < snapshots; k++) {
        rankOf[k] = k;
        timesMs[k] = this.times[k]!;
      }
    } else {
      const order = this.times.map((_, k) => k).sort((a, b) => this.times[a]! - this.times[b]!);
      for (let r = 0; r < snapshots; r++) {
        rankOf[order[r]!] = r;
        timesMs[r] = this.times[order[r]!]!;
      }
    }
    const starts = new Uint32Array(snapshots + 1);
    for (let i = 0; i < n; i++) starts[rankOf[this.timeIndex[i]!]! + 1]!++;
    for (let r = 0; r < snapshots; r++) starts[r + 1] = starts[r + 1]! + starts[r]!;
    let seriesIds = this.ids.subarray(0, n);
    let values = this.vals.subarray(0, n);
    if (!this.ordered) {
      // A stable counting sort by snapshot: samples of one timestamp keep the order they came in.
      const next = starts.slice(0, snapshots);
      const sortedIds = new Uint32Array(n);
      const sortedValues = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const at = next[rankOf[this.timeIndex[i]!]!]!++;
        sortedIds[at] = this.ids[i]!;
        sortedValues[at] = this.vals[i]!;
      }
      seriesIds = sortedIds;
      values = sortedValues;
    } else if (n < MIN_KEPT_FILL * this.ids.length) {
      // Trimmed copies: much growth slack is not kept for the whole backtest (a little is: a
      // reserved size that held costs no copy).
      seriesIds = seriesIds.slice();
      values = values.slice();
    }
    return { series: this.series, timesMs, starts, seriesIds, values, problems };
  }
}

/** Columns of snapshots given as objects, snapshot for snapshot (ReplayData holds them in ascending time). */
export function columnsOfSnapshots(snapshots: readonly (readonly [number, readonly ReplaySample[]])[], problems: ExpositionProblem[]): ReplayColumns {
  // Objects made per sample (a simulation's) are one series when equal: numbered by series key.
  const series: ReplaySeries[] = [];
  const idOf = new Map<string, number>();
  let n = 0;
  for (const [, samples] of snapshots) n += samples.length;
  const timesMs = new Float64Array(snapshots.length);
  const starts = new Uint32Array(snapshots.length + 1);
  const seriesIds = new Uint32Array(n);
  const values = new Float64Array(n);
  let at = 0;
  snapshots.forEach(([timeMs, samples], k) => {
    timesMs[k] = timeMs;
    for (const s of samples) {
      const key = seriesKey(s.name, s.labels);
      let id = idOf.get(key);
      if (id === undefined) {
        id = series.length;
        series.push({ name: s.name, labels: s.labels });
        idOf.set(key, id);
      }
      seriesIds[at] = id;
      values[at] = s.value;
      at++;
    }
    starts[k + 1] = at;
  });
  return { series, timesMs, starts, seriesIds, values, problems };
}

/** The snapshots of columns as objects, for callers that want samples one by one. */
export function snapshotsOfColumns(columns: ReplayColumns): [number, ReplaySample[]][] {
  const out: [number, ReplaySample[]][] = [];
  for (let k = 0; k < columns.timesMs.length; k++) {
    const samples: ReplaySample[] = [];
    for (let i = columns.starts[k]!; i < columns.starts[k + 1]!; i++) {
      const s = columns.series[columns.seriesIds[i]!]!;
      samples.push({ name: s.name, labels: s.labels, value: columns.values[i]! });
    }
    out.push([columns.timesMs[k]!, samples]);
  }
  return out;
}
