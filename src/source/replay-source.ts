// Replays an OpenMetrics file with timestamps (the same file promtool backfills into Prometheus)
// through the pipeline at full speed: samples are grouped by timestamp into snapshots.

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Frame } from '../core/types.js';
import { frameBuilderFor } from './signal-selectors.js';
import { type ExpositionProblem, LabelSetCache } from './exposition.js';
import { detached } from '../core/detached.js';
import { ExpositionStream } from './exposition-stream.js';
import { TsdbDumpText, opensAsTsdbDump } from './tsdb-dump.js';
import type { HistorySource } from './source.js';
import { ReplayColumnsBuilder, type ReplayColumns, type ReplaySample, columnsOfSnapshots, snapshotsOfColumns } from './replay-columns.js';

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

function readError(file: string, error: unknown): SourceError {
  const { code, message } = error as NodeJS.ErrnoException;
  // zlib's codes alone (Z_BUF_ERROR) do not say that the file is cut short or is not gzip.
  const what = code?.startsWith('Z_') ? `gzip: ${message} (${code})` : (code ?? message);
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
        columns.add(name, labels, timestampMs, value);
      },
    });
  }

  push(bytes: Uint8Array): void {
    // The first bytes decide (a file opening with blank lines longer than a chunk reads as OpenMetrics).
    this.stream ??= this.open(opensAsTsdbDump(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 256)).toString('latin1')));
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
    // A dump has no terminator; OpenMetrics ends with one.
    if (!result.sawEof && !this.dump) problems.push({ line: 0, message: 'no "# EOF" line: the file may be truncated' });
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

  constructor(
    data: ReplayData | ReplayColumns,
    private readonly signals: readonly SignalConfig[],
    private readonly markers: readonly MarkerConfig[] = [],
  ) {
    this.data = 'snapshots' in data ? columnsOfSnapshots(data.snapshots, data.problems) : data;
  }

  get firstMs(): number {
    return this.data.timesMs[0] ?? Number.NaN;
  }

  get lastMs(): number {
    return this.data.timesMs.at(-1) ?? Number.NaN;
  }

  /** Frames at the file's own timestamps within [fromMs, toMs]; `stepMs` is the file's business. */
  async *history(fromMs: number, toMs: number): AsyncIterable<Frame> {
    // Rates need the snapshot before `fromMs` too, so the builder sees every snapshot.
    const builder = frameBuilderFor(this.signals, this.markers);
    const { series, timesMs, starts, seriesIds, values } = this.data;
    for (let k = 0; k < timesMs.length; k++) {
      const timeMs = timesMs[k]!;
      if (timeMs > toMs) break;
      builder.begin();
      // Series by number: each is resolved (selectors, groups, keys) once, not once a sample.
      for (let i = starts[k]!; i < starts[k + 1]!; i++) {
        const id = seriesIds[i]!;
        builder.offerSeries(id, series[id]!, values[i]!);
      }
      const frame = builder.end(timeMs);
      if (timeMs >= fromMs) yield frame;
    }
  }
}
