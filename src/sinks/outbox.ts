// A durable outbox: every decided notification is appended (and fsynced) before it is sent, and
// marked done after delivery or give-up. On start the log is read back, each line checked against
// its schema, what is still pending is sent, and the log is compacted; while running it is compacted
// again whenever finished lines dominate it, so it stays proportional to what is pending. A line that
// is not a valid entry (torn by a crash, edited, from another program) is moved aside to
// outbox.quarantine.jsonl, never silently dropped and never a crash.

import { StartupError } from '../core/errors.js';
import { appendFileSync, closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { makeDirs } from '../core/make-dirs.js';

export interface OutboxEntry {
  /** Unique and increasing: the order notifications were decided in. */
  id: string;
  sink: string;
  /** Idempotency key: the same notification sent twice carries the same key. */
  key: string;
  /** Entries with the same order key are delivered one after another, in order. */
  orderKey: string;
  body: string;
  /** Extra request headers chosen when the notification was decided (not secrets: those are added at send time). */
  headers: Record<string, string>;
  createdAtMs: number;
}

/** superseded: a newer notification of the same state-based receiver's alert replaced it (Outbox.supersede). */
export type OutboxOutcome = 'delivered' | 'gave_up' | 'superseded';

type LogLine = ({ op: 'add' } & OutboxEntry) | { op: 'done'; id: string; outcome: OutboxOutcome; reason?: string };

const ID = z.string().regex(/^\d{15}-\d{9}$/, { message: 'expected an id like 001689855450000-000000001' });
/** The schema of a log line: anything else is quarantined. */
const logLine = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add'), id: ID, sink: z.string().min(1), key: z.string().min(1), orderKey: z.string(), body: z.string(), headers: z.record(z.string(), z.string()), createdAtMs: z.number().finite() }),
  z.object({ op: z.literal('done'), id: ID, outcome: z.enum(['delivered', 'gave_up', 'superseded']), reason: z.string().optional() }),
]);

export interface OutboxProblem {
  line: number;
  message: string;
}

export interface OutboxOpenResult {
  outbox: Outbox;
  /** Lines that were not valid entries, with their line numbers: moved to `quarantineFile`. */
  problems: OutboxProblem[];
  quarantineFile: string;
  /** Where a directory found in the outbox's place was moved. */
  movedAside?: string;
}

/** The running log is compacted once it holds this many lines and at least twice the pending entries. */
const COMPACT_MIN_LINES = 1000;
/** The quarantine file stops growing here (it only grows when something corrupts the outbox). */
const QUARANTINE_MAX_BYTES = 16 * 1024 * 1024;

export class Outbox {
  private fd: number;
  private readonly pending = new Map<string, OutboxEntry>();
  private sequence = 0;
  /** Lines in the file now (compaction leaves one per pending entry). */
  private lines: number;
  /** The last append failed (a full disk, a read-only mount): readiness reports it. */
  private writeError: string | undefined;

  private constructor(
    private readonly file: string,
    entries: OutboxEntry[],
    private readonly fsync: boolean,
  ) {
    for (const e of entries) this.pending.set(e.id, e);
    this.lines = entries.length;
    this.fd = openSync(file, 'a');
  }

