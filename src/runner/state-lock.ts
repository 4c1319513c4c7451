// One process per state directory. Two stormwatch processes on one outbox (a second instance
// started by hand or by a misconfigured deployment, both resuming the same state) would each send
// what the outbox holds: alerts delivered twice, state files written over each other. A lock file
// in the directory names its holder (pid, host, since); a start finding a live holder on this host
// refuses with one line. A holder that is gone (killed, crashed: nothing removes its file), whose
// pid now belongs to a process started after the lock (a reboot), or on another host (a pod moved
// with its volume, whose old host cannot be asked) is taken over.
//
// A takeover is made by one start at a time: it holds a second lock file, `.takeover`, created
// whole as the lock is, reads the lock again and removes it only if it still holds what it judged
// stale. Two starts taking over one stale lock at once could otherwise both win: the second
// unlinked the first's fresh lock (in a harness, 23 of 30 times), and a lock moved aside and put
// back left a moment without one, in which a third start won beside the first (1 in 16 rounds of
// four starts). A `.takeover` left by a start killed inside those few calls is stale after
// TAKEOVER_STALE_MS.

import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StartupError } from '../core/errors.js';
import { OUTBOX_DIR_KEY } from './state-dir.js';

export const LOCK_FILE_NAME = 'stormwatch.lock';

interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** Directories this process holds (a second start in one process, as tests make, is refused too). */
const held = new Set<string>();

export interface StateLock {
  /** The holder taken over (gone, or on another host), for the log. */
  tookOver?: Holder;
  release(): void;
}

/** Locks `dir`; its problems name `setting`, what gave the directory (the key or --state-dir). */
export function lockStateDir(dir: string, nowMs = Date.now(), setting = OUTBOX_DIR_KEY): StateLock {
  const file = join(dir, LOCK_FILE_NAME);
  if (held.has(file)) throw inUse(dir, setting, file, { pid: process.pid, host: hostname(), since: 'this start' });
  const mine = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date(nowMs).toISOString() })}\n`;
  let tookOver: Holder | undefined;
  const deadline = Date.now() + TAKEOVER_WAIT_MS;
  for (let attempt = 0; attempt < 5 || Date.now() < deadline; attempt++) {
    try {
      createWhole(file, mine);
      held.add(file);
      return {
        ...(tookOver ? { tookOver } : {}),
        release: () => {
          held.delete(file);
          try {
            if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
          } catch {
            // Gone already: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StartupError(`cannot lock state directory ${dir} (${setting}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const judged = readText(file);
    if (judged === undefined) continue;
    const holder = parseHolder(judged);
    if (holder && holder.host === hostname() && holder.pid !== process.pid && alive(holder.pid) && !startedAfter(holder.pid, holder.since)) throw inUse(dir, setting, file, holder);
    // Gone, unreadable (a torn write), ours from before a restart (a container's pid 1), or another host's.
    if (removeIfStill(file, judged, mine)) tookOver = holder;
  }
  throw new StartupError(`cannot lock state directory ${dir} (${setting}): ${file} keeps coming back`);
}

function inUse(dir: string, setting: string, file: string, holder: Holder): StartupError {
  return new StartupError(
    `state directory ${dir} (${setting}) is in use by process ${holder.pid} on ${holder.host} since ${holder.since} (${file}): two processes on one outbox would deliver its alerts twice; give each instance its own directory`,
  );
}

/**
 * Creates `file` holding `text`, whole: written to a file of its own and linked into place (a link
 * fails where the name exists, as an exclusive create does). A lock created and then written could
 * be read empty by another start, judged unreadable and taken over. Where the file system has no
 * links, an exclusive create. Throws EEXIST where the file exists.
 */
function createWhole(file: string, text: string): void {
  const own = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.new`;
  writeFileSync(own, text, { flag: 'wx', mode: 0o644 });
  try {
    linkSync(own, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS')) throw error;
    writeFileSync(file, text, { flag: 'wx', mode: 0o644 });
  } finally {
    try {
      unlinkSync(own);
    } catch {
      // Gone: nothing to tidy.
    }
  }
}

/** How long a start waits for another's takeover of a stale lock before it gives up. */
const TAKEOVER_WAIT_MS = 2_000;
/** A `.takeover` older than this was left by a start killed while taking over (it takes a few calls). */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Removes lock `file` if it still holds `judged` (stale), holding `.takeover` while it looks:
 * returns whether it did. Where another start is taking over, waits a moment and returns false:
 * the caller judges the lock again (that start's, by then).
 */
function removeIfStill(file: string, judged: string, mine: string): boolean {
  const takeover = `${file}.takeover`;
  try {
    createWhole(takeover, mine);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    if (ageMs(takeover) > TAKEOVER_STALE_MS) removeIfSame(takeover, readText(takeover));
    else sleepMs(5);
    return false;
  }
  try {
    if (readText(file) !== judged) return false;
    unlinkSync(file);
    return true;
  } catch {
    return false;
  } finally {
    removeIfSame(takeover, mine);
  }
}

/** Removes `file` if it holds `text` (not another start's, made since). */
function removeIfSame(file: string, text: string | undefined): void {
  try {
    if (text !== undefined && readFileSync(file, 'utf8') === text) unlinkSync(file);
  } catch {
    // Gone: nothing to remove.
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The lock file's text; undefined when it is gone. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? { pid: h.pid!, host: h.host, since: String(h.since ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` started after `since` (the lock's time): then it is not the lock's holder
 * but a process given its number since (a host rebooted with the volume, a container started
 * again), and the lock is stale. Before, such a start was refused until someone removed the file.
 * Read from Linux's /proc (the boot time and the process's start in clock ticks, 100 a second);
 * false where that cannot be read, so a live pid holds the lock as before.
 */
export function startedAfter(pid: number, since: string, procDir = '/proc'): boolean {
  const sinceMs = Date.parse(since);
  if (!Number.isFinite(sinceMs)) return false;
  try {
    const stat = readFileSync(join(procDir, String(pid), 'stat'), 'utf8');
    // Fields after the command's name, which may hold spaces and parentheses: starttime is the 22nd field, the 20th after it.
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync(join(procDir, 'stat'), 'utf8'))?.[1]);
    if (!Number.isFinite(startTicks) || !Number.isFinite(bootSeconds)) return false;
    // btime is in whole seconds: 2 s of slack.
    return bootSeconds * 1000 + startTicks * 10 > sinceMs + 2000;
  } catch {
    return false;
  }
}

/**
 * Whether process `pid` exists (EPERM: it does, another user's) and is not a zombie: a holder
 * killed with -9 stays one until its parent reaps it (for good under an init that does not reap),
 * and a restart right after the kill was refused.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !zombie(pid);
}

/** Whether /proc says process `pid` is a zombie (state Z) or dead (X); false where /proc cannot tell. */
export function zombie(pid: number, procDir = '/proc'): boolean {
  try {
    const stat = readFileSync(join(procDir, String(pid), 'stat'), 'utf8');
    // The state is the field after the command's name, which may hold spaces and parentheses.
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}
