// Grouping and re-notification, as Alertmanager does it: alerts are grouped by chosen labels; a new
// group waits `groupWait`, a changed group waits `groupInterval` since its last notification, an
// unchanged group with firing alerts is re-sent after `repeatInterval`. The decision is a pure
// function that says why it sends or not; time comes in.

import type { AlertTransition, Labels } from '../core/types.js';

export interface GroupTiming {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface NotificationGroup {
  key: string;
  labels: Labels;
  /** Latest transition of every alert in the group, by fingerprint. */
  alerts: Map<string, AlertTransition>;
  createdAtMs: number;
  lastNotifiedAtMs: number;
  /** What the last notification said: sorted fingerprint:startsAt:status[:update-n] of its alerts. */
  lastNotified: string;
  /** Repeats sent since the group last changed. */
  repeats: number;
}

export type NotifyReason = 'first' | 'changed' | 'repeat' | 'flush';
export type HoldReason = 'empty' | 'group_wait' | 'group_interval' | 'unchanged';
export type NotifyDecision = { send: true; reason: NotifyReason } | { send: false; reason: HoldReason };

function stateOf(alerts: Iterable<AlertTransition>): string {
  return [...alerts]
    // An update of a firing alert (new annotations) changes the group: receivers get it after groupInterval.
    .map((t) => `${t.fingerprint}:${t.startsAtMs}:${t.status}${t.update !== undefined ? `:update-${t.update}` : ''}`)
    .sort()
    .join(',');
}

/** Decides whether a group is notified now. `flush` sends any change at once (shutdown, end of a replay). */
export function decideNotify(group: NotificationGroup, nowMs: number, timing: GroupTiming, flush = false): NotifyDecision {
  if (group.alerts.size === 0) return { send: false, reason: 'empty' };
  const state = stateOf(group.alerts.values());
  if (Number.isNaN(group.lastNotifiedAtMs)) {
    if (nowMs - group.createdAtMs >= timing.groupWaitMs) return { send: true, reason: 'first' };
    return flush ? { send: true, reason: 'flush' } : { send: false, reason: 'group_wait' };
  }
  if (state !== group.lastNotified) {
    if (nowMs - group.lastNotifiedAtMs >= timing.groupIntervalMs) return { send: true, reason: 'changed' };
    return flush ? { send: true, reason: 'flush' } : { send: false, reason: 'group_interval' };
  }
  const anyFiring = [...group.alerts.values()].some((t) => t.status === 'firing');
  if (anyFiring && nowMs - group.lastNotifiedAtMs >= timing.repeatIntervalMs) return { send: true, reason: 'repeat' };
  return { send: false, reason: 'unchanged' };
}

/** The group key and labels of an alert: the values of `groupBy` (every label when groupBy is ['...']). */
export function groupOf(labels: Labels, groupBy: readonly string[]): { key: string; labels: Labels } {
  const names = groupBy.includes('...') ? Object.keys(labels).sort() : [...groupBy].sort();
  const groupLabels: Labels = {};
  for (const n of names) if (labels[n] !== undefined) groupLabels[n] = labels[n];
  return { key: `{${Object.entries(groupLabels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`, labels: groupLabels };
}

/** The groups of one route. Holds state; decisions come from decideNotify. */
export class GroupRegistry {
  readonly groups = new Map<string, NotificationGroup>();

  constructor(
    readonly groupBy: readonly string[],
    readonly timing: GroupTiming,
  ) {}

  add(t: AlertTransition, nowMs: number): void {
    const { key, labels } = groupOf(t.labels, this.groupBy);
    let group = this.groups.get(key);
    if (!group) {
      group = { key, labels, alerts: new Map(), createdAtMs: nowMs, lastNotifiedAtMs: Number.NaN, lastNotified: '', repeats: 0 };
      this.groups.set(key, group);
    }
    group.alerts.set(t.fingerprint, t);
  }

  /** Groups to notify now, with the reason for each. */
  due(nowMs: number, flush = false): { group: NotificationGroup; reason: NotifyReason }[] {
    const out: { group: NotificationGroup; reason: NotifyReason }[] = [];
    for (const group of this.groups.values()) {
      const decision = decideNotify(group, nowMs, this.timing, flush);
      if (decision.send) out.push({ group, reason: decision.reason });
    }
    return out;
  }

  /** Records a sent notification: resolved alerts leave the group, an empty group is dropped. */
  markNotified(group: NotificationGroup, nowMs: number, reason: NotifyReason): void {
    group.repeats = reason === 'repeat' ? group.repeats + 1 : 0;
    for (const [fp, t] of group.alerts) if (t.status === 'resolved') group.alerts.delete(fp);
    group.lastNotifiedAtMs = nowMs;
    group.lastNotified = stateOf(group.alerts.values());
    if (group.alerts.size === 0) this.groups.delete(group.key);
  }
}
