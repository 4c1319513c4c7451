// The state file on load: whatever is in it, stormwatch starts; bad parts are quarantined and what they
// held (firing alerts above all) comes from the save before when it can.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { PipelineSnapshot } from '../../src/pipeline.js';
import { plainState } from '../../src/core/column-encoder.js';
import { isBinaryState } from '../../src/runner/state-binary.js';
import { DeferredState } from '../../src/runner/state-columns.js';
import { FiringCopyError, firingFileOf } from '../../src/runner/durable-file.js';
import { OLDER_STATE_FILE_NAME, STATE_FILE_NAME, type SectionBuilder, jsonPieces, loadState, saveState, saveStateAsync, stateFileToLoad } from '../../src/runner/state-file.js';
import { StateSaver } from '../../src/runner/state-saver.js';

/** Loaded state as plain data: per-series entries left in the file's columns (DeferredState) built, as JSON writes them. */
const plain = <T>(loaded: T): T => JSON.parse(JSON.stringify(loaded)) as T;

const firing = ['downloads\u0000incident', { state: { phase: 'firing', activeSinceMs: 1, lastActiveMs: 2 }, labels: { alertname: 'StormwatchOutage' }, fingerprint: 'abc', annotations: {}, startsAtMs: 1 }];
const good = (savedAtMs: number): PipelineSnapshot => ({ version: 1, savedAtMs, detectors: { downloads: { rate: { values: [1, 2] }, errorRatio: { values: [] }, funnel: { values: [0.99] } } }, alerts: [firing], deploys: [], markers: {}, probes: [] });

function dir(): { dir: string; file: string } {
  const d = mkdtempSync(join(tmpdir(), 'stormwatch-state-'));
  return { dir: d, file: join(d, STATE_FILE_NAME) };
}

describe('stateFileToLoad', () => {
  it("resumes an older version's state.json until state.bin exists, then only state.bin", () => {
    const { dir: d, file } = dir();
    expect(stateFileToLoad(d)).toBe(file); // nothing saved yet: where saves will go
    const older = join(d, OLDER_STATE_FILE_NAME);
    writeFileSync(older, jsonPieces(good(5)).join(''));
    expect(stateFileToLoad(d)).toBe(older);
    expect(loadState(stateFileToLoad(d)).snapshot).toEqual(good(5));
    saveState(file, good(10));
    expect(stateFileToLoad(d)).toBe(file);
    expect(plain(loadState(stateFileToLoad(d)).snapshot)).toEqual(good(10));
  });
});

