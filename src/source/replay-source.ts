// Replays an OpenMetrics file with timestamps (the same file promtool backfills into Prometheus)
// through the pipeline at full speed: samples are grouped by timestamp into snapshots, and
// snapshots into frames, one a scrape round (ReplaySource.history).

import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { AbsentErrorMetric, Frame, SignalInput } from '../core/types.js';
import type { Selector } from '../core/selector.js';
import type { SnapshotFrameBuilder } from '../series/snapshot-frames.js';
import { frameBuilderFor } from './signal-selectors.js';
import { type ExpositionProblem, LabelSetCache } from './exposition.js';
import { detached } from '../core/detached.js';
import { clip } from '../core/clip.js';
import { ExpositionStream } from './exposition-stream.js';
import { TsdbDumpText, opensAsTsdbDump } from './tsdb-dump.js';
import { replayTimeMs } from './replay-time.js';
import { seriesKey } from '../series/series-key.js';
import type { HistorySource } from './source.js';
import { Added, ReplayColumnsBuilder, type ReplayColumns, type ReplaySample, columnsOfSnapshots, snapshotsOfColumns } from './replay-columns.js';

export interface ReplayData {
  /** Timestamps in ascending order, each with its samples. */
  snapshots: [number, ReplaySample[]][];
  problems: ExpositionProblem[];
}

/**
 * Reads and parses a replay file into columns; samples without timestamps are reported and skipped.
 * `wants`: the metric names kept (default all); the samples of others are checked but not kept.
 */
export function readReplayColumns(file: string, wants?: (name: string) => boolean): ReplayColumns {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
    // Large fixtures ship gzipped: recognised by the gzip magic number, whatever the name.
    if (isGzip(bytes)) bytes = gunzipSync(bytes);
  } catch (error) {
    throw readError(file, error);
  }
  const reader = new ReplayReader(bytes.length, wants);
  reader.push(bytes);
  return reader.end();
}

/**
 * readReplayColumns, reading the file as it streams from disk (gunzipped on the way, on zlib's
 * thread): no copy of the whole file, compressed or decompressed, and no text of it is ever
 * built, and decompression overlaps the parse.
 */
export async function loadReplayColumns(file: string, wants?: (name: string) => boolean): Promise<ReplayColumns> {
  let reader: ReplayReader;
  try {
    reader = new ReplayReader(textSizeHint(file), wants);
  } catch (error) {
    throw readError(file, error);
  }
  try {
    for await (const chunk of replayBytes(file)) reader.push(chunk);
  } catch (error) {
    throw readError(file, error);
  }
  return reader.end();
}

/** Bytes read from disk, and decompressed, at a time (zlib costs a third less CPU than at 64 KB). */
const CHUNK_BYTES = 1 << 18;
/**
 * Bytes decoded and parsed at a time. The text of a piece stays below V8's large-object size: a
 * text of 256 KB or more is allocated and freed on pages of its own, which made decoding the
 * bundled week 20-30 times slower.
 */
const PARSE_BYTES = 1 << 16;

/** The file's bytes in chunks, decompressed when it is gzipped. A chunk is only valid until the next is asked for. */
async function* replayBytes(file: string): AsyncGenerator<Uint8Array> {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
    if (isGzip(buffer.subarray(0, n))) {
      const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
      // The first chunk is written now, the rest as the gunzip asks for more.
      const input = Readable.from(moreOf(fd, buffer.subarray(0, n)), { objectMode: false });
      // A truncated or corrupt stream fails the gunzip, and with it this iteration.
      yield* pipeline(input, gunzip, () => {}) as AsyncIterable<Uint8Array>;
      return;
    }
    while (n > 0) {
      yield buffer.subarray(0, n);
      n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
    }
  } finally {
    closeSync(fd);
  }
}

