// One tick of stormwatch: a frame of rates in -> detectors -> alert decisions -> transitions out.
// Pure: no I/O and no clock, so a live loop, a backtest and a test drive it the same way.

// First: sets V8's inlining budget before any detector is optimised (the module says why).
import './core/inlining-budget.js';
import type { StormwatchConfig } from './config/load.js';
import { AppendedMap } from './core/appended-map.js';
import { isSelfEncoding, plainState, takeState } from './core/column-encoder.js';
import type { AlertTransition, Evaluation, Frame, Labels, SignalInput, SignalSample } from './core/types.js';
import type { SignalConfig } from './config/load.js';
import { fingerprint } from './decisions/fingerprint.js';
import { AlertDecider, type FiringAlert, SIGNAL_REMOVED } from './decisions/alert-decider.js';
import type { HoldParams } from './decisions/alert-state.js';
import { type TickTime, assess } from './decisions/assess.js';
import { type Collapse, NEW_SERIES_MS, SignalTraffic } from './decisions/moved-traffic.js';
import { SlabPool } from './core/slab.js';
import type { DetectorContext } from './detectors/detector.js';
import { type ProbeOutcome, deployTransition, probeTransition } from './decisions/deploy-alerts.js';
import { DeployWatcher, type PreBaseline, type SignalTick } from './deploys/deploy-watcher.js';
import { MarkerTracker } from './deploys/markers.js';
import type { DeployEvent, DeployRecord } from './deploys/types.js';
import { EvidenceDetector } from './detectors/evidence-detector.js';
import { type RampObservation, RampRecorder } from './detectors/ramp-fit.js';
import { FrameSamples, type SeriesIndex } from './series/frame-samples.js';
import { parseSeriesId, pickLabels, sameLabels, seriesIdOf } from './series/series-key.js';
import { FORGET_GROUP_AFTER_MS } from './series/snapshot-frames.js';
import { LEVEL_MARK, QUIET_MARK, type SignalReport, WatchedSignal } from './watched-signal.js';

export type { SignalReport } from './watched-signal.js';

export interface TickResult {
  timeMs: number;
  transitions: AlertTransition[];
  /**
   * Each watched series' report, in the pipeline's order (a map indexed by id only when looked up).
   * The map, and a report's objects (sample, evaluations, assessment), belong to the pipeline and
   * are rewritten by the next step: read them before it, copy what must outlive the tick.
   * Transitions and deploys are the caller's to keep.
   */
  signals: ReadonlyMap<string, SignalReport>;
  /** Deploys that started or whose verdict changed at this tick. */
  deploys: DeployRecord[];
  /** Collapses of split series judged traffic moved at this tick (decisions/moved-traffic.ts): not paged, and said in the log. Absent: none. */
  movedTraffic?: MovedCollapse[];
}

/** A collapse judged traffic moved: the series and its signal, and the requests a second it lost, the signal's total's change and its spread. */
export interface MovedCollapse {
  series: string;
  signal: string;
  lost: number;
  totalChange: number;
  spread: number;
}

export interface PipelineSnapshot {
  version: 1;
  savedAtMs: number;
  detectors: Record<string, unknown>;
  alerts: unknown;
  deploys?: unknown;
  markers?: Record<string, unknown>;
  probes?: [string, ProbeState][];
  /** Per series, the multipliers a client's retry ramp is fitted to (detectors/ramp-fit.ts). */
  ramps?: Record<string, unknown>;
  /** Per signal, the time zone its weekly profiles were learnt in (absent: UTC, as before time zones). */
  timeZones?: Record<string, string>;
  /** Series whose rate-drop alarm was judged traffic moved to their signal's other series (decisions/moved-traffic.ts), by the alarm's first tick. */
  movedTraffic?: Record<string, number>;
}

/** The sections of a PipelineSnapshot that hold decisions (alerts, deploys, markers, probes), not series' states. */
export type DecisionsSnapshot = Required<Pick<PipelineSnapshot, 'alerts' | 'deploys' | 'markers' | 'probes'>>;

/** A failing smoke probe: since when, why, and (saved since firing() lists probe alerts) its service and URL. */
export interface ProbeState {
  failingSinceMs: number;
  failure: string;
  service?: string;
  url?: string;
}

export type PipelineConfig = Pick<StormwatchConfig, 'intervalMs' | 'detector' | 'alerting' | 'signals' | 'definitions'> & Partial<Pick<StormwatchConfig, 'deploys' | 'evidenceWeight'>>;

/** Which part of the series this replica watches: those whose id hashes to `index` modulo `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** Whether a series belongs to a shard (FNV-1a 64 of its id, as hashmod relabelling spreads targets). */
export function inShard(seriesId: string, shard: Shard | undefined): boolean {
  if (!shard || shard.count <= 1) return true;
  return BigInt(`0x${fingerprint({ series: seriesId })}`) % BigInt(shard.count) === BigInt(shard.index);
}

