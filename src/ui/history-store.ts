// What the UI and the report show, kept from the pipeline's tick results: a bounded history ring
// per series, the overview's fields of every series at the latest tick, alert intervals, deploys and explanations.
// Fed by the runners (live and backtest) with each TickResult; reads nothing else of the pipeline.

import type { SignalConfig } from '../config/load.js';
import type { AlertTransition, Labels } from '../core/types.js';
import type { DeployRecord } from '../deploys/types.js';
import type { SignalReport, TickResult } from '../pipeline.js';
import { COLUMN_COUNT, chartPoint } from './chart-point.js';
import { parseSeriesId } from '../series/series-key.js';
import { seriesIdOfAlert } from './series-id.js';
import { LatestRows } from './latest-rows.js';
import { SeriesRing } from './series-ring.js';

export interface AlertInterval {
  fingerprint: string;
  /** The series it belongs to; undefined for deploy and probe alerts. */
  seriesId?: string;
  alertname: string;
  severity: string;
  labels: Labels;
  startsAtMs: number;
  /** Data time the alert fired (startsAt plus `for`). */
  firedAtMs: number;
  endsAtMs?: number;
  summary: string;
  description: string;
  /** What muted it when it fired (a silence, a maintenance window, an inhibiting alert): not delivered then. */
  mutedBy?: string[];
  /** When a muted alert was delivered after all (its muting ended while it still fired). */
  releasedAtMs?: number;
  /** Data time of the update that last changed its words (absent: as it fired). */
  saidAtMs?: number;
}

export interface HistoryOptions {
  /** Points kept per series (ticks). */
  capacity: number;
  /** Series that get a ring from their first tick; beyond, a series gets one when it turns anomalous. */
  eagerSeries: number;
  /** Hard cap on rings: capacity × maxSeries × SeriesRing.bytesPerPoint bytes at most. */
  maxSeries: number;
  zThreshold: number;
  signals: readonly Pick<SignalConfig, 'name' | 'by' | 'labels'>[];
  /** Closed alert intervals kept (oldest dropped first). */
  maxClosedAlerts?: number;
}

export class HistoryStore {
  readonly rings = new Map<string, SeriesRing>();
  /** What the overview shows of every series at the latest tick (the reports themselves are not kept). */
  readonly latest = new LatestRows();
  latestTimeMs = Number.NaN;
  firstTimeMs = Number.NaN;
  ticks = 0;
  readonly open = new Map<string, AlertInterval>();
  readonly closed: AlertInterval[] = [];
  readonly deploys = new Map<string, DeployRecord>();
  /** The latest explanation each series had (the pipeline explains only failing or surging series). */
  readonly explanations = new Map<string, { atMs: number; text: string }>();
  private readonly scratch = new Float32Array(COLUMN_COUNT);
  private readonly signalLabels: Map<string, Labels>;

  constructor(readonly options: HistoryOptions) {
    this.signalLabels = new Map(options.signals.map((s) => [s.name, s.labels]));
  }

  record(result: TickResult): void {
    const { timeMs } = result;
    if (Number.isNaN(this.firstTimeMs)) this.firstTimeMs = timeMs;
    this.latestTimeMs = timeMs;
    this.latest.record(result.signals);
    this.ticks++;
    // forEach, not for-of: a for-of over a map makes an entry array per series (100k a tick at scale).
    result.signals.forEach((report, id) => {
      let ring = this.rings.get(id);
      if (!ring) {
        const anomalous = report.assessment.failing === true || report.assessment.surge === true;
        if (this.rings.size >= this.options.maxSeries || (this.rings.size >= this.options.eagerSeries && !anomalous)) return;
        ring = new SeriesRing(this.options.capacity);
        this.rings.set(id, ring);
      }
      chartPoint(report, this.options.zThreshold, this.scratch);
      ring.push(timeMs, this.scratch);
      if (report.assessment.explanation) this.explanations.set(id, { atMs: timeMs, text: report.assessment.explanation });
    });
    this.addTransitions(result.transitions);
    this.addDeploys(result.deploys);
    if (this.ticks % 240 === 0) this.sweep();
  }

