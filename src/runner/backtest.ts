// Runs the pipeline over history at full speed: a replay file, or a Prometheus range.

import { fetchWith } from '../source/http-options.js';
import type { StormwatchConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AlertTransition } from '../core/types.js';
import { Pipeline, type Shard, type TickResult } from '../pipeline.js';
import { PrometheusClient } from '../source/prometheus-client.js';
import { PrometheusSource } from '../source/prometheus-source.js';
import { ReplaySource, readReplayFile } from '../source/replay-source.js';
import type { HistorySource } from '../source/source.js';

export interface BacktestOptions {
  /** Replay this file instead of the configured source. */
  input?: string;
  fromMs?: number;
  toMs?: number;
  logger: Logger;
  onTransition: (t: AlertTransition) => void;
  onTick?: (result: TickResult) => void;
  shard?: Shard;
}

export interface BacktestSummary {
  frames: number;
  transitions: number;
  fromMs: number;
  toMs: number;
}

/** Resolves the history source and range of a backtest. Throws SourceError on unusable input. */
export function historyFor(config: StormwatchConfig, options: Pick<BacktestOptions, 'input' | 'fromMs' | 'toMs' | 'logger'>): { source: HistorySource; fromMs: number; toMs: number; warmFromMs: number } {
  const replayFile = options.input ?? (config.source.kind === 'replay' ? config.source.file : undefined);
  if (replayFile !== undefined) {
    const data = readReplayFile(replayFile);
    for (const p of data.problems.slice(0, 20)) options.logger.log('warn', 'replay file problem', { file: replayFile, line: p.line, problem: p.message });
    if (data.problems.length > 20) options.logger.log('warn', 'more replay file problems', { file: replayFile, count: data.problems.length - 20 });
    const source = new ReplaySource(data, config.signals, config.deploys?.markers ?? []);
    if (Number.isNaN(source.firstMs)) throw new SourceError('parse', `replay ${replayFile}: no samples with timestamps`, false);
    const fromMs = options.fromMs ?? source.firstMs;
    return { source, fromMs, toMs: options.toMs ?? source.lastMs, warmFromMs: source.firstMs };
  }
  if (config.source.kind !== 'prometheus') {
    throw new SourceError('query_error', `a backtest needs --input FILE, a replay source, or a prometheus source with --from and --to; this config has a ${config.source.kind} source`, false);
  }
  if (options.fromMs === undefined || options.toMs === undefined) {
    throw new SourceError('query_error', 'a backtest against Prometheus needs --from and --to', false);
  }
  const client = new PrometheusClient({ url: config.source.url, timeoutMs: Math.max(config.source.timeoutMs, 30_000), fetch: fetchWith(config.source.http) });
  const warmFromMs = options.fromMs - config.source.warmupMs;
  return { source: new PrometheusSource(client, config.signals, config.deploys?.markers ?? []), fromMs: options.fromMs, toMs: options.toMs, warmFromMs };
}

export async function runBacktest(config: StormwatchConfig, options: BacktestOptions): Promise<BacktestSummary> {
  const { source, fromMs, toMs, warmFromMs } = historyFor(config, options);
  const pipeline = new Pipeline(config, options.shard);
  let frames = 0;
  let transitions = 0;
  for await (const frame of source.history(warmFromMs, toMs, config.intervalMs)) {
    if (frame.timeMs < fromMs) {
      pipeline.warm(frame);
      continue;
    }
    frames++;
    const result = pipeline.step(frame);
    options.onTick?.(result);
    for (const t of result.transitions) {
      transitions++;
      options.onTransition(t);
    }
  }
  return { frames, transitions, fromMs, toMs };
}
