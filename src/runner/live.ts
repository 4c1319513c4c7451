// The live loop: node-cron ticks read the source, run the pipeline, record telemetry and hand
// transitions to the notifier. A tick never throws; a slow tick makes the next one skip, not stack.

import cron, { type ScheduledTask } from 'node-cron';
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
  const metrics = new StormwatchMetrics(true, BAND_SIGMAS);
  const pipeline = new Pipeline(config, options.shard);
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
  updatePending();

  // Resume from the last saved state: baselines from before an ongoing incident, firing alerts.
  const stateFile = join(config.delivery.outboxDir, 'state.json');
  const saved = loadState(stateFile);
  if (saved.problem) logger.log('warn', 'saved state not used', { problem: saved.problem });
  let resumedAtMs = Number.NaN;
  if (saved.snapshot) {
    const { signals } = pipeline.restore(saved.snapshot);
    resumedAtMs = saved.snapshot.savedAtMs;
    logger.log('info', 'resumed from saved state', { signals, firing: pipeline.firing().length, savedAt: new Date(resumedAtMs).toISOString() });
  }
  // The UI's history, fed from each tick's result (bounded: see ui/history-sizes.ts).
  const history = new HistoryStore(liveHistory(config));
  history.addTransitions(pipeline.firing().map((a) => ({ status: 'firing' as const, labels: a.labels, annotations: a.annotations, fingerprint: a.fingerprint, startsAtMs: a.startsAtMs, evaluatedAtMs: a.startsAtMs })));
  history.addDeploys(pipeline.deployRecords());
  let lastSavedMs = now();
  const persist = () => {
    try {
      saveState(stateFile, pipeline.snapshot(now()));
      lastSavedMs = now();
    } catch (error) {
      logger.log('error', 'could not save state', { error: (error as Error).message });
    }
  };

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
  let lastErrorText = '';
  let running: Promise<void> | null = null;

  const runTick = async () => {
    const started = performance.now();
    try {
      const read = await source.read(now());
      const result = pipeline.step(read.frame);
      history.record(result);
      metrics.recordTick(result, (performance.now() - started) / 1000, read.errors, read.problems.length);
      // Log a source failure once when it starts or changes, and once when it clears.
      const errorText = read.errors.map((e) => `${e.reason}: ${e.message}`).join('; ');
      if (errorText !== lastErrorText) {
        if (errorText) logger.log('warn', 'source read failed; the loop goes on', { errors: read.errors.map((e) => ({ reason: e.reason, message: e.message })) });
        else logger.log('info', 'source read recovered');
        lastErrorText = errorText;
      }
      for (const p of read.problems.slice(0, 5)) logger.log('warn', 'exposition line skipped', { line: p.line, problem: p.message });
      if (read.errors.length === 0) lastTickOkMs = now();
      for (const t of result.transitions) options.onTransition?.(t);
      notifier.handle(result.transitions, result.timeMs);
      onDeploys(result.deploys);
      updatePending();
      runProbes((p) => now() >= (probeNext.get(p.name) ?? 0));
      if (result.transitions.length > 0 || result.deploys.length > 0 || now() - lastSavedMs >= STATE_SAVE_INTERVAL_MS) persist();
    } catch (error) {
      metrics.ticks.inc({ outcome: 'failed' });
      logger.log('error', 'tick failed; the loop goes on', { error: (error as Error).stack ?? String(error) });
    }
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

  let server: RunningServer | undefined;
  if (config.listen) {
    const deployApi: DeployApiDeps | undefined = config.deploys
      ? {
          ...(config.deploys.apiToken !== undefined ? { token: config.deploys.apiToken } : {}),
          maxBodyBytes: config.deploys.maxBodyBytes,
          now,
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
            persist();
            return added.record;
          },
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
        const ok = Number.isNaN(lastTickOkMs) || age < 3 * config.intervalMs + 5000;
        return { ok, detail: { lastGoodTickAgeMs: Number.isNaN(age) ? null : age } };
      },
    });
    logger.log('info', 'http server listening', { url: server.url });
  }

  const task: ScheduledTask = cron.schedule(config.cron, () => tick(), { noOverlap: true, name: 'stormwatch-tick' });
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
      persist();
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

async function warmFromHistory(source: PrometheusSource, pipeline: Pipeline, config: StormwatchConfig, nowMs: number, logger: Logger, resumedAtMs: number): Promise<void> {
  if (config.source.kind !== 'prometheus' || config.source.warmupMs <= 0) return;
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