  /**
   * The series' explanation to show: while one of its alerts fires, what that alert says now (its
   * description, as its receivers last read it); else the last tick's sentence that had one. A
   * tick's own sentence after a recovery ("more demand, served fine" while the storm's alert is held
   * by keepFiringFor) contradicted the alert beside it. `current`: said of the latest tick (or of an
   * alert still open); false when the series read healthy since, and it was shown as the latest.
   * A series healthy since its last sentence, said while an alert of it was open, explains with
   * that alert's last words: the sentence was its recovery tick's (a report of the 2023-07-20
   * replay said "no known client retry policy fits" above the storm's "cargo ... matches").
   */
  explanationOf(id: string, atMs?: number): { atMs: number; text: string; current: boolean; alertOpenAt?: number } | undefined {
    // A page opened at a time (an alert's link) explains with the alert open then, as it last
    // said it: the series' latest sentence, minutes later, contradicted the page beside it.
    if (atMs !== undefined) {
      let open: AlertInterval | undefined;
      for (const a of this.alertsOf(id)) if (a.description && a.startsAtMs <= atMs && (a.endsAtMs ?? Number.POSITIVE_INFINITY) >= atMs && !(open && open.startsAtMs >= a.startsAtMs)) open = a;
      if (open) return { atMs: open.saidAtMs ?? open.firedAtMs, text: open.description, current: open.endsAtMs === undefined, alertOpenAt: atMs };
    }
    let said: AlertInterval | undefined;
    for (const a of this.open.values()) if (a.seriesId === id && a.description && !(said && (said.saidAtMs ?? said.firedAtMs) >= (a.saidAtMs ?? a.firedAtMs))) said = a;
    if (said) return { atMs: said.saidAtMs ?? said.firedAtMs, text: said.description, current: true };
    const last = this.explanations.get(id);
    if (!last) return undefined;
    if (!(last.atMs < this.latestTimeMs)) return { ...last, current: true };
    let under: AlertInterval | undefined;
    for (const a of this.alertsOf(id)) if (a.description && a.endsAtMs !== undefined && a.startsAtMs <= last.atMs && a.endsAtMs >= last.atMs && !(under && under.startsAtMs >= a.startsAtMs)) under = a;
    return under ? { atMs: under.saidAtMs ?? under.firedAtMs, text: under.description, current: false } : { ...last, current: false };
  }

  /**
   * A frame of history read before the live ticks (the warm-up, at a start or a reload): its
   * points go into the series' rings (the first `eagerSeries` series get one), never before a
   * point a ring holds. The overview, alerts and explanations are the live ticks' alone.
   */
  recordHistory(timeMs: number, signals: ReadonlyMap<string, SignalReport>): void {
    // One walk over the frame's reports, as record() does: looking each ring's report up by id
    // would index the whole frame (100k series) at every frame of the warm-up.
    signals.forEach((report, id) => {
      let ring = this.rings.get(id);
      if (!ring) {
        if (this.rings.size >= this.options.eagerSeries) return;
        ring = new SeriesRing(this.options.capacity);
        this.rings.set(id, ring);
      }
      if (ring.length > 0 && !(timeMs > ring.lastMs)) return;
      chartPoint(report, this.options.zThreshold, this.scratch);
      ring.push(timeMs, this.scratch);
    });
    if (!(timeMs >= this.firstTimeMs)) this.firstTimeMs = timeMs;
  }

