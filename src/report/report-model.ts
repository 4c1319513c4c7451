// What a backtest report shows, from the backtest's history: the alerts with their delay from the
// data's own labelled faults or deploys, every deploy with its verdict and evidence, and the chart
// data of every series that alerted (or, when none did, of the series the deploys concern). Pure.

import type { DeployRecord, SignalEvidence } from '../deploys/types.js';
import type { HistoryStore } from '../ui/history-store.js';
import { type SeriesChartData, seriesChartData } from '../ui/series-model.js';
import type { LabelledMarkers } from './scenario-labels.js';
import { type SummaryNumbers, alertKey } from './summary.js';

export interface ReportAlertRow {
  alertname: string;
  severity: string;
  seriesId: string | null;
  fingerprint: string;
  startsAtMs: number;
  firedAtMs: number;
  endsAtMs: number | null;
  /** Seconds from the labelled marker (a fault's start, else a deploy) to firing; null when none applies. */
  delaySeconds: number | null;
  delayFrom: string;
  summary: string;
  description: string;
  /** What muted it when it fired (not delivered then): a maintenance window, an inhibiting alert, a recurrence; empty when delivered. */
  mutedBy: readonly string[];
  /** When a muted alert was delivered after all (its muting ended while it still fired), or null. */
  releasedAtMs: number | null;
}

export interface ReportDeployRow {
  id: string;
  service: string;
  version: string;
  source: string;
  startedAtMs: number;
  /** A marker's record first seen after a gap in its data: the rollout began after this. */
  startedAfterMs?: number;
  verdict: string;
  decidedAfterSeconds: number | null;
  /** Whether the data's labels list a deploy at this time (±1 min). */
  labelled: boolean;
  reasons: string[];
  evidence: SignalEvidence[];
}

export interface ReportModel {
  title: string;
  input: string;
  fromMs: number;
  toMs: number;
  generatedAtMs: number;
  labels: { file: string; faults: { kind: string; startsAtMs: number; endsAtMs: number }[] } | null;
  summary: SummaryNumbers;
  alerts: ReportAlertRow[];
  deploys: ReportDeployRow[];
  /** Series charted, with a note on why others are not. */
  series: SeriesChartData[];
  seriesNote: string;
  configFile: string;
  configText: string;
}

export interface ReportInput {
  title: string;
  input: string;
  fromMs: number;
  toMs: number;
  generatedAtMs: number;
  history: HistoryStore;
  deploys: readonly DeployRecord[];
  labels?: LabelledMarkers | undefined;
  summary: SummaryNumbers;
  /** What muted each alert that was muted when it fired, by alertKey (SummaryCounter.mutedBy). */
  mutedBy?: ReadonlyMap<string, readonly string[]>;
  /** When such an alert was delivered after all, by alertKey (SummaryCounter.releasedAt). */
  releasedAt?: ReadonlyMap<string, number>;
  configFile: string;
  configText: string;
  deployWindowMs?: number;
  /** Chart width in pixel buckets. */
  width?: number;
  /** At most this many series are charted (the report must open fast). */
  maxCharts?: number;
}

const FAULT_SLACK_MS = 10 * 60_000;
const DEPLOY_SLACK_MS = 30 * 60_000;

function delayOf(firedAtMs: number, labels: LabelledMarkers | undefined, deploys: readonly DeployRecord[]): { delaySeconds: number | null; delayFrom: string } {
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const fault = labels?.faults.filter((f) => f.startsAtMs <= firedAtMs && firedAtMs <= f.endsAtMs + FAULT_SLACK_MS).sort((a, b) => b.startsAtMs - a.startsAtMs)[0];
  if (fault) return { delaySeconds: (firedAtMs - fault.startsAtMs) / 1000, delayFrom: `${fault.kind} fault at ${iso(fault.startsAtMs)} (labelled)` };
  const labelled = labels?.deploysMs.filter((d) => d <= firedAtMs && firedAtMs - d <= DEPLOY_SLACK_MS).sort((a, b) => b - a)[0];
  if (labelled !== undefined) return { delaySeconds: (firedAtMs - labelled) / 1000, delayFrom: `deploy at ${iso(labelled)} (labelled)` };
  const seen = deploys.filter((d) => d.startedAtMs <= firedAtMs && firedAtMs - d.startedAtMs <= DEPLOY_SLACK_MS).sort((a, b) => b.startedAtMs - a.startedAtMs)[0];
  if (seen) return { delaySeconds: (firedAtMs - seen.startedAtMs) / 1000, delayFrom: `deploy ${seen.version} at ${iso(seen.startedAtMs)}` };
  return { delaySeconds: null, delayFrom: labels ? 'no labelled fault or deploy before it' : 'no labels for this data' };
}

