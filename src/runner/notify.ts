// Turns alert transitions into notifications: routes match alerts to sinks, groups decide when to
// notify (wait, interval, repeat), payloads are built per sink kind, and every notification is
// written to the durable outbox before a deliverer sends it.

import { matchesAll } from '../decisions/matchers.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteConfig, SinkConfig, StormwatchConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { ALERTS_DIR } from '../core/paths.js';
import type { AlertTransition, Labels } from '../core/types.js';
import { renderTemplate } from '../decisions/template.js';
import type { DeployRecord } from '../deploys/types.js';
import { GroupRegistry, type NotificationGroup, type NotifyReason, type SavedGroup } from '../decisions/notification-groups.js';
import { Deliverer, type DeliveryEvent } from '../sinks/deliverer.js';
import { HttpSink } from '../sinks/http-sink.js';
import { fetchWith } from '../source/http-options.js';
import { Outbox } from '../sinks/outbox.js';
import { toPostableAlerts } from '../sinks/payloads/alertmanager.js';
import { FaroEventBuilder } from '../sinks/payloads/faro.js';
import { buildSlackPayload } from '../sinks/payloads/slack.js';
import { type AlertLink, buildWebhookPayload } from '../sinks/payloads/webhook.js';
import { alertLink } from '../ui/links.js';

export interface NotifierOptions {
  logger: Logger;
  onEvent?: (event: DeliveryEvent) => void;
  /** Overrides the configured outbox directory (replays use a fresh one). */
  outboxDir?: string;
  /** Wall clock, for notification age; defaults to Date.now. */
  now?: () => number;
  /**
   * Groups of an earlier notifier (saved in the state directory before a restart, or the running
   * notifier's at a reload), by target id (see `targetId`): targets whose route and sink are
   * unchanged take theirs back, pending changes included.
   */
  groups?: SavedGroups;
}

/** Notification groups by target id, as `Notifier.savedGroups` gives them. */
export type SavedGroups = Record<string, SavedGroup[]>;

/**
 * The identity of a route's sink across restarts and reloads: the sink's name and kind, the
 * route's place, and what decides which alerts it groups how (match, matchers, groupBy). Timing and
 * URLs are not part of it: a changed interval applies to the same groups.
 */
export function targetId(route: RouteConfig, routeIndex: number, sink: SinkConfig): string {
  const routing = JSON.stringify([sink.kind, route.match, route.matchers ?? [], sink.kind === 'alertmanager' ? ['...'] : route.groupBy]);
  return `${sink.name}/${routeIndex}/${createHash('sha256').update(routing).digest('hex').slice(0, 12)}`;
}

/**
 * The idempotency key of a notification: the alert's fingerprint + startsAt + status, and the
 * update's number for a refreshed firing alert (hashed for groups). An update has its own key (a
 * receiver must not drop it as a duplicate) but the same fingerprint and startsAt: the same incident.
 */
export function idempotencyKey(alerts: readonly AlertTransition[], groupKey: string, repeat: number): string {
  const items = alerts.map((t) => `${t.fingerprint}:${new Date(t.startsAtMs).toISOString()}:${t.status}${t.update !== undefined ? `:update-${t.update}` : ''}`).sort();
  const base = items.length === 1 ? items[0]! : `group-${createHash('sha256').update(`${groupKey}\n${items.join('\n')}`).digest('hex').slice(0, 32)}`;
  return repeat > 0 ? `${base}:repeat-${repeat}` : base;
}

