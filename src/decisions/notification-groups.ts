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

/** What a notification says of one alert (an update of a firing alert, new annotations, changes it: receivers get it after groupInterval). */
function itemOf(t: AlertTransition): string {
  return `${t.fingerprint}:${t.startsAtMs}:${t.status}${t.update !== undefined ? `:update-${t.update}` : ''}`;
}

function stateOf(alerts: Iterable<AlertTransition>): string {
  return [...alerts].map(itemOf).sort().join(',');
}

/**
 * A group as the state directory keeps it across a restart or a reload (runner/notification-file.ts):
 * what it last notified, when, and the latest transition of each alert, notified or not yet.
 * `lastNotifiedAtMs` null: never notified (its first notification is pending).
 */
export interface SavedGroup {
  key: string;
  labels: Labels;
  alerts: AlertTransition[];
  createdAtMs: number;
  lastNotifiedAtMs: number | null;
  lastNotified: string;
  repeats: number;
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
  /** Changes so far (a transition added, a notification recorded, groups restored): whether a save is due. */
  revision = 0;

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
    this.revision++;
  }

  /** The latest transition of `t`'s alert in the group its labels put it in, if the registry holds it. O(labels). */
  find(t: Pick<AlertTransition, 'labels' | 'fingerprint'>): AlertTransition | undefined {
    return this.groups.get(groupOf(t.labels, this.groupBy).key)?.alerts.get(t.fingerprint);
  }

  /**
   * Learns firing alerts as already notified (delivered before this registry existed and not in
   * its saved groups). Joining a group that has notified before, they are folded into what was last
   * notified, so the group's own pending changes stay pending; a new group is notified as of now.
   * A group whose first notification is still pending sends it with them too. One pass per group
   * however many alerts join it.
   */
  adopt(transitions: readonly AlertTransition[], nowMs: number): void {
    const joined = new Map<NotificationGroup, AlertTransition[]>();
    for (const t of transitions) {
      const { key, labels } = groupOf(t.labels, this.groupBy);
      let group = this.groups.get(key);
      if (!group) {
        group = { key, labels, alerts: new Map(), createdAtMs: nowMs, lastNotifiedAtMs: nowMs, lastNotified: '', repeats: 0 };
        this.groups.set(key, group);
      }
      group.alerts.set(t.fingerprint, t);
      const list = joined.get(group);
      if (list) list.push(t);
      else joined.set(group, [t]);
    }
    for (const [group, ts] of joined) {
      if (Number.isNaN(group.lastNotifiedAtMs)) continue;
      const adopted = new Set(ts.map((t) => t.fingerprint));
      const kept = group.lastNotified === '' ? [] : group.lastNotified.split(',').filter((item) => !adopted.has(item.slice(0, item.indexOf(':'))));
      group.lastNotified = [...kept, ...ts.map(itemOf)].sort().join(',');
    }
    this.revision++;
  }

  /**
   * Squares saved groups with the alerts firing now (`firing`: fingerprint to startsAt). A saved
   * firing alert that no longer fires (the alert state was saved before it, or its signal is gone)
   * resolves as of `nowMs` when its firing was notified (receivers must hear it end), and is
   * dropped when it never was. With `alertsLost` (the saved alert state is gone: nothing says
   * whether they still fire) every such alert is dropped, and those notified are counted (returned):
   * resolved, a storm still going on read as over. Groups left empty go.
   */
  settle(firing: ReadonlyMap<string, number>, nowMs: number, alertsLost = false): number {
    let forgotten = 0;
    for (const group of [...this.groups.values()]) {
      let notified: Set<string> | undefined;
      for (const [fp, t] of [...group.alerts]) {
        if (t.status !== 'firing' || firing.get(fp) === t.startsAtMs) continue;
        // What the group last said of each alert, up to its status: read once per group.
        notified ??= new Set(group.lastNotified.split(',').map((item) => item.split(':', 3).join(':')));
        const wasNotified = notified.has(`${fp}:${t.startsAtMs}:firing`);
        if (wasNotified && !alertsLost) group.alerts.set(fp, { status: 'resolved', labels: t.labels, annotations: t.annotations, fingerprint: fp, startsAtMs: t.startsAtMs, endsAtMs: nowMs, evaluatedAtMs: nowMs });
        else {
          group.alerts.delete(fp);
          if (wasNotified) forgotten++;
        }
        this.revision++;
      }
      if (group.alerts.size === 0) this.groups.delete(group.key);
    }
    return forgotten;
  }

  /** Every group as the state directory keeps it. */
  save(): SavedGroup[] {
    return [...this.groups.values()].map((g) => ({
      key: g.key,
      labels: g.labels,
      alerts: [...g.alerts.values()],
      createdAtMs: g.createdAtMs,
      lastNotifiedAtMs: Number.isNaN(g.lastNotifiedAtMs) ? null : g.lastNotifiedAtMs,
      lastNotified: g.lastNotified,
      repeats: g.repeats,
    }));
  }

  /** Takes saved groups back (keys recomputed from this registry's groupBy: a group saved under another grouping is not restored). */
  restore(saved: readonly SavedGroup[]): void {
    for (const g of saved) {
      const first = g.alerts[0];
      if (first && groupOf(first.labels, this.groupBy).key !== g.key) continue;
      this.groups.set(g.key, { key: g.key, labels: g.labels, alerts: new Map(g.alerts.map((t) => [t.fingerprint, t])), createdAtMs: g.createdAtMs, lastNotifiedAtMs: g.lastNotifiedAtMs ?? Number.NaN, lastNotified: g.lastNotified, repeats: g.repeats });
    }
    this.revision++;
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
    this.revision++;
  }
}
