// Replays an OpenMetrics file with timestamps (the same file promtool backfills into Prometheus)
// through the pipeline at full speed: samples are grouped by timestamp into snapshots.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { MarkerConfig, SignalConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Frame, Labels } from '../core/types.js';
import { frameBuilderFor } from './signal-selectors.js';
import { type ExpositionProblem, LabelSetCache, parseExposition } from './exposition.js';
import type { HistorySource } from './source.js';

interface RawSample {
  name: string;
  labels: Labels;
  value: number;
}

export interface ReplayData {
  /** Timestamps in ascending order, each with its samples. */
  snapshots: [number, RawSample[]][];
  problems: ExpositionProblem[];
}

/** Reads and parses a replay file; samples without timestamps are reported and skipped. */
export function readReplayFile(file: string): ReplayData {
  let text: string;
  try {
    const bytes = readFileSync(file);
    // Large fixtures ship gzipped: recognised by the gzip magic number, whatever the name.
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (error) {
    throw new SourceError('connection', `replay ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, false);
  }
  const byTime = new Map<number, RawSample[]>();
  const problems: ExpositionProblem[] = [];
  let runMs = Number.NaN;
  let run: RawSample[] = [];
  const result = parseExposition(text, {
    format: 'openmetrics',
    // Every series repeats at every timestamp: its labels are built once, and the frame builder
    // resolves selectors and keys once per series rather than once per sample.
    labelCache: new LabelSetCache(),
    onSample(name, labels, value, timestampMs, line) {
      if (Number.isNaN(timestampMs)) {
        problems.push({ line, message: `${name}: replay samples need a timestamp; sample skipped` });
        return;
      }
      // Lines of one timestamp come in runs (a family's series at one scrape): one lookup a run.
      if (timestampMs !== runMs) {
        runMs = timestampMs;
        let bucket = byTime.get(timestampMs);
        if (!bucket) byTime.set(timestampMs, (bucket = []));
        run = bucket;
      }
      run.push({ name, labels, value });
    },
  });
  problems.push(...result.problems);
  if (!result.sawEof) problems.push({ line: 0, message: 'no "# EOF" line: the file may be truncated' });
  problems.sort((a, b) => a.line - b.line);
  const snapshots = [...byTime.entries()].sort((a, b) => a[0] - b[0]);
  return { snapshots, problems };
}

export class ReplaySource implements HistorySource {
  constructor(
    private readonly data: ReplayData,
    private readonly signals: readonly SignalConfig[],
    private readonly markers: readonly MarkerConfig[] = [],
  ) {}

  get firstMs(): number {
    return this.data.snapshots[0]?.[0] ?? Number.NaN;
  }

  get lastMs(): number {
    return this.data.snapshots.at(-1)?.[0] ?? Number.NaN;
  }

  /** Frames at the file's own timestamps within [fromMs, toMs]; `stepMs` is the file's business. */
  async *history(fromMs: number, toMs: number): AsyncIterable<Frame> {
    // Rates need the snapshot before `fromMs` too, so the builder sees every snapshot.
    const builder = frameBuilderFor(this.signals, this.markers);
    for (const [timeMs, samples] of this.data.snapshots) {
      if (timeMs > toMs) break;
      builder.begin();
      for (const s of samples) builder.offer(s.name, s.labels, s.value);
      const frame = builder.end(timeMs);
      if (timeMs >= fromMs) yield frame;
    }
  }
}
