// The live loop: node-cron ticks read the source, run the pipeline, record telemetry and hand
// transitions to the notifier. A tick never throws; a slow tick makes the next one skip, not stack.
// It also answers the kubelet's questions: live (the loop turns) and ready (the source reads, a
// recent tick was good, the outbox can be written).

import { W_OK } from 'node:constants';
import { accessSync } from 'node:fs';
import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { StormwatchConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AlertTransition } from '../core/types.js';
import { Pipeline, type Shard } from '../pipeline.js';
import { PrometheusClient } from '../source/prometheus-client.js';
import { PrometheusSource } from '../source/prometheus-source.js';
import { ScrapeSource } from '../source/scrape-source.js';
import type { LiveSource } from '../source/source.js';
import { type RunningServer, startHttpServer } from '../telemetry/http-server.js';
import { StormwatchMetrics } from '../telemetry/metrics.js';
import { Notifier } from './notify.js';
import { loadState, saveState } from './state-file.js';
import { StateSaver } from './state-saver.js';
import { RefusalLog } from '../telemetry/refusal-log.js';
import type { ProbeConfig } from '../config/load.js';
import type { DeployApiDeps } from '../deploys/deploy-api.js';
import type { DeployRecord } from '../deploys/types.js';
import { runProbe } from '../probes/http-probe.js';
import { forwardToPeers } from '../deploys/peers.js';
import { ensureStateDir } from './state-dir.js';
import { fetchWith } from '../source/http-options.js';
import { join } from 'node:path';
import { HistoryStore } from '../ui/history-store.js';
import { liveHistory } from '../ui/history-sizes.js';
import { BAND_SIGMAS } from '../ui/band.js';

export interface LiveOptions {
  logger: Logger;
  onTransition?: (t: AlertTransition) => void;
  /** Override the clock (tests); defaults to Date.now. */
  now?: () => number;
  shard?: Shard;
}

export interface LiveHandle {
  metrics: StormwatchMetrics;
  /** What the UI shows: each series' recent history, alerts and deploys. */
  history: HistoryStore;
  server?: RunningServer;
  /** Runs one tick now (also what cron calls). */
  tick(): Promise<void>;
  /** Stops ticking, finishes the running tick, drains notifications, closes the server. */
  stop(drainTimeoutMs?: number): Promise<void>;
}

