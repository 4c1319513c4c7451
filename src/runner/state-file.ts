// Saves and loads the pipeline's state (baselines, firing alerts) atomically, so a restart
// mid-incident neither forgets the pre-incident baselines nor loses an alert's resolution.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PipelineSnapshot } from '../pipeline.js';

export function saveState(file: string, snapshot: PipelineSnapshot): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(snapshot));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** The saved state, or why there is none usable. */
export function loadState(file: string): { snapshot?: PipelineSnapshot; problem?: string } {
  if (!existsSync(file)) return {};
  try {
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as PipelineSnapshot;
    if (snapshot?.version !== 1) return { problem: `${file}: unknown state version; starting fresh` };
    return { snapshot };
  } catch (error) {
    return { problem: `${file}: unreadable state (${(error as Error).message}); starting fresh` };
  }
}
