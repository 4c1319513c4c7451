// What a configuration reload changes, decided before anything is touched: which parts need a
// restart (refused), which signals keep their baselines (unchanged ones do), which stages are
// rebuilt. Pure.

import type { SignalConfig, StormwatchConfig } from '../config/load.js';
import type { PipelineSnapshot } from '../pipeline.js';

export interface ReloadPlan {
  /** Changed settings a running process cannot take: the reload is refused when any is set. */
  needsRestart: string[];
  /** Signals whose baselines are dropped (their inputs or baselines' shape changed, or they are gone). */
  resetSignals: Set<string>;
  removedSignals: Set<string>;
  addedSignals: Set<string>;
  /** Sinks, routes, delivery, alerting or rollback hooks changed: the notifier is rebuilt. */
  notifierChanged: boolean;
  /** Source or what it reads changed: the source is rebuilt. */
  sourceChanged: boolean;
  scheduleChanged: boolean;
  /** One word per changed part, for the log and the /-/reload answer. */
  changed: string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A signal as its detector's state sees it: the baselines learnt for it are only worth keeping if
 * this is unchanged (its inputs, series, tick, and how much history a baseline holds and in what
 * buckets). Thresholds and sensitivity (falseAlarmsPerYear, the factors and fractions a check
 * tests, relearnAfter) are not part of it: they change how the same baselines are read, not what
 * they mean, so a signal tuned mid-incident keeps judging it (a fresh detector would learn the
 * incident as its baseline and resolve it while it goes on). Nor is its time zone: the restored
 * weekly profiles are moved to a new one (Pipeline.restore reads the zones the state was saved in).
 */
function detectorView(s: SignalConfig, config: StormwatchConfig) {
  const { baselineWindowMs, baselineResolutionMs, minBaselinePoints } = s.detector ?? config.detector;
  return { inputs: s.inputs, by: s.by, detector: { baselineWindowMs, baselineResolutionMs, minBaselinePoints }, intervalMs: config.intervalMs, evidenceWeight: config.evidenceWeight };
}

export function planReload(old: StormwatchConfig, next: StormwatchConfig): ReloadPlan {
  const needsRestart: string[] = [];
  if (old.listen !== next.listen) needsRestart.push('server.listen');
  if ((old.serverTls === undefined) !== (next.serverTls === undefined)) needsRestart.push('server.tls (added or removed)');
  if (old.delivery.outboxDir !== next.delivery.outboxDir) needsRestart.push('delivery.outboxDir');
  if ((old.deploys === undefined) !== (next.deploys === undefined)) needsRestart.push('deploys (added or removed)');
  if (old.source.kind !== next.source.kind) needsRestart.push('source kind');

  const oldSignals = new Map(old.signals.map((s) => [s.name, s]));
  const nextSignals = new Map(next.signals.map((s) => [s.name, s]));
  const removedSignals = new Set([...oldSignals.keys()].filter((n) => !nextSignals.has(n)));
  const addedSignals = new Set([...nextSignals.keys()].filter((n) => !oldSignals.has(n)));
  const resetSignals = new Set(removedSignals);
  for (const [name, s] of nextSignals) {
    const before = oldSignals.get(name);
    if (before && !same(detectorView(before, old), detectorView(s, next))) resetSignals.add(name);
  }
  const signalsChanged = !same(old.signals, next.signals);
  const notifierChanged = !same([old.sinks, old.routes, old.delivery, old.alerting, old.deploys?.rollback], [next.sinks, next.routes, next.delivery, next.alerting, next.deploys?.rollback]);
  // The source is rebuilt for new signals (it reads their selectors), but said changed only when
  // its own settings are: "source" beside every signal edit read as if the source had moved.
  const ownSourceChanged = !same(old.source, next.source) || !same(old.deploys?.markers, next.deploys?.markers);
  const sourceChanged = ownSourceChanged || signalsChanged;
  const scheduleChanged = old.cron !== next.cron || old.intervalMs !== next.intervalMs;
  const changed: string[] = [];
  if (signalsChanged) changed.push('signals');
  if (!same(old.detector, next.detector)) changed.push('detector');
  // Said by what changed of it (a rotated webhook URL is "sinks"): "delivery" read as its retries.
  if (notifierChanged) {
    const parts: [string, unknown, unknown][] = [
      ['sinks', old.sinks, next.sinks],
      ['routes', old.routes, next.routes],
      ['delivery', old.delivery, next.delivery],
      ['alerting', old.alerting, next.alerting],
      ['deploys.rollback', old.deploys?.rollback, next.deploys?.rollback],
    ];
    for (const [name, before, after] of parts) if (!same(before, after)) changed.push(name);
  }
  if (ownSourceChanged) changed.push('source');
  if (scheduleChanged) changed.push('interval');
  if (!same([old.maintenanceWindows, old.inhibitRules], [next.maintenanceWindows, next.inhibitRules])) changed.push('muting');
  if (!same(old.deploys, next.deploys)) changed.push('deploys');
  if (!same(old.probes, next.probes)) changed.push('probes');
  if (!same(old.serverAuth, next.serverAuth)) changed.push('server.basicAuth');
  if (!same(old.serverTls, next.serverTls)) changed.push('server.tls');
  return { needsRestart, resetSignals, removedSignals, addedSignals, notifierChanged, sourceChanged, scheduleChanged, changed };
}

/** The signal a series id belongs to: `name` or `name{labels}`. */
export function signalOfSeries(id: string): string {
  const brace = id.indexOf('{');
  return brace < 0 ? id : id.slice(0, brace);
}

/**
 * The state the new pipeline starts from: baselines of signals not reset, firing alerts of signals
 * still there (a removed signal's alerts are resolved by the caller), deploys, markers and probes.
 */
export function carrySnapshot(snapshot: PipelineSnapshot, plan: ReloadPlan): PipelineSnapshot {
  const detectors = Object.fromEntries(Object.entries(snapshot.detectors).filter(([id]) => !plan.resetSignals.has(signalOfSeries(id))));
  const alerts = Array.isArray(snapshot.alerts) ? (snapshot.alerts as [string, unknown][]).filter(([key]) => !plan.removedSignals.has(signalOfSeries(key.split('\u0000')[0]!))) : snapshot.alerts;
  return { ...snapshot, detectors, alerts };
}
