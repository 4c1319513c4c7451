// What the mute stage (decisions/mute-stage.ts) must carry across a restart, kept in the state
// directory (muting.json): the firing alerts whose notifications are held back by a silence, a
// window, an inhibition or a recurrence, and when each surge alert fired (recurring-surges.ts).
// Without the held alerts a restart took every firing alert not muted at that moment as delivered:
// one whose silence ended while stormwatch was down was never sent at all, and one still muted had
// its resolution sent to receivers that never saw it fire. Written atomically whenever either
// changes (rarely: when an alert is muted, released, resolves while held, or a surge starts).

import { join } from 'node:path';
import { z } from 'zod';
import type { FiringAlert } from '../decisions/alert-decider.js';
import { readJsonStateFile, writeJsonStateFile } from './json-state-file.js';

export const MUTING_FILE_NAME = 'muting.json';

const labels = z.record(z.string(), z.string());
const heldAlert = z.strictObject({ labels, annotations: labels, fingerprint: z.string().min(1), startsAtMs: z.number() });
const fileSchema = z.strictObject({ version: z.literal(1), held: z.array(heldAlert), surgeOnsets: z.record(z.string(), z.array(z.number())) });

export interface MutingState {
  held: FiringAlert[];
  surgeOnsets: Record<string, number[]>;
}

export function mutingFileIn(stateDir: string): string {
  return join(stateDir, MUTING_FILE_NAME);
}

/**
 * The muting state as last written; `state` undefined when no file exists (a state from before
 * muting.json). A file that cannot be read is moved aside (`.bad`) and reported as `problem`;
 * nothing is held then.
 */
export function readMuting(file: string): { state?: MutingState; problem?: string } {
  const { value, problem } = readJsonStateFile(file, fileSchema);
  if (problem !== undefined) return { state: { held: [], surgeOnsets: {} }, problem };
  return value ? { state: { held: value.held, surgeOnsets: value.surgeOnsets } } : {};
}

/** The file's text for `state` (compared with the last written to skip a write that changes nothing). */
export function mutingText(state: MutingState): string {
  return `${JSON.stringify({ version: 1, held: state.held, surgeOnsets: state.surgeOnsets })}\n`;
}

/** Writes a muting state's text, atomically. */
export function writeMuting(file: string, text: string): void {
  writeJsonStateFile(file, text);
}