/** Why a restored alert of a series another shard judges resolves at the first tick (AlertDecider.resolveSeries's `because`). */
const OTHER_SHARD = 'its series is judged by another shard now (this one was restarted with another --shard): that shard says whether the incident goes on';

export class Pipeline {
  /** Watched series by id: a signal's name, or name{labels} for the series of a split signal. */
  private readonly watched = new Map<string, WatchedSignal>();
  private readonly signalConfigs: Map<string, SignalConfig>;
  /** Series ids of other shards, so they are hashed once. */
  private readonly elsewhere = new Set<string>();
  /** Each signal's own alert hold (holdOf), shared by all its series. */
  private readonly holds = new Map<string, HoldParams>();
  /** Each signal's detector context (its input set, the tick), shared by all its series. */
  private readonly contextOf = new Map<string, DetectorContext>();
  /** The detectors' regions: released to it when a series is forgotten, and collected with the pipeline. */
  private readonly regions = new SlabPool();
  /** Saved detector state waiting for its series to appear (split signals are created lazily). */
  private readonly pendingRestore = new Map<string, unknown>();
  private readonly pendingRamps = new Map<string, unknown>();
  /**
   * The data time since which the waiting states have waited (the save they came from). A series
   * that has not come back within FORGET_GROUP_AFTER_MS is forgotten, as a watched one is: states
   * of pods gone before a restart, or of signals no longer configured, were otherwise saved again
   * at every save and carried through every restart after it.
   */
  private pendingSinceMs = Number.NaN;
  /** The loaded state's time zones per signal and its save time: a profile restored is moved to its signal's zone. */
  private savedZones: { zones: Record<string, string>; atMs: number } = { zones: {}, atMs: Number.NaN };
  private readonly decider: AlertDecider;
  /** Whether restored alerts may belong to series this configuration does not make: resolved at the next step. */
  private resolveUnconfigured = false;
  private readonly deploys: DeployWatcher | undefined;
  private readonly markers: MarkerTracker[];
  private readonly probes = new Map<string, ProbeState>();
  private readonly evidenceWeight: number;
  /** Whether the detectors keep the anomaly score (DetectorContext.anomalyScores). */
  private readonly anomalyScores: boolean;
  /** The series map every entry of which is watched (or elsewhere); a series forgotten voids it. */
  private admitted: Frame['series'];
  /** Every tick's reports (TickResult.signals), one map made again each step. */
  private readonly tickSignals = new AppendedMap<string, SignalReport>();
  /** Split signals' totals, by signal name: a collapse whose siblings took its traffic is no outage (decisions/moved-traffic.ts). */
  private readonly traffic = new Map<string, SignalTraffic>();
  /** The last signal's traffic looked up (a signal's series are mostly next to each other in `watched`). */
  private lastTraffic: { name: string; traffic: SignalTraffic } | undefined;
  /** Series of split signals in a rate-drop alarm: since when, and whether it was judged moved. */
  private readonly collapses = new Map<string, Collapse>();
  /** The tick assess reads, rewritten each step (RecorderTick). */
  private readonly tick = new RecorderTick();
  /** Series of split signals first seen within the last hour, after the pipeline's first frame: the data time they were. */
  private readonly born = new Map<string, number>();
  /** The data time of the last frame stepped or warmed (NaN: none yet). */
  private lastFrameMs = Number.NaN;
  /**
   * Deploys the markers saw in history read at start-up (warm with `deploysOpenAtMs`), and what
   * recording them decided: handed out by the next step, as if seen then.
   */
  private fromHistory: { deploys: DeployRecord[]; transitions: AlertTransition[] } | undefined;

  /**
   * `options.anomalyScores: false` drops the anomaly score where nothing reads it (a backtest
   * printing transitions alone); a pipeline that judges deploys keeps it, as their verdicts read
   * it. Such a pipeline's state is not one to save for `run`: its tail records did not learn.
   */
  constructor(
    private readonly config: PipelineConfig,
    private readonly shard?: Shard,
    options: { anomalyScores?: boolean } = {},
  ) {
    this.signalConfigs = new Map(config.signals.map((s) => [s.name, s]));
    this.evidenceWeight = config.evidenceWeight ?? 1;
    this.anomalyScores = options.anomalyScores !== false || config.deploys !== undefined;
    this.decider = new AlertDecider(config.definitions, { forMs: config.alerting.forMs, keepFiringForMs: config.alerting.keepFiringForMs }, config.alerting.labels, { withinMs: config.alerting.classifyWithinMs ?? 0 }, { minIntervalMs: config.alerting.updateIntervalMs ?? 30_000 });
    const d = config.deploys;
    this.deploys = d
      ? new DeployWatcher(
          {
            windowMs: d.windowMs,
            intervalMs: config.intervalMs,
            earlyAlpha: d.earlyAlpha,
            alpha: d.alpha,
            minPostSamples: d.minPostSamples,
            funnelDropFraction: config.detector.funnelDropFraction,
            minErrorRatioIncrease: config.detector.minErrorRatioIncrease,
            minRequestsPerTick: config.detector.minRequestsPerTick,
            bucketTicks: Math.max(1, Math.round(config.detector.baselineResolutionMs / config.intervalMs)),
            ...(d.retentionMs !== undefined ? { retentionMs: d.retentionMs, maxRecords: d.maxRecords } : {}),
          },
          [],
        )
      : undefined;
    this.markers = (d?.markers ?? []).map((m) => new MarkerTracker({ name: m.name, service: m.service, environment: m.environment, ...(m.label !== undefined ? { label: m.label } : {}) }, config.intervalMs));
    for (const signal of config.signals) if (signal.by.length === 0) this.watch(signal.name, signal, {});
  }

