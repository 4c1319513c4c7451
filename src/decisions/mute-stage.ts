// Decides which alert transitions are delivered and which are muted (by a silence, a maintenance
// window or an inhibition rule, as Alertmanager's mute stages do, or as an informational surge that
// recurs at the same time of day: recurring-surges.ts). A muted alert is still decided
// and recorded; only its notifications are held back. A firing alert muted when it fired is held:
// once nothing mutes it any more (the silence expired) its firing notification goes out then, and
// if it resolves while still held its resolution is not sent either (the receiver never saw it).
// Pure: time comes in, silences are read through a function.

import type { AlertTransition, Labels } from '../core/types.js';
import { wallClockOf } from '../core/wall-clock.js';
import type { FiringAlert } from './alert-decider.js';
import { type FiringLabels, type InhibitRule, inhibitedBy } from './inhibition.js';
import { type MaintenanceWindow, windowsMuting } from './maintenance-windows.js';
import { SurgeOnsets, describeRecurrence, recurs } from './recurring-surges.js';
import { type Silence, silencesMuting } from './silences.js';

/** Why a transition was not delivered. Also the `reason` label of stormwatch_alerts_muted_total. */
export type MuteReason = 'silence' | 'maintenance' | 'inhibited' | 'recurring' | 'held';

export interface Muting {
  reason: MuteReason;
  /** Which silence, window or source alert: `silence 5f1c…`, `maintenance nightly-db`, `inhibited by StormwatchDeployRegression{service="crates"}`. */
  by: string;
}

export interface MuteConfig {
  windows: readonly MaintenanceWindow[];
  inhibitRules: readonly InhibitRule[];
  silences: () => readonly Silence[];
  /** Alert names muted when they recur at the same time of day (the OrganicSurge's); none when absent. */
  recurring?: ReadonlySet<string>;
  /** The time zone whose clocks an alert's time of day is read on (its signal's); UTC when absent. */
  timeZoneOf?: (labels: Labels) => string | undefined;
}

export interface MuteResult {
  /** To hand to the notifier, in order. */
  deliver: AlertTransition[];
  /** Muted transitions with why; every transition in the batch is in exactly one of the two. */
  muted: Map<AlertTransition, Muting[]>;
}

function describe(source: FiringLabels): string {
  const { alertname, ...rest } = source.labels;
  const shown = ['service', 'signal', 'version'].filter((k) => rest[k] !== undefined).map((k) => `${k}=${JSON.stringify(rest[k])}`);
  return `inhibited by ${alertname ?? '?'}{${shown.join(',')}}`;
}

export class MuteStage {
  /** Alerts firing now (every source of inhibition), by fingerprint. */
  private readonly firing = new Map<string, FiringLabels>();
  /** Firing alerts muted when they fired and not yet delivered, by fingerprint. */
  private readonly held = new Map<string, AlertTransition>();
  /** When each alert of a `recurring` name fired, to tell a daily job's surge from news. */
  private readonly onsets = new SurgeOnsets();
  /** Firing alerts muted as recurring, by fingerprint: how the recurrence reads. */
  private readonly recurringNow = new Map<string, string>();
  private revisionCount = 0;

  constructor(private config: MuteConfig) {}

  /** New rules and windows (a config reload); what is held is re-checked at the next `release`. */
  reconfigure(config: MuteConfig): void {
    this.config = config;
  }

  /** Alerts already firing at start (restored state): sources of inhibition from the first tick. */
  seed(firing: Iterable<FiringLabels>): void {
    for (const a of firing) this.firing.set(a.fingerprint, { labels: a.labels, fingerprint: a.fingerprint });
  }

  /** Why an alert with these labels would be muted now; empty when it would be delivered. */
  mutings(alert: FiringLabels, nowMs: number): Muting[] {
    const out: Muting[] = [];
    for (const s of silencesMuting(alert.labels, this.config.silences(), nowMs)) out.push({ reason: 'silence', by: `silence ${s.id}` });
    for (const w of windowsMuting(alert.labels, this.config.windows, nowMs)) out.push({ reason: 'maintenance', by: `maintenance ${w.name}` });
    const source = inhibitedBy(alert, this.firing.values(), this.config.inhibitRules);
    if (source) out.push({ reason: 'inhibited', by: describe(source) });
    const recurrence = this.recurringNow.get(alert.fingerprint);
    if (recurrence !== undefined) out.push({ reason: 'recurring', by: recurrence });
    return out;
  }

