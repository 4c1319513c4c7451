// The body of POST /api/v2/alerts (Alertmanager's postable alerts). Firing alerts carry an endsAt
// a few resend intervals ahead, as Prometheus does, so Alertmanager resolves them by itself if
// stormwatch goes away; resolved alerts carry the time they resolved. Pure.

import type { AlertTransition } from '../../core/types.js';
import { type AlertLink, defaultLink } from './webhook.js';

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** How many resend intervals a firing alert stays valid without being re-sent (Prometheus uses 4). */
export const VALIDITY_RESENDS = 4;

export function toPostableAlerts(transitions: readonly AlertTransition[], nowMs: number, resendIntervalMs: number, externalURL: string, link: AlertLink = defaultLink(externalURL)): PostableAlert[] {
  return transitions.map((t) => ({
    labels: t.labels,
    annotations: t.annotations,
    startsAt: new Date(t.startsAtMs).toISOString(),
    endsAt: new Date(t.status === 'resolved' ? (t.endsAtMs ?? nowMs) : nowMs + VALIDITY_RESENDS * resendIntervalMs).toISOString(),
    generatorURL: link(t),
  }));
}