  /** The watched series of an id, created on first sight; undefined for other shards or unknown signals. */
  private watch(id: string, signal: SignalConfig, groupLabels: Labels): WatchedSignal | undefined {
    const existing = this.watched.get(id);
    if (existing) return existing;
    if (this.elsewhere.has(id)) return undefined;
    if (!inShard(id, this.shard)) {
      this.elsewhere.add(id);
      return undefined;
    }
    // The source's labels of the series as they are when the signal adds none (sources keep them
    // unchanged while the series lives): one object less a series.
    const labels = Object.keys(signal.labels).length > 0 ? { ...signal.labels, ...groupLabels } : groupLabels;
    let context = this.contextOf.get(signal.name);
    if (!context) this.contextOf.set(signal.name, (context = { intervalMs: this.config.intervalMs, inputs: new Set(Object.keys(signal.inputs) as SignalInput[]), evidenceWeight: this.evidenceWeight, regions: this.regions, anomalyScores: this.anomalyScores }));
    // A signal's own overrides (config/resolve-overrides.ts) travel with its series to the decider.
    const w = new WatchedSignal(
      id,
      labels,
      signal,
      this.holdOf(signal),
      new EvidenceDetector(signal.detector ?? this.config.detector, context),
      new RampRecorder(this.config.intervalMs, this.regions),
      this.regions,
    );
    const saved = this.pendingRestore.get(id);
    if (saved !== undefined) {
      if (w.detector.restore(takeState(saved))) this.alignProfile(w);
      this.pendingRestore.delete(id);
    }
    const savedRamp = this.pendingRamps.get(id);
    if (savedRamp !== undefined) {
      w.ramp.restore(takeState(savedRamp));
      this.pendingRamps.delete(id);
    }
    this.watched.set(id, w);
    this.deploys?.register(id, labels.service, signal.inputs.errors !== undefined || signal.inputs.downstream !== undefined);
    return w;
  }

  /** A signal's own `for` / `keepFiringFor` (one object for all its series); undefined: the config-wide ones. */
  private holdOf(signal: SignalConfig): HoldParams | undefined {
    if (signal.forMs === undefined && signal.keepFiringForMs === undefined) return undefined;
    let hold = this.holds.get(signal.name);
    if (!hold) this.holds.set(signal.name, (hold = { forMs: signal.forMs ?? this.config.alerting.forMs, keepFiringForMs: signal.keepFiringForMs ?? this.config.alerting.keepFiringForMs }));
    return hold;
  }

  /** The time zone a signal's weekly profiles are kept in. */
  private timeZoneOf(name: string): string {
    return (this.signalConfigs.get(name)?.detector ?? this.config.detector).timeZone ?? 'UTC';
  }

  /** Moves a restored detector's profile to its signal's time zone from the one it was saved in. */
  private alignProfile(w: WatchedSignal): void {
    const saved = this.savedZones.zones[w.name] ?? 'UTC';
    if (saved !== this.timeZoneOf(w.name)) w.detector.profileLearntIn(saved, this.savedZones.atMs);
  }

  /** Makes sure every series in the frame is watched (split signals grow as label sets appear). */
  private admit(frame: Frame): void {
    // Sources hand on the same series map while no series comes or goes: walked once, not every tick.
    if (!frame.series || frame.series === this.admitted) return;
    for (const [id, info] of frame.series) {
      const w = this.watched.get(id);
      if (w) {
        // A series restored from saved state has labels read back from its saved id: once the
        // source gives the same set, the series keeps the source's (one label set a series, not two).
        if (w.labels !== info.labels && sameLabels(w.labels, info.labels)) w.labels = info.labels;
        continue;
      }
      if (this.elsewhere.has(id)) continue;
      const signal = this.signalConfigs.get(info.signal);
      // A series that appears after the first frame is new traffic (a route, a pod) that may have
      // taken a collapsed series' (moved-traffic.ts); at the first frame every series appears.
      if (signal && this.watch(id, signal, info.labels) && signal.by.length > 0 && Number.isFinite(this.lastFrameMs)) this.born.set(id, frame.timeMs);
    }
    this.admitted = frame.series;
  }