export async function startLive(config: StormwatchConfig, options: LiveOptions): Promise<LiveHandle> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  ensureStateDir(config.delivery.outboxDir);
  const startedAtMs = now();
  const metrics = new StormwatchMetrics(true, BAND_SIGMAS);
  let pipeline = new Pipeline(config, options.shard);
  const updatePending = () => {
    for (const [sink, pending] of notifier.pendingBySink()) metrics.outboxPending.set({ sink }, pending);
  };
  const notifier: Notifier = new Notifier(config, {
    logger,
    onEvent: (e) => {
      metrics.recordDelivery(e);
      if (e.kind !== 'attempt') updatePending();
    },
  });
  if (notifier.quarantinedLines > 0) metrics.quarantined.inc({ what: 'outbox_line' }, notifier.quarantinedLines);
  updatePending();

  // Resume from the last saved state: baselines from before an ongoing incident, firing alerts.
  // A bad file costs what it broke (moved aside, logged once, counted), never the start.
  const stateFile = join(config.delivery.outboxDir, 'state.json');
  let saved: ReturnType<typeof loadState> = { quarantined: [], fromPrevious: [] };
  try {
    saved = loadState(stateFile, now());
  } catch (error) {
    // The directory itself misbehaves (permissions, a full disk while moving a file aside).
    logger.log('error', 'saved state could not be read; starting fresh', { file: stateFile, error: (error as Error).message });
  }
  for (const q of saved.quarantined) {
    metrics.quarantined.inc({ what: 'state_file' });
    logger.log('warn', 'saved state quarantined', { file: q.file, movedTo: q.movedTo, problems: q.problems.slice(0, 5) });
  }
  if (saved.fromPrevious.length > 0 || saved.fromFiring) logger.log('warn', 'saved state: lost sections recovered', { fromPreviousSave: saved.fromPrevious, firingAlertsFromFiringJson: saved.fromFiring === true });
  let resumedAtMs = Number.NaN;
  if (saved.snapshot) {
    try {
      const { signals } = pipeline.restore(saved.snapshot);
      resumedAtMs = saved.snapshot.savedAtMs;
      logger.log('info', 'resumed from saved state', { signals, firing: pipeline.firing().length, savedAt: new Date(resumedAtMs).toISOString() });
    } catch (error) {
      // Passed the schema yet failed to restore: start fresh rather than crash-loop.
      pipeline = new Pipeline(config, options.shard);
      metrics.quarantined.inc({ what: 'state_file' });
      logger.log('error', 'saved state could not be restored; starting fresh', { file: stateFile, error: (error as Error).message });
    }
  }
  // The UI's history, fed from each tick's result (bounded: see ui/history-sizes.ts).
  const history = new HistoryStore(liveHistory(config));
  history.addTransitions(pipeline.firing().map((a) => ({ status: 'firing' as const, labels: a.labels, annotations: a.annotations, fingerprint: a.fingerprint, startsAtMs: a.startsAtMs, evaluatedAtMs: a.startsAtMs })));
  history.addDeploys(pipeline.deployRecords());
  const writeState = () => {
    try {
      const bytes = saveState(stateFile, pipeline.snapshot(now()));
      metrics.stateWrites.inc();
      metrics.stateBytes.set(bytes);
    } catch (error) {
      logger.log('error', 'could not save state', { error: (error as Error).message });
    }
  };
  // Writes are coalesced: at most four a second however many transitions or deploy POSTs arrive.
  const saver = new StateSaver(writeState, STATE_MIN_WRITE_INTERVAL_MS);

  let source: LiveSource;
  if (config.source.kind === 'prometheus') {
    const client = new PrometheusClient({ url: config.source.url, timeoutMs: config.source.timeoutMs, fetch: fetchWith(config.source.http) });
    const prom = new PrometheusSource(client, config.signals, config.deploys?.markers ?? []);
    source = prom;
    await warmFromHistory(prom, pipeline, config, now(), logger, resumedAtMs);
  } else if (config.source.kind === 'scrape') {
    source = new ScrapeSource({ url: config.source.url, timeoutMs: config.source.timeoutMs, maxBytes: config.source.maxBytes, fetch: fetchWith(config.source.http) }, config.signals, config.deploys?.markers ?? []);
  } else {
    throw new Error('a replay source runs with `stormwatch backtest` or `stormwatch run` in replay mode, not as a live loop');
  }

  // Smoke probes: right after each deploy of their service, and on their own schedule.
  const probeNext = new Map(config.probes.map((p) => [p.name, 0]));
  const probesRunning = new Set<string>();
  const runProbes = (filter: (p: ProbeConfig) => boolean) => {
    for (const probe of config.probes) {
      if (!filter(probe) || probesRunning.has(probe.name)) continue;
      probesRunning.add(probe.name);
      probeNext.set(probe.name, now() + probe.intervalMs);
      runProbe(probe)
        .then((result) => {
          metrics.probes.inc({ probe: probe.name, outcome: result.ok ? 'ok' : 'failed' });
          if (!result.ok) logger.log('warn', 'smoke probe failed', { probe: probe.name, failure: result.failure });
          const transitions = pipeline.recordProbe(result, now());
          history.addTransitions(transitions);
          for (const t of transitions) options.onTransition?.(t);
          notifier.handle(transitions, now());
        })
        .catch((error: unknown) => logger.log('error', 'smoke probe crashed', { probe: probe.name, error: (error as Error).message }))
        .finally(() => probesRunning.delete(probe.name));
    }
  };
  const onDeploys = (records: readonly DeployRecord[]) => {
    for (const r of records) {
      if (r.verdict === 'pending' && !announced.has(r.id)) {
        announced.add(r.id);
        logger.log('info', 'deploy recorded; watching its window', { deploy: r.id, service: r.service, version: r.version, source: r.source });
        runProbes((p) => p.service === r.service);
      } else if (r.verdict !== 'pending') {
        logger.log(r.verdict === 'fail' ? 'warn' : 'info', 'deploy verdict', { deploy: r.id, verdict: r.verdict, reasons: r.reasons });
        if (r.verdict === 'fail' && r.rollbackRequestedAtMs === undefined && notifier.requestRollback(r)) {
          pipeline.markRollbackRequested(r.id, now());
          logger.log('warn', 'rollback requested', { deploy: r.id, service: r.service });
        }
      }
    }
  };
  const announced = new Set(pipeline.deployRecords().map((r) => r.id));

  let lastTickOkMs = Number.NaN;
  /** Any outcome: the loop turned (liveness). */
  let lastTickDoneMs = Number.NaN;
  let tickStartedMs = Number.NaN;
  /** The latest read had no errors; undefined before the first read. */
  let lastReadOk: boolean | undefined;
  let lastErrorText = '';
  let lastProblemsText = '';
  let running: Promise<void> | null = null;

  const runTick = async () => {
    const started = performance.now();
    tickStartedMs = now();
    try {
      const read = await source.read(now());
      const result = pipeline.step(read.frame);
      history.record(result);
      metrics.recordTick(result, (performance.now() - started) / 1000, read.errors, read.problems.length, read.duplicates ?? 0);
      metrics.deployRecords.set(pipeline.deployRecords().length);
      // Log a source failure once when it starts or changes, and once when it clears.
      const errorText = read.errors.map((e) => `${e.reason}: ${e.message}`).join('; ');
      if (errorText !== lastErrorText) {
        if (errorText) logger.log('warn', 'source read failed; the loop goes on', { errors: read.errors.map((e) => ({ reason: e.reason, message: e.message })) });
        else logger.log('info', 'source read recovered');
        lastErrorText = errorText;
      }
      // Skipped lines likewise: a page broken the same way every scrape is one log line, not one a tick.
      const problemsText = read.problems.slice(0, 5).map((p) => p.message).join('\n');
      if (problemsText !== lastProblemsText) {
        if (problemsText) logger.log('warn', 'exposition lines skipped', { count: read.problems.length, first: read.problems.slice(0, 5).map((p) => ({ line: p.line, problem: p.message })) });
        lastProblemsText = problemsText;
      }
      lastReadOk = read.errors.length === 0;
      if (lastReadOk) lastTickOkMs = now();
      for (const t of result.transitions) options.onTransition?.(t);
      notifier.handle(result.transitions, result.timeMs);
      onDeploys(result.deploys);
      updatePending();
      runProbes((p) => now() >= (probeNext.get(p.name) ?? 0));
      if (result.transitions.length > 0 || result.deploys.length > 0 || Date.now() - saver.lastWriteAtMs >= STATE_SAVE_INTERVAL_MS) void saver.request();
    } catch (error) {
      metrics.ticks.inc({ outcome: 'failed' });
      logger.log('error', 'tick failed; the loop goes on', { error: (error as Error).stack ?? String(error) });
    } finally {
      lastTickDoneMs = now();
      tickStartedMs = Number.NaN;
    }
  };

  // A tick that has not finished within this long means the loop is stuck, not the source slow.
  const sourceTimeoutMs = 'timeoutMs' in config.source ? config.source.timeoutMs : 0;
  const stuckAfterMs = 3 * config.intervalMs + sourceTimeoutMs + 10_000;
  const live = () => {
    const t = now();
    const sinceTurn = t - (Number.isNaN(lastTickDoneMs) ? startedAtMs : lastTickDoneMs);
    const busyFor = Number.isNaN(tickStartedMs) ? 0 : t - tickStartedMs;
    const ok = sinceTurn < stuckAfterMs && busyFor < stuckAfterMs;
    return { ok, detail: { lastTickAgeMs: Number.isNaN(lastTickDoneMs) ? null : t - lastTickDoneMs, runningTickMs: busyFor || null } };
  };
  const ready = () => {
    const t = now();
    const age = t - lastTickOkMs;
    const outboxError = notifier.outbox.lastWriteError ?? writableProblem(config.delivery.outboxDir);
    // Never ready before a first good read; an upstream outage makes it not ready, never not live.
    const checks = {
      source: lastReadOk === true ? { ok: true } : { ok: false, problem: lastReadOk === undefined ? 'no read yet' : lastErrorText },
      tick: { ok: age < 3 * config.intervalMs + 5000, lastGoodTickAgeMs: Number.isNaN(age) ? null : age },
      outbox: outboxError === undefined ? { ok: true } : { ok: false, problem: outboxError },
    };
    return { ok: checks.source.ok && checks.tick.ok && checks.outbox.ok, detail: { checks } };
  };

  const tick = async () => {
    if (running) {
      metrics.ticksSkipped.inc();
      return;
    }
    running = runTick().finally(() => {
      running = null;
    });
    await running;
  };

  // Refused requests are logged (never their headers: a token is never written), at most one line
  // a second per reason with a count of the rest.
  const refusals = new RefusalLog(logger);
  let server: RunningServer | undefined;
  if (config.listen) {
    const deployApi: DeployApiDeps | undefined = config.deploys
      ? {
          ...(config.deploys.apiToken !== undefined ? { token: config.deploys.apiToken } : {}),
          maxBodyBytes: config.deploys.maxBodyBytes,
          now,
          publicReads: config.deploys.publicReads,
          add: (event, addOptions) => {
            const added = pipeline.addDeploy(event, now())!;
            const peers = config.deploys!.peers;
            if (!addOptions?.forwarded && peers.length > 0 && config.deploys!.apiToken !== undefined) {
              void forwardToPeers(peers, event, { token: config.deploys!.apiToken, logger });
            }
            history.addDeploys([added.record]);
            history.addTransitions(added.transitions);
            for (const t of added.transitions) options.onTransition?.(t);
            notifier.handle(added.transitions, now());
            onDeploys([added.record]);
            metrics.deployRecords.set(pipeline.deployRecords().length);
            return added.record;
          },
          // The 201 waits for the write that holds the deploy; a burst of POSTs shares one write.
          persisted: () => saver.request(),
          get: (id) => pipeline.deployRecord(id),
          list: () => pipeline.deployRecords(),
        }
      : undefined;
    server = await startHttpServer(config.listen, {
      ...(deployApi ? { deploys: deployApi, gates: { ...deployApi, inconclusive: config.deploys!.inconclusive } } : {}),
      registry: metrics.registry,
      ui: { store: history, intervalMs: config.intervalMs, ...(config.deploys ? { deployWindowMs: config.deploys.windowMs } : {}) },
      firingAlerts: () => pipeline.firing().map((a) => ({ ...a, startsAt: new Date(a.startsAtMs).toISOString() })),
      health: () => {
        const age = now() - lastTickOkMs;
        // Healthy until three intervals pass without a good tick (and during the first ones).
        const ok = Number.isNaN(lastTickOkMs) ? now() - startedAtMs < 3 * config.intervalMs + 5000 : age < 3 * config.intervalMs + 5000;
        return { ok, detail: { lastGoodTickAgeMs: Number.isNaN(age) ? null : age } };
      },
      live,
      ready,
      onRefused: (r) => {
        metrics.httpRefused.inc({ reason: r.reason });
        refusals.note(r);
      },
    });
    logger.log('info', 'http server listening', { url: server.url });
  }

  const task: ScheduledTask = cron.schedule(config.cron, () => tick(), { noOverlap: true, name: 'stormwatch-tick', logger: cronLogger(logger, () => metrics.ticksSkipped.inc()) });
  task.on('execution:overlap', () => metrics.ticksSkipped.inc());
  logger.log('info', 'stormwatch running', { source: config.source.kind, signals: config.signals.length, schedule: config.cron });

  return {
    metrics,
    history,
    ...(server ? { server } : {}),
    tick,
    async stop(drainTimeoutMs = 10_000) {
      await task.stop();
      await task.destroy();
      if (running) await running;
      saver.flush(true);
      notifier.handle([], now(), true);
      const left = await notifier.drain(drainTimeoutMs);
      if (left > 0) logger.log('warn', 'notifications not yet delivered at shutdown; they stay in the outbox for the next start', { count: left });
      notifier.close();
      await server?.close();
    },
  };
}

