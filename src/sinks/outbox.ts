// A durable outbox: every decided notification is appended (and fsynced) before it is sent, and
// marked done after delivery or give-up. On start the log is read back, what is still pending is
// sent, and the log is compacted. A torn last line (a crash mid-write) is reported and skipped.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

export type OutboxOutcome = 'delivered' | 'gave_up';

type LogLine = ({ op: 'add' } & OutboxEntry) | { op: 'done'; id: string; outcome: OutboxOutcome; reason?: string };

export interface OutboxOpenResult {
  outbox: Outbox;
  /** Lines that could not be read (a torn write at a crash), with their line numbers. */
  problems: { line: number; message: string }[];
}

export class Outbox {
  private fd: number;
  private readonly pending = new Map<string, OutboxEntry>();
  private sequence = 0;

  private constructor(
    file: string,
    entries: OutboxEntry[],
    private readonly fsync: boolean,
  ) {
    for (const e of entries) this.pending.set(e.id, e);
    this.fd = openSync(file, 'a');
  }

  /** Opens (creating if needed) the outbox in `dir`, recovering pending entries and compacting the log. */
  static open(dir: string, options: { fsync?: boolean } = {}): OutboxOpenResult {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'outbox.jsonl');
    const problems: OutboxOpenResult['problems'] = [];
    const pending = new Map<string, OutboxEntry>();
    if (existsSync(file)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((text, i) => {
        if (text.trim() === '') return;
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          problems.push({ line: i + 1, message: `unreadable outbox line skipped (${text.length} bytes; a write torn by a crash?)` });
          return;
        }
        if (line.op === 'add') {
          const { op: _op, ...entry } = line;
          pending.set(entry.id, entry);
        } else if (line.op === 'done') pending.delete(line.id);
      });
    }
    const entries = [...pending.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    compact(file, entries);
    const outbox = new Outbox(file, entries, options.fsync ?? true);
    const last = entries.at(-1);
    if (last) outbox.sequence = Number(last.id.split('-')[1] ?? 0);
    return { outbox, problems };
  }

  /** Appends a new notification durably; returns it with its id. */
  add(entry: Omit<OutboxEntry, 'id'>): OutboxEntry {
    const id = `${String(entry.createdAtMs).padStart(15, '0')}-${String(++this.sequence).padStart(9, '0')}`;
    const full: OutboxEntry = { id, ...entry };
    this.append({ op: 'add', ...full });
    this.pending.set(id, full);
    return full;
  }

  /** Marks a notification delivered or given up: it will not be sent again. */
  done(id: string, outcome: OutboxOutcome, reason?: string): void {
    if (!this.pending.has(id)) return;
    this.append({ op: 'done', id, outcome, ...(reason ? { reason } : {}) });
    this.pending.delete(id);
  }

  /** Pending entries of one sink, oldest first. */
  pendingFor(sink: string): OutboxEntry[] {
    return [...this.pending.values()].filter((e) => e.sink === sink);
  }

  get size(): number {
    return this.pending.size;
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(line: LogLine): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    if (this.fsync) fsyncSync(this.fd);
  }
}

/** Rewrites the log with only the pending entries: write a temp file, fsync, rename over. */
function compact(file: string, entries: OutboxEntry[]): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, entries.map((e) => `${JSON.stringify({ op: 'add', ...e })}\n`).join(''));
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
