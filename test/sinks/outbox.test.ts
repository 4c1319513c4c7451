import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/sinks/outbox.js';

const dir = () => mkdtempSync(join(tmpdir(), 'stormwatch-outbox-'));
const add = (o: Outbox, key: string, sink = 'hook') => o.add({ sink, key, orderKey: 'g', body: `{"k":"${key}"}`, headers: {}, createdAtMs: 1000 });

describe('Outbox', () => {
  it('keeps what was added and not done across a reopen, in order', () => {
    const d = dir();
    const { outbox } = Outbox.open(d);
    const a = add(outbox, 'a');
    add(outbox, 'b');
    add(outbox, 'c', 'other');
    outbox.done(a.id, 'delivered');
    outbox.close(); // as if killed here: nothing else was written
    const { outbox: again, problems } = Outbox.open(d);
    expect(problems).toEqual([]);
    expect(again.pendingFor('hook').map((e) => e.key)).toEqual(['b']);
    expect(again.pendingFor('other').map((e) => e.key)).toEqual(['c']);
    // New ids keep increasing after a restart.
    const d2 = add(again, 'd');
    expect(d2.id > again.pendingFor('hook')[0]!.id).toBe(true);
  });

  it("supersedes the other pending entries of a sink's order key, and a reopen reads them done", () => {
    const d = dir();
    const { outbox } = Outbox.open(d);
    add(outbox, 'a');
    add(outbox, 'b');
    const other = outbox.add({ sink: 'hook', key: 'x', orderKey: 'other', body: '{}', headers: {}, createdAtMs: 1000 });
    add(outbox, 'c', 'am');
    const newest = add(outbox, 'd');
    expect(outbox.supersede(newest)).toBe(2);
    expect(outbox.pendingFor('hook').map((e) => e.key)).toEqual(['x', 'd']);
    outbox.close();
    const { outbox: again, problems } = Outbox.open(d);
    expect(problems).toEqual([]);
    expect(again.pendingFor('hook').map((e) => e.id)).toEqual([other.id, newest.id]);
    expect(again.pendingFor('am').map((e) => e.key)).toEqual(['c']);
  });

  it('compacts the log on open: done entries are gone from the file', () => {
    const d = dir();
    const { outbox } = Outbox.open(d);
    for (const k of ['a', 'b', 'c']) outbox.done(add(outbox, k).id, 'delivered');
    add(outbox, 'keep');
    outbox.close();
    Outbox.open(d).outbox.close();
    const lines = readFileSync(join(d, 'outbox.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ op: 'add', key: 'keep' });
  });

  it('moves a directory in the outbox\'s place aside and opens an empty outbox, which works (refused, a supervisor restarted it in a loop)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-outbox-'));
    mkdirSync(join(dir, 'outbox.jsonl'));
    writeFileSync(join(dir, 'outbox.jsonl', 'inside'), 'kept');
    const opened = Outbox.open(dir);
    expect(opened.movedAside).toMatch(/outbox\.jsonl\.bad-/);
    expect(readFileSync(join(opened.movedAside!, 'inside'), 'utf8')).toBe('kept');
    expect(opened.outbox.size).toBe(0);
    opened.outbox.close();
    expect(statSync(join(dir, 'outbox.jsonl')).isFile()).toBe(true);
  });

  it('skips a torn last line from a crash mid-write and says so', () => {
    const d = dir();
    const { outbox } = Outbox.open(d);
    add(outbox, 'a');
    outbox.close();
    appendFileSync(join(d, 'outbox.jsonl'), '{"op":"add","id":"0000');
    const { outbox: again, problems } = Outbox.open(d);
    expect(again.pendingFor('hook').map((e) => e.key)).toEqual(['a']);
    expect(problems).toEqual([{ line: 2, message: 'unreadable outbox line quarantined (22 bytes; a write torn by a crash?)' }]);
    expect(readFileSync(join(d, 'outbox.quarantine.jsonl'), 'utf8')).toBe('{"op":"add","id":"0000\n');
  });

  it('quarantines valid JSON of the wrong shape instead of crashing, and keeps the good entries', () => {
    const d = dir();
    const { outbox } = Outbox.open(d);
    add(outbox, 'a');
    outbox.close();
    const bad = ['null', '{"op":"add"}', '{"op":"done"}', '[1,2]', '{"op":"add","id":"x","sink":"hook","key":"k","orderKey":"g","body":"","headers":{},"createdAtMs":1}', '"text"'];
    appendFileSync(join(d, 'outbox.jsonl'), bad.map((l) => `${l}\n`).join(''));
    const { outbox: again, problems } = Outbox.open(d);
    expect(again.pendingFor('hook').map((e) => e.key)).toEqual(['a']);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(problems[1]!.message).toMatch(/^invalid outbox line quarantined \(id: /);
    expect(readFileSync(join(d, 'outbox.quarantine.jsonl'), 'utf8').trim().split('\n')).toEqual(bad);
    // The next start finds a clean log.
    again.close();
    expect(Outbox.open(d).problems).toEqual([]);
  });

  it('compacts while running, so the log stays proportional to what is pending', () => {
    const d = dir();
    const { outbox } = Outbox.open(d, { fsync: false });
    const keep = add(outbox, 'keep');
    for (let i = 0; i < 3000; i++) outbox.done(add(outbox, `k${i}`).id, 'delivered');
    expect(outbox.fileLines).toBeLessThan(1100);
    const lines = readFileSync(join(d, 'outbox.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(outbox.fileLines);
    outbox.close();
    const { outbox: again } = Outbox.open(d);
    expect(again.pendingFor('hook').map((e) => e.id)).toEqual([keep.id]);
  });
});

/** A 64 KiB tmpfs of its own (root only: a full disk without filling the machine's). */
function tinyDisk(): { dir: string; release: () => void } | undefined {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  // Lazily: a descriptor a failed assertion left open must not hide that assertion's message.
  return { dir, release: () => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }) };
}