/** `first`, then the rest of the file from its current position, each chunk a fresh buffer (the gunzip keeps them). */
function* moreOf(fd: number, first: Uint8Array): Generator<Uint8Array> {
  yield Buffer.from(first);
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
    if (n === 0) return;
    yield chunk.subarray(0, n);
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * About how many bytes of text the file holds: its size, or for a gzip file the size its trailer
 * records (modulo 4 GiB, and of the last member only), at most GZIP_MAX_RATIO times the file's. A
 * hint for sizing the columns, never trusted beyond that.
 */
function textSizeHint(file: string): number {
  // A pipe (`--input <(zcat ...)`, a FIFO) has no size, cannot be read at a position, and is not
  // opened here: what a writer wrote into this open would be lost to the read after it.
  if (!statSync(file).isFile()) return 0;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(2);
    readSync(fd, head, 0, 2, 0);
    if (!isGzip(head) || size < 18) return size;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    return Math.min(tail.readUInt32LE(0), GZIP_MAX_RATIO * size);
  } finally {
    closeSync(fd);
  }
}

/** Replay text rarely compresses better than this (the bundled week: 15x). */
const GZIP_MAX_RATIO = 64;

/** What the codes a file's open or read fails with most often mean. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
};

function readError(file: string, error: unknown): SourceError {
  const { code, message } = error as NodeJS.ErrnoException;
  // zlib's codes alone (Z_BUF_ERROR) do not say that the file is cut short or is not gzip.
  const what = code?.startsWith('Z_') ? `gzip: ${message} (${code})` : code !== undefined && code in FILE_ERRORS ? `${FILE_ERRORS[code]} (${code})` : (code ?? message);
  return new SourceError('connection', `replay ${file}: ${what}`, false, { cause: error });
}

/**
 * Parses a replay file's bytes, whole or in chunks, into columns: OpenMetrics with timestamps, or
 * the output of `promtool tsdb dump` (told by its first non-blank character; see tsdb-dump.ts).
 */
class ReplayReader {
  private readonly columns = new ReplayColumnsBuilder();
  private readonly problems: ExpositionProblem[] = [];
  /** Made at the first bytes, once they say which of the two the file is. */
  private stream: ExpositionStream | undefined;
  /** A dump's lines rewritten to the text format (undefined: OpenMetrics), and its decoder. */
  private dump: { lines: TsdbDumpText; decoder: StringDecoder } | undefined;
  private pushed = 0;
  /** Samples of the metrics kept (the parser's count less these: the samples of the others). */
  private offered = 0;
  /** Bytes pushed at which the columns' room is estimated next (at 1 MB, then every quarter of the text). */
  private estimateAt = ESTIMATE_FIRST_BYTES;

  /**
   * @param textBytes about how long the text is (textSizeHint): the columns are sized from it.
   * @param wants the metric names kept: a file exported whole holds far more than a config watches,
   *   and the rest would be parsed into labels and held in the columns for the whole backtest.
   */
  constructor(
    private readonly textBytes = 0,
    private readonly wants?: (name: string) => boolean,
  ) {}

  private open(dump: boolean): ExpositionStream {
    const { columns, problems } = this;
    if (dump) this.dump = { lines: new TsdbDumpText(), decoder: new StringDecoder('utf8') };
    return new ExpositionStream({
      // A dump's timestamps are milliseconds, as the text format's.
      format: dump ? 'text' : 'openmetrics',
      readPastEof: true,
      counters: true,
      ...(this.wants ? { wants: this.wants } : {}),
      // Every series repeats at every timestamp: its labels are built once (one frozen object per
      // series, which also numbers the series in the columns).
      labelCache: new LabelSetCache(),
      onSample: (name, labels, value, timestampMs, line) => {
        this.offered++;
        if (Number.isNaN(timestampMs)) {
          problems.push({ line, message: detached(`${name}: replay samples need a timestamp; sample skipped`) });
          return;
        }
        const timeMs = replayTimeMs(timestampMs, !dump);
        if (timeMs === undefined) {
          problems.push({ line, message: detached(`${name}: timestamp ${Number((timestampMs / (dump ? 1 : 1000)).toPrecision(15))} is before 1970 or after 9999 in seconds and in milliseconds; sample skipped`) });
          return;
        }
        const added = columns.add(name, labels, timeMs, value);
        if (added === Added.Duplicate) problems.push({ line, message: detached(`${clip(seriesKey(name, labels))}: a second sample at ${new Date(timeMs).toISOString()}; the first is kept`) });
        else if (added === Added.OutOfOrder) problems.push({ line, message: detached(`${clip(seriesKey(name, labels))}: a sample at ${new Date(timeMs).toISOString()} after one at ${new Date(columns.refusedAfterMs).toISOString()} (out of order, as Prometheus refuses it); skipped`) });
      },
    });
  }

