// Replays an OpenMetrics file with timestamps (the same file promtool backfills into Prometheus)
// through the pipeline at full speed: samples are grouped by timestamp into snapshots.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Frame } from '../core/types.js';
import { frameBuilderFor } from './signal-selectors.js';
import { type ExpositionProblem, LabelSetCache, parseExposition } from './exposition.js';
import type { HistorySource } from './source.js';
import { ReplayColumnsBuilder, type ReplayColumns, type ReplaySample, columnsOfSnapshots, snapshotsOfColumns } from './replay-columns.js';

export interface ReplayData {
  /** Timestamps in ascending order, each with its samples. */
  snapshots: [number, ReplaySample[]][];
  problems: ExpositionProblem[];
}

/** Reads and parses a replay file into columns; samples without timestamps are reported and skipped. */
export function readReplayColumns(file: string): ReplayColumns {
  let text: string;
  try {
    const bytes = readFileSync(file);
    // Large fixtures ship gzipped: recognised by the gzip magic number, whatever the name.
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new SourceError('connection', `replay ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, false);
  }
  const columns = new ReplayColumnsBuilder();
  const problems: ExpositionProblem[] = [];
  const result = parseExposition(text, {
    format: 'openmetrics',
    // Every series repeats at every timestamp: its labels are built once (one frozen object per
    // series, which also numbers the series in the columns).
    labelCache: new LabelSetCache(),
    onSample(name, labels, value, timestampMs, line) {
      if (Number.isNaN(timestampMs)) {
        problems.push({ line, message: `${name}: replay samples need a timestamp; sample skipped` });
        return;
      }
      columns.add(name, labels, timestampMs, value);
    },
  });
  problems.push(...result.problems);
  if (!result.sawEof) problems.push({ line: 0, message: 'no "# EOF" line: the file may be truncated' });
  problems.sort((a, b) => a.line - b.line);
  return columns.finish(problems);
}

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