  /**
   * Copies this frame's sample of a watched series into `into`; false (and `into` untouched) when
   * the frame lacks it. A frame of columns is read at the slot cached for its index (no lookup by
   * id); any other frame is asked by id.
   */
  private readSample(w: WatchedSignal, signals: Frame['signals'], into: SignalSample): boolean {
    if (!(signals instanceof FrameSamples)) {
      const s = signals.get(w.id);
      if (!s) return false;
      into.requests = s.requests;
      into.errors = s.errors;
      into.downstream = s.downstream;
      return true;
    }
    const slot = this.slotIn(w, signals.index);
    if (slot < 0) return false;
    into.requests = signals.requests[slot]!;
    into.errors = signals.errors[slot]!;
    into.downstream = signals.downstream[slot]!;
    return true;
  }

  /** Watches the series of a saved split-signal state, as last seen at `savedAtMs`; false when no split signal of this config makes that id. */
  private watchSaved(id: string, savedAtMs: number): boolean {
    const { signal: name, groupLabels } = parseSeriesId(id);
    const signal = this.signalConfigs.get(name);
    if (!signal || signal.by.length === 0) return false;
    // The labels in `by` order, as the sources give them; any other label set is not this signal's series.
    const labels = pickLabels(groupLabels, signal.by);
    if (seriesIdOf(name, labels) !== id) return false;
    const w = this.watch(id, signal, labels);
    if (!w) return false;
    w.lastSeenMs = savedAtMs;
    return true;
  }

  /** Forgets the saved states still waiting for their series, except those of series alerting (checked again later). */
  private forgetWaiting(nowMs: number): void {
    for (const pending of [this.pendingRestore, this.pendingRamps]) for (const id of pending.keys()) if (!this.decider.hasActive(id)) pending.delete(id);
    this.pendingSinceMs = this.pendingRestore.size + this.pendingRamps.size > 0 ? nowMs : Number.NaN;
  }

  /** The series' slot in `index`, -1 when it is not there; looked up by id only when the index changed. */
  private slotIn(w: WatchedSignal, index: SeriesIndex): number {
    if (w.slotIndex !== index) {
      w.slot = index.slotOf(w.id) ?? -1;
      w.slotIndex = index;
    }
    return w.slot;
  }

  /** How many series this pipeline watches. */
  get seriesCount(): number {
    return this.watched.size;
  }

  /** Runs detectors and decisions on one frame. Signals missing from the frame count as gaps. */
  step(frame: Frame): TickResult {
    this.admit(frame);
    const signals = this.tickSignals;
    signals.reset();
    const result: TickResult = { timeMs: frame.timeMs, transitions: [], signals, deploys: [] };
    if (this.fromHistory) {
      result.deploys.push(...this.fromHistory.deploys);
      result.transitions.push(...this.fromHistory.transitions);
      this.fromHistory = undefined;
    }
    if (frame.timeMs - this.pendingSinceMs > FORGET_GROUP_AFTER_MS) this.forgetWaiting(frame.timeMs);
    if (this.resolveUnconfigured) {
      this.resolveUnconfigured = false;
      result.transitions.push(...this.decider.resolveSeries(this.unconfigured, frame.timeMs, this.resolvedBecause));
    }
    // The tick as assess reads it, pointed at each series' ramp recorder in turn.
    const tick = this.tick;
    tick.timeMs = frame.timeMs;
    tick.tickMs = this.config.intervalMs;
    const inQuestion = this.deploys?.signalsInQuestion();
    // Every series is observed before any is assessed: a split signal's collapse is judged against
    // its siblings' rates this tick.
    for (const w of this.watched.values()) {
      const { id, detector, sample } = w;
      const present = this.readSample(w, frame.signals, sample);
      if (present) w.lastSeenMs = frame.timeMs;
      else if (w.signal.by.length > 0 && frame.timeMs - w.lastSeenMs > FORGET_GROUP_AFTER_MS && !this.decider.hasActive(id)) {
        // Gone from the sources for long and not alerting: forget it (label churn must not leak memory).
        this.watched.delete(id);
        this.collapses.delete(id);
        w.release(this.regions);
        this.admitted = undefined;
        continue;
      }
      // Missing is unknown, never zero.
      if (!present) sample.requests = sample.errors = sample.downstream = Number.NaN;
      const evaluations = detector.observe(sample, frame.timeMs, inQuestion !== undefined && inQuestion.size > 0 && inQuestion.has(id));
      w.ramp.observeTick(sample.requests, evaluations);
      w.evaluations = evaluations;
      if (w.signal.by.length > 0) this.countTraffic(w, frame.timeMs);
    }
    if (this.born.size > 0) for (const [id, bornMs] of this.born) if (frame.timeMs - bornMs > NEW_SERIES_MS || !this.watched.has(id)) this.born.delete(id);
    this.lastFrameMs = frame.timeMs;
    for (const traffic of this.traffic.values()) traffic.endTick(frame.timeMs, (c, v) => (result.movedTraffic ??= []).push({ series: c.series, signal: this.watched.get(c.series)?.signal.name ?? '', lost: v.lost, totalChange: v.change, spread: v.sigma }));
    for (const w of this.watched.values()) {
      const collapse = this.collapses.size > 0 ? this.collapses.get(w.id) : undefined;
      const verdict = collapse === undefined ? undefined : collapse.moved ? 'moved' : collapse.awaiting === true ? 'awaiting' : undefined;
      tick.recorder = w.ramp;
      const assessment = assess(w.id, w.sample, w.evaluations, w.signal.clients, tick, w.assessment, verdict);
      signals.append(w.id, w);
      const transitions = this.decider.decide(w, assessment, frame.timeMs);
      if (transitions.length > 0) result.transitions.push(...transitions);
    }
    signals.settle();
    if (this.deploys) this.stepDeploys(frame, result);
    return result;
  }