  push(bytes: Uint8Array): void {
    // A byte order mark (an editor's) is no part of the first line.
    if (this.pushed === 0 && this.stream === undefined && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    // The first piece decides (a file opening with more blank or comment lines than that reads as OpenMetrics).
    this.stream ??= this.open(opensAsTsdbDump(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, PARSE_BYTES)).toString('latin1')));
    for (let at = 0; at < bytes.length; at += PARSE_BYTES) {
      const piece = bytes.subarray(at, at + PARSE_BYTES);
      if (this.dump) this.stream.pushText(this.dump.lines.push(this.dump.decoder.write(piece as Buffer)));
      else this.stream.push(piece);
      this.pushed += piece.length;
      if (this.pushed >= this.estimateAt) this.estimate();
    }
  }

  /** Room for the samples the whole text holds if the rest is like what was read (a little over). */
  private estimate(): void {
    this.estimateAt = this.pushed + Math.max(ESTIMATE_FIRST_BYTES, this.textBytes / 4);
    const samples = this.columns.samples;
    if (samples === 0 || this.textBytes <= this.pushed) return;
    this.columns.reserve((samples * this.textBytes * ESTIMATE_HEADROOM) / this.pushed);
  }

  end(): ReplayColumns {
    const stream = (this.stream ??= this.open(false));
    if (this.dump) stream.pushText(this.dump.lines.push(this.dump.decoder.end()) + this.dump.lines.end());
    const result = stream.end();
    const problems = this.problems;
    problems.push(...result.problems);
    // A dump has no terminator; OpenMetrics ends with one (an empty file is said to be empty, not cut short).
    if (!result.sawEof && !this.dump && this.pushed > 0) problems.push({ line: 0, message: 'no "# EOF" line: the file may be truncated' });
    problems.sort((a, b) => a.line - b.line);
    const columns = this.columns.finish(problems);
    columns.unwanted = result.samples - this.offered;
    return columns;
  }
}

/** Text read before the columns are first sized by it. */
const ESTIMATE_FIRST_BYTES = 1 << 20;
/** Room estimated for 2 % more samples than the text read so far says. */
const ESTIMATE_HEADROOM = 1.02;

/** Reads and parses a replay file into snapshots of sample objects (see readReplayColumns). */
export function readReplayFile(file: string): ReplayData {
  const columns = readReplayColumns(file);
  return { snapshots: snapshotsOfColumns(columns), problems: columns.problems };
}

export class ReplaySource implements HistorySource {
  private readonly data: ReplayColumns;
  /** The frame builder of the last history() (what its selectors matched). */
  private builder: SnapshotFrameBuilder | undefined;

  constructor(
    data: ReplayData | ReplayColumns,
    private readonly signals: readonly SignalConfig[],
    private readonly markers: readonly MarkerConfig[] = [],
  ) {
    this.data = 'snapshots' in data ? columnsOfSnapshots(data.snapshots, data.problems) : data;
  }

  /**
   * The requests and downstream selectors that matched no series of the file in the last
   * history() (an errors selector matching nothing is a service without errors).
   */
  unmatchedInputs(): { signal: string; input: SignalInput; selector: Selector }[] {
    return (this.builder?.unmatchedInputs() ?? []).filter((u) => u.input !== 'errors');
  }