export function reportModel(input: ReportInput): ReportModel {
  const { history } = input;
  const alerts = history.alerts().sort((a, b) => a.startsAtMs - b.startsAtMs);
  const rows: ReportAlertRow[] = alerts.map((a) => ({
    alertname: a.alertname,
    severity: a.severity,
    seriesId: a.seriesId ?? null,
    fingerprint: a.fingerprint,
    startsAtMs: a.startsAtMs,
    firedAtMs: a.firedAtMs,
    endsAtMs: a.endsAtMs ?? null,
    ...delayOf(a.firedAtMs, input.labels, input.deploys),
    summary: a.summary,
    description: a.description,
    mutedBy: input.mutedBy?.get(alertKey(a.fingerprint, a.startsAtMs)) ?? [],
    releasedAtMs: input.releasedAt?.get(alertKey(a.fingerprint, a.startsAtMs)) ?? null,
  }));
  const deploys: ReportDeployRow[] = [...input.deploys]
    .sort((a, b) => a.startedAtMs - b.startedAtMs)
    .map((d) => ({
      id: d.id,
      service: d.service,
      version: d.version,
      source: d.source,
      startedAtMs: d.startedAtMs,
      ...(d.startedAfterMs !== undefined ? { startedAfterMs: d.startedAfterMs } : {}),
      verdict: d.verdict,
      decidedAfterSeconds: d.decidedAtMs !== undefined ? (d.decidedAtMs - d.startedAtMs) / 1000 : null,
      labelled: input.labels?.deploysMs.some((t) => Math.abs(t - d.startedAtMs) <= 60_000) ?? false,
      reasons: d.reasons,
      evidence: d.evidence,
    }));
  // Every series that alerted; when none did, the series the deploys concern.
  const max = input.maxCharts ?? 50;
  const alerted = [...new Set(alerts.map((a) => a.seriesId).filter((id): id is string => id !== undefined))];
  let chosen = alerted;
  let note = alerted.length > 0 ? 'Every series that alerted.' : 'No series alerted.';
  if (alerted.length === 0 && input.deploys.length > 0) {
    chosen = [...history.rings.keys()].filter((id) => history.deploysOf(id).length > 0);
    note = 'No series alerted; shown: the series the deploys concern.';
  }
  if (chosen.length > max) {
    note += ` The first ${max} of ${chosen.length} are charted.`;
    chosen = chosen.slice(0, max);
  }
  const missing = chosen.filter((id) => !history.rings.has(id));
  if (missing.length > 0) note += ` ${missing.length} series had no history kept (the history budget was spent).`;
  const deployRecordsOf = (id: string) => {
    const service = history.labelsOf(id).labels.service;
    return input.deploys.filter((d) => service === undefined || d.service === service);
  };
  const series = chosen
    .filter((id) => history.rings.has(id))
    .map((id) => {
      const { signal, labels } = history.labelsOf(id);
      return seriesChartData({
        id,
        signal,
        labels,
        points: history.rings.get(id)!.range(),
        // What muted each (the backtest's count of it, not the live loop's marks).
        alerts: alerts
          .filter((a) => a.seriesId === id)
          .map((a) => {
            const key = alertKey(a.fingerprint, a.startsAtMs);
            const mutedBy = input.mutedBy?.get(key);
            const releasedAtMs = input.releasedAt?.get(key);
            return { ...a, ...(mutedBy ? { mutedBy: [...mutedBy] } : {}), ...(releasedAtMs !== undefined ? { releasedAtMs } : {}) };
          }),
        deploys: deployRecordsOf(id),
        explanation: history.explanationOf(id),
        width: input.width ?? 1400,
        ...(input.deployWindowMs !== undefined ? { deployWindowMs: input.deployWindowMs } : {}),
      });
    });
  return {
    title: input.title,
    input: input.input,
    fromMs: input.fromMs,
    toMs: input.toMs,
    generatedAtMs: input.generatedAtMs,
    labels: input.labels ? { file: input.labels.file, faults: input.labels.faults } : null,
    summary: input.summary,
    alerts: rows,
    deploys,
    series,
    seriesNote: note,
    configFile: input.configFile,
    configText: input.configText,
  };
}