  /** A split signal's traffic (created on first use). */
  private trafficOf(name: string): SignalTraffic {
    const last = this.lastTraffic;
    if (last !== undefined && last.name === name) return last.traffic;
    let traffic = this.traffic.get(name);
    if (!traffic) this.traffic.set(name, (traffic = new SignalTraffic(this.config.intervalMs)));
    this.lastTraffic = { name, traffic };
    return traffic;
  }

  /**
   * Adds a split signal's series to its signal's total this tick, and a young rate-drop alarm of it
   * to the collapses judged at the end of the tick. An alarm is forgotten when its check reads
   * normal again, not while its data is missing (a scrape gap does not end a move).
   */
  private countTraffic(w: WatchedSignal, timeMs: number): void {
    const traffic = this.trafficOf(w.signal.name);
    traffic.add(w.requests, this.born.size > 0 ? this.born.get(w.id) : undefined, timeMs);
    let drop: Evaluation | undefined;
    for (const e of w.evaluations) if (e.kind === 'rate_drop') drop = e;
    if (drop?.status === 'anomalous') {
      let c = this.collapses.get(w.id);
      if (!c) this.collapses.set(w.id, (c = { series: w.id, alarmSinceMs: timeMs, moved: false }));
      // What it lost is read from the same ticks as the total: its last with no evidence of a
      // collapse (the tick before an abrupt fall), and its last at or above what was expected of it
      // (the start of a fade over minutes).
      traffic.collapse(c, w.requests, w.markedRequests(QUIET_MARK), w.markedAtMs(QUIET_MARK), w.markedRequests(LEVEL_MARK), w.markedAtMs(LEVEL_MARK), timeMs);
      return;
    }
    if (drop !== undefined) this.markLevels(w, drop, timeMs);
    if (drop?.status === 'normal' && this.collapses.size > 0) this.collapses.delete(w.id);
  }

  /** Records where a collapse of the series would be measured from, on a tick its drop check judged. */
  private markLevels(w: WatchedSignal, drop: Evaluation, timeMs: number): void {
    if (drop.status === 'unknown' || !Number.isFinite(w.requests)) return;
    if (!(drop.evidence! > 0)) w.mark(QUIET_MARK, timeMs, w.requests);
    if (w.requests >= drop.baseline) w.mark(LEVEL_MARK, timeMs, w.requests);
  }

  /**
   * Opens a deploy window now, freezing each affected signal's baseline. Returns the record and
   * the transitions it causes (an older deploy's regression alert resolves). Idempotent by id.
   */
  addDeploy(event: DeployEvent, timeMs: number): { record: DeployRecord; transitions: AlertTransition[] } | undefined {
    if (!this.deploys) return undefined;
    const existing = this.deploys.get(event.id);
    if (existing) return { record: existing, transitions: [] };
    const pre = new Map<string, PreBaseline>();
    for (const id of this.deploys.signalsOf(event.service)) {
      const w = this.watched.get(id);
      if (!w) continue;
      const snap = w.detector.snapshot();
      pre.set(id, { completion: snap.funnel.values, errorRatio: snap.errorRatio.values });
    }
    const { record, changes } = this.deploys.add(event, pre, timeMs);
    return { record, transitions: changes.map((c) => this.deployAlert(c.record, c.status, timeMs, c.because)) };
  }

