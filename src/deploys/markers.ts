// Deploy markers read from metrics: a new value of a label among a metric's series (a build-info
// metric's `version`), or a change of a metric's value (a deploy-timestamp gauge). Pure.

import type { MarkerSeries } from '../core/types.js';
import type { DeployEvent } from './types.js';

export interface MarkerSpec {
  name: string;
  service: string;
  environment: string;
  /** A new value of this label marks a deploy; without it, a change of the value does. */
  label?: string;
}

export class MarkerTracker {
  private seen: Set<string> | undefined;
  private lastValue = Number.NaN;
  /** The label's value on each series of the last look, in order: `seen` was made of these. */
  private lastLabels: (string | undefined)[] = [];
  /** When the marker's series were last read (NaN: never). */
  private lastLookMs = Number.NaN;

  /**
   * `intervalMs`: the ticks' interval. A look more than one and a half of them after the one
   * before it follows a gap (the source down, a restart): a version first seen then began at any
   * time since the last look, and its event says so (`startedAfterMs`).
   */
  constructor(
    readonly spec: MarkerSpec,
    private readonly intervalMs = Number.POSITIVE_INFINITY,
  ) {}

  /** Feeds the marker's series at `timeMs`; returns the deploy it marks, if any. The first observation only sets the scene. */
  observe(series: readonly MarkerSeries[] | undefined, timeMs: number): DeployEvent | undefined {
    if (!series || series.length === 0) return undefined;
    const lookedAtMs = this.lastLookMs;
    this.lastLookMs = timeMs;
    const startedAfterMs = timeMs - lookedAtMs > 1.5 * this.intervalMs ? lookedAtMs : undefined;
    const { spec } = this;
    if (spec.label !== undefined) {
      // Most looks see the same series as the last one: then the set of values is the same too,
      // with nothing new in it, and nothing is built.
      if (this.seen !== undefined && this.sameLabels(series, spec.label)) return undefined;
      this.lastLabels = series.map((s) => s.labels[spec.label!]);
      // Compared with the previous look, not with every version ever seen: a rollback to an
      // earlier version is a deploy too.
      const values = new Set(this.lastLabels.filter((v): v is string => v !== undefined));
      const before = this.seen;
      this.seen = values;
      if (before === undefined) return undefined;
      const fresh = [...values].filter((v) => !before.has(v));
      if (fresh.length === 0) return undefined;
      return this.event(fresh.sort().join(','), timeMs, false, startedAfterMs);
    }
    const value = maxValue(series);
    const before = this.lastValue;
    this.lastValue = value;
    if (Number.isNaN(before) || value === before) return undefined;
    // A deploy-timestamp's value names no release.
    return this.event(String(value), timeMs, true, startedAfterMs);
  }

  snapshot(): { seen: string[] | null; lastValue: number | null; lastLookMs?: number } {
    return { seen: this.seen ? [...this.seen] : null, lastValue: Number.isNaN(this.lastValue) ? null : this.lastValue, ...(Number.isNaN(this.lastLookMs) ? {} : { lastLookMs: this.lastLookMs }) };
  }

  /** A snapshot saved before looks were timed has none: a version seen after such a restart is dated at its first look only. */
  restore(s: { seen: string[] | null; lastValue: number | null; lastLookMs?: number } | undefined): void {
    if (!s) return;
    this.seen = s.seen ? new Set(s.seen) : undefined;
    this.lastLabels = [];
    this.lastValue = s.lastValue ?? Number.NaN;
    this.lastLookMs = typeof s.lastLookMs === 'number' && Number.isFinite(s.lastLookMs) ? s.lastLookMs : Number.NaN;
  }

  private sameLabels(series: readonly MarkerSeries[], label: string): boolean {
    const last = this.lastLabels;
    if (series.length !== last.length) return false;
    for (let i = 0; i < series.length; i++) if (series[i]!.labels[label] !== last[i]) return false;
    return true;
  }

  private event(version: string, timeMs: number, opaqueVersion: boolean, startedAfterMs: number | undefined): DeployEvent {
    return {
      id: `${this.spec.service}-${timeMs}`,
      service: this.spec.service,
      version,
      environment: this.spec.environment,
      startedAtMs: timeMs,
      ...(startedAfterMs !== undefined ? { startedAfterMs } : {}),
      source: 'marker',
      ...(opaqueVersion ? { opaqueVersion } : {}),
    };
  }
}

/** Math.max of the series' values (NaN if any is NaN, +0 over -0), without an array of them. */
function maxValue(series: readonly MarkerSeries[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const { value } of series) {
    if (Number.isNaN(value)) return Number.NaN;
    if (value > max || (value === 0 && max === 0 && Object.is(max, -0))) max = value;
  }
  return max;
}