describe('loadState', () => {
  it('reads back what was saved, with nothing quarantined', () => {
    const { file } = dir();
    saveState(file, good(10));
    expect(plain(loadState(file))).toEqual({ snapshot: good(10), quarantined: [], fromPrevious: [] });
  });

  it('takes the firing alerts from firing.json when state.bin lost them, even if the save before had none', () => {
    const { file } = dir();
    saveState(file, { ...good(10), alerts: [] });
    saveState(file, good(20));
    writeFileSync(file, '{"version":1}');
    const loaded = loadState(file);
    expect(loaded.snapshot!.alerts).toEqual([firing]);
    expect(loaded.fromFiring).toBe(true);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['JSON null', 'null'],
    ['a bare version', '{"version":1}'],
    ['another version', '{"version":7,"savedAtMs":1}'],
  ])('moves %s aside and falls back to the save before, firing alerts included', (_, text) => {
    const { dir: d, file } = dir();
    saveState(file, good(10));
    saveState(file, good(20));
    writeFileSync(file, text);
    const loaded = loadState(file, Date.parse('2026-01-01T00:00:00Z'));
    expect(plain(loaded.snapshot)).toEqual({ ...good(10), alerts: [firing] });
    expect(loaded.quarantined).toHaveLength(1);
    expect(loaded.quarantined[0]!.movedTo).toBe(`${file}.bad-2026-01-01T00-00-00-000Z`);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(d).sort()).toEqual(['firing.json', 'state.bin.bad-2026-01-01T00-00-00-000Z', 'state.bin.prev']);
  });

  it('quarantines and names the copies read to recover what state.bin lost when they are bad too (its .prev, firing.json, decided.json); binary garbage said in text', () => {
    const { dir: d, file } = dir();
    saveState(file, good(10));
    saveState(file, good(20));
    writeFileSync(file, Buffer.from([0x47, 0x4e, 0x22, 0xff, 0xfe, 0x00, 0x01]));
    writeFileSync(`${file}.prev`, '{garbage');
    writeFileSync(firingFileOf(file), '[1,2');
    writeFileSync(join(d, 'decided.json'), '{"version":99}');
    const loaded = loadState(file, Date.parse('2026-01-01T00:00:00Z'));
    // Nothing usable is left: every copy is said, none read on.
    expect(loaded.snapshot).toBeUndefined();
    expect(loaded.quarantined.map((q) => q.file)).toEqual([file, `${file}.prev`, firingFileOf(file), join(d, 'decided.json')]);
    expect(loaded.quarantined[0]!.problems[0]).toMatch(/state\.bin is unreadable \(neither stormwatch's binary state nor JSON\): [\x20-\x7e]+$/);
    for (const q of loaded.quarantined.slice(1)) expect(existsSync(q.movedTo), q.movedTo).toBe(true);
  });

  it('keeps the good sections of a partly bad file and takes the bad ones from the save before', () => {
    const { file } = dir();
    saveState(file, good(10));
    saveState(file, good(20));
    writeFileSync(file, JSON.stringify({ ...good(30), alerts: [null, 'x'], detectors: { downloads: { rate: 'nope' }, other: good(1).detectors.downloads } }));
    const loaded = loadState(file);
    expect(loaded.snapshot!.savedAtMs).toBe(30);
    expect(loaded.snapshot!.alerts).toEqual([firing]);
    expect(Object.keys(loaded.snapshot!.detectors).sort()).toEqual(['downloads', 'other']);
    expect(loaded.fromPrevious).toEqual(['detectors']);
    expect(loaded.fromFiring).toBe(true);
    expect(loaded.quarantined[0]!.problems).toEqual(['detectors: downloads: rate: Invalid input: expected object, received string', 'alerts: 0: Invalid input: expected tuple, received null']);
  });

  it('saves a binary file; a truncated or corrupt one is moved aside with its name and what is wrong, and the save before is used, firing alerts and all', () => {
    for (const damage of ['truncated', 'corrupt'] as const) {
      const { file } = dir();
      saveState(file, good(10));
      saveState(file, good(20));
      const bytes = readFileSync(file);
      expect(isBinaryState(bytes)).toBe(true);
      if (damage === 'truncated') writeFileSync(file, bytes.subarray(0, bytes.length - 100));
      else {
        bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 1;
        writeFileSync(file, bytes);
      }
      const loaded = loadState(file);
      expect(loaded.quarantined).toHaveLength(1);
      expect(loaded.quarantined[0]!.problems).toEqual([expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is unreadable: ${damage}: `))]);
      expect(plain(loaded.snapshot)).toEqual(good(10));
      expect(loaded.fromFiring).toBe(true);
    }
  });

  it("checks a binary file's per-series entries as it loads, leaving them in its columns: one that would not restore is refused with its id", () => {
    const { file } = dir();
    saveState(file, good(10));
    // A baseline value that is not a number (NaN: null once saved) cannot be restored.
    const broken = { rate: { values: [1, Number.NaN] }, errorRatio: { values: [] }, funnel: { values: [0.99] } };
    saveState(file, { ...good(20), detectors: { ...good(20).detectors, other: good(1).detectors.downloads, broken } });
    const loaded = loadState(file);
    expect(Object.keys(loaded.snapshot!.detectors).sort()).toEqual(['downloads', 'other']);
    for (const id of ['downloads', 'other']) {
      expect(loaded.snapshot!.detectors[id]).toBeInstanceOf(DeferredState);
      expect(plainState(loaded.snapshot!.detectors[id])).toEqual(good(1).detectors.downloads);
    }
    expect(loaded.quarantined[0]!.problems).toEqual(['detectors: broken: rate.values.1: Invalid input: expected number, received null']);
    expect(loaded.fromPrevious).toEqual(['detectors']);
  });

  it('keeps the save before in place when a save fails half way, and the next save succeeds', () => {
    const { file } = dir();
    saveState(file, good(10));
    const failing = { ...good(20), detectors: { first: good(1).detectors.downloads, broken: { encodeColumns: () => { throw new Error('disk full'); }, snapshot: () => ({}) } } };
    expect(() => saveState(file, failing)).toThrow('disk full');
    expect(plain(loadState(file))).toEqual({ snapshot: good(10), quarantined: [], fromPrevious: [] });
    saveState(file, good(30));
    expect(plain(loadState(file).snapshot)).toEqual(good(30));
  });

  it('starts fresh when there is nothing usable at all', () => {
    const { file } = dir();
    writeFileSync(file, '[]');
    const loaded = loadState(file);
    expect(loaded.snapshot).toBeUndefined();
    expect(loaded.quarantined).toHaveLength(1);
  });

  it('keeps only the newest few quarantined files', () => {
    const { dir: d, file } = dir();
    for (let i = 0; i < 6; i++) {
      writeFileSync(file, 'garbage');
      loadState(file, Date.UTC(2026, 0, 1, 0, 0, i));
    }
    expect(readdirSync(d).filter((f) => f.includes('.bad-'))).toHaveLength(3);
  });
});

/** A state of `series` series with windows of their own, made through the section builder as Pipeline.snapshot makes it. */
function stateOf(series: number, savedAtMs: number): (section: SectionBuilder) => PipelineSnapshot {
  return (section) => {
    const entries: [string, unknown][] = [];
    for (let i = 0; i < series; i++) {
      const values = Array.from({ length: 60 }, (_, k) => Math.fround(Math.log(100 + i + k * 0.37)));
      entries.push([`api\u0000route=r${i}`, { rate: { values }, errorRatio: { values: values.map((v) => v / 1000) }, funnel: { values: [0.99, 0.98 + i / 1e6] } }]);
    }
    return { ...good(savedAtMs), detectors: section(entries) };
  };
}

describe('saveStateAsync', () => {
  it('writes the bytes saveState writes, firing.json beside them, and keeps the save before as .prev', async () => {
    const { file: a } = dir();
    const { file: b } = dir();
    for (const savedAtMs of [1_000, 2_000]) {
      const bytes = await saveStateAsync(a, stateOf(500, savedAtMs));
      expect(bytes).toBe(saveState(b, stateOf(500, savedAtMs)));
      expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
      expect(readFileSync(firingFileOf(a), 'utf8')).toBe(readFileSync(firingFileOf(b), 'utf8'));
      expect(existsSync(`${a}.tmp`)).toBe(false);
    }
    expect(readFileSync(`${a}.prev`).equals(readFileSync(`${b}.prev`))).toBe(true);
    expect(loadState(a).snapshot?.savedAtMs).toBe(2_000);
  });

  it('rejects a save it cannot write, naming why, and leaves the save before in place', async () => {
    const { file } = dir();
    await saveStateAsync(file, stateOf(10, 1_000));
    const before = readFileSync(file);
    // FILE.tmp is a directory: it cannot be opened for writing.
    mkdirSync(`${file}.tmp`);
    await expect(saveStateAsync(file, stateOf(10, 2_000))).rejects.toThrow(/EISDIR/);
    rmSync(`${file}.tmp`, { recursive: true });
    // An encoding that throws: the file half written is left as FILE.tmp, never put in place.
    await expect(
      saveStateAsync(file, () => {
        throw new Error('encoding failed');
      }),
    ).rejects.toThrow('encoding failed');
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(loadState(file).snapshot?.savedAtMs).toBe(1_000);
    await saveStateAsync(file, stateOf(10, 3_000));
    expect(loadState(file).snapshot?.savedAtMs).toBe(3_000);
  });

  it('saves the state when only firing.json cannot be put in place, and says so apart from a failed save', async () => {
    const { file } = dir();
    // firing.json made a directory: before, every save was reported failed though state.bin was written.
    mkdirSync(firingFileOf(file));
    for (const [save, savedAtMs] of [[saveStateAsync, 1_000], [async (f: string, st: (section: SectionBuilder) => PipelineSnapshot) => saveState(f, st), 2_000]] as const) {
      const error = await save(file, stateOf(10, savedAtMs)).then(
        () => undefined,
        (e: unknown) => e as FiringCopyError,
      );
      expect(error).toBeInstanceOf(FiringCopyError);
      expect(error!.message).toBe(`the state is saved, but its second copy of the firing alerts could not be put in place as ${firingFileOf(file)}: EISDIR: illegal operation on a directory, rename '${firingFileOf(file)}.tmp' -> '${firingFileOf(file)}'`);
      expect(error!.bytes).toBe(readFileSync(file).length);
      expect(loadState(file).snapshot?.savedAtMs).toBe(savedAtMs);
    }
  });
});

describe('StateSaver', () => {
  it('starts no write before one that goes on after write() returned has settled, and settles each request once its write is done', async () => {
    const { file } = dir();
    let savedAtMs = 0;
    let writing = 0;
    let overlapped = false;
    const saver = new StateSaver(() => {
      if (writing > 0) overlapped = true;
      writing++;
      savedAtMs += 1_000;
      return saveStateAsync(file, stateOf(300, savedAtMs)).finally(() => writing--);
    }, 0);
    await saver.request();
    expect(loadState(file).snapshot?.savedAtMs).toBe(1_000);
    // Requests and flushes while a write goes on are served by one write after it, and resolve only then.
    saver.flush(true);
    saver.flush(true);
    const served = saver.request();
    saver.flush(true);
    await served;
    expect(savedAtMs).toBe(3_000);
    expect(loadState(file).snapshot?.savedAtMs).toBe(3_000);
    // A shutdown's flush waits for its write.
    saver.flush(true);
    await saver.flushAndWait();
    expect(savedAtMs).toBe(5_000);
    expect(loadState(file).snapshot?.savedAtMs).toBe(5_000);
    expect(overlapped).toBe(false);
  });

  it('lets a burst of requests share one write, at most one per interval', async () => {
    let writes = 0;
    const saver = new StateSaver(() => void writes++, 200);
    await Promise.all(Array.from({ length: 50 }, () => saver.request()));
    expect(writes).toBe(1);
    const started = Date.now();
    await saver.request();
    expect(writes).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    saver.flush(true);
    expect(writes).toBe(3);
  });

  it('waits nine times as long as the last write took before the next, up to its cap, and after a fast write only its floor', async () => {
    vi.useFakeTimers();
    try {
      let writes = 0;
      let tookMs = 0;
      // A write that takes `tookMs` of the clock (a save of many series).
      const saver = new StateSaver(() => {
        writes++;
        vi.setSystemTime(Date.now() + tookMs);
      }, 250, Date.now, 5_000);
      // A write taking `took`, then a request as it ends: written `expectedWaitMs` later, not sooner.
      const waitAfter = async (took: number, expectedWaitMs: number) => {
        tookMs = took;
        saver.flush(true);
        const before = writes;
        void saver.request();
        await vi.advanceTimersByTimeAsync(expectedWaitMs - 1);
        expect(writes).toBe(before);
        await vi.advanceTimersByTimeAsync(1);
        expect(writes).toBe(before + 1);
      };
      // 300 ms of writing, then nine times as long of waiting: a tenth of the time.
      await waitAfter(300, 2_700);
      // A write of 2 s would ask for 18 s more: the cap holds it to 5 s after its end.
      await waitAfter(2_000, 5_000);
      // A fast write brings the wait back to its floor (from the last write's start).
      await waitAfter(0, 250);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('jsonPieces', () => {
  it('joined, is exactly JSON.stringify: long base64 strings as pieces of their own, everything else as JSON writes it', () => {
    const base64 = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251)).toString('base64');
    const value = {
      a: base64,
      nested: [{ b: base64.slice(1000) }, 'short'],
      // Long but not base64 (needs escaping), and a string that looks like a placeholder.
      text: `"quoted"\n${'x'.repeat(70_000)}`,
      odd: '\u00011.2.3:0',
      n: Number.NaN,
    };
    const pieces = jsonPieces(value);
    expect(pieces.length).toBe(5);
    expect(pieces.join('')).toBe(JSON.stringify(value));
    expect(jsonPieces({ x: 1 })).toEqual(['{"x":1}']);
  });
});
