// The notifier's groups, kept in the state directory (notifications.json) so a restart takes up
// where the last run left off: what each group last notified and the changes still waiting out
// their group wait or interval. Without it a restart (or a reload that rebuilt delivery) took every
// firing alert as delivered: an alert that joined a group mid-interval was never sent, and a
// resolution waiting out its interval never reached receivers that had seen the alert fire.
// Written atomically after a batch of transitions that changed a group (runner/live.ts: no sooner
// after the last write than ten times as long as it took; a few alerts make a few KB).

import { join } from 'node:path';
import { z } from 'zod';
import { readJsonStateFile, writeJsonStateFile } from './json-state-file.js';
import type { SavedGroups } from './notify.js';

export const NOTIFICATION_FILE_NAME = 'notifications.json';

const labels = z.record(z.string(), z.string());
const transition = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels,
  fingerprint: z.string().min(1),
  startsAtMs: z.number(),
  endsAtMs: z.number().optional(),
  evaluatedAtMs: z.number(),
  update: z.number().int().positive().optional(),
});
const group = z.strictObject({
  key: z.string(),
  labels,
  alerts: z.array(transition),
  createdAtMs: z.number(),
  lastNotifiedAtMs: z.number().nullable(),
  lastNotified: z.string(),
  repeats: z.number().int().nonnegative(),
});
const fileSchema = z.strictObject({ version: z.literal(1), targets: z.record(z.string(), z.array(group)) });

export function notificationFileIn(stateDir: string): string {
  return join(stateDir, NOTIFICATION_FILE_NAME);
}

/**
 * The groups as last written; `groups` undefined when no file exists (a state from before
 * notifications.json: every firing alert is taken as notified, as before). A file that cannot be
 * read is moved aside (`.bad`) and reported as `problem`; no group is restored then.
 */
export function readNotificationGroups(file: string): { groups?: SavedGroups; problem?: string } {
  const { value, problem } = readJsonStateFile(file, fileSchema);
  if (problem !== undefined) return { problem };
  return value ? { groups: value.targets } : {};
}

/** The file's text for `groups` (compared with the last written to skip a write that changes nothing). */
export function notificationGroupsText(groups: SavedGroups): string {
  return `${JSON.stringify({ version: 1, targets: groups })}\n`;
}

/** Writes the groups' text, atomically. */
export function writeNotificationGroups(file: string, text: string): void {
  writeJsonStateFile(file, text);
}
