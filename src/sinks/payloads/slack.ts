// A Slack-compatible incoming-webhook body: readable text saying what, how bad, why stormwatch
// thinks so and since when, rendered from alerts/templates/slack.txt. Pure.

import type { AlertTransition } from '../../core/types.js';
import { renderTemplate } from '../../decisions/template.js';
import { type AlertLink, defaultLink } from './webhook.js';

const ICONS: Record<string, string> = { critical: ':rotating_light:', warning: ':warning:', info: ':information_source:' };

export function buildSlackPayload(transitions: readonly AlertTransition[], template: string, externalURL: string, link: AlertLink = defaultLink(externalURL)): { text: string } {
  const blocks = transitions.map((t) =>
    renderTemplate(template, {
      icon: t.status === 'resolved' ? ':white_check_mark:' : (ICONS[t.labels.severity ?? ''] ?? ':bell:'),
      status: t.status.toUpperCase(),
      alertname: t.labels.alertname ?? '',
      signal: t.labels.signal ?? '',
      severity: t.labels.severity ?? '',
      summary: t.annotations.summary ?? '',
      description: t.annotations.description ?? '',
      startsAt: new Date(t.startsAtMs).toISOString(),
      endedAt: t.endsAtMs === undefined ? '' : `, resolved ${new Date(t.endsAtMs).toISOString()}`,
      generatorURL: link(t),
    }).trim(),
  );
  return { text: blocks.join('\n\n') };
}
