// Silences kept in the state directory (silences.json), so they outlive a restart. Every change is
// written at once, atomically (a temp file renamed over the old one). Expired silences stay listed
// for SILENCE_RETENTION_MS, as Alertmanager keeps them (its default data retention, 120h).

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { type Silence, type SilenceRequest, expireSilence, retainSilences, silenceProblems } from '../decisions/silences.js';

export const SILENCE_RETENTION_MS = 120 * 3_600_000;

/** A silence request that cannot be accepted: every problem, `path: problem`. */
export class SilenceRequestError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'SilenceRequestError';
  }
}

/** A silence id reused for another silence. */
export class SilenceConflictError extends Error {
  override name = 'SilenceConflictError';
}

const silenceSchema = z.strictObject({
  id: z.string().min(1),
  matchers: z.array(z.string()),
  startsAtMs: z.number(),
  endsAtMs: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  updatedAtMs: z.number(),
});
const fileSchema = z.strictObject({ version: z.literal(1), silences: z.array(silenceSchema) });

export class SilenceStore {
  private silences: Silence[];

  private constructor(
    private readonly file: string,
    silences: Silence[],
  ) {
    this.silences = silences;
  }

  /**
   * Opens the store; a file that cannot be read as silences is moved aside (`.bad`) and the store
   * starts empty, reported as `problem` so the caller logs it once.
   */
  static open(file: string, nowMs: number): { store: SilenceStore; problem?: string } {
    if (!existsSync(file)) return { store: new SilenceStore(file, []) };
    try {
      const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
      return { store: new SilenceStore(file, retainSilences(parsed.data.silences, nowMs, SILENCE_RETENTION_MS)) };
    } catch (error) {
      renameSync(file, `${file}.bad`);
      return { store: new SilenceStore(file, []), problem: `${file} moved to ${file}.bad: ${(error as Error).message}` };
    }
  }

  /** Every silence kept, newest first. */
  list(): Silence[] {
    return [...this.silences].sort((a, b) => b.updatedAtMs - a.updatedAtMs);
  }

  /**
   * Adds a silence; throws SilenceRequestError listing every problem when the request is invalid.
   * A client-chosen `id` makes it idempotent (the CLI silences every HA replica with one id): the
   * same silence again is answered with the one kept (`created: false`), a different one under a
   * known id is a conflict.
   */
  add(req: SilenceRequest, nowMs: number, id?: string): { silence: Silence; created: boolean } {
    const known = id === undefined ? undefined : this.silences.find((s) => s.id === id);
    if (known) {
      const same = known.matchers.join('\n') === req.matchers.join('\n') && known.endsAtMs === req.endsAtMs && known.createdBy === req.createdBy && known.comment === req.comment;
      if (!same) throw new SilenceConflictError(`silence ${id} exists with other matchers, end, author or comment`);
      return { silence: known, created: false };
    }
    const problems = silenceProblems(req, nowMs);
    if (problems.length > 0) throw new SilenceRequestError(problems);
    const silence: Silence = { id: id ?? randomUUID(), ...req, updatedAtMs: nowMs };
    this.silences = [...retainSilences(this.silences, nowMs, SILENCE_RETENTION_MS), silence];
    this.save();
    return { silence, created: true };
  }

  /** Expires a silence now; undefined when there is no such silence. */
  expire(id: string, nowMs: number): Silence | undefined {
    const at = this.silences.findIndex((s) => s.id === id);
    if (at < 0) return undefined;
    const expired = expireSilence(this.silences[at]!, nowMs);
    this.silences = this.silences.map((s, i) => (i === at ? expired : s));
    this.save();
    return expired;
  }

  private save(): void {
    writeFileSync(`${this.file}.tmp`, `${JSON.stringify({ version: 1, silences: this.silences })}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }
}
