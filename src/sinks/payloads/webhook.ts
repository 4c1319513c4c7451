// Builds the Alertmanager webhook body (version "4"), so any receiver that takes Alertmanager's
// webhooks takes stormwatch's. Pure.

import type { AlertTransition, Labels } from '../../core/types.js';
import { alertmanagerGroupKey } from '../../decisions/route-key.js';
import { alertLink } from '../../ui/links.js';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** Alertmanager writes Go's zero time for "no end yet". */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
/** Labels a notification group is keyed by: one group per alert kind and signal. */
export const GROUP_BY = ['alertname', 'signal'] as const;

/** Where an alert's generatorURL points; the default is the UI's page of its (unsplit) signal. */
export type AlertLink = (t: AlertTransition) => string;

export function toWebhookAlert(t: AlertTransition, externalURL: string, link: AlertLink = defaultLink(externalURL)): WebhookAlert {
  return {
    status: t.status,
    labels: t.labels,
    // An update of a firing alert says it is one, and which (Slack's text says so; a webhook
    // receiver had only the idempotency key's ":update-N" to tell it from the page).
    annotations: t.update === undefined ? t.annotations : { ...t.annotations, update: String(t.update) },
    startsAt: new Date(t.startsAtMs).toISOString(),
    endsAt: t.endsAtMs === undefined ? ZERO_TIME : new Date(t.endsAtMs).toISOString(),
    generatorURL: link(t),
    fingerprint: t.fingerprint,
  };
}

/**
 * `group`: the notification group this payload is for (its labels from the route's groupBy) and the
 * route's Alertmanager key, so groupLabels and groupKey are what Alertmanager would send. Without
 * it: grouped by alertname and signal under the root route.
 */
export function buildWebhookPayload(transitions: readonly AlertTransition[], receiver: string, externalURL: string, link: AlertLink = defaultLink(externalURL), group?: { labels: Labels; routeKey: string }): WebhookPayload {
  if (transitions.length === 0) throw new RangeError('a notification needs at least one alert');
  const alerts = transitions.map((t) => toWebhookAlert(t, externalURL, link));
  const commonLabels = intersect(alerts.map((a) => a.labels));
  let groupLabels: Labels = {};
  if (group) groupLabels = group.labels;
  else for (const name of GROUP_BY) if (commonLabels[name] !== undefined) groupLabels[name] = commonLabels[name];
  return {
    version: '4',
    groupKey: alertmanagerGroupKey(group?.routeKey ?? '{}', groupLabels),
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver,
    groupLabels,
    commonLabels,
    commonAnnotations: intersect(alerts.map((a) => a.annotations)),
    externalURL,
    alerts,
  };
}

function intersect(sets: readonly Labels[]): Labels {
  const [first, ...rest] = sets;
  const out: Labels = {};
  for (const [k, v] of Object.entries(first ?? {})) if (rest.every((s) => s[k] === v)) out[k] = v;
  return out;
}

/** Links to the series page of the alert's signal at startsAt (split signals need the config: see alertLink). */
export function defaultLink(externalURL: string): AlertLink {
  return (t) => alertLink(t, externalURL, []);
}