/** How often state is saved when nothing changes (it is also saved at every transition). */
const STATE_SAVE_INTERVAL_MS = 60_000;
/** Writes of state.json are at most this frequent: a burst of changes shares one write. */
const STATE_MIN_WRITE_INTERVAL_MS = 250;

/** Why the outbox directory cannot be written, or undefined. */
function writableProblem(dir: string): string | undefined {
  try {
    accessSync(dir, W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/** node-cron's messages as JSON log lines (its default logger prints coloured text to stderr). */
function cronLogger(logger: Logger, onMissed: () => void): CronLogger {
  const text = (m: string | Error) => (m instanceof Error ? m.message : m);
  return {
    info: (m) => logger.log('debug', 'scheduler', { message: text(m) }),
    debug: (m) => logger.log('debug', 'scheduler', { message: text(m) }),
    warn: (m) => {
      // A missed execution is a skipped tick: counted; logged at debug, the metric tells the story.
      if (/missed execution/i.test(m)) {
        onMissed();
        return logger.log('debug', 'scheduler: tick missed', { message: m });
      }
      logger.log('warn', 'scheduler', { message: m });
    },
    error: (m, e) => logger.log('error', 'scheduler', { message: text(m), ...(e ? { error: e.message } : {}) }),
  };
}

/** Prometheus answers at most this many points per series and query_range. */
const MAX_POINTS_PER_QUERY = 11_000;
/** The seasonal warm-up's step: ample for hourly profile slots, 2,304 points for 8 days. */
const SEASONAL_STEP_MS = 300_000;

/**
 * Reads `seasonalHistory` before the trailing warm-up window (the request rate only, at 5-minute
 * steps or coarser, so one query per signal of at most 11,000 points per series) and teaches it to
 * the seasonal profiles. The read is bounded by the source timeout and reported in one log line.
 */
async function warmProfilesFromHistory(source: PrometheusSource, pipeline: Pipeline, config: StormwatchConfig, nowMs: number, logger: Logger): Promise<void> {
  if (config.source.kind !== 'prometheus') return;
  const historyMs = config.source.seasonalHistoryMs ?? 0;
  if (historyMs <= 0) return;
  const step = Math.max(SEASONAL_STEP_MS, config.intervalMs, Math.ceil(historyMs / MAX_POINTS_PER_QUERY / 1000) * 1000);
  const toMs = Math.floor((nowMs - config.source.warmupMs) / step) * step - step;
  const fromMs = toMs - historyMs;
  const started = performance.now();
  let frames = 0;
  let points = 0;
  try {
    for await (const frame of source.history(fromMs, toMs, step, ['requests'])) {
      points += pipeline.warmProfiles(frame, step);
      frames++;
    }
    logger.log('info', 'seasonal profiles warmed from history', { fromMs, toMs, stepMs: step, frames, points, seconds: (performance.now() - started) / 1000 });
  } catch (error) {
    const reason = error instanceof SourceError ? error.reason : 'unknown';
    logger.log('warn', 'could not read seasonal history; profiles learn live instead', { reason, error: (error as Error).message });
  }
}

async function warmFromHistory(source: PrometheusSource, pipeline: Pipeline, config: StormwatchConfig, nowMs: number, logger: Logger, resumedAtMs: number): Promise<void> {
  if (config.source.kind !== 'prometheus' || config.source.warmupMs <= 0) return;
  // A fresh start learns the week first (a resumed one kept its profiles in the saved state).
  if (Number.isNaN(resumedAtMs)) await warmProfilesFromHistory(source, pipeline, config, nowMs, logger);
  const step = config.intervalMs;
  const toMs = Math.floor(nowMs / step) * step - step;
  // After a restart only the gap since the saved state is read.
  const fromMs = Math.max(toMs - config.source.warmupMs, Number.isNaN(resumedAtMs) ? Number.NEGATIVE_INFINITY : Math.ceil(resumedAtMs / step) * step);
  if (fromMs > toMs) return;
  let frames = 0;
  try {
    for await (const frame of source.history(fromMs, toMs, step)) {
      pipeline.warm(frame);
      frames++;
    }
    logger.log('info', 'baselines warmed from history', { frames, fromMs, toMs });
  } catch (error) {
    const reason = error instanceof SourceError ? error.reason : 'unknown';
    logger.log('warn', 'could not warm baselines from history; learning live instead', { reason, error: (error as Error).message });
  }
}