  /** Every deploy known, newest first. */
  deployRecords(): DeployRecord[] {
    return this.deploys?.records() ?? [];
  }

  deployRecord(id: string): DeployRecord | undefined {
    return this.deploys?.get(id);
  }

  markRollbackRequested(id: string, timeMs: number): void {
    this.deploys?.markRollbackRequested(id, timeMs);
  }

  /** Records a smoke probe's result: a failure fails its service's open deploy window and raises (or keeps) its alert. */
  recordProbe(outcome: ProbeOutcome, timeMs: number): AlertTransition[] {
    const state = this.probes.get(outcome.probe);
    if (!outcome.ok) {
      const failure = outcome.failure ?? 'failed';
      this.deploys?.probeFailed(outcome.service, `${outcome.probe}: ${failure}`, outcome.environment);
      if (state) return [];
      this.probes.set(outcome.probe, { failingSinceMs: timeMs, failure, service: outcome.service, url: outcome.url });
      return [probeTransition(outcome, 'firing', timeMs, timeMs, this.config.definitions, this.config.alerting.labels, failure)];
    }
    if (!state) return [];
    this.probes.delete(outcome.probe);
    return [probeTransition(outcome, 'resolved', state.failingSinceMs, timeMs, this.config.definitions, this.config.alerting.labels, state.failure)];
  }

  private stepDeploys(frame: Frame, result: TickResult): void {
    const watcher = this.deploys!;
    for (const tracker of this.markers) {
      const event = tracker.observe(frame.markers?.get(tracker.spec.name), frame.timeMs);
      if (!event) continue;
      const added = this.addDeploy(event, frame.timeMs)!;
      result.deploys.push(added.record);
      result.transitions.push(...added.transitions);
    }
    // Each signal's tick as the watcher reads it, built only while a window can read it (most
    // ticks have no deploy open: a map of every series would be built for nothing).
    const ticks = new Map<string, SignalTick>();
    if (watcher.readsTicks) {
      for (const [name, report] of result.signals) {
        const incident = this.decider.incidentOf(name);
        ticks.set(name, { sample: report.sample, ...(report.anomalyScore !== undefined ? { anomalyScore: report.anomalyScore } : {}), ...(incident ? { incidentSinceMs: incident.startsAtMs, incidentAlert: incident.alertname, incidentSummary: incident.summary } : {}) });
      }
    }
    const { changed, alerts } = watcher.observe(frame.timeMs, ticks);
    for (const r of changed) if (!result.deploys.includes(r)) result.deploys.push(r);
    for (const a of alerts) result.transitions.push(this.deployAlert(a.record, a.status, frame.timeMs, a.because));
  }

  private deployAlert(record: DeployRecord, status: 'firing' | 'resolved', timeMs: number, because?: string): AlertTransition {
    return deployTransition(record, status, timeMs, this.config.definitions, this.config.alerting.labels, this.config.alerting.externalURL, because);
  }

  /**
   * Feeds history to the detectors' baselines (and ramp levels) only: no alert can start from
   * warm-up data. Returns the reports of the series the frame holds, without assessments (what a
   * chart draws of it: the UI's history of the warm-up), rewritten by the next warm or step.
   *
   * Markers learn the versions the history shows. With `deploysOpenAtMs` (the history read at
   * start-up, the time it is read) a new version among them is a deploy, recorded at its frame
   * with the baselines as they were then, when its window is still open at `deploysOpenAtMs`: a
   * rollout while stormwatch was down (restarted, rescheduled) is judged on what is left of its
   * window, not learnt as if it had always been there. The next step hands it out.
   */
  warm(frame: Frame, options: { deploysOpenAtMs?: number } = {}): ReadonlyMap<string, SignalReport> {
    this.admit(frame);
    const signals = this.tickSignals;
    signals.reset();
    for (const w of this.watched.values()) {
      const { detector, ramp, sample } = w;
      if (!this.readSample(w, frame.signals, sample)) continue;
      // The ramp recorder too: the demand level a storm is read against is the last half minute,
      // history included (a sidecar started moments before a storm has no other).
      const evaluations = detector.observe(sample, frame.timeMs);
      ramp.observeTick(sample.requests, evaluations);
      w.evaluations = evaluations;
      if (w.signal.by.length > 0) {
        this.trafficOf(w.signal.name).add(sample.requests);
        for (const e of evaluations) if (e.kind === 'rate_drop' && e.status !== 'anomalous') this.markLevels(w, e, frame.timeMs);
      }
      signals.append(w.id, w);
    }
    // The totals a collapse is judged against, from history as from live ticks.
    for (const traffic of this.traffic.values()) traffic.endTick(frame.timeMs);
    this.lastFrameMs = frame.timeMs;
    signals.settle();
    // Markers learn which versions exist, so the first live tick does not mistake them for a deploy.
    for (const tracker of this.markers) {
      const event = tracker.observe(frame.markers?.get(tracker.spec.name), frame.timeMs);
      const openAtMs = options.deploysOpenAtMs;
      if (!event || openAtMs === undefined || !this.config.deploys || event.startedAtMs + this.config.deploys.windowMs <= openAtMs) continue;
      const added = this.addDeploy(event, frame.timeMs)!;
      const into = (this.fromHistory ??= { deploys: [], transitions: [] });
      into.deploys.push(added.record);
      into.transitions.push(...added.transitions);
    }
    return signals;
  }