const disk = tinyDisk();
disk?.release();

describe.runIf(disk !== undefined)('Outbox on a full disk', () => {
  it('leaves no torn line when an add cannot be written, and a done that cannot be written does not throw', () => {
    const d = tinyDisk()!;
    try {
      const { outbox } = Outbox.open(d.dir);
      const first = outbox.add({ sink: 's', key: 'k1', orderKey: 'g', body: '{"a":1}', headers: {}, createdAtMs: 1 });
      // All but a few hundred bytes taken.
      const { bavail, bsize } = statfsSync(d.dir);
      writeFileSync(join(d.dir, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 300)));
      const big = { sink: 's', key: 'k2', orderKey: 'g', body: JSON.stringify({ text: 'x'.repeat(4000) }), headers: {}, createdAtMs: 2 };
      // Named: the outbox's file and the notification that waits for room, not ENOSPC alone.
      expect(() => outbox.add(big)).toThrow(expect.objectContaining({ code: 'ENOSPC', message: expect.stringMatching(new RegExp(`^could not queue the notification to s \\(k2\\) in the outbox ${join(d.dir, 'outbox.jsonl')}: ENOSPC`)) }));
      expect(outbox.lastWriteError).toBe('ENOSPC');
      expect(readFileSync(join(d.dir, 'outbox.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
      // Delivered, but no room to say so: done here, still pending on disk (sent again after a restart, same key).
      const pad = { sink: 's', key: 'k3', orderKey: 'g', body: '{}', headers: {}, createdAtMs: 3 };
      while (true) {
        try {
          outbox.add(pad);
        } catch {
          break;
        }
      }
      // The last page's slack, byte by byte (blank lines, which a reader skips).
      while (true) {
        try {
          appendFileSync(join(d.dir, 'outbox.jsonl'), '\n');
        } catch {
          break;
        }
      }
      expect(() => outbox.done(first.id, 'delivered')).not.toThrow();
      expect(outbox.pendingFor('s').map((e) => e.id)).not.toContain(first.id);
      outbox.close();
      rmSync(join(d.dir, 'filler'));
      const { outbox: again, problems } = Outbox.open(d.dir);
      expect(problems).toEqual([]);
      expect(again.all().map((e) => e.key)).toContain('k1');
      expect(again.all().map((e) => e.key)).not.toContain('k2');
      again.close();
    } finally {
      d.release();
    }
  });
});