  /** Opens (creating if needed) the outbox in `dir`, recovering pending entries and compacting the log. */
  static open(dir: string, options: { fsync?: boolean } = {}): OutboxOpenResult {
    makeDirs(dir);
    const file = join(dir, 'outbox.jsonl');
    const quarantineFile = join(dir, 'outbox.quarantine.jsonl');
    const problems: OutboxProblem[] = [];
    const quarantined: string[] = [];
    const pending = new Map<string, OutboxEntry>();
    let movedAside: string | undefined;
    // A directory in its place holds no notification: moved aside, and the start goes on (refused,
    // a supervisor restarted it in a loop).
    if (existsSync(file) && statSync(file).isDirectory()) {
      movedAside = `${file}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(file, movedAside);
    }
    if (existsSync(file)) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        // Unreadable (its permissions): what it holds may be delivered once fixed, and a start that
        // cannot read it says which file, not a bare error code.
        throw new StartupError(`cannot read the outbox ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; move it aside (undelivered notifications in it are lost) or fix its permissions`);
      }
      const lines = text.split('\n');
      lines.forEach((text, i) => {
        if (text.trim() === '') return;
        const line = parseLine(text);
        if (typeof line === 'string') {
          problems.push({ line: i + 1, message: line });
          quarantined.push(text);
          return;
        }
        if (line.op === 'add') {
          const { op: _op, ...entry } = line;
          pending.set(entry.id, entry);
        } else pending.delete(line.id);
      });
    }
    if (quarantined.length > 0) quarantine(quarantineFile, quarantined);
    const entries = [...pending.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    compact(file, entries);
    const outbox = new Outbox(file, entries, options.fsync ?? true);
    const last = entries.at(-1);
    if (last) outbox.sequence = Number(last.id.split('-')[1] ?? 0);
    return { outbox, problems, quarantineFile, ...(movedAside !== undefined ? { movedAside } : {}) };
  }

  /** Appends a new notification durably; returns it with its id. */
  add(entry: Omit<OutboxEntry, 'id'>): OutboxEntry {
    const id = `${String(Math.max(0, Math.floor(entry.createdAtMs))).padStart(15, '0')}-${String(++this.sequence).padStart(9, '0')}`;
    const full: OutboxEntry = { id, ...entry };
    try {
      this.append({ op: 'add', ...full });
    } catch (error) {
      // Named: a full disk said only ENOSPC, not where, nor which notification waits for room.
      const code = (error as NodeJS.ErrnoException).code;
      throw Object.assign(new Error(`could not queue the notification to ${entry.sink} (${entry.key}) in the outbox ${this.file}: ${(error as Error).message}; it is queued again at the next tick`), code === undefined ? {} : { code });
    }
    this.pending.set(id, full);
    return full;
  }

  /**
   * Marks a notification delivered or given up: it will not be sent again by this process. When the
   * line cannot be written (a full disk), the entry is still done here; on disk it stays pending,
   * so a restart sends it again under its idempotency key (a receiver drops the duplicate), and
   * readiness reports the failed write. Never throws: a delivery made is not a crash.
   */
  done(id: string, outcome: OutboxOutcome, reason?: string): void {
    if (!this.pending.has(id)) return;
    try {
      this.append({ op: 'done', id, outcome, ...(reason ? { reason } : {}) });
    } catch {
      this.pending.delete(id);
      return;
    }
    this.pending.delete(id);
    if (this.lines >= COMPACT_MIN_LINES && this.lines >= 2 * this.pending.size) this.compactNow();
  }

  /** Pending entries of one sink, oldest first. */
  /**
   * Marks done, as superseded by `newer`, every other pending entry of `newer`'s sink and order key:
   * for a receiver that keeps state (Alertmanager), the newest post of an alert says all the older
   * ones would; while it is unreachable, each resend interval's post no longer queues behind the
   * others (about 1,440 stale posts an alert over a day's maxAge). Returns how many. An entry in
   * flight goes on; it is not sent again.
   */
  supersede(newer: OutboxEntry): number {
    let count = 0;
    for (const e of [...this.pending.values()]) {
      if (e.id === newer.id || e.sink !== newer.sink || e.orderKey !== newer.orderKey) continue;
      this.done(e.id, 'superseded', `superseded by ${newer.id}`);
      count++;
    }
    return count;
  }

  pendingFor(sink: string): OutboxEntry[] {
    return [...this.pending.values()].filter((e) => e.sink === sink);
  }

  /** Every pending entry, oldest first. */
  all(): OutboxEntry[] {
    return [...this.pending.values()];
  }

  get size(): number {
    return this.pending.size;
  }

  /** Lines in the log file now (for tests and telemetry). */
  get fileLines(): number {
    return this.lines;
  }

  /** Why the last write failed, or undefined when writes succeed. */
  get lastWriteError(): string | undefined {
    return this.writeError;
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(line: LogLine): void {
    const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
    const before = fstatSync(this.fd).size;
    try {
      // writeSync may write part of a buffer (a disk filling up): the rest is written, or it throws.
      for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at);
      if (this.fsync) fsyncSync(this.fd);
      this.writeError = undefined;
    } catch (error) {
      this.writeError = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      // No torn line left behind to be read back (it was kept, and its alert sent as if queued).
      try {
        ftruncateSync(this.fd, before);
      } catch {
        // The next open's recovery quarantines what is left.
      }
      throw error;
    }
    this.lines++;
  }

  /** Rewrites the log with only what is pending, while running: bounded by what is pending, not by history. */
  private compactNow(): void {
    closeSync(this.fd);
    try {
      compact(this.file, [...this.pending.values()]);
      this.lines = this.pending.size;
    } finally {
      this.fd = openSync(this.file, 'a');
    }
  }
}

/** One log line, or why it is not a valid one. */
function parseLine(text: string): LogLine | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `unreadable outbox line quarantined (${text.length} bytes; a write torn by a crash?)`;
  }
  const parsed = logLine.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return `invalid outbox line quarantined (${issue.path.join('.') || 'line'}: ${issue.message})`;
  }
  return parsed.data as LogLine;
}

/** Moves bad lines aside, so nothing is lost and an operator can look at them. */
function quarantine(file: string, lines: string[]): void {
  const size = existsSync(file) ? statSync(file).size : 0;
  if (size > QUARANTINE_MAX_BYTES) return;
  appendFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

/** Rewrites the log with only the pending entries: write a temp file, fsync, rename over. */
function compact(file: string, entries: OutboxEntry[]): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    // Every byte or a throw (a short write on a full disk), before the rename replaces the log.
    const bytes = Buffer.from(entries.map((e) => `${JSON.stringify({ op: 'add', ...e })}\n`).join(''));
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  // The rename itself is durable only once the directory is synced.
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
