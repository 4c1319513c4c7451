// The live loop: node-cron ticks read the source, run the pipeline, record telemetry and hand
// transitions to the notifier. A tick never throws; a slow tick makes the next one skip, not stack.
// It also answers the kubelet's questions: live (the loop turns) and ready (the source reads, a
// recent tick was good, the outbox can be written).

import { W_OK } from 'node:constants';
import { accessSync } from 'node:fs';
import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { SignalConfig, StormwatchConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { givenSemiSpaceMb, youngGenerationHint } from '../core/young-generation.js';
import type { AbsentErrorMetric, AlertTransition, SignalInput } from '../core/types.js';
import { Pipeline, type Shard, type TickResult } from '../pipeline.js';
import { PrometheusClient } from '../source/prometheus-client.js';
import { PrometheusSource } from '../source/prometheus-source.js';
import { ScrapeSource } from '../source/scrape-source.js';
import type { HeldRate, LiveSource } from '../source/source.js';
import { type RunningServer, startHttpServer } from '../telemetry/http-server.js';
import { StormwatchMetrics } from '../telemetry/metrics.js';
import { Notifier, type SavedGroups } from './notify.js';
import { STATE_FILE_NAME, loadState, saveDecided, saveStateAsync, stateFileToLoad } from './state-file.js';
import { StateSaver } from './state-saver.js';
import { RefusalLog } from '../telemetry/refusal-log.js';
import type { ProbeConfig } from '../config/load.js';
import type { DeployRecord } from '../deploys/types.js';
import { runProbe } from '../probes/http-probe.js';
import { currentApiToken } from '../deploys/api-token.js';
import { forwardToPeers } from '../deploys/peers.js';
import { ensureStateDir } from './state-dir.js';
import { lockStateDir } from './state-lock.js';
import { MOVED_TRAFFIC_LOG, movedTrafficFields, tickDebugFields } from './tick-debug.js';
import { NO_DATA_NOTICE_MS, NoDataWatch } from './no-data-watch.js';
import { ABSENT_ERRORS_RETRY_MS, AbsentErrorWatch, absentErrorLine, errorMetricKeys, errorMetrics } from './absent-error-watch.js';
import { fetchWith } from '../source/http-options.js';
import { join } from 'node:path';
import { type AlertInterval, HistoryStore } from '../ui/history-store.js';
import { LIVE_HISTORY_MS, liveHistory } from '../ui/history-sizes.js';
import { BAND_SIGMAS } from '../ui/band.js';
import { MuteStage, type Muting } from '../decisions/mute-stage.js';
import { SilenceStore } from './silence-store.js';
import { type Ticker, catchUpRange, startAlignedTicker } from './aligned-ticker.js';
import { ClockStepWatch } from './clock-step.js';
import { intervalToCron, splitTickOffset } from '../config/schedule.js';
import { alignable, meanLagAt, realignGainMs } from '../source/scrape-phase.js';
import { muteConfig } from './mute-config.js';
import { mutingFileIn, mutingText, readMuting, writeMuting } from './muting-file.js';
import { UI_HISTORY_SAVE_INTERVAL_MS, readUiHistory, uiHistoryFileIn, writeUiHistory } from './ui-history-file.js';
import { notificationFileIn, notificationGroupsText, readNotificationGroups, writeNotificationGroups } from './notification-file.js';
import { carrySnapshot, planReload, signalOfSeries } from './reload-plan.js';
import { ConfigError, SourceError } from '../core/errors.js';
import type { GateApiDeps } from '../deploys/gates/gate-api.js';
import { windowBuckets } from '../deploys/deploy-watcher.js';
import { boundBaseUrl } from '../config/resolve-server.js';
import { FiringCopyError, decidedFileOf } from './durable-file.js';
import { HELD_FROM_PAGE, HELD_FROM_PROMETHEUS, HeldRateLog } from './held-rate-log.js';
import { RepeatedFailureLog, sameErrorsOnce } from './repeated-failure-log.js';
import { type SeasonalRead, warmProfilesFromHistory } from './seasonal-warm.js';

export interface LiveOptions {
  logger: Logger;
  /** Every transition, with what muted it when it was not delivered. */
  onTransition?: (t: AlertTransition, muted?: readonly Muting[]) => void;
  /** A muted firing alert delivered after all (its muting ended while it still fired), once queued: `run` prints it again. */
  onRelease?: (t: AlertTransition, releasedAtMs: number) => void;
  /** Override the clock (tests); defaults to Date.now. */
  now?: () => number;
  shard?: Shard;
  /** Reads the configuration again for a reload; throws ConfigError when it is invalid. */
  loadConfig?: () => StormwatchConfig;
}

export type ReloadOutcome = { ok: true; changed: string[] } | { ok: false; error: string; problems: readonly string[] };

export interface LiveHandle {
  metrics: StormwatchMetrics;
  /** What the UI shows: each series' recent history, alerts and deploys. */
  history: HistoryStore;
  server?: RunningServer;
  /** Runs one tick now (also what cron calls). */
  tick(): Promise<void>;
  /** Reloads the configuration through LiveOptions.loadConfig (SIGHUP, POST /-/reload). */
  reload(trigger?: 'sighup' | 'http' | 'call'): Promise<ReloadOutcome>;
  /** Stops ticking, finishes the running tick, drains notifications, closes the server. */
  stop(drainTimeoutMs?: number): Promise<void>;
}

export async function startLive(initial: StormwatchConfig, options: LiveOptions): Promise<LiveHandle> {
  ensureStateDir(initial.delivery.outboxDir, initial.delivery.outboxDirSetting);
  // One process per state directory (state-lock.ts), held until stopped or a start that fails.
  const lock = lockStateDir(initial.delivery.outboxDir, (options.now ?? Date.now)(), initial.delivery.outboxDirSetting);
  if (lock.tookOver) options.logger.log('info', 'state directory lock taken over: its holder is gone or on another host', { holder: lock.tookOver });
  for (const warning of initial.warnings ?? []) options.logger.log('warn', 'configuration warning', { file: initial.file, warning });
  try {
    const handle = await runLive(initial, options);
    // Said once bound: on port 0 the links carry the port given (it said ":0" before).
    if (initial.listen && !initial.alerting.externalURLGiven) {
      options.logger.log('warn', 'alert links point at the listen address: set alerting.externalURL to the URL people reach stormwatch at', { externalURL: initial.alerting.externalURL });
    }
    return {
      ...handle,
      async stop(drainTimeoutMs?: number) {
        try {
          await handle.stop(drainTimeoutMs);
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function runLive(initial: StormwatchConfig, options: LiveOptions): Promise<LiveHandle> {
  const { logger } = options;
  // Replaced as a whole by a reload; closures read the current one.
  let config = initial;
  const now = options.now ?? Date.now;
  const startedAtMs = now();
  const metrics = new StormwatchMetrics(true, BAND_SIGMAS);
  let pipeline = new Pipeline(config, options.shard);
  /** Reading history before the first tick (see warmCold): live, not ready, no reload. */
  let warming = true;
  const updatePending = () => {
    for (const [sink, pending] of notifier.pendingBySink()) metrics.outboxPending.set({ sink }, pending);
  };
  // The notifier's groups come back from the state directory (notification-file.ts), and go to the
  // next notifier at a reload: pending changes are sent when due, nothing notified is sent again.
  const notificationFile = notificationFileIn(config.delivery.outboxDir);
  const groupsBefore = readNotificationGroups(notificationFile);
  if (groupsBefore.problem) logger.log('warn', 'notification groups could not be read; taking firing alerts as notified', { problem: groupsBefore.problem });
  const makeNotifier = (c: StormwatchConfig, groups: SavedGroups | undefined) =>
    new Notifier(c, {
      logger,
      ...(groups ? { groups } : {}),
      onEvent: (e) => {
        metrics.recordDelivery(e);
        if (e.kind !== 'attempt') updatePending();
      },
    });
  let notifier: Notifier = makeNotifier(config, groupsBefore.groups);
  if (notifier.quarantinedLines > 0) metrics.quarantined.inc({ what: 'outbox_line' }, notifier.quarantinedLines);
  updatePending();

  // Resume from the last saved state: baselines from before an ongoing incident, firing alerts.
  const stateFile = join(config.delivery.outboxDir, STATE_FILE_NAME);
  const resumed = resumeFromState(pipeline, stateFile, config, options, metrics, now());
  pipeline = resumed.pipeline;
  const { resumedAtMs, resumedSignals } = resumed;
  // The UI's history, fed from each tick's result (bounded: see ui/history-sizes.ts).
  const history = new HistoryStore(liveHistory(config));
  // What the UI showed when the last run saved it (ui-history-file.ts): charts, closed alerts and
  // explanations of the signals still configured, from the live window's start on; and when the
  // alerts still firing fired.
  const uiHistoryFile = uiHistoryFileIn(config.delivery.outboxDir);
  let savedOpen: AlertInterval[] = [];
  {
    const names = new Set(config.signals.map((s) => s.name));
    const { restored, problem } = readUiHistory(uiHistoryFile, history, now() - LIVE_HISTORY_MS, (id) => names.has(signalOfSeries(id)));
    if (problem) logger.log('warn', 'UI history could not be read; its charts start empty', { problem });
    savedOpen = restored?.open ?? [];
    if (restored) logger.log('info', 'UI history restored', { series: restored.series, points: restored.points, closedAlerts: restored.closed, savedAt: new Date(restored.savedAtMs).toISOString() });
  }
  let uiHistorySavedAtMs = now();
  /** Writes the UI's history (every UI_HISTORY_SAVE_INTERVAL_MS after a tick, and at shutdown). */
  const saveUiHistory = () => {
    uiHistorySavedAtMs = now();
    try {
      writeUiHistory(uiHistoryFile, history, uiHistorySavedAtMs);
    } catch (error) {
      logger.log('error', 'could not save the UI history', { file: uiHistoryFile, error: (error as Error).message });
    }
  };
  history.resumeFiring(pipeline.firing().map((a) => ({ status: 'firing' as const, labels: a.labels, annotations: a.annotations, fingerprint: a.fingerprint, startsAtMs: a.startsAtMs, evaluatedAtMs: a.startsAtMs })), savedOpen);

  // Silences (API and CLI, kept in the state directory), maintenance windows and inhibition rules
  // decide which transitions are delivered; muted ones are still recorded and printed.
  const opened = SilenceStore.open(join(config.delivery.outboxDir, 'silences.json'), now());
  const silences = opened.store;
  if (opened.problem) logger.log('warn', 'saved silences could not be read; starting without them', { problem: opened.problem });
  const mute = new MuteStage(muteConfig(config, () => silences.list()));
  mute.seed(pipeline.firing());
  // The alerts held back when the state was saved are held again, and surges' onsets come back
  // (muting-file.ts). Without the file (a state from before it), what is muted now stands in for
  // what was held.
  const mutingFile = mutingFileIn(config.delivery.outboxDir);
  const mutingBefore = readMuting(mutingFile);
  if (mutingBefore.problem) logger.log('warn', 'muting state could not be read; holding none', { problem: mutingBefore.problem });
  mute.restoreSurgeOnsets(mutingBefore.state?.surgeOnsets ?? {});
  mute.restoreHeld(mutingBefore.state?.held ?? pipeline.firing().filter((a) => mute.mutings(a, now()).length > 0));
  // The UI says so again: by what mutes each now (a muting that ended meanwhile releases it at the first tick).
  for (const a of mute.heldAlerts()) {
    const by = mute.mutings(a, now()).map((m) => m.by);
    history.markMuted(a.fingerprint, by.length > 0 ? by : ['muted before the restart']);
  }
  /** The text muting.json holds (undefined: no file yet, so the first save writes one), and the stage's revision it was made at. */
  let mutingWritten: string | undefined;
  let mutingRevision = -1;
  /** Firing alerts that were delivered (not held back), as the notifier's groups should know them. */
  const deliveredFiring = (): AlertTransition[] =>
    pipeline
      .firing()
      .filter((a) => !mute.isHeld(a.fingerprint))
      .map((a) => ({ status: 'firing', labels: a.labels, annotations: a.annotations, fingerprint: a.fingerprint, startsAtMs: a.startsAtMs, evaluatedAtMs: now() }));
  /** The groups' revision notifications.json was last written at (-1: not by this run yet), when, and how long it took. */
  let groupsRevision = -1;
  let groupsWrittenAtMs = Number.NEGATIVE_INFINITY;
  let groupsWriteMs = 0;
  /**
   * Writes the notifier's groups when they changed since the last write (a failed or deferred write
   * is made at a later emit: every tick emits). Not sooner after the last write than ten times as
   * long as it took, unless `force` (shutdown): a few alerts make a file of a few KB, written at
   * once; thousands firing at once make a large one, which then takes at most a tenth of the time.
   */
  const saveGroups = (force = false) => {
    const revision = notifier.groupsRevision;
    if (revision === groupsRevision) return;
    const started = performance.now();
    if (!force && started - groupsWrittenAtMs < 10 * groupsWriteMs) return;
    try {
      writeNotificationGroups(notificationFile, notificationGroupsText(notifier.savedGroups()));
    } catch (error) {
      logger.log('error', 'could not save the notification groups', { file: notificationFile, error: (error as Error).message });
      return;
    }
    groupsRevision = revision;
    groupsWrittenAtMs = performance.now();
    groupsWriteMs = groupsWrittenAtMs - started;
  };
  // With the saved alerts lost, an alert the groups last sent as firing is not known to be over:
  // it is forgotten, not resolved (a resolve of a storm still going on), and fires again if it holds.
  const forgotten = notifier.adoptFiring(deliveredFiring(), now(), pipeline.firing(), resumed.alertsLost);
  if (forgotten > 0) logger.log('warn', 'the saved alerts were lost: alerts last sent as firing are forgotten, not resolved (receivers expire them: Alertmanager after its resolve_timeout); one whose condition still holds fires again', { alerts: forgotten });
  saveGroups();
  /** Writes the muting state when it changed since the last write (a failed write is tried again at the next emit). */
  const saveMuting = () => {
    if (mute.revision === mutingRevision) return;
    const revision = mute.revision;
    const text = mutingText({ held: mute.heldAlerts(), surgeOnsets: mute.surgeOnsets() });
    if (text !== mutingWritten) {
      try {
        writeMuting(mutingFile, text);
        mutingWritten = text;
      } catch (error) {
        logger.log('error', 'could not save the muting state', { file: mutingFile, error: (error as Error).message });
        return;
      }
    }
    mutingRevision = revision;
  };
  saveMuting();
  /** Transitions decided while decided.json could not be written, in order: handed on once it is. */
  let unsaved: AlertTransition[] = [];
  /** Hands a batch of transitions on: printed and recorded all, delivered unless muted. */
  const emit = (transitions: readonly AlertTransition[], dataTimeMs: number) => {
    const { deliver, muted } = mute.filter(transitions, now());
    for (const by of muted.values()) metrics.notificationsMuted.inc({ reason: by[0]!.reason });
    for (const [t, by] of muted) {
      if (t.status !== 'firing') continue;
      logger.log('info', 'alert muted: decided and recorded, not delivered', { alertname: t.labels.alertname, fingerprint: t.fingerprint, mutedBy: by.map((m) => m.by) });
      if (t.update === undefined) history.markMuted(t.fingerprint, by.map((m) => m.by));
    }
    // An alert whose condition is over (held only by keepFiringFor) is not paged when its muting ends.
    const releasedAtMs = now();
    const released = mute.release(releasedAtMs, mute.heldCount > 0 ? pipeline.lingering(dataTimeMs) : undefined);
    for (const t of released) {
      logger.log('info', 'muted alert no longer muted: its firing notification goes out now', { alertname: t.labels.alertname, fingerprint: t.fingerprint });
      history.markReleased(t.fingerprint, releasedAtMs);
    }
    // What was decided is on disk before any notification of it is: a kill before the next state
    // save restores it, not the alerts from before (state-file.ts, saveDecided). Until it can be
    // written (a full disk), the notifications wait, and it is tried again every tick: sent first,
    // a kill before the next state save restored the alerts from before, and the restart sent a
    // false resolve for a storm still going on.
    let decidedSaved = true;
    if (transitions.length > 0 || released.length > 0 || unsaved.length > 0) {
      try {
        saveDecided(stateFile, now(), pipeline.decisionsSnapshot());
        if (unsaved.length > 0) logger.log('info', 'decided alerts saved; their notifications go out now', { file: decidedFileOf(stateFile), notifications: unsaved.length });
      } catch (error) {
        decidedSaved = false;
        if (unsaved.length === 0) logger.log('error', 'could not save the decided alerts: their notifications wait until they are saved (tried every tick)', { file: decidedFileOf(stateFile), error: (error as Error).message });
      }
    }
    const handing = [...unsaved, ...deliver, ...released];
    unsaved = decidedSaved ? [] : handing;
    try {
      notifier.handle(decidedSaved ? handing : [], dataTimeMs);
    } finally {
      // Printed once queued: printed first, a kill between the two printed an alert that was not
      // the one delivered. A failed queue (a full disk) is still printed: it was decided, and the
      // notification is queued when there is room.
      for (const t of transitions) options.onTransition?.(t, muted.get(t));
      for (const t of released) options.onRelease?.(t, releasedAtMs);
    }
    saveGroups();
    saveMuting();
  };
  history.addDeploys(pipeline.deployRecords());
  // Each series is encoded and written as it is made (state-binary.ts: no 100k snapshots alive at
  // once); the syncs that follow wait on libuv's threads, not on the event loop.
  const stateCopyFailures = new RepeatedFailureLog(logger, 'state saved without its second copy of the firing alerts', ERROR_RELOG_MS, now);
  const writeState = () => {
    const started = performance.now();
    const saving = saveStateAsync(stateFile, (section) => pipeline.snapshot(now(), section));
    metrics.stateSaveDuration.observe({ part: 'event_loop' }, (performance.now() - started) / 1000);
    return saving.then(
      (bytes) => {
        metrics.stateWrites.inc();
        metrics.stateBytes.set(bytes);
        metrics.stateSaveDuration.observe({ part: 'in_place' }, (performance.now() - started) / 1000);
      },
      (error: Error) => {
        if (!(error instanceof FiringCopyError)) return logger.log('error', 'could not save state', { error: error.message });
        // Saved: only its second copy of the firing alerts is not in place.
        metrics.stateWrites.inc();
        metrics.stateBytes.set(error.bytes);
        stateCopyFailures.failed(error);
      },
    );
  };
  // Writes are coalesced: at most four a second however many transitions or deploy POSTs arrive, and
  // a slow write (many series) spaces the next out (state-saver.ts).
  const saver = new StateSaver(writeState, STATE_MIN_WRITE_INTERVAL_MS);

  /** The configuration's source; for Prometheus, of some signals and markers when given (a warm-up of part of them). */
  const makeSource = (c: StormwatchConfig, signals = c.signals, markers = c.deploys?.markers ?? []): LiveSource => {
    if (c.source.kind === 'prometheus') {
      const client = new PrometheusClient({ url: c.source.url, timeoutMs: c.source.timeoutMs, fetch: fetchWith(c.source.http), now, setting: 'source.prometheus' });
      return new PrometheusSource(client, signals, markers);
    }
    if (c.source.kind === 'scrape') {
      return new ScrapeSource({ url: c.source.url, timeoutMs: c.source.timeoutMs, maxBytes: c.source.maxBytes, fetch: fetchWith(c.source.http), setting: 'source.scrape' }, c.signals, c.deploys?.markers ?? []);
    }
    throw new Error('a replay source runs with `stormwatch backtest` or `stormwatch run` in replay mode, not as a live loop');
  };
  let source = makeSource(config);
  /**
   * A reader of the history of `signals` and `markers` (Prometheus source). At a start, part of the
   * live source: the series it reads are those its ticks go on with, not built again at the first
   * (PrometheusSource.subset). At a reload, a source of the next configuration, as the live one is
   * made anew after it.
   */
  const historyReader = (c: StormwatchConfig, signals: StormwatchConfig['signals'], markers: NonNullable<StormwatchConfig['deploys']>['markers'], atStart: boolean): PrometheusSource =>
    atStart && source instanceof PrometheusSource ? source.subset(signals, markers) : (makeSource(c, signals, markers) as PrometheusSource);
  // The latest seasonal read (a start's, or a reload's for the signals it added), in a metric.
  const seasonalRead = (read: SeasonalRead) => {
    metrics.seasonalHistory.reset();
    metrics.seasonalHistory.set({ outcome: read.outcome }, read.seconds);
  };
  /**
   * Warms from history what starts cold (Prometheus source): signals without a saved state read the
   * whole warm-up and the seasonal history; those that resumed read only the gap since the state
   * was saved (`resumedAt`), with the deploy markers at a start. A signal added to the configuration
   * since the save, or by a reload, is as warm at its first tick as at a fresh start. A reload reads
   * no markers: they carry on from the running pipeline, which has seen that history already.
   */
  const warmCold = async (c: StormwatchConfig, into: Pipeline, resumed: ReadonlySet<string>, resumedAt: number, atStart: boolean): Promise<{ coldUntilMs: number; resumedUntilMs: number }> => {
    if (c.source.kind !== 'prometheus') return { coldUntilMs: Number.NaN, resumedUntilMs: resumedAt };
    const markers = atStart ? (c.deploys?.markers ?? []) : [];
    const cold = c.signals.filter((s) => !resumed.has(s.name));
    const warm = c.signals.filter((s) => resumed.has(s.name));
    const coldNames = cold.map((s) => s.name);
    if (warm.length === 0) return { coldUntilMs: await warmFromHistory(historyReader(c, cold, markers, atStart), into, c, now(), logger, Number.NaN, coldNames, history, seasonalRead), resumedUntilMs: Number.NaN };
    // Disjoint series: each reads its own history in time order, whichever read comes first.
    const coldUntilMs = cold.length > 0 ? await warmFromHistory(historyReader(c, cold, [], atStart), into, c, now(), logger, Number.NaN, coldNames, history, seasonalRead) : Number.NaN;
    const resumedUntilMs = latest(await warmFromHistory(historyReader(c, warm, markers, atStart), into, c, now(), logger, resumedAt, warm.map((s) => s.name), history, seasonalRead), resumedAt);
    return { coldUntilMs, resumedUntilMs };
  };
  /**
   * Reads the tick instants between what start-up fed and the first live tick (the warm-up ended
   * before the ticks' offset was known, and took time): without it, the tick or two before the
   * first live one were never read. Bounded: a read that took longer than a tick is followed by
   * at most two more.
   */
  const catchUp = async (c: StormwatchConfig, into: Pipeline, signals: StormwatchConfig['signals'], fedUntilMs: number, atStart: boolean) => {
    if (c.source.kind !== 'prometheus' || c.source.warmupMs <= 0 || signals.length === 0) return;
    const reader = historyReader(c, signals, atStart ? (c.deploys?.markers ?? []) : [], atStart);
    let fed = fedUntilMs;
    // A cron schedule (see schedule below) made inside the whole second before an instant misses
    // that instant; the epoch-aligned timer misses none.
    const { cronOffsetMs, delayMs } = splitTickOffset(tickOffsetMs);
    const leadMs = c.cron !== undefined && intervalToCron(c.intervalMs, cronOffsetMs) !== undefined ? delayMs : 0;
    for (let round = 0; round < 3; round++) {
      const range = catchUpRange(fed, now(), c.intervalMs, tickOffsetMs, c.source.warmupMs, leadMs);
      if (!range) return;
      // An instant the schedule would miss is read once it has come (at most the offset's sub-second rest away).
      const early = range.toMs - now();
      if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
      let frames = 0;
      try {
        for await (const frame of reader.history(range.fromMs, range.toMs, c.intervalMs)) {
          history.recordHistory(frame.timeMs, into.warm(frame, { deploysOpenAtMs: now() }));
          frames++;
        }
      } catch (error) {
        const reason = error instanceof SourceError ? error.reason : 'unknown';
        logger.log('warn', 'could not read the ticks before the first one; they stay unread', { reason, error: (error as Error).message });
        return;
      }
      logger.log('info', 'caught up from history before the first tick', { signals: signals.map((s) => s.name), frames, fromMs: range.fromMs, toMs: range.toMs });
      fed = range.toMs;
    }
  };

  // Smoke probes: right after each deploy of their service (in their environment, when they name one), and on their own schedule.
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
          emit(transitions, now());
          // Saved now, as a tick's transitions are: a restart must know the alert fired.
          if (transitions.length > 0) void saver.request();
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
        // A mistyped service would have another service's regression fail it (or pass it blind).
        if (r.judgedOnAll && config.signals.some((s) => s.labels.service !== undefined)) {
          logger.log('warn', "no signal is labelled with the deploy's service: its window judges every signal", { deploy: r.id, service: r.service, services: [...new Set(config.signals.map((s) => s.labels.service).filter((x) => x !== undefined))] });
        }
        // A probe of another environment does not judge this deploy: its own schedule runs it.
        runProbes((p) => p.service === r.service && (p.environment === undefined || p.environment === (r.environment ?? '')));
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

  /** The same on the monotonic clock: how long ago, whatever the wall clock did meanwhile (clock-step.ts). */
  let lastTickOkMono = Number.NaN;
  const startedAtMono = performance.now();
  /** The data time of the last tick read: a tick at or before it (the wall clock stepped back) is skipped. */
  let lastReadAtMs = Number.NEGATIVE_INFINITY;
  /** Any outcome: the loop turned (liveness). */
  let lastTickDoneMs = Number.NaN;
  let tickStartedMs = Number.NaN;
  /** The latest read had no errors; undefined before the first read. */
  let lastReadOk: boolean | undefined;
  let lastErrorText = '';
  let lastErrorReasons = '';
  let lastErrorLogMs = Number.NEGATIVE_INFINITY;
  let lastProblemsLogMs = Number.NEGATIVE_INFINITY;
  let lastProblemsText = '';
  const tickFailures = new RepeatedFailureLog(logger, 'tick failed; the loop goes on', ERROR_RELOG_MS, now);
  let running: Promise<void> | null = null;

  // Signals whose inputs read no data (no-data-watch.ts): said once when noticed, once when back.
  const noData = new NoDataWatch(Math.max(NO_DATA_NOTICE_MS, 4 * config.intervalMs));
  let noDataSignals: readonly SignalConfig[] | undefined;
  const watchNoData = (result: TickResult) => {
    const { noticed, ended } = noData.observe(result.timeMs, config.signals, result.signals);
    for (const span of noticed) {
      const spec = config.signals.find((s) => s.name === span.signal)?.inputs[span.input];
      logger.log('warn', 'signal reads no data: nothing is judged on it', { signal: span.signal, input: span.input, since: new Date(span.sinceMs).toISOString(), reads: spec?.selector?.text ?? spec?.query });
    }
    for (const span of ended) logger.log('info', 'signal reads data again', { signal: span.signal, input: span.input, noDataSince: new Date(span.sinceMs).toISOString() });
    if (noticed.length > 0 || ended.length > 0 || config.signals !== noDataSignals) {
      noDataSignals = config.signals;
      const inputs = config.signals.flatMap((s) => (Object.keys(s.inputs) as SignalInput[]).map((input) => ({ signal: s.name, input })));
      metrics.recordNoData(inputs, noData.missing());
    }
  };

  // Errors inputs whose selector's metric has no series (absent-error-watch.ts): a misspelt name
  // reads as no errors for ever. Asked of the source now and then, off the tick; said in the log
  // and /readyz, not in stormwatch_signal_no_data (an error counter made at its first error is
  // absent too, and its signal is judged all the same).
  const absentErrors = new AbsentErrorWatch(config.source.kind === 'scrape' ? 0 : ABSENT_ERRORS_RETRY_MS);
  const watchAbsentErrors = (result: TickResult) => {
    const asked = source;
    if (!asked.absentErrorMetrics || !absentErrors.due(now())) return;
    absentErrors.begin();
    // Judged only where the requests read data: an empty Prometheus answers every metric absent.
    const judged = new Set<string>();
    for (const [id, report] of result.signals) if (Number.isFinite(report.sample.requests)) judged.add(signalOfSeries(id));
    const complete = errorMetrics(config.signals).every((e) => judged.has(e.signal));
    const settle = (answer: AbsentErrorMetric[] | undefined) => {
      // A reload meanwhile (another source, another configuration): it asks again itself.
      if (asked !== source) return;
      const { noticed, found } = absentErrors.settle(now(), answer, judged, complete);
      for (const a of noticed) {
        const { msg, fields } = absentErrorLine(a);
        logger.log('warn', msg, fields);
      }
      for (const a of found) logger.log('info', "an errors selector's metric has series now, with the labels it requires", { signal: a.signal, metric: a.metric });
    };
    asked.absentErrorMetrics(now()).then(settle, () => settle(undefined));
  };

  // What a tick reads from held rates of series missing from the source (Prometheus: of targets
  // whose scrapes fail, or left a page still scraped; a scraped page: series that left it while
  // their neighbours did not take their load over): said as an episode (HeldRateLog); its rates in
  // stormwatch_signal_held_rate every tick.
  const heldLog = new HeldRateLog(logger, config.source.kind === 'scrape' ? HELD_FROM_PAGE : HELD_FROM_PROMETHEUS);
  let heldRecorded = false;
  const reportHeld = (held: readonly HeldRate[]) => {
    if (held.length > 0 || heldRecorded) metrics.recordHeld(held);
    heldRecorded = held.length > 0;
    heldLog.observe(held);
  };

  // The probes for targets whose scrapes fail or whose series left their page: while one fails, each
  // missed query reads every watched series' five minutes (correct, dearer). Said when it starts
  // failing and when it answers again.
  let downProbeFailing = false;
  const reportDownProbe = (failure: string | undefined) => {
    if ((failure !== undefined) === downProbeFailing) return;
    downProbeFailing = failure !== undefined;
    if (failure !== undefined) logger.log('warn', 'the query for targets whose scrapes fail, or whose series left their page, failed: missing series are looked for among every watched series (dearer) until it answers', { error: failure });
    else logger.log('info', 'the query for targets whose scrapes fail, or whose series left their page, answers again');
  };

  // Said once, when a scrape source's fleet first reaches the size where Node's default young generation promotes each tick's garbage.
  const semiSpaceMb = givenSemiSpaceMb(process.execArgv, process.env.NODE_OPTIONS);
  let youngGenerationTold = false;
  const runTick = async () => {
    const started = performance.now();
    tickStartedMs = now();
    try {
      // The instants up to the last tick's are judged already (the wall clock stepped back).
      if (tickStartedMs <= lastReadAtMs) {
        metrics.ticksSkipped.inc();
        return;
      }
      lastReadAtMs = tickStartedMs;
      const read = await source.read(tickStartedMs);
      const result = pipeline.step(read.frame);
      history.record(result);
      if (!youngGenerationTold) {
        const hint = youngGenerationHint(config.source.kind, result.signals.size, semiSpaceMb);
        if (hint) {
          logger.log('warn', hint.message, hint.fields);
          youngGenerationTold = true;
        }
      }
      if (logger.enabled?.('debug')) logger.log('debug', 'tick evaluated', tickDebugFields(result, read.frame.timeMs));
      for (const m of result.movedTraffic ?? []) logger.log('info', MOVED_TRAFFIC_LOG, movedTrafficFields(m, read.frame.timeMs));
      metrics.recordTick(result, (performance.now() - started) / 1000, read.errors, read.problems.length, read.duplicates ?? 0);
      // Stepped and recorded: nothing reads the frame again, so the next read may fill its columns.
      source.recycle?.(read.frame);
      metrics.deployRecords.set(pipeline.deployRecords().length);
      // Log a source failure once when it starts or changes, and once when it clears; a message that
      // changes only in what it quotes or counts (a page of random bytes, a position) at most once
      // a minute.
      const errorText = read.errors.map((e) => `${e.reason}: ${e.message}`).join('; ');
      const errorReasons = [...new Set(read.errors.map((e) => e.reason))].join(', ');
      if (errorText !== lastErrorText && (messageShape(errorText) !== messageShape(lastErrorText) || now() - lastErrorLogMs >= ERROR_RELOG_MS)) {
        if (errorText) logger.log('warn', 'source read failed; the loop goes on', { errors: sameErrorsOnce(read.errors) });
        else logger.log('info', 'source read recovered', { source: sourceWhere(config), ...(read.unjudged !== undefined ? { notJudged: read.unjudged } : {}) });
        lastErrorText = errorText;
        lastErrorReasons = errorReasons;
        lastErrorLogMs = now();
      }
      // Skipped lines likewise: a page broken the same way every scrape is one log line, not one a
      // tick, and one broken differently each scrape one a minute.
      const problemsText = read.problems.slice(0, 5).map((p) => p.message).join('\n');
      if (problemsText !== lastProblemsText && (messageShape(problemsText) !== messageShape(lastProblemsText) || now() - lastProblemsLogMs >= ERROR_RELOG_MS)) {
        if (problemsText) logger.log('warn', 'exposition lines skipped', { source: sourceWhere(config), count: read.problems.length, first: read.problems.slice(0, 5).map((p) => ({ line: p.line, problem: p.message })) });
        lastProblemsText = problemsText;
        lastProblemsLogMs = now();
      }
      reportHeld(read.held ?? []);
      reportDownProbe(read.downProbeFailure);
      lastReadOk = read.errors.length === 0;
      if (lastReadOk) {
        lastTickOkMono = performance.now();
        watchNoData(result);
        watchAbsentErrors(result);
      }
      emit(result.transitions, result.timeMs);
      onDeploys(result.deploys);
      updatePending();
      runProbes((p) => now() >= (probeNext.get(p.name) ?? 0));
      if (result.transitions.length > 0 || result.deploys.length > 0 || Date.now() - saver.lastWriteAtMs >= config.delivery.stateSaveIntervalMs) void saver.request();
      if (now() - uiHistorySavedAtMs >= UI_HISTORY_SAVE_INTERVAL_MS) saveUiHistory();
      realignIfDue();
    } catch (error) {
      metrics.ticks.inc({ outcome: 'failed' });
      tickFailures.failed(error);
    } finally {
      lastTickDoneMs = now();
      tickStartedMs = Number.NaN;
    }
  };

  // A tick that has not finished within this long means the loop is stuck, not the source slow.
  const sourceTimeoutMs = 'timeoutMs' in config.source ? config.source.timeoutMs : 0;
  const stuckAfterMs = 3 * config.intervalMs + sourceTimeoutMs + 10_000;
  const live = () => {
    // The warm-up from history runs before the first tick, with the server up: the process is
    // alive (a kubelet must not restart it for reading its history), not ready.
    if (warming) return { ok: true, detail: { warmingUp: true, lastTickAgeMs: null, runningTickMs: null } };
    const t = now();
    const sinceTurn = t - (Number.isNaN(lastTickDoneMs) ? startedAtMs : lastTickDoneMs);
    const busyFor = Number.isNaN(tickStartedMs) ? 0 : t - tickStartedMs;
    const ok = sinceTurn < stuckAfterMs && busyFor < stuckAfterMs;
    return { ok, detail: { lastTickAgeMs: Number.isNaN(lastTickDoneMs) ? null : t - lastTickDoneMs, runningTickMs: busyFor || null } };
  };
  const ready = () => {
    const age = performance.now() - lastTickOkMono;
    const outboxError = notifier.outbox.lastWriteError ?? writableProblem(config.delivery.outboxDir);
    // Never ready before a first good read; an upstream outage makes it not ready, never not live.
    const checks = {
      // The reasons only: /readyz asks no credentials, and an upstream's message may quote its body
      // (one echoed the credentials it refused). The log line has the whole message, secrets blanked.
      source: lastReadOk === true ? { ok: true } : { ok: false, problem: warming ? 'reading history before the first tick' : lastReadOk === undefined ? 'no read yet' : lastErrorReasons },
      tick: { ok: age < 3 * config.intervalMs + 5000, lastGoodTickAgeMs: Number.isNaN(age) ? null : age },
      outbox: outboxError === undefined ? { ok: true } : { ok: false, problem: outboxError },
    };
    // Informative, not a failed check: a service with no traffic yet has no series to read.
    const missing = noData.missing().map((m) => ({ signal: m.signal, input: m.input, since: new Date(m.sinceMs).toISOString() }));
    const absent = absentErrors.absent();
    const detail = { checks, ...(missing.length > 0 ? { signalsWithoutData: missing } : {}), ...(absent.length > 0 ? { errorsMetricsAbsent: absent } : {}) };
    return { ok: checks.source.ok && checks.tick.ok && checks.outbox.ok, detail };
  };

  // Ticks skipped because the one before outlasted the interval (a source slower than the tick):
  // counted, and said once a minute with why, not once a tick as node-cron's warning was.
  let lastOverlapLogMs = Number.NEGATIVE_INFINITY;
  let skippedUnlogged = 0;
  const tickOverlapped = () => {
    metrics.ticksSkipped.inc();
    if (now() - lastOverlapLogMs < ERROR_RELOG_MS) return void skippedUnlogged++;
    logger.log('warn', 'a tick outlasted the interval: the next one is skipped (stormwatch_ticks_skipped_total counts them)', {
      intervalSeconds: config.intervalMs / 1000,
      ...(config.source.kind === 'replay' ? {} : { sourceTimeoutSeconds: config.source.timeoutMs / 1000 }),
      ...(skippedUnlogged > 0 ? { skippedSinceLastSaid: skippedUnlogged } : {}),
    });
    lastOverlapLogMs = now();
    skippedUnlogged = 0;
  };
  const tick = async () => {
    if (running) return tickOverlapped();
    running = runTick().finally(() => {
      running = null;
    });
    await running;
  };

  // Refused requests are logged (never their headers: a token is never written), at most one line
  // a second per reason with a count of the rest.
  const refusals = new RefusalLog(logger);
  let server: RunningServer | undefined;

  /**
   * Alert links follow the listen address when alerting.externalURL is not set; one listening on
   * port 0 (any free port) links to the port it was given, not to port 0.
   */
  const followBoundPort = (c: StormwatchConfig) => {
    const bound = server && !c.alerting.externalURLGiven ? boundBaseUrl(c, Number(new URL(server.url).port)) : undefined;
    if (bound) c.alerting.externalURL = bound;
  };
  if (config.listen) {
    // Getters: a reload that rotates the token or changes limits takes effect at once (and a token
    // file is read again at each request).
    const deployApi: GateApiDeps | undefined = config.deploys
      ? {
          get token() {
            return currentApiToken(config.deploys);
          },
          get maxBodyBytes() {
            return config.deploys?.maxBodyBytes ?? 16_384;
          },
          now,
          get publicReads() {
            return config.deploys?.publicReads ?? true;
          },
          get inconclusive() {
            return config.deploys?.inconclusive ?? 'fail';
          },
          get windowMs() {
            return config.deploys?.windowMs ?? 1_800_000;
          },
          add: (event, addOptions) => {
            const added = pipeline.addDeploy(event, now())!;
            const peers = config.deploys!.peers;
            const token = currentApiToken(config.deploys);
            if (!addOptions?.forwarded && peers.length > 0 && token !== undefined) {
              void forwardToPeers(peers, event, { token, logger });
            }
            history.addDeploys([added.record]);
            history.addTransitions(added.transitions);
            emit(added.transitions, now());
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
      ...(deployApi ? { deploys: deployApi, gates: deployApi } : {}),
      // The current configuration's: a reload that changes server.basicAuth applies at once.
      readAuth: () => config.serverAuth,
      reload: {
        get token() {
          return currentApiToken(config.deploys);
        },
        // Not while starting: the configuration being warmed is the one that runs first.
        reload: () => (warming ? Promise.resolve({ ok: false as const, error: 'starting: reading history before the first tick; reload once it runs', problems: [] }) : reload('http')),
      },
      registry: metrics.registry,
      silences: {
        get token() {
          return currentApiToken(config.deploys);
        },
        store: silences,
        now,
        // An expired silence may free held alerts at once, not at the next tick.
        changed: () => emit([], now()),
      },
      ui: { store: history, intervalMs: config.intervalMs, ...(config.deploys ? { deployWindowMs: config.deploys.windowMs } : {}) },
      firingAlerts: () => pipeline.firing().map((a) => ({ ...a, startsAt: new Date(a.startsAtMs).toISOString() })),
      health: () => {
        const age = performance.now() - lastTickOkMono;
        // Healthy until three intervals pass without a good tick (and during the first ones), on
        // the monotonic clock: a wall clock stepped back read a negative age, healthy while no tick ran.
        const ok = warming || (Number.isNaN(lastTickOkMono) ? performance.now() - startedAtMono < 3 * config.intervalMs + 5000 : age < 3 * config.intervalMs + 5000);
        return { ok, detail: { lastGoodTickAgeMs: Number.isNaN(age) ? null : age } };
      },
      live,
      ready,
      onRefused: (r) => {
        metrics.httpRefused.inc({ reason: r.reason });
        refusals.note(r);
      },
    }, undefined, config.serverTls);
    logger.log('info', 'http server listening', { url: server.url });
    followBoundPort(config);
  }
  // The history is read with the server up (a long read is a live process, not a stuck one).
  const warmedAtStart = await warmCold(config, pipeline, resumedSignals, resumedAtMs, true);
  warming = false;

  /**
   * Where in the interval ticks fall: a moment after the watched targets' scrapes (scrape-phase.ts),
   * learnt at start, at each reload and hourly; 0 (the epoch's multiples) for other sources, when
   * `alignTicks` is off, or until the targets answer.
   */
  let tickOffsetMs = 0;
  let offsetLearntAtMs = Number.NEGATIVE_INFINITY;
  let learningOffset = false;
  /** `starting`: ticks are (re)scheduled anyway, so the best offset is taken without the realignment's required gain. */
  const learnTickOffset = async (c: StormwatchConfig, from: LiveSource, starting: boolean): Promise<{ offsetMs: number; changed: boolean }> => {
    const keep = { offsetMs: tickOffsetMs, changed: false };
    if (!(from instanceof PrometheusSource) || c.source.kind !== 'prometheus' || c.source.alignTicks === false || !alignable(c.intervalMs)) return { offsetMs: 0, changed: tickOffsetMs !== 0 };
    offsetLearntAtMs = now();
    try {
      const found = await from.tickOffset(now(), c.intervalMs);
      if (!found) {
        // Nothing scraped yet (a target just added, Prometheus just started): ask again soon.
        offsetLearntAtMs = now() - REALIGN_EVERY_MS + RELEARN_EMPTY_AFTER_MS;
        return keep;
      }
      // A new offset must read the scrapes clearly sooner than the current one: ticks do not hop
      // between two near-equal offsets as pods come and go. At a start there is nothing to hop from
      // (offset 0 was only a placeholder: it read scrapes up to the gain later than the best one).
      const currentLagMs = meanLagAt(found.targets, c.intervalMs, tickOffsetMs);
      if (found.offsetMs === tickOffsetMs || (!starting && currentLagMs - found.meanLagMs < realignGainMs(c.intervalMs))) return keep;
      logger.log('info', 'ticks aligned to the targets\' scrapes', { offsetSeconds: found.offsetMs / 1000, targets: found.targets.length, meanDataAgeSeconds: found.meanLagMs / 1000, unalignedMeanDataAgeSeconds: found.unalignedMeanLagMs / 1000 });
      return { offsetMs: found.offsetMs, changed: true };
    } catch (error) {
      logger.log('warn', 'could not learn when the targets are scraped; ticks keep their timing', { error: (error as Error).message });
      return keep;
    }
  };
  const realignIfDue = () => {
    if (learningOffset || now() - offsetLearntAtMs < REALIGN_EVERY_MS) return;
    learningOffset = true;
    void learnTickOffset(config, source, false)
      .then(async ({ offsetMs, changed }) => {
        if (!changed || reloading) return;
        tickOffsetMs = offsetMs;
        await task.stop();
        task = schedule(config);
      })
      .finally(() => {
        learningOffset = false;
      });
  };

  const schedule = (c: StormwatchConfig): Ticker => {
    // Intervals cron cannot tick evenly (45s, 90s) run on an epoch-aligned timer instead.
    const { cronOffsetMs, delayMs } = splitTickOffset(tickOffsetMs);
    const expression = c.cron === undefined ? undefined : intervalToCron(c.intervalMs, cronOffsetMs);
    if (expression === undefined) return startAlignedTicker(c.intervalMs, () => tick(), now, tickOffsetMs);
    // The sub-second rest of the offset; cancelled with the schedule, so no tick follows a stop.
    // Waited outside the cron task: inside it, the wait and the tick together outlast a 1 s
    // interval (an offset of 0.9 s and a tick of 0.2 s), and cron's overlap guard skipped the next
    // (6 % of the ticks at 1 s). tick() skips and counts a tick that overlaps the one before.
    let cancelled = false;
    const afterDelay = () => {
      if (delayMs === 0) return tick();
      setTimeout(() => {
        if (!cancelled) tick().catch((error: unknown) => logger.log('error', 'tick failed', { error: (error as Error).message }));
      }, delayMs);
    };
    const t: ScheduledTask = cron.schedule(expression, afterDelay, { noOverlap: true, name: 'stormwatch-tick', logger: cronLogger(logger, () => metrics.ticksSkipped.inc()) });
    t.on('execution:overlap', tickOverlapped);
    return {
      async stop() {
        cancelled = true;
        await t.stop();
        await t.destroy();
      },
    };
  };
  tickOffsetMs = (await learnTickOffset(config, source, true)).offsetMs;
  // Every signal from the latest data time fed: the history's reads all end at the same instant.
  await catchUp(config, pipeline, config.signals, latest(warmedAtStart.coldUntilMs, warmedAtStart.resumedUntilMs), true);
  let task = schedule(config);
  // A step of the wall clock is said: after one back, no tick runs until it is back at the instants
  // already judged (cron waits for them; a skipped tick is counted), and /healthz turns 503 meanwhile.
  const clockWatch = new ClockStepWatch();
  clockWatch.check(now(), performance.now());
  const clockTimer = setInterval(() => {
    const step = clockWatch.check(now(), performance.now());
    if (step < 0) logger.log('warn', 'the wall clock stepped back: no tick runs until it is back at the instants already judged', { stepSeconds: step / 1000, lastJudged: Number.isFinite(lastReadAtMs) ? new Date(lastReadAtMs).toISOString() : null });
    else if (step > 0) logger.log('warn', 'the wall clock stepped forward: the instants in between are not judged', { stepSeconds: step / 1000 });
  }, CLOCK_CHECK_MS);
  clockTimer.unref();
  const scheduleText = (c: StormwatchConfig) => {
    const { cronOffsetMs, delayMs } = splitTickOffset(tickOffsetMs);
    const cronText = c.cron === undefined ? '' : ` (cron ${intervalToCron(c.intervalMs, cronOffsetMs)}${delayMs > 0 ? `, then ${delayMs} ms` : ''})`;
    return `every ${c.intervalMs / 1000}s, ${tickOffsetMs / 1000}s after each multiple since the epoch${cronText}`;
  };
  // compression: what `auto` chose for this source (answers asked uncompressed: none).
  const compression = config.source.kind === 'replay' ? undefined : config.source.http.compression;
  logger.log('info', 'stormwatch running', { source: config.source.kind, ...(compression ? { compression } : {}), signals: config.signals.length, schedule: scheduleText(config), tickOffsetSeconds: tickOffsetMs / 1000 });
  if (config.deploys) {
    const window = { windowMs: config.deploys.windowMs, intervalMs: config.intervalMs, bucketTicks: Math.max(1, Math.round(config.detector.baselineResolutionMs / config.intervalMs)) };
    if (windowBuckets(window) < config.deploys.minPostSamples) {
      logger.log('warn', 'deploys.window is too short to judge a deploy: every verdict will be inconclusive', { windowSeconds: window.windowMs / 1000, bucketSeconds: (window.bucketTicks * window.intervalMs) / 1000, buckets: windowBuckets(window), needed: config.deploys.minPostSamples });
    }
  }

  /**
   * Reloads the configuration: validated first (a bad file is refused with its problems and the
   * running one kept), then applied between ticks. Unchanged signals keep their baselines.
   */
  let reloading: Promise<ReloadOutcome> | null = null;
  const reload = (trigger: 'sighup' | 'http' | 'call'): Promise<ReloadOutcome> => {
    reloading ??= applyReload(trigger).finally(() => {
      reloading = null;
    });
    return reloading;
  };
  const applyReload = async (trigger: string): Promise<ReloadOutcome> => {
    if (!options.loadConfig) return { ok: false, error: 'this process has no configuration file to reload', problems: [] };
    let next: StormwatchConfig;
    try {
      next = options.loadConfig();
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
      // The file named, as check-config names it: "cannot read file: ENOENT" alone says not which.
      const file = error instanceof ConfigError ? error.file : undefined;
      metrics.reloads.inc({ outcome: 'refused' });
      logger.log('error', 'configuration reload refused; the running configuration stays', { trigger, ...(file === undefined ? {} : { file }), problems });
      return { ok: false, error: file === undefined ? 'invalid configuration' : `invalid configuration in ${file}`, problems };
    }
    for (const warning of next.warnings ?? []) if (!config.warnings?.includes(warning)) logger.log('warn', 'configuration warning', { trigger, file: next.file, warning });
    // Before comparing: the running configuration's links already carry the bound port.
    followBoundPort(next);
    const plan = planReload(config, next);
    if (plan.needsRestart.length > 0) {
      metrics.reloads.inc({ outcome: 'refused' });
      const problems = plan.needsRestart.map((what) => `${what}: changes only with a restart`);
      logger.log('error', 'configuration reload refused; the running configuration stays', { trigger, problems });
      return { ok: false, error: 'needs a restart', problems };
    }
    // Between ticks: the running one finishes with the old configuration.
    if (running) await running;
    const previous = pipeline;
    const gone = previous.firing().filter((a) => a.labels.signal !== undefined && plan.removedSignals.has(a.labels.signal) && a.labels.alertname !== config.definitions.deploy_regression.alertname);
    const nextPipeline = new Pipeline(next, options.shard);
    const { unconfigured } = nextPipeline.restore(carrySnapshot(previous.snapshot(now()), plan));
    // A split signal split otherwise: its old series' alerts resolve at the first tick, as at a restart.
    if (unconfigured.length > 0) logger.log('info', 'alerts of series no longer configured resolve at the first tick', { alerts: unconfigured.map((a) => ({ alertname: a.labels.alertname, signal: a.labels.signal, fingerprint: a.fingerprint })) });
    // Added and reset signals read their history as at a start. The running pipeline stays until
    // they have, and ticks wait (skipped, as when a tick overruns): history read after a live tick
    // would go back in time.
    const kept = new Set(next.signals.map((s) => s.name).filter((name) => !plan.addedSignals.has(name) && !plan.resetSignals.has(name)));
    if (kept.size < next.signals.length) {
      const warming = warmCold(next, nextPipeline, kept, now(), false).then(({ coldUntilMs }) =>
        catchUp(
          next,
          nextPipeline,
          next.signals.filter((s) => !kept.has(s.name)),
          coldUntilMs,
          false,
        ),
      );
      running = warming;
      try {
        await warming;
      } finally {
        running = null;
      }
    }
    pipeline = nextPipeline;
    if (plan.notifierChanged) {
      // What is queued stays in the outbox and is sent by the new notifier.
      const carried = notifier.savedGroups();
      notifier.close();
      notifier = makeNotifier(next, carried);
      groupsRevision = -1;
      updatePending();
    }
    if (plan.sourceChanged) source = makeSource(next);
    absentErrors.reset(errorMetricKeys(next.signals));
    const offset = plan.sourceChanged || plan.scheduleChanged ? await learnTickOffset(next, source, true) : { offsetMs: tickOffsetMs, changed: false };
    if (plan.scheduleChanged || offset.changed) {
      tickOffsetMs = offset.offsetMs;
      await task.stop();
      task = schedule(next);
    }
    // A renewed certificate (the same files, new contents) serves new connections from now on.
    if (next.serverTls && server && plan.changed.includes('server.tls')) {
      server.setTls(next.serverTls);
      logger.log('info', 'server certificate reloaded');
    }
    config = next;
    for (const p of next.probes) if (!probeNext.has(p.name)) probeNext.set(p.name, 0);
    mute.reconfigure(muteConfig(next, () => silences.list()));
    if (plan.removedSignals.size > 0 || plan.resetSignals.size > 0) metrics.forgetSeriesGauges();
    if (plan.notifierChanged) notifier.adoptFiring(deliveredFiring(), now(), pipeline.firing());
    // Alerts of signals no longer configured resolve now rather than fire forever.
    const t = now();
    const resolved = gone.map((a) => ({ status: 'resolved' as const, labels: a.labels, annotations: a.annotations, fingerprint: a.fingerprint, startsAtMs: a.startsAtMs, endsAtMs: t, evaluatedAtMs: t }));
    history.addTransitions(resolved);
    emit(resolved, t);
    void saver.request();
    metrics.reloads.inc({ outcome: 'applied' });
    logger.log('info', 'configuration reloaded', { trigger, changed: plan.changed, baselinesReset: [...plan.resetSignals].filter((n) => !plan.removedSignals.has(n)), signalsAdded: [...plan.addedSignals], signalsRemoved: [...plan.removedSignals] });
    return { ok: true, changed: plan.changed };
  };

  return {
    metrics,
    history,
    ...(server ? { server } : {}),
    tick,
    reload: (trigger = 'call') => reload(trigger),
    async stop(drainTimeoutMs = 10_000) {
      if (reloading) await reloading;
      clearInterval(clockTimer);
      // A read in flight (a tick's, the tick offset's) is not waited for: it ends at once, without data.
      source.close?.();
      await task.stop();
      if (running) await running;
      await saver.flushAndWait();
      saveUiHistory();
      // Notifications still waiting for decided.json get a last chance (emit tries it).
      if (unsaved.length > 0) emit([], now());
      if (unsaved.length > 0) logger.log('error', 'decided alerts not saved at shutdown: their notifications were not sent, and a restart cannot know them', { file: decidedFileOf(stateFile), notifications: unsaved.length });
      notifier.handle([], now(), true);
      saveGroups(true);
      const left = await notifier.drain(drainTimeoutMs);
      if (left > 0) logger.log('warn', 'notifications not yet delivered at shutdown; they stay in the outbox for the next start', { count: left });
      notifier.close();
      await server?.close();
    },
  };
}

/** How often the wall clock is checked against the monotonic one for steps. */
const CLOCK_CHECK_MS = 5000;

/** A source failure whose message changes only in its quotes and numbers is logged again at most this often. */
const ERROR_RELOG_MS = 60_000;

/** A message without what it quotes and counts: two failures of one kind read alike. */
/** The source a line speaks of, as its failures name it ("scrape URL"; the logger redacts credentials). */
function sourceWhere(config: StormwatchConfig): string {
  const source = config.source;
  return source.kind === 'replay' ? `replay ${source.file}` : `${source.kind} ${source.url}`;
}

function messageShape(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/\d+(?:\.\d+)?/g, '0');
}

/** How often the ticks' offset is learnt again: targets come and go, their scrape phases with them. */
const REALIGN_EVERY_MS = 3_600_000;
/** When no target had a sample time yet, the offset is asked for again this soon. */
const RELEARN_EMPTY_AFTER_MS = 60_000;
/** Writes of the state file are at most this frequent: a burst of changes shares one write. */
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
      // An overlap is counted and said by the task's overlap event (once a minute, with why).
      if (/overlap/i.test(m)) return logger.log('debug', 'scheduler: tick skipped', { message: m });
      if (/missed execution/i.test(m)) {
        onMissed();
        return logger.log('debug', 'scheduler: tick missed', { message: m });
      }
      logger.log('warn', 'scheduler', { message: m });
    },
    error: (m, e) => logger.log('error', 'scheduler', { message: text(m), ...(e ? { error: e.message } : {}) }),
  };
}

/** The later of two data times, either of which may be NaN (none). */
function latest(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b);
}

/**
 * Loads the saved state into `pipeline`. A bad file costs what it broke (moved aside, logged once,
 * counted), never the start. In a function of its own so that the loaded state dies when it
 * returns: its series' states stay in the file's bytes until restored (190 MB at 100k series), and
 * a local of startLive lived as long as the process.
 */
function resumeFromState(
  pipeline: Pipeline,
  stateFile: string,
  config: StormwatchConfig,
  options: LiveOptions,
  metrics: StormwatchMetrics,
  nowMs: number,
): { pipeline: Pipeline; resumedAtMs: number; resumedSignals: Set<string>; alertsLost: boolean } {
  const { logger } = options;
  let saved: ReturnType<typeof loadState> = { quarantined: [], fromPrevious: [] };
  try {
    const from = stateFileToLoad(config.delivery.outboxDir);
    if (from !== stateFile) logger.log('info', 'resuming from an older version\'s state file; saves go to the new one', { from, to: stateFile });
    saved = loadState(from, nowMs);
  } catch (error) {
    // The directory itself misbehaves (permissions, a full disk while moving a file aside).
    logger.log('error', 'saved state could not be read; starting fresh', { file: stateFile, error: (error as Error).message });
  }
  for (const q of saved.quarantined) {
    metrics.quarantined.inc({ what: 'state_file' });
    logger.log('warn', 'saved state quarantined', { file: q.file, movedTo: q.movedTo, problems: q.problems.slice(0, 5) });
  }
  if (saved.fromPrevious.length > 0 || saved.fromFiring) logger.log('warn', 'saved state: lost sections recovered', { fromPreviousSave: saved.fromPrevious, firingAlertsFromFiringJson: saved.fromFiring === true });
  if (saved.fromDecided) logger.log('info', 'alerts and deploys decided after the last state save restored from decided.json');
  // The firing alerts as saved are gone (every copy unreadable, or only the save before them left):
  // what the notification groups last sent cannot be squared with them.
  const alertsLost = !saved.snapshot || (saved.fromPrevious.includes('alerts') && saved.fromDecided !== true);
  if (!saved.snapshot) {
    if (saved.quarantined.length > 0) logger.log('error', 'saved state lost: no copy was usable; starting without its baselines and firing alerts', { quarantined: saved.quarantined.map((q) => q.file) });
    return { pipeline, resumedAtMs: Number.NaN, resumedSignals: new Set(), alertsLost };
  }
  try {
    const { signals, unconfigured } = pipeline.restore(saved.snapshot);
    const resumedAtMs = saved.snapshot.savedAtMs;
    logger.log('info', 'resumed from saved state', { signals, firing: pipeline.firing().length, savedAt: new Date(resumedAtMs).toISOString() });
    if (unconfigured.length > 0) logger.log('info', 'saved alerts of series this configuration or shard no longer judges resolve at the first tick', { alerts: unconfigured.map((a) => ({ alertname: a.labels.alertname, signal: a.labels.signal, fingerprint: a.fingerprint })) });
    // Signals whose baselines came back from the saved state: they read only the gap since it was saved.
    return { pipeline, resumedAtMs, resumedSignals: new Set(Object.keys(saved.snapshot.detectors).map(signalOfSeries)), alertsLost };
  } catch (error) {
    // Passed the schema yet failed to restore: start fresh rather than crash-loop.
    metrics.quarantined.inc({ what: 'state_file' });
    logger.log('error', 'saved state could not be restored; starting fresh', { file: stateFile, error: (error as Error).message });
    return { pipeline: new Pipeline(config, options.shard), resumedAtMs: Number.NaN, resumedSignals: new Set(), alertsLost: true };
  }
}

/**
 * Reads the trailing warm-up (after a resume: the gap since `resumedAtMs`) of `source`'s signals
 * into their baselines, and into the UI's charts. Returns the data time of the last frame fed (NaN: none).
 */
async function warmFromHistory(source: PrometheusSource, pipeline: Pipeline, config: StormwatchConfig, nowMs: number, logger: Logger, resumedAtMs: number, signals: readonly string[], history: HistoryStore, onSeasonal: (read: SeasonalRead) => void): Promise<number> {
  if (config.source.kind !== 'prometheus' || config.source.warmupMs <= 0) return Number.NaN;
  // A cold signal learns the week first (a resumed one kept its profiles in the saved state).
  if (Number.isNaN(resumedAtMs)) {
    const seasonal = await warmProfilesFromHistory(source, pipeline, config, nowMs - config.source.warmupMs, logger, signals);
    if (seasonal !== undefined) onSeasonal(seasonal);
  }
  const step = config.intervalMs;
  const toMs = Math.floor(nowMs / step) * step - step;
  // After a restart only the gap since the saved state is read.
  const fromMs = Math.max(toMs - config.source.warmupMs, Number.isNaN(resumedAtMs) ? Number.NEGATIVE_INFINITY : Math.ceil(resumedAtMs / step) * step);
  if (fromMs > toMs) return Number.NaN;
  let frames = 0;
  let fedUntilMs = Number.NaN;
  try {
    for await (const frame of source.history(fromMs, toMs, step)) {
      history.recordHistory(frame.timeMs, pipeline.warm(frame, { deploysOpenAtMs: nowMs }));
      frames++;
      fedUntilMs = frame.timeMs;
    }
    logger.log('info', 'baselines warmed from history', { signals, frames, fromMs, toMs });
  } catch (error) {
    const reason = error instanceof SourceError ? error.reason : 'unknown';
    logger.log('warn', 'could not warm baselines from history; learning live instead', { reason, error: (error as Error).message });
  }
  return fedUntilMs;
}
