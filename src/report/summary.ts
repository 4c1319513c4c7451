// The end-of-backtest summary on stderr: alerts by kind, deploys by verdict, data-quality problems.
// A counter fed with each tick's result, and a pure formatter.

import type { AlertTransition } from '../core/types.js';
import type { Muting } from '../decisions/mute-stage.js';
import type { DeployRecord } from '../deploys/types.js';
import type { TickResult } from '../pipeline.js';

export class SummaryCounter {
  ticks = 0;
  readonly series = new Set<string>();
  /** Alerts that fired, by alertname. */
  readonly firedByName = new Map<string, number>();
  readonly firedBySeverity = new Map<string, number>();
  /** Series-ticks with no requests reading, and ticks whose every check was unknown (warm-up, gaps). */
  gapTicks = 0;
  unjudgedTicks = 0;
  /** Alerts muted when they fired (not delivered then), by what muted them first: maintenance, inhibited, recurring. */
  readonly mutedByReason = new Map<string, number>();
  /** What muted each such alert, by alertKey (its fingerprint and start). */
  readonly mutedBy = new Map<string, string[]>();
  /** When each such alert was delivered after all, its muting over while it still fired, by alertKey. */
  readonly releasedAt = new Map<string, number>();

  /** `muted`: the tick's transitions that were not delivered, with why (decisions/mute-stage.ts). */
  add(result: TickResult, muted?: ReadonlyMap<AlertTransition, readonly Muting[]>): void {
    this.ticks++;
    for (const [id, report] of result.signals) {
      if (this.series.size < 100_000) this.series.add(id);
      if (Number.isNaN(report.sample.requests)) this.gapTicks++;
      if (report.evaluations.length > 0 && report.evaluations.every((e) => e.status === 'unknown')) this.unjudgedTicks++;
    }
    for (const t of result.transitions) {
      if (t.status !== 'firing' || t.update !== undefined) continue;
      const name = t.labels.alertname ?? '?';
      this.firedByName.set(name, (this.firedByName.get(name) ?? 0) + 1);
      const sev = t.labels.severity ?? '?';
      this.firedBySeverity.set(sev, (this.firedBySeverity.get(sev) ?? 0) + 1);
      const by = muted?.get(t);
      if (by && by.length > 0) {
        this.mutedByReason.set(by[0]!.reason, (this.mutedByReason.get(by[0]!.reason) ?? 0) + 1);
        this.mutedBy.set(alertKey(t.fingerprint, t.startsAtMs), by.map((m) => m.by));
      }
    }
  }
}

/** Notes a muted alert delivered at `atMs`, its muting over while it still fired (MuteStage.release). */
export function countRelease(counter: SummaryCounter, t: AlertTransition, atMs: number): void {
  counter.releasedAt.set(alertKey(t.fingerprint, t.startsAtMs), atMs);
}

/** An alert's key in SummaryCounter.mutedBy: one incident of one alert. */
export function alertKey(fingerprint: string, startsAtMs: number): string {
  return `${fingerprint} ${startsAtMs}`;
}

export interface SummaryInput {
  counter: SummaryCounter;
  deploys: readonly DeployRecord[];
  dataProblems: number;
  fromMs: number;
  toMs: number;
}

export interface SummaryNumbers {
  ticks: number;
  series: number;
  alertsByKind: Record<string, number>;
  alertsBySeverity: Record<string, number>;
  /** Of the alerts fired, those muted when they fired (not delivered then), by reason. */
  alertsMuted: Record<string, number>;
  /** Of those, the ones delivered later: their muting ended while they still fired. */
  alertsReleased: number;
  deploysByVerdict: Record<string, number>;
  dataProblems: { fileLinesSkipped: number; gapTicks: number; unjudgedTicks: number };
}

export function summaryNumbers(input: SummaryInput): SummaryNumbers {
  const byVerdict: Record<string, number> = {};
  for (const d of input.deploys) byVerdict[d.verdict] = (byVerdict[d.verdict] ?? 0) + 1;
  return {
    ticks: input.counter.ticks,
    series: input.counter.series.size,
    alertsByKind: Object.fromEntries([...input.counter.firedByName].sort()),
    alertsBySeverity: Object.fromEntries([...input.counter.firedBySeverity].sort()),
    alertsMuted: Object.fromEntries([...input.counter.mutedByReason].sort()),
    alertsReleased: input.counter.releasedAt.size,
    deploysByVerdict: byVerdict,
    dataProblems: { fileLinesSkipped: input.dataProblems, gapTicks: input.counter.gapTicks, unjudgedTicks: input.counter.unjudgedTicks },
  };
}

export function formatSummary(input: SummaryInput): string {
  const n = summaryNumbers(input);
  const list = (rec: Record<string, number>) => (Object.keys(rec).length === 0 ? 'none' : Object.entries(rec).map(([k, v]) => `${k} ${v}`).join(', '));
  const iso = (ms: number) => new Date(ms).toISOString();
  const totalAlerts = Object.values(n.alertsByKind).reduce((a, b) => a + b, 0);
  const totalMuted = Object.values(n.alertsMuted).reduce((a, b) => a + b, 0);
  return [
    `backtest ${iso(input.fromMs)} .. ${iso(input.toMs)}: ${n.ticks} ticks, ${n.series} series`,
    `alerts fired: ${totalAlerts} (${list(n.alertsByKind)})${totalMuted > 0 ? `; muted when they fired, not delivered: ${totalMuted} (${list(n.alertsMuted)})${n.alertsReleased > 0 ? `, of which delivered later, their muting over while they still fired: ${n.alertsReleased}` : ''}` : ''}`,
    `deploys: ${input.deploys.length} (${list(n.deploysByVerdict)})`,
    `data quality: ${n.dataProblems.fileLinesSkipped} input line(s) skipped, ${n.dataProblems.gapTicks} series-tick(s) without data, ${n.dataProblems.unjudgedTicks} series-tick(s) no check could judge (warm-up or gaps)`,
    '',
  ].join('\n');
}
