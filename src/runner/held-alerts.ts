// Which firing alerts have their notifications held back by a silence, a maintenance window or an
// inhibition (decisions/mute-stage.ts), kept in the state directory (held.json) so that a restart
// keeps holding them. Without it a restart took every firing alert not muted at that moment as
// delivered: one whose silence ended while stormwatch was down was never sent at all, and one still
// muted had its resolution sent to receivers that never saw it fire. Written atomically whenever the
// set changes (rarely: when an alert is muted, released or resolves while held).

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { FiringAlert } from '../decisions/alert-decider.js';

export const HELD_FILE_NAME = 'held.json';

const labels = z.record(z.string(), z.string());
const heldAlert = z.strictObject({ labels, annotations: labels, fingerprint: z.string().min(1), startsAtMs: z.number() });
const fileSchema = z.strictObject({ version: z.literal(1), held: z.array(heldAlert) });

export function heldFileIn(stateDir: string): string {
  return join(stateDir, HELD_FILE_NAME);
}

/**
 * The held alerts as last written; `undefined` when no file exists (a state from before
 * held.json). A file that cannot be read is moved aside (`.bad`) and reported as `problem`; nothing
 * is held then.
 */
export function readHeld(file: string): { alerts?: FiringAlert[]; problem?: string } {
  if (!existsSync(file)) return {};
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
    return { alerts: parsed.data.held };
  } catch (error) {
    renameSync(file, `${file}.bad`);
    return { alerts: [], problem: `${file} moved to ${file}.bad: ${(error as Error).message}` };
  }
}

/** Writes the alerts held now, atomically (a temp file renamed over the old one). */
export function writeHeld(file: string, held: readonly FiringAlert[]): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ version: 1, held })}\n`);
  renameSync(`${file}.tmp`, file);
}