  /** Sorts one batch of transitions (one tick's, or a deploy's) into delivered and muted. */
  filter(transitions: readonly AlertTransition[], nowMs: number): MuteResult {
    // The batch's own firing alerts count as sources at once: a DeployRegression firing in the same
    // tick as the RetryStorm it explains inhibits it before either is sent.
    for (const t of transitions) {
      if (t.status === 'firing') this.firing.set(t.fingerprint, { labels: t.labels, fingerprint: t.fingerprint });
      else this.firing.delete(t.fingerprint);
    }
    const result: MuteResult = { deliver: [], muted: new Map() };
    if (transitions.length > 0) this.revisionCount++;
    for (const t of transitions) {
      if (t.status === 'firing' && t.update === undefined) this.noteOnset(t);
      if (t.status === 'resolved') {
        this.recurringNow.delete(t.fingerprint);
        if (this.held.delete(t.fingerprint)) result.muted.set(t, [{ reason: 'held', by: 'its firing notification was muted' }]);
        else result.deliver.push(t);
        continue;
      }
      const mutings = this.mutings(t, nowMs);
      if (mutings.length === 0) {
        // An update of an alert whose firing was never delivered is, to receivers, its firing.
        const wasHeld = this.held.delete(t.fingerprint);
        result.deliver.push(wasHeld ? asFiring(t) : t);
      } else {
        this.held.set(t.fingerprint, t);
        result.muted.set(t, mutings);
      }
    }
    return result;
  }

  /** A new firing of an alert of a `recurring` name: remembered, and muted while it recurs. */
  private noteOnset(t: AlertTransition): void {
    if (!this.config.recurring?.has(t.labels.alertname ?? '')) return;
    const clock = this.clockOf(t.labels);
    const days = this.onsets.daysSeen(t.fingerprint, t.startsAtMs, clock);
    this.onsets.record(t.fingerprint, t.startsAtMs);
    if (recurs(days)) this.recurringNow.set(t.fingerprint, describeRecurrence(t.startsAtMs, days, clock));
  }

  private clockOf(labels: Labels) {
    return wallClockOf(this.config.timeZoneOf?.(labels));
  }

  /**
   * Held firing alerts that nothing mutes any more: their firing notification is due now. Those in
   * `lingering` (firing only by keepFiringFor: their condition is over) stay held, and resolve unsent.
   */
  release(nowMs: number, lingering?: ReadonlySet<string>): AlertTransition[] {
    const out: AlertTransition[] = [];
    const before = this.held.size;
    for (const [fp, t] of this.held) {
      if (!this.firing.has(fp)) {
        this.held.delete(fp);
        continue;
      }
      if (lingering?.has(fp) || this.mutings(t, nowMs).length > 0) continue;
      this.held.delete(fp);
      out.push({ ...asFiring(t), evaluatedAtMs: nowMs });
    }
    if (this.held.size !== before) this.revisionCount++;
    return out;
  }

  /** Goes up whenever what a restart needs (heldAlerts, surgeOnsets) may have changed. */
  get revision(): number {
    return this.revisionCount;
  }

  /** How many firing alerts are held back now. */
  get heldCount(): number {
    return this.held.size;
  }

  /** The firing alerts held back now, by fingerprint (what a restart needs to keep holding them). */
  heldAlerts(): FiringAlert[] {
    return [...this.held.values()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)).map((t) => ({ labels: t.labels, annotations: t.annotations, fingerprint: t.fingerprint, startsAtMs: t.startsAtMs }));
  }

  /** Whether this firing alert's notification is held back (it was muted when it fired and not delivered since). */
  isHeld(fingerprint: string): boolean {
    return this.held.has(fingerprint);
  }

  /**
   * Holds again, after a restart, the firing alerts that were held when the state was saved (each
   * also a source of inhibition again): one whose muting ended meanwhile is released, its firing
   * notification sent, at the next `release`; one that resolves while still muted sends nothing.
   */
  restoreHeld(alerts: Iterable<FiringAlert>): void {
    this.revisionCount++;
    for (const a of alerts) {
      this.firing.set(a.fingerprint, { labels: a.labels, fingerprint: a.fingerprint });
      this.held.set(a.fingerprint, { status: 'firing', labels: a.labels, annotations: a.annotations, fingerprint: a.fingerprint, startsAtMs: a.startsAtMs, evaluatedAtMs: a.startsAtMs });
      if (!this.config.recurring?.has(a.labels.alertname ?? '')) continue;
      const clock = this.clockOf(a.labels);
      const days = this.onsets.daysSeen(a.fingerprint, a.startsAtMs, clock);
      if (recurs(days)) this.recurringNow.set(a.fingerprint, describeRecurrence(a.startsAtMs, days, clock));
    }
  }

  /** The onsets of alerts of `recurring` names (what a restart needs to go on telling a daily job). */
  surgeOnsets(): Record<string, number[]> {
    return this.onsets.snapshot();
  }

  /** Restores saved onsets; call before restoreHeld, which reads them. */
  restoreSurgeOnsets(saved: Record<string, unknown>): void {
    this.onsets.restore(saved);
  }
}

/** A held alert's latest reading, delivered as its (first) firing notification, not as an update. */
function asFiring(t: AlertTransition): AlertTransition {
  if (t.update === undefined) return t;
  const { update: _update, ...firing } = t;
  return firing;
}
