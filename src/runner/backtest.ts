// Runs the pipeline over history at full speed: a replay file, or a Prometheus range.

import type { StormwatchConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AlertTransition } from '../core/types.js';
import { Pipeline, type Shard, type TickResult } from '../pipeline.js';
import { type ReplayData, ReplaySource, loadReplayColumns } from '../source/replay-source.js';
import type { HistorySource } from '../source/source.js';
import { frameBuilderFor } from '../source/signal-selectors.js';
import type { DeployRecord } from '../deploys/types.js';
import type { HistoryStore } from '../ui/history-store.js';
import { absentErrorLine } from './absent-error-watch.js';
import { MOVED_TRAFFIC_LOG, movedTrafficFields, tickDebugFields } from './tick-debug.js';

export interface BacktestOptions {
  /** Replay this file instead of the configured source. */
  input?: string;
  /** Replay these snapshots (already in memory: a simulation) instead of any file or source. */
  data?: ReplayData;
  fromMs?: number;
  toMs?: number;
  logger: Logger;
  onTransition: (t: AlertTransition) => void;
  /** Each tick's result, with the pipeline it came from (what it knows beyond the result: Pipeline.lingering). */
  onTick?: (result: TickResult, pipeline: Pipeline) => void;
  shard?: Shard;
  /** Keep each series' history for a report (bounded: see ui/history-sizes.ts). */
  keepHistory?: boolean;
  /**
   * false: the caller reads no anomaly score (no `--scores`, no report), so the detectors skip it;
   * the transitions are the same. Kept anyway with keepHistory, and when deploys are judged.
   */
  anomalyScores?: boolean;
  /**
   * Called once the range is known, before the first frame (with the history, when kept, and the
   * deploys as judged so far: what the demo's server answers its alerts' verdict links with).
   */
  onStart?: (info: { total: number; fromMs: number; toMs: number; history?: HistoryStore; deploys: DeployReads }) => void;
  /** Called now and then with the frames done out of about `total` (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/** The deploys a run has seen, read as its deploy API reads them. */
export interface DeployReads {
  get(id: string): DeployRecord | undefined;
  list(): DeployRecord[];
}

export interface BacktestSummary {
  frames: number;
  transitions: number;
  fromMs: number;
  toMs: number;
  /** Lines of the replay file that could not be used. */
  dataProblems: number;
  /** Every deploy seen, with its final verdict and evidence. */
  deploys: DeployRecord[];
  history?: HistoryStore;
}

/** Resolves the history source and range of a backtest. Throws SourceError on unusable input. */
export async function historyFor(config: StormwatchConfig, options: Pick<BacktestOptions, 'input' | 'data' | 'fromMs' | 'toMs' | 'logger'>): Promise<{ source: HistorySource; fromMs: number; toMs: number; warmFromMs: number; problems: number }> {
  if (options.data) {
    const source = new ReplaySource(options.data, config.signals, config.deploys?.markers ?? []);
    return { source, fromMs: options.fromMs ?? source.firstMs, toMs: options.toMs ?? source.lastMs, warmFromMs: source.firstMs, problems: options.data.problems.length };
  }
  const replayFile = options.input ?? (config.source.kind === 'replay' ? config.source.file : undefined);
  if (replayFile !== undefined) {
    // A replay file is read with series selectors; a PromQL query is run by Prometheus only.
    const queried = config.signals.flatMap((sig) => Object.entries(sig.inputs).flatMap(([input, spec]) => (spec.selector ? [] : [`signal ${sig.name}'s ${input}`])));
    if (queried.length > 0) {
      throw new SourceError('query_error', `replay ${replayFile}: ${queried.join(', ')} ${queried.length === 1 ? 'is a PromQL query' : 'are PromQL queries'} ({query: ...}), which only a Prometheus source runs; a replay file is read through series selectors (metric_name{label="value"}), or backtest against Prometheus with --from and --to`, false);
    }
    for (const m of config.deploys?.markers ?? []) {
      if (!m.selector) options.logger.log('warn', 'deploy marker not read from a replay file', { file: replayFile, marker: m.name, why: 'it is a PromQL query ({query: ...}); a replay file is read through series selectors' });
    }
    // Only the metrics the signals and deploy markers read are kept: a file exported whole (every
    // metric of a Prometheus) would otherwise be parsed into labels and held for the whole run.
    const watched = frameBuilderFor(config.signals, config.deploys?.markers ?? []);
    const data = await loadReplayColumns(replayFile, (name) => watched.wants(name));
    for (const p of data.problems.slice(0, 20)) options.logger.log('warn', 'replay file problem', { file: replayFile, line: p.line, problem: p.message });
    if (data.problems.length > 20) options.logger.log('warn', 'more replay file problems', { file: replayFile, count: data.problems.length - 20 });
    const source = new ReplaySource(data, config.signals, config.deploys?.markers ?? []);
    if (Number.isNaN(source.firstMs)) {
      const others = data.unwanted ?? 0;
      const names = watched.wantedNames();
      const why = others > 0 ? `none of its ${others} samples is of a metric the signals or deploy markers read (${names === 'all' ? 'any' : [...names].join(', ')})` : 'no samples with timestamps';
      throw new SourceError('parse', `replay ${replayFile}: ${why}`, false);
    }
    // Ticks follow the file: a 15 s configuration over a file scraped every second ticks every
    // second while its windows, hold times and rates assume 15 s (pages then read "0.194x baseline").
    const spacingMs = source.sampleSpacingMs();
    if (Number.isFinite(spacingMs) && Math.abs(spacingMs - config.intervalMs) > 0.1 * config.intervalMs) {
      options.logger.log('warn', 'the replay file was scraped at another interval than the configuration says: ticks follow the file, judged as if they were the interval apart; set interval to the file\'s', { file: replayFile, fileSeconds: spacingMs / 1000, intervalSeconds: config.intervalMs / 1000 });
    }
    const fromMs = options.fromMs ?? source.firstMs;
    return { source, fromMs, toMs: options.toMs ?? source.lastMs, warmFromMs: source.firstMs, problems: data.problems.length };
  }
  if (config.source.kind !== 'prometheus') {
    throw new SourceError('query_error', `a backtest needs --input FILE, a replay source, or a prometheus source with --from and --to; this config has a ${config.source.kind} source`, false);
  }
  if (options.fromMs === undefined || options.toMs === undefined) {
    throw new SourceError('query_error', 'a backtest against Prometheus needs --from and --to', false);
  }
  // Loaded only for a Prometheus backtest: the client, its answer decoder and the HTTP options.
  const [{ PrometheusClient }, { PrometheusSource }, { fetchWith }] = await Promise.all([import('../source/prometheus-client.js'), import('../source/prometheus-source.js'), import('../source/http-options.js')]);
  const client = new PrometheusClient({ url: config.source.url, timeoutMs: Math.max(config.source.timeoutMs, 30_000), fetch: fetchWith(config.source.http), setting: 'source.prometheus' });
  const warmFromMs = options.fromMs - config.source.warmupMs;
  return { source: new PrometheusSource(client, config.signals, config.deploys?.markers ?? []), fromMs: options.fromMs, toMs: options.toMs, warmFromMs, problems: 0 };
}

export async function runBacktest(config: StormwatchConfig, options: BacktestOptions): Promise<BacktestSummary> {
  const { source, fromMs, toMs, warmFromMs, problems } = await historyFor(config, options);
  const pipeline = new Pipeline(config, options.shard, { anomalyScores: options.anomalyScores !== false || options.keepHistory === true });
  // Against Prometheus, the week before the warm-up teaches the profiles, as at a start of `run`
  // (a replay learns from its own past, read as frames before --from).
  if (historyIsPrometheus(config, options)) {
    const { warmProfilesFromHistory } = await import('./seasonal-warm.js');
    await warmProfilesFromHistory(source as import('../source/prometheus-source.js').PrometheusSource, pipeline, config, warmFromMs, options.logger, config.signals.map((s) => s.name));
  }
  const total = Math.max(1, Math.floor((toMs - fromMs) / config.intervalMs) + 1);
  const history = options.keepHistory ? await reportHistory(config, total) : undefined;
  let frames = 0;
  let transitions = 0;
  const debug = options.logger.enabled?.('debug') === true;
  const deploys: DeployReads = { get: (id) => pipeline.deployRecord(id), list: () => pipeline.deployRecords() };
  options.onStart?.({ total, fromMs, toMs, ...(history ? { history } : {}), deploys });
  options.onProgress?.(0, total);
  for await (const frame of source.history(warmFromMs, toMs, config.intervalMs)) {
    if (frame.timeMs < fromMs) {
      pipeline.warm(frame);
      continue;
    }
    frames++;
    const result = pipeline.step(frame);
    // Each tick's readings and evidence at --log-level debug, as `run` logs them: why a backtest
    // paged (or did not) is read from the same lines.
    if (debug) options.logger.log('debug', 'tick evaluated', tickDebugFields(result, frame.timeMs));
    for (const m of result.movedTraffic ?? []) options.logger.log('info', MOVED_TRAFFIC_LOG, movedTrafficFields(m, frame.timeMs));
    history?.record(result);
    options.onTick?.(result, pipeline);
    if (options.onProgress && frames % 256 === 0) options.onProgress(frames, total);
    for (const t of result.transitions) {
      transitions++;
      options.onTransition(t);
    }
  }
  options.onProgress?.(total, total);
  // A misspelt metric or label reads as a signal without data: nothing judged, nothing paged, exit 0.
  if (source instanceof ReplaySource) {
    for (const u of source.unmatchedInputs()) options.logger.log('warn', 'a signal\'s selector matched no series of the replay file', { signal: u.signal, input: u.input, selector: u.selector.text });
    // An errors selector matching nothing is a service without errors, unless its metric is not in the file at all.
    for (const a of source.absentErrorMetrics()) {
      const { msg, fields } = absentErrorLine(a, true);
      options.logger.log('warn', msg, fields);
    }
  }
  return { frames, transitions, fromMs, toMs, dataProblems: problems, deploys: pipeline.deployRecords(), ...(history ? { history } : {}) };
}

/** Whether historyFor reads `config`'s Prometheus (no replay data, file or replay source given). */
function historyIsPrometheus(config: StormwatchConfig, options: Pick<BacktestOptions, 'input' | 'data'>): boolean {
  return !options.data && options.input === undefined && config.source.kind === 'prometheus';
}

/** The history a report is drawn from (its modules are loaded only when a report is asked for). */
async function reportHistory(config: StormwatchConfig, ticks: number): Promise<HistoryStore> {
  const [{ HistoryStore }, { backtestHistory }] = await Promise.all([import('../ui/history-store.js'), import('../ui/history-sizes.js')]);
  return new HistoryStore(backtestHistory(config, ticks));
}
