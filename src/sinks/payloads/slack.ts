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
      alertname: escapeSlack(t.labels.alertname ?? ''),
      signal: escapeSlack(subjectOf(t.labels)),
      severity: escapeSlack(t.labels.severity ?? ''),
      summary: escapeSlack(summaryOf(t)),
      description: escapeSlack(t.annotations.description ?? ''),
      startsAt: new Date(t.startsAtMs).toISOString(),
      endedAt: t.endsAtMs === undefined ? '' : `, resolved ${new Date(t.endsAtMs).toISOString()}`,
      update: updateLine(t),
      generatorURL: link(t),
    }).trim(),
  );
  return { text: blocks.join('\n\n') };
}

/**
 * The summary line: for a resolved alert, why it resolved before what it was ("Healthy again:
 * requests 61.2/s, 1.02x what is expected. It was: downloads: requests at 1.6x..."), where its
 * firing summary alone read as the incident still going on.
 */
function summaryOf(t: AlertTransition): string {
  const summary = t.annotations.summary ?? '';
  const why = t.status === 'resolved' ? t.annotations.resolved_because : undefined;
  if (!why) return summary;
  const said = `${why[0]!.toUpperCase()}${why.slice(1)}.`;
  return summary ? `${said} It was: ${summary}` : said;
}

/**
 * Text as Slack's mrkdwn reads it: &, < and > are its control characters (a label value
 * `a<b>` or a description's `<` would open a link or a mention); escaped as Slack asks.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * What an alert is about, for `on ...`: its signal, or for a deploy's alert the service and version,
 * for a smoke probe's the probe (they have no signal label: their lines read "on ``").
 */
function subjectOf(labels: Readonly<Record<string, string>>): string {
  if (labels.signal) return labels.signal;
  if (labels.probe) return `probe ${labels.probe}`;
  if (labels.service) return labels.version ? `${labels.service} ${labels.version}` : labels.service;
  return labels.alertname ?? '';
}

/**
 * What marks an update apart from the page it corrects (a chat shows both alike otherwise): its
 * number and the reading now, "; update 2, now: cargo, 3.01 (2.75-3.30) attempts per request". '' for a page or a resolve.
 */
function updateLine(t: AlertTransition): string {
  if (t.update === undefined || t.status !== 'firing') return '';
  const a = t.annotations;
  const client = a.client_model ?? 'no client named';
  const fixed = (v: string) => Number(v).toFixed(2);
  const range = a.attempts_per_request_low !== undefined && a.attempts_per_request_high !== undefined ? ` (${fixed(a.attempts_per_request_low)}-${fixed(a.attempts_per_request_high)})` : '';
  const attempts = a.attempts_per_request !== undefined ? `, ${fixed(a.attempts_per_request)}${range} attempts per request` : '';
  return `; update ${t.update}, now: ${client}${attempts}`;
}