  /**
   * Feeds older history to the detectors' seasonal profiles only (the request rate of each series,
   * each value standing for `spanMs`): the trailing baselines, dispersion and checks are untouched.
   * Returns the series that learnt something.
   */
  warmProfiles(frame: Frame, spanMs: number): number {
    this.admit(frame);
    let learnt = 0;
    for (const w of this.watched.values()) {
      const sample = w.sample;
      if (this.readSample(w, frame.signals, sample) && w.detector.learnProfile(frame.timeMs, sample.requests, spanMs)) learnt++;
    }
    return learnt;
  }

  /** Incident alerts firing at `timeMs` only by keepFiringFor (AlertDecider.lingering). */
  lingering(timeMs: number): Set<string> {
    return this.decider.lingering(timeMs);
  }

  /**
   * Every alert firing now: the incidents', the deploys' that failed their check and the failing
   * smoke probes' (a probe failing since a state saved before probes kept their service is left out:
   * its labels are unknown until it fires again).
   */
  firing(): FiringAlert[] {
    const out = this.decider.firing();
    const asFiring = (t: AlertTransition): FiringAlert => ({ labels: t.labels, annotations: t.annotations, fingerprint: t.fingerprint, startsAtMs: t.startsAtMs });
    for (const record of this.deploys?.alertingRecords() ?? []) out.push(asFiring(this.deployAlert(record, 'firing', record.decidedAtMs ?? record.startedAtMs)));
    for (const [probe, state] of this.probes) {
      if (state.service === undefined) continue;
      const outcome = { probe, service: state.service, url: state.url ?? '', ok: false, failure: state.failure };
      out.push(asFiring(probeTransition(outcome, 'firing', state.failingSinceMs, state.failingSinceMs, this.config.definitions, this.config.alerting.labels, state.failure)));
    }
    return out;
  }

  /**
   * What the pipeline has decided, without the series' states: its alerts, deploys, markers and
   * probes (a few KB, written by saveDecided at each transition, before its notifications go out).
   */
  decisionsSnapshot(): DecisionsSnapshot {
    return {
      alerts: this.decider.snapshot(),
      deploys: this.deploys?.snapshot() ?? [],
      markers: Object.fromEntries(this.markers.map((m) => [m.spec.name, m.snapshot()])),
      probes: [...this.probes],
    };
  }

  /**
   * Everything a restart needs to resume mid-incident: baselines and firing alerts. `section` builds
   * the per-series sections (detectors, ramps) from their entries as they are made: a saver that
   * encodes each series at once (runner/state-columns.ts) keeps 100k snapshots from living together.
   * An entry's state is plain data or a SelfEncoding (a detector: core/column-encoder.ts).
   */
  snapshot(savedAtMs: number, section: (entries: Iterable<[string, unknown]>) => Record<string, unknown> = plainSection): PipelineSnapshot {
    return {
      version: 1,
      savedAtMs,
      // The detectors themselves: a section that puts states in columns has each write its own
      // (core/column-encoder.ts); the plain section takes their snapshots.
      detectors: section(this.seriesStates(this.pendingRestore, (w) => w.detector)),
      ...this.decisionsSnapshot(),
      // The recorders themselves, as the detectors (they write their own columns). NaN (a tick
      // without a rate) is written as null; restore reads it back.
      ramps: section(this.seriesStates(this.pendingRamps, (w) => w.ramp)),
      // The zones of signals no longer configured stay with their states still waiting.
      timeZones: { ...this.savedZones.zones, ...Object.fromEntries(this.config.signals.map((s) => [s.name, this.timeZoneOf(s.name)])) },
      ...this.movedSnapshot(),
    };
  }

  /** The collapses judged moved, so a restart does not page them (their siblings' baselines have learnt the traffic since). */
  private movedSnapshot(): Pick<PipelineSnapshot, 'movedTraffic'> {
    const moved: Record<string, number> = {};
    let any = false;
    for (const [id, c] of this.collapses) {
      if (!c.moved) continue;
      moved[id] = c.alarmSinceMs;
      any = true;
    }
    return any ? { movedTraffic: moved } : {};
  }