function matches(match: Labels, labels: Labels): boolean {
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

interface RouteTarget {
  id: string;
  route: RouteConfig;
  routeIndex: number;
  sink: SinkConfig;
  groups: GroupRegistry;
}

export class Notifier {
  readonly outbox: Outbox;
  readonly deliverers = new Map<string, Deliverer>();
  private readonly targets: RouteTarget[] = [];
  private readonly faro = new Map<string, FaroEventBuilder>();
  private readonly slackTemplate: string;
  private readonly now: () => number;
  /** Outbox lines moved aside at start as invalid (for the quarantine metric). */
  readonly quarantinedLines: number;

  constructor(
    private readonly config: Pick<StormwatchConfig, 'sinks' | 'routes' | 'delivery' | 'alerting'> & Partial<Pick<StormwatchConfig, 'deploys' | 'signals'>>,
    private readonly options: NotifierOptions,
  ) {
    this.now = options.now ?? Date.now;
    const { outbox, problems, quarantineFile, movedAside } = Outbox.open(options.outboxDir ?? config.delivery.outboxDir);
    this.outbox = outbox;
    if (movedAside !== undefined) options.logger.log('error', 'the outbox was a directory: moved aside, and started with an empty outbox', { movedTo: movedAside });
    this.quarantinedLines = problems.length;
    // One line however many: a corrupted file must not flood the log.
    if (problems.length > 0) options.logger.log('warn', 'outbox lines quarantined', { file: quarantineFile, count: problems.length, lines: problems.slice(0, 10).map((p) => p.line), first: problems[0]!.message });
    this.slackTemplate = readFileSync(join(ALERTS_DIR, 'templates', 'slack.txt'), 'utf8');
    for (const sink of config.sinks) {
      const http = new HttpSink({
        name: sink.name,
        url: sink.url,
        timeoutMs: sink.timeoutMs,
        headers: sink.headers,
        publicUrl: sink.publicUrl === true,
        ...(sink.signingSecret !== undefined ? { signingSecret: sink.signingSecret } : {}),
        // A receiver's TLS and credentials (fetchWith); without them, the global fetch.
        ...(sink.http ? { fetch: fetchWith(sink.http) } : {}),
        ...(sink.setting !== undefined ? { setting: sink.setting } : {}),
      });
      this.deliverers.set(sink.name, new Deliverer(http, outbox, { concurrency: config.delivery.concurrency, maxAgeMs: config.delivery.maxAgeMs, backoff: config.delivery.backoff, now: this.now, onEvent: (e) => this.onEvent(e) }));
      if (sink.kind === 'faro') this.faro.set(sink.name, new FaroEventBuilder({ name: sink.app?.name ?? 'stormwatch', version: '0.1.0', ...(sink.app?.environment ? { environment: sink.app.environment } : {}) }));
    }
    for (const r of config.deploys?.rollback ?? []) {
      const name = `rollback:${r.service}`;
      const http = new HttpSink({ name, url: r.url, timeoutMs: r.timeoutMs, headers: r.headers, publicUrl: r.publicUrl === true });
      this.deliverers.set(name, new Deliverer(http, outbox, { concurrency: 1, maxAgeMs: config.delivery.maxAgeMs, backoff: config.delivery.backoff, now: this.now, onEvent: (e) => this.onEvent(e) }));
    }
    config.routes.forEach((route, routeIndex) => {
      for (const name of route.sinks) {
        const sink = config.sinks.find((s) => s.name === name)!;
        // Alertmanager groups by itself: it gets every alert at once, and firing ones again each resendInterval.
        const groups =
          sink.kind === 'alertmanager'
            ? new GroupRegistry(['...'], { groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: sink.resendIntervalMs ?? 60_000 })
            : new GroupRegistry(route.groupBy, { groupWaitMs: route.groupWaitMs, groupIntervalMs: route.groupIntervalMs, repeatIntervalMs: route.repeatIntervalMs });
        const id = targetId(route, routeIndex, sink);
        const saved = options.groups?.[id];
        if (saved) groups.restore(saved);
        this.targets.push({ id, route, routeIndex, sink, groups });
      }
    });
    // Entries for sinks the config no longer has: kept until maxAge (the sink may come back), then
    // given up, so they cannot pile up in the outbox forever.
    const orphans = this.outbox.all().filter((e) => !this.deliverers.has(e.sink));
    if (orphans.length > 0) {
      const expired = orphans.filter((e) => this.now() - e.createdAtMs >= config.delivery.maxAgeMs);
      for (const e of expired) this.outbox.done(e.id, 'gave_up', 'sink no longer configured');
      options.logger.log('warn', 'outbox: notifications for sinks no longer configured', { sinks: [...new Set(orphans.map((e) => e.sink))], kept: orphans.length - expired.length, givenUp: expired.length });
    }
    const recovered = this.outbox.size;
    if (recovered > 0) options.logger.log('info', 'outbox: sending notifications left from the last run', { pending: recovered });
    for (const d of this.deliverers.values()) d.kick();
  }

  /**
   * Feeds one tick: new transitions join their groups, and every group that is due (new, changed,
   * or due a repeat) is written to the outbox and handed to its deliverer. `dataTimeMs` drives group
   * timing, so replays behave as live runs do; `flush` sends every pending change at once.
   */
  handle(transitions: readonly AlertTransition[], dataTimeMs: number, flush = false): void {
    for (const t of transitions) {
      for (const target of this.targets) if (matches(target.route.match, t.labels) && matchesAll(target.route.matchers ?? [], t.labels)) target.groups.add(t, dataTimeMs);
    }
    const kicked = new Set<string>();
    for (const target of this.targets) {
      for (const { group, reason } of target.groups.due(dataTimeMs, flush)) {
        this.enqueue(target, group, reason, dataTimeMs);
        target.groups.markNotified(group, dataTimeMs, reason);
        kicked.add(target.sink.name);
      }
    }
    for (const name of kicked) this.deliverers.get(name)!.kick();
  }

  /**
   * Alerts firing when this notifier was made (a restart from saved state, a reload that rebuilt
   * delivery), after the saved groups were taken back. A target whose saved groups hold the alert
   * already knows where it stands (notified, or pending: a group waiting out its interval sends it
   * when due). Anywhere else (a target new since, no saved groups) it is learnt as already notified,
   * so nothing is sent again now, while Alertmanager keeps getting it every resendInterval and its
   * resolution reaches every receiver. Saved alerts that no longer fire resolve (see
   * GroupRegistry.settle); `firing` lists every alert firing now, `delivered` those not held back.
   * With `alertsLost` (no saved alert state to square them with) they are forgotten instead; returns
   * how many notified ones were.
   */
  adoptFiring(delivered: readonly AlertTransition[], dataTimeMs: number, firing: readonly { fingerprint: string; startsAtMs: number }[] = delivered, alertsLost = false): number {
    const firingNow = new Map(firing.map((a) => [a.fingerprint, a.startsAtMs]));
    let forgotten = 0;
    for (const target of this.targets) forgotten += target.groups.settle(firingNow, dataTimeMs, alertsLost);
    for (const target of this.targets) {
      const unknown = delivered.filter((t) => matches(target.route.match, t.labels) && matchesAll(target.route.matchers ?? [], t.labels) && target.groups.find(t)?.startsAtMs !== t.startsAtMs);
      if (unknown.length > 0) target.groups.adopt(unknown, dataTimeMs);
    }
    return forgotten;
  }

  /**
   * Every target's groups, for the state directory (targets without groups left out, and
   * Alertmanager's: it groups by itself and gets every change at once, so nothing of theirs is
   * ever pending, and their re-sends would rewrite the file every resendInterval).
   */
  savedGroups(): SavedGroups {
    const out: SavedGroups = {};
    for (const target of this.targets) if (target.sink.kind !== 'alertmanager' && target.groups.groups.size > 0) out[target.id] = target.groups.save();
    return out;
  }

  /** Changes to the saved groups so far: a save is due when this moved. */
  get groupsRevision(): number {
    let sum = 0;
    for (const target of this.targets) if (target.sink.kind !== 'alertmanager') sum += target.groups.revision;
    return sum;
  }

  /**
   * Asks the service's rollback hook to roll a failed deploy back: once (the key is the deploy's
   * id), durably. Returns false when the service has no hook.
   */
  requestRollback(record: DeployRecord): boolean {
    const hook = this.config.deploys?.rollback.find((r) => r.service === record.service);
    if (!hook) return false;
    const json = (v: string) => JSON.stringify(v).slice(1, -1);
    const body = renderTemplate(hook.body, {
      service: json(record.service),
      version: json(record.version),
      environment: json(record.environment),
      deployId: json(record.id),
      reason: json(record.reasons.join('; ')),
      verdictURL: json(`${this.config.alerting.externalURL}/api/v1/deploys/${encodeURIComponent(record.id)}`),
    });
    const name = `rollback:${record.service}`;
    this.outbox.add({ sink: name, key: `rollback:${record.id}`, orderKey: name, body, headers: {}, createdAtMs: this.now() });
    this.deliverers.get(name)!.kick();
    return true;
  }

  /** Waits until every deliverer is idle, at most `timeoutMs`; returns how many notifications are left. */
  async drain(timeoutMs: number): Promise<number> {
    const left = await Promise.all([...this.deliverers.values()].map((d) => d.drain(timeoutMs)));
    return left.reduce((a, b) => a + b, 0);
  }

  /** Stops delivering; what is pending stays in the outbox for the next start. */
  close(): void {
    for (const d of this.deliverers.values()) d.stop();
    this.outbox.close();
  }

  pendingBySink(): Map<string, number> {
    return new Map([...this.deliverers].map(([name, d]) => [name, d.pending]));
  }

  private enqueue(target: RouteTarget, group: NotificationGroup, reason: NotifyReason, dataTimeMs: number): void {
    const alerts = [...group.alerts.values()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
    const key = idempotencyKey(alerts, group.key, reason === 'repeat' ? group.repeats + 1 : 0);
    const { receiver, externalURL } = this.config.alerting;
    // generatorURL opens the alert's series page in the UI at the moment it started.
    const link: AlertLink = (t) => alertLink(t, externalURL, this.config.signals ?? []);
    let body: string;
    switch (target.sink.kind) {
      case 'webhook':
        body = JSON.stringify({ ...buildWebhookPayload(alerts, target.route.receiver ?? receiver, externalURL, link, { labels: group.labels, routeKey: target.route.key ?? '{}' }), idempotencyKey: key });
        break;
      case 'alertmanager':
        body = JSON.stringify(toPostableAlerts(alerts, dataTimeMs, target.sink.resendIntervalMs ?? 60_000, externalURL, link));
        break;
      case 'slack':
        body = JSON.stringify(buildSlackPayload(alerts, this.slackTemplate, externalURL, link));
        break;
      case 'faro':
        body = this.faro.get(target.sink.name)!.build(alerts, key);
        break;
    }
    const entry = this.outbox.add({ sink: target.sink.name, key, orderKey: `${target.routeIndex}:${group.key}`, body, headers: {}, createdAtMs: this.now() });
    // Alertmanager keeps each alert's state (a group here is one alert): its newest post replaces
    // the posts still waiting, which would only be replayed, stale, in order once it answers.
    if (target.sink.kind === 'alertmanager') this.outbox.supersede(entry);
  }

  private onEvent(event: DeliveryEvent): void {
    this.options.onEvent?.(event);
    const { logger } = this.options;
    if (event.kind === 'attempt' && event.outcome !== 'ok') logger.log('warn', 'notification attempt failed; will retry if it can', { sink: event.sink, outcome: event.outcome, detail: event.detail });
    if (event.kind === 'gave_up') logger.log('error', 'notification given up', { sink: event.sink, reason: event.reason, detail: event.detail, key: event.entry.key });
  }
}