  /** The errors selectors whose metric no series of the file has, in the last history(). */
  absentErrorMetrics(): AbsentErrorMetric[] {
    return this.builder?.absentErrorMetrics() ?? [];
  }

  /**
   * The median time between the first few samples of the file's first series (NaN when it has
   * one): how often the file was scraped, whatever its jobs' offsets. Reads until it has
   * SPACING_SAMPLES of them, not the whole file: it runs before every replay backtest.
   */
  sampleSpacingMs(): number {
    const { timesMs, starts, seriesIds } = this.data;
    if (seriesIds.length === 0) return Number.NaN;
    const id = seriesIds[0]!;
    const times: number[] = [];
    for (let k = 0; k < timesMs.length && times.length < SPACING_SAMPLES; k++) {
      for (let i = starts[k]!; i < starts[k + 1]!; i++) {
        if (seriesIds[i] !== id) continue;
        times.push(timesMs[k]!);
        break;
      }
    }
    if (times.length < 2) return Number.NaN;
    const gaps = times.slice(1).map((t, i) => t - times[i]!).sort((x, y) => x - y);
    return gaps[gaps.length >> 1]!;
  }

  get firstMs(): number {
    return this.data.timesMs[0] ?? Number.NaN;
  }

  get lastMs(): number {
    return this.data.timesMs.at(-1) ?? Number.NaN;
  }

  /**
   * Frames within [fromMs, toMs], each at the latest timestamp it holds. Prometheus scrapes each
   * target at its own offset in the interval, so a dump of two jobs holds one job's samples at
   * 12:00:00 and the other's at 12:00:07: a frame a timestamp read every series as vanished every
   * other frame, and nothing was ever judged. Snapshots join one frame while they are less than
   * `stepMs` after its first and repeat none of its series (a file of one timestamp a scrape round,
   * and one finer than `stepMs`, give a frame a snapshot, as before). A series' second sample in
   * one frame is left out (the reader reported it when the file said so line after line).
   */
  async *history(fromMs: number, toMs: number, stepMs = 0): AsyncIterable<Frame> {
    // Rates need the snapshot before `fromMs` too, so the builder sees every snapshot.
    const builder = frameBuilderFor(this.signals, this.markers);
    this.builder = builder;
    const { series, timesMs, starts, seriesIds, values } = this.data;
    // The frame each series was last offered to (frames numbered from 1).
    const frameOf = new Uint32Array(series.length);
    let frame = 0;
    let firstMs = Number.NaN;
    let lastMs = Number.NaN;
    for (let k = 0; k < timesMs.length; k++) {
      const timeMs = timesMs[k]!;
      if (timeMs > toMs) break;
      if (frame > 0 && (!(timeMs - firstMs < stepMs) || repeatsAny(frameOf, frame, seriesIds, starts[k]!, starts[k + 1]!))) {
        const ended = builder.end(lastMs);
        if (lastMs >= fromMs) yield ended;
        firstMs = Number.NaN;
      }
      if (Number.isNaN(firstMs)) {
        frame++;
        firstMs = timeMs;
        builder.begin();
      }
      lastMs = timeMs;
      // Series by number: each is resolved (selectors, groups, keys) once, not once a sample.
      for (let i = starts[k]!; i < starts[k + 1]!; i++) {
        const id = seriesIds[i]!;
        if (frameOf[id] === frame) continue;
        frameOf[id] = frame;
        builder.offerSeries(id, series[id]!, values[i]!, timeMs);
      }
    }
    if (!Number.isNaN(firstMs)) {
      const ended = builder.end(lastMs);
      if (lastMs >= fromMs) yield ended;
    }
  }
}

/** Samples of one series sampleSpacingMs reads: enough for a median that one gap does not move. */
const SPACING_SAMPLES = 33;

/** Whether a sample of seriesIds[from, to) is of a series already in `frame`. */
function repeatsAny(frameOf: Uint32Array, frame: number, seriesIds: Uint32Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (frameOf[seriesIds[i]!] === frame) return true;
  return false;
}
