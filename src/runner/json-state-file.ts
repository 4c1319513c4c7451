// A small JSON file of the state directory (muting.json, notifications.json): read against its
// schema, written atomically. A file that cannot be read is moved aside (`.bad`) with the reason,
// never a reason not to start.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { z } from 'zod';

/**
 * The file's contents as `schema` reads them; `{}` when there is no file; `problem` (the file moved
 * to `.bad`, the first schema issue with its path) when it cannot be read.
 */
export function readJsonStateFile<T>(file: string, schema: z.ZodType<T>): { value?: T; problem?: string } {
  if (!existsSync(file)) return {};
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid');
    }
    return { value: parsed.data };
  } catch (error) {
    renameSync(file, `${file}.bad`);
    return { problem: `${file} moved to ${file}.bad: ${(error as Error).message}` };
  }
}

/** Writes `text` to `file` atomically (a temp file renamed over the old one). */
export function writeJsonStateFile(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}