  /**
   * States waiting for their series, then each watched series' state, made one at a time. A waiting
   * state still in the loaded file's columns (a SelfEncoding: one whose id no signal of this config
   * makes, as the restore watched the rest) is kept as plain data from its first save on, so the
   * file's bytes are let go.
   */
  private *seriesStates(pending: Map<string, unknown>, of: (w: WatchedSignal) => unknown): Generator<[string, unknown]> {
    for (const [id, state] of pending) {
      if (this.watched.has(id)) continue;
      const plain = plainState(state);
      if (plain !== state) pending.set(id, plain);
      yield [id, plain];
    }
    for (const [id, w] of this.watched) yield [id, of(w)];
  }

  /**
   * Whether this configuration makes no such series: its signal is gone, or split otherwise (an
   * unsplit signal's id is its name; a split one's, its name and the labels in `by`); or another
   * shard judges it (a state saved under another `--shard`).
   */
  private readonly unconfigured = (seriesId: string): boolean => this.notJudgedHere(seriesId) !== undefined;

  /** Why this pipeline never judges a series (see unconfigured); undefined when it does. */
  private notJudgedHere(seriesId: string): string | undefined {
    const { signal: name, groupLabels } = parseSeriesId(seriesId);
    const signal = this.signalConfigs.get(name);
    const made = signal !== undefined && (signal.by.length === 0 ? seriesId === name : seriesIdOf(name, pickLabels(groupLabels, signal.by)) === seriesId);
    if (!made) return SIGNAL_REMOVED;
    return inShard(seriesId, this.shard) ? undefined : OTHER_SHARD;
  }

  private readonly resolvedBecause = (seriesId: string): string => this.notJudgedHere(seriesId) ?? SIGNAL_REMOVED;

  /**
   * Restores what fits: signals that still exist get their baselines back; firing alerts stay firing.
   * Alerts of series this configuration does not make (a signal renamed or removed between two runs)
   * are returned, and resolved at the next step: nothing would judge them again.
   */
  restore(snapshot: PipelineSnapshot): { signals: number; unconfigured: FiringAlert[] } {
    if (snapshot?.version !== 1) return { signals: 0, unconfigured: [] };
    let signals = 0;
    this.savedZones = { zones: snapshot.timeZones ?? {}, atMs: snapshot.savedAtMs };
    for (const [id, w] of this.watched) {
      if (!w.detector.restore(takeState(snapshot.detectors?.[id]))) continue;
      this.alignProfile(w);
      signals++;
    }
    const detectors = snapshot.detectors ?? {};
    // for-in, not Object.entries: no pair array for each of 100k series.
    for (const id in detectors) if (Object.hasOwn(detectors, id) && !this.watched.has(id)) this.pendingRestore.set(id, detectors[id]);
    this.pendingSinceMs = snapshot.savedAtMs;
    // Series of split signals are watched again at once, as the pipeline that saved watched them: one
    // missing from the next frames reads as no data, as it did before, and is forgotten when it
    // would have been (a state left in the file's columns is built here, one series at a time).
    // What is left waits for its series (an id this config does not make, such as a removed signal's).
    for (const id of [...this.pendingRestore.keys()]) if (this.watchSaved(id, snapshot.savedAtMs)) signals++;
    for (const [id, state] of Object.entries(snapshot.ramps ?? {})) {
      const w = this.watched.get(id);
      if (w) w.ramp.restore(takeState(state));
      else this.pendingRamps.set(id, state);
    }
    for (const [id, sinceMs] of Object.entries(snapshot.movedTraffic ?? {})) if (typeof sinceMs === 'number') this.collapses.set(id, { series: id, alarmSinceMs: sinceMs, moved: true });
    this.decider.restore(snapshot.alerts);
    const unconfigured = this.decider.firingOf(this.unconfigured);
    this.resolveUnconfigured = unconfigured.length > 0;
    this.deploys?.restore(snapshot.deploys);
    for (const m of this.markers) m.restore(snapshot.markers?.[m.spec.name] as Parameters<MarkerTracker['restore']>[0]);
    if (Array.isArray(snapshot.probes)) for (const [name, state] of snapshot.probes) this.probes.set(name, state);
    return { signals, unconfigured };
  }
}

/** A section as a plain object of its entries (a state that encodes itself as its snapshot). */
/**
 * A tick as assess reads it, whose ramp observation is made only when read: assess reads it for a
 * failure or a surge alone, and made for every series in a failure run (about one in twenty of
 * healthy ones, whose ratio checks' evidence left zero) it was arrays and objects a tick each.
 */
class RecorderTick implements TickTime {
  timeMs = Number.NaN;
  tickMs = Number.NaN;
  recorder: RampRecorder | undefined = undefined;

  get ramp(): RampObservation | undefined {
    return this.recorder?.view();
  }
}

function plainSection(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, state] of entries) out[id] = isSelfEncoding(state) ? state.snapshot() : state;
  return out;
}