  addTransitions(transitions: readonly AlertTransition[]): void {
    for (const t of transitions) {
      const open = t.update !== undefined ? this.open.get(t.fingerprint) : undefined;
      if (open) {
        // An update of a firing alert: its words change, not when it fired.
        open.summary = t.annotations.summary ?? '';
        open.description = t.annotations.description ?? '';
        open.saidAtMs = t.evaluatedAtMs;
      } else if (t.status === 'firing') {
        const seriesId = seriesIdOfAlert(t.labels, this.options.signals);
        this.open.set(t.fingerprint, {
          fingerprint: t.fingerprint,
          ...(seriesId !== undefined ? { seriesId } : {}),
          alertname: t.labels.alertname ?? '',
          severity: t.labels.severity ?? '',
          labels: t.labels,
          startsAtMs: t.startsAtMs,
          firedAtMs: t.evaluatedAtMs,
          summary: t.annotations.summary ?? '',
          description: t.annotations.description ?? '',
        });
      } else {
        const interval = this.open.get(t.fingerprint);
        if (!interval) continue;
        this.open.delete(t.fingerprint);
        interval.endsAtMs = t.endsAtMs ?? t.evaluatedAtMs;
        this.closed.push(interval);
        const max = this.options.maxClosedAlerts ?? 5000;
        if (this.closed.length > max) this.closed.splice(0, this.closed.length - max);
      }
    }
  }

  /**
   * The alerts firing at a start (the pipeline's restored state, as firing transitions), opened as
   * the history saved before the restart had them (`saved`: when each fired, what muted it) where
   * it had the same alert (fingerprint and start), else as fired at their start.
   */
  resumeFiring(firing: readonly AlertTransition[], saved: readonly AlertInterval[]): void {
    const before = new Map(saved.map((a) => [a.fingerprint, a]));
    for (const t of firing) {
      const was = before.get(t.fingerprint);
      if (was === undefined || was.startsAtMs !== t.startsAtMs) this.addTransitions([{ ...t, evaluatedAtMs: t.startsAtMs }]);
      else this.open.set(t.fingerprint, { ...was, labels: t.labels, summary: t.annotations.summary ?? '', description: t.annotations.description ?? '' });
    }
  }

  /** The firing alert `fingerprint` was muted when it fired, by `by`. */
  markMuted(fingerprint: string, by: readonly string[]): void {
    const open = this.open.get(fingerprint);
    if (open) open.mutedBy = [...by];
  }

  /** The muted firing alert `fingerprint` was delivered at `atMs` after all. */
  markReleased(fingerprint: string, atMs: number): void {
    const open = this.open.get(fingerprint);
    if (open?.mutedBy) open.releasedAtMs = atMs;
  }

  addDeploys(records: readonly DeployRecord[]): void {
    for (const r of records) this.deploys.set(r.id, r);
  }

  /** Every alert interval, open ones last, oldest first. */
  alerts(): AlertInterval[] {
    return [...this.closed, ...this.open.values()];
  }

  alertsOf(seriesId: string): AlertInterval[] {
    return this.alerts().filter((a) => a.seriesId === seriesId);
  }

  /** A series' labels: its signal's, then its group labels. */
  labelsOf(seriesId: string): { signal: string; labels: Labels } {
    const { signal, groupLabels } = parseSeriesId(seriesId);
    return { signal, labels: { ...(this.signalLabels.get(signal) ?? {}), ...groupLabels } };
  }

  /** Deploys that concern a series (same service, or any when the series has no service label), oldest first. */
  deploysOf(seriesId: string): DeployRecord[] {
    const service = this.labelsOf(seriesId).labels.service;
    return [...this.deploys.values()].filter((d) => service === undefined || d.service === service).sort((a, b) => a.startedAtMs - b.startedAtMs);
  }

  /** The series whose alert this fingerprint is (for links that name an alert only). */
  seriesOfAlert(fingerprint: string): string | undefined {
    return this.open.get(fingerprint)?.seriesId ?? [...this.closed].reverse().find((a) => a.fingerprint === fingerprint)?.seriesId;
  }

  /** Drops the rings of series the pipeline forgot (label churn), unless they ever alerted. */
  private sweep(): void {
    const alerted = new Set(this.alerts().map((a) => a.seriesId));
    const gone = new Set(this.rings.keys());
    for (const id of this.latest.seriesIds()) gone.delete(id);
    for (const id of gone) if (!alerted.has(id)) this.rings.delete(id);
  }
}
