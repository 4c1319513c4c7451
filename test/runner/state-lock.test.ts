import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StartupError } from '../../src/core/errors.js';
import { LOCK_FILE_NAME, lockStateDir, zombie } from '../../src/runner/state-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'stormwatch-lock-'));
const holder = (d: string, pid: number, host = hostname(), since = '2026-12-04T20:00:00.000Z') => writeFileSync(join(d, LOCK_FILE_NAME), `${JSON.stringify({ pid, host, since })}\n`);

describe('lockStateDir', () => {
  it('refuses a directory a live process on this host holds, naming it, and takes it once that process is gone', async () => {
    const d = dir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    // Locked once it had started, as a holder locks.
    const since = new Date(Date.now() + 3000).toISOString();
    try {
      holder(d, other.pid!, hostname(), since);
      expect(() => lockStateDir(d)).toThrow(StartupError);
      expect(() => lockStateDir(d)).toThrow(`in use by process ${other.pid} on ${hostname()} since ${since}`);
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    // Killed: its file stays, and names a process that is no more.
    const lock = lockStateDir(d);
    expect(lock.tookOver).toMatchObject({ pid: other.pid });
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE_NAME), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    lock.release();
    expect(existsSync(join(d, LOCK_FILE_NAME))).toBe(false);
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over a lock whose pid now belongs to a process started after it (a reboot, a container started again)', async () => {
    const d = dir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      // Written an hour before this process with the same number started.
      holder(d, other.pid!, hostname(), new Date(Date.now() - 3_600_000).toISOString());
      const lock = lockStateDir(d);
      expect(lock.tookOver).toMatchObject({ pid: other.pid });
      lock.release();
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
  });

  it.runIf(existsSync('/proc/self/stat'))('takes over a lock whose holder is a zombie (killed, not yet reaped by its parent)', async () => {
    const d = dir();
    // The background sleep ends at once, and its parent (sh, then an exec'd sleep) never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number((await new Promise<Buffer>((resolve) => parent.stdout!.once('data', resolve))).toString().trim());
      const deadline = Date.now() + 5000;
      while (!zombie(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(zombie(pid)).toBe(true);
      holder(d, pid, hostname(), new Date(Date.now() + 3000).toISOString());
      const lock = lockStateDir(d);
      expect(lock.tookOver).toMatchObject({ pid });
      lock.release();
    } finally {
      parent.kill('SIGKILL');
      await new Promise((resolve) => parent.once('exit', resolve));
    }
    expect(zombie(process.pid)).toBe(false);
  });

  it('names what gave the directory (the key, or --state-dir) when it is in use', () => {
    const d = dir();
    const lock = lockStateDir(d);
    try {
      expect(() => lockStateDir(d)).toThrow(`state directory ${d} (delivery.outboxDir) is in use`);
      expect(() => lockStateDir(d, Date.now(), '--state-dir')).toThrow(`state directory ${d} (--state-dir) is in use`);
    } finally {
      lock.release();
    }
  });

  it("takes over another host's lock (a pod moved with its volume), an unreadable one, and its own pid's from before a restart", () => {
    for (const write of [(d: string) => holder(d, 1, 'elsewhere'), (d: string) => writeFileSync(join(d, LOCK_FILE_NAME), '{"pid":'), (d: string) => holder(d, process.pid)]) {
      const d = dir();
      write(d);
      const lock = lockStateDir(d);
      lock.release();
    }
  });

  it('lets one of four starts at once take over a stale lock, and refuses the rest', async () => {
    // Whole processes (the built module), each waiting for one instant before it locks.
    const built = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '../../dist/src/runner/state-lock.js')).href;
    const script = `const { lockStateDir } = await import(${JSON.stringify(built)});
      const [at, d] = process.argv.slice(1);
      while (Date.now() < Number(at)) {}
      let said = 'won';
      try { lockStateDir(d); } catch (e) { said = String(e.message).includes('is in use') ? 'refused' : 'failed: ' + e.message; }
      console.log(said);
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));`;
    const rounds: string[][] = [];
    for (let round = 0; round < 16; round++) {
      const d = dir();
      holder(d, 1, 'elsewhere');
      const at = Date.now() + 700;
      const starts = [0, 1, 2, 3].map(() => spawn(process.execPath, ['--input-type=module', '-e', script, String(at), d], { stdio: ['pipe', 'pipe', 'inherit'] }));
      const said = await Promise.all(
        starts.map(
          (child) =>
            new Promise<string>((resolve) => {
              let out = '';
              child.stdout!.on('data', (chunk: Buffer) => {
                out += chunk.toString();
                if (out.includes('\n')) resolve(out.trim());
              });
              child.once('exit', () => resolve(out.trim()));
            }),
        ),
      );
      // The winner holds the lock until every start has said what it got.
      for (const child of starts) child.stdin!.end();
      await Promise.all(starts.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
      rounds.push(said.sort());
      // Nothing left behind but the winner's lock: no file moved aside, none written to be linked.
      expect(readdirSync(d).filter((f) => f !== LOCK_FILE_NAME)).toEqual([]);
    }
    for (const said of rounds) expect(said, JSON.stringify(rounds)).toEqual(['refused', 'refused', 'refused', 'won']);
  }, 60_000);

  it("takes over a stale lock past a takeover left by a start killed while taking over (stale after 10 s), leaving neither behind", () => {
    const d = dir();
    holder(d, 1, 'elsewhere');
    const takeover = join(d, `${LOCK_FILE_NAME}.takeover`);
    writeFileSync(takeover, `${JSON.stringify({ pid: 2, host: hostname(), since: '2026-12-04T20:00:00.000Z' })}\n`);
    const old = (Date.now() - 11_000) / 1000;
    utimesSync(takeover, old, old);
    const lock = lockStateDir(d);
    expect(lock.tookOver).toMatchObject({ pid: 1, host: 'elsewhere' });
    expect(readdirSync(d)).toEqual([LOCK_FILE_NAME]);
    lock.release();
  });

  it('refuses a second lock of one directory within a process, and leaves a lock it does not hold alone at release', () => {
    const d = dir();
    const lock = lockStateDir(d);
    expect(() => lockStateDir(d)).toThrow('in use by process');
    // Another start took the directory over meanwhile: releasing does not remove its lock.
    holder(d, 424242, 'elsewhere');
    lock.release();
    expect(existsSync(join(d, LOCK_FILE_NAME))).toBe(true);
  });
});
