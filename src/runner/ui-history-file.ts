// The UI's history in the state directory (ui-history.bin; format in ui/history-codec.ts): written
// every UI_HISTORY_SAVE_INTERVAL_MS after a tick and at shutdown, read back at a start. Charts are
// what is lost at a crash, at most that interval of them, never a reason not to start: a file that
// cannot be read is moved aside (`.bad`) and named in one log line.

import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryStore } from '../ui/history-store.js';
import { type RestoredHistory, encodeHistory, restoreHistory } from '../ui/history-codec.js';

export const UI_HISTORY_FILE_NAME = 'ui-history.bin';
/** How often a running loop writes the UI's history (and at shutdown). */
export const UI_HISTORY_SAVE_INTERVAL_MS = 10 * 60_000;

export function uiHistoryFileIn(stateDir: string): string {
  return join(stateDir, UI_HISTORY_FILE_NAME);
}

/** Writes `store`'s history to `file` atomically (a temp file renamed over the old one); returns its bytes. */
export function writeUiHistory(file: string, store: HistoryStore, savedAtMs: number): number {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  let bytes: number;
  try {
    bytes = encodeHistory(store, savedAtMs, (b) => {
      for (let at = 0; at < b.length; ) at += writeSync(fd, b, at, b.length - at);
    });
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return bytes;
}

/**
 * Reads `file` into an empty `store` (see restoreHistory for what is kept): undefined when there
 * is no file; `problem` when it could not be read, the file then moved to `.bad`.
 */
export function readUiHistory(file: string, store: HistoryStore, sinceMs: number, keep: (seriesId: string) => boolean): { restored?: RestoredHistory; problem?: string } {
  if (!existsSync(file)) return {};
  try {
    return { restored: restoreHistory(store, readFileSync(file), sinceMs, keep) };
  } catch (error) {
    try {
      renameSync(file, `${file}.bad`);
    } catch {
      // Not even movable: the next save writes over it.
    }
    return { problem: `${file} moved to ${file}.bad: ${(error as Error).message}` };
  }
}
