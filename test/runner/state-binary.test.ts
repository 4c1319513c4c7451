// The binary state file: per-series sections stream out in chunks and read back to exactly what
// JSON gives; a file cut short or with a changed byte is refused whole, naming what is wrong.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BinaryStateWriter, StateFileError, isBinaryState, isBinaryStateFile, readBinaryState, readBinaryStateFile } from '../../src/runner/state-binary.js';
import { COLUMNS_KEY, DeferredState } from '../../src/runner/state-columns.js';

const float32s = (n: number, k: number) => Array.from(new Float32Array(Array.from({ length: n }, (_, i) => Math.log(100 + i * 0.37 + k))));

/** A detector-like state of series `k` with about 1,000 numbers: float32s, fixed point, doubles and nulls. */
function state(k: number): Record<string, unknown> {
  return {
    rate: { values: float32s(600, k), partial: [1.5 + k, 15, 2] },
    checks: { spike: { small: 0.1 * k, large: 0, health: 3, alarmed: k % 7 === 0 } },
    profile: { slots: Array.from({ length: 168 }, (_, i) => (i % 5 === 0 ? null : (i - 80 + k) / 1024)), sinceMs: k % 3 === 0 ? null : 1_700_000_000_000 + k },
    doubles: Array.from({ length: 200 }, (_, i) => i / 3 + k),
  };
}

/** Writes a save of `detectors` and `ramps` sections into one buffer. */
function save(detectors: [string, unknown][], ramps: [string, unknown][]): Buffer {
  const parts: Uint8Array[] = [];
  const w = new BinaryStateWriter((b) => parts.push(Uint8Array.prototype.slice.call(b)));
  const bytes = w.finish({ version: 1, savedAtMs: 5, detectors: w.section(detectors), alerts: [['a', { x: 1 }]], ramps: w.section(ramps) });
  const out = Buffer.concat(parts);
  expect(out.length).toBe(bytes);
  return out;
}

const viaJson = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;

describe('binary state file', () => {
  it('reads back, over several chunks and shapes, exactly what JSON gives, plain entries and odd ids included', () => {
    // 1,200 states of ~1,000 numbers: more than one chunk of a shape (chunks hold 2^19 numbers).
    const detectors: [string, unknown][] = Array.from({ length: 1200 }, (_, k) => [`api{route="/r${k}"}`, state(k)]);
    detectors.push(['__proto__', state(3)], ['odd', { name: '\u0000not a template' }], ['number', 7]);
    const ramps: [string, unknown][] = [['api{route="/r1"}', { before: [1, Number.NaN, -0], since: [], runSinceMs: null }]];
    const bytes = save(detectors, ramps);
    expect(isBinaryState(bytes)).toBe(true);
    const back = readBinaryState(bytes);
    expect(back.version).toBe(1);
    expect(back.alerts).toEqual([['a', { x: 1 }]]);
    const sections = back as { detectors: Record<string, unknown>; ramps: Record<string, unknown> };
    expect(Object.keys(sections.detectors).sort()).toEqual(detectors.map(([id]) => id).sort());
    expect(Object.getPrototypeOf(sections.detectors)).toBe(Object.prototype);
    for (const [id, s] of detectors) expect(JSON.stringify(sections.detectors[id]), id).toBe(JSON.stringify(viaJson(s)));
    expect(sections.ramps).toEqual(viaJson(Object.fromEntries(ramps)));
  });

  it('refuses a file cut short at any point, and says it was truncated', () => {
    const bytes = save([['a', state(1)], ['b', state(2)]], []);
    for (const length of [8, 100, bytes.length >> 1, bytes.length - 1, bytes.length - 8]) {
      expect(() => readBinaryState(bytes.subarray(0, length)), `${length} bytes`).toThrow(/^truncated: /);
    }
  });

  it('refuses a file with a changed byte, by its checksum', () => {
    const bytes = save([['a', state(1)]], []);
    for (const at of [9, 200, bytes.length >> 1, bytes.length - 20]) {
      const bad = Buffer.from(bytes);
      bad[at] = bad[at]! ^ 0x10;
      expect(() => readBinaryState(bad), `byte ${at}`).toThrow(StateFileError);
      expect(() => readBinaryState(bad), `byte ${at}`).toThrow(/^corrupt: checksum/);
    }
  });

  it('reads a file that does not start at a multiple of 8 in memory', () => {
    const bytes = save([['a', state(1)]], []);
    const shifted = Buffer.alloc(bytes.length + 3);
    bytes.copy(shifted, 3);
    expect(readBinaryState(shifted.subarray(3))).toEqual(readBinaryState(bytes));
  });

  it('leaves a chunk that does not decode under its key, for the state check to report', () => {
    const bytes = save([['a', { v: [1.5, 2.5] }]], []);
    // A template that asks for three numbers where the chunk holds two: only a faulty writer could
    // make one, so the checksum is made to match.
    const at = bytes.indexOf('\\u0000q2');
    expect(at).toBeGreaterThan(0);
    bytes.write('\\u0000q3', at);
    const end = bytes.length - 16;
    bytes.writeUInt32LE(crc32(bytes.subarray(0, end)), end + 8);
    const back = readBinaryState(bytes) as { detectors: Record<string, unknown> };
    expect(back.detectors.a).toBeUndefined();
    expect(back.detectors[COLUMNS_KEY]).toEqual([{ shape: '{"v":"\\u0000q3"}', ids: ['a'] }]);
  });

  it('writes the series ids of each save, after series came, went or were swapped one for one too', () => {
    // A chunk's ids are written through one buffer reused from chunk to chunk and save to save: no chunk may carry another's.
    const ids = (names: string[]) => names.map((n): [string, unknown] => [n, state(n.length)]);
    const first = Array.from({ length: 1200 }, (_, k) => `api{route="/r${k}"}`);
    const swapped = first.map((id, k) => (k === 700 ? 'api{route="/new"}' : id));
    const saves = [first, first, first.slice(0, 900), [...first.slice(0, 900), 'api{route="/late"}'], swapped, swapped, first];
    for (const [i, names] of saves.entries()) {
      const back = readBinaryState(save(ids(names), ids(names.slice(0, 3)))) as { detectors: Record<string, unknown>; ramps: Record<string, unknown> };
      expect(Object.keys(back.detectors), `save ${i}`).toEqual(names);
      expect(Object.keys(back.ramps), `save ${i}`).toEqual(names.slice(0, 3));
      for (const name of [names[0]!, names.at(-1)!]) expect(back.detectors[name], `save ${i}: ${name}`).toEqual(viaJson(state(name.length)));
    }
  });

  it('reads back every series exactly when their shapes change from save to save', () => {
    // Columns are kept by shape from one save for the next: a shape's spare columns, larger or
    // smaller than what it now needs, must hold only this save's numbers.
    const names = Array.from({ length: 1200 }, (_, k) => `api{route="/r${k}"}`);
    for (let i = 0; i < 4; i++) {
      // state(k)'s shape turns on k % 3 and k % 7: each save moves series between shapes, and the
      // odd saves (3k: k % 3 always 0) put them in fewer, larger groups than the even ones.
      const kOf = (k: number) => (i % 2 === 0 ? k + i : 3 * k);
      const entries = names.map((n, k): [string, unknown] => [n, state(kOf(k))]);
      const back = readBinaryState(save(entries, entries.slice(0, 5))) as { detectors: Record<string, unknown> };
      // Series come back grouped by shape: the same set, not the same order.
      expect(Object.keys(back.detectors).sort(), `save ${i}`).toEqual([...names].sort());
      // As JSON text: the same numbers in the same places (a deep comparison of 4,800 states is slow).
      const wrong = names.filter((n, k) => JSON.stringify(back.detectors[n]) !== JSON.stringify(state(kOf(k))));
      expect(wrong, `save ${i}`).toEqual([]);
    }
  });
});

describe('binary state file read from disk a frame at a time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-state-binary-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const onDisk = (bytes: Uint8Array) => {
    const file = join(dir, `state-${files++}.bin`);
    writeFileSync(file, bytes);
    return file;
  };
  const sample = (): [string, unknown][] => Array.from({ length: 1200 }, (_, k) => [`api{route="/r${k}"}`, state(k)]);

  it('gives what the file read whole gives, deferred or not', () => {
    const detectors = sample();
    detectors.push(['__proto__', state(3)], ['odd', { name: '\u0000not a template' }], ['number', 7]);
    const bytes = save(detectors, detectors.slice(0, 40));
    const file = onDisk(bytes);
    expect(isBinaryStateFile(file)).toBe(true);
    expect(JSON.stringify(readBinaryStateFile(file))).toBe(JSON.stringify(readBinaryState(bytes)));
    expect(JSON.stringify(readBinaryStateFile(file, { deferred: true }))).toBe(JSON.stringify(readBinaryState(bytes)));
  });

  it('tells a JSON state file, an empty one and a short one from a binary one', () => {
    expect(isBinaryStateFile(onDisk(Buffer.from('{"version":1}')))).toBe(false);
    expect(isBinaryStateFile(onDisk(Buffer.alloc(0)))).toBe(false);
    expect(isBinaryStateFile(onDisk(Buffer.from('SWSTA')))).toBe(false);
  });

  it('refuses a file cut short or with a changed byte with the messages of the file read whole', () => {
    const bytes = save(sample().slice(0, 600), []);
    for (const length of [8, 100, bytes.length >> 1, bytes.length - 1, bytes.length - 8]) {
      const cut = bytes.subarray(0, length);
      expect(() => readBinaryStateFile(onDisk(cut)), `${length} bytes`).toThrow(/^truncated: /);
    }
    // Bytes in frame headers, ids, numbers and the meta: some break a frame before the checksum is known.
    for (const at of [9, 12, 48, 200, bytes.length >> 1, bytes.length - 40, bytes.length - 20]) {
      const bad = Buffer.from(bytes);
      bad[at] = bad[at]! ^ 0x10;
      expect(() => readBinaryState(bad), `byte ${at}`).toThrow(/^corrupt: checksum/);
      expect(() => readBinaryStateFile(onDisk(bad)), `byte ${at}`).toThrow(StateFileError);
      expect(() => readBinaryStateFile(onDisk(bad)), `byte ${at}`).toThrow(/^corrupt: checksum/);
    }
  });

  it("lets a chunk's memory go once every state built from it was taken, and not before", async () => {
    // Three chunks of 2^19 numbers at most: 1,200 states of about 1,000 numbers.
    const file = onDisk(save(sample(), []));
    setFlagsFromString('--expose-gc');
    // A weak reference read in a job holds its target until the job ends: collect in a later one.
    const collect = async () => {
      await new Promise((r) => setImmediate(r));
      (runInNewContext('gc') as () => void)();
    };
    const detectors = (readBinaryStateFile(file, { deferred: true }) as { detectors: Record<string, DeferredState> }).detectors;
    const entries = Object.entries(detectors);
    // The memory behind the first series and the last, as weak references (a state's chunk is private).
    const chunkOf = (s: DeferredState) => (s as unknown as { chunk: { f64: Float64Array } }).chunk.f64.buffer;
    const first = new WeakRef(chunkOf(entries[0]![1]));
    const last = new WeakRef(chunkOf(entries.at(-1)![1]));
    expect(first.deref()).not.toBe(last.deref());
    // Series come back grouped by shape: each state checked against its id's own.
    const stateOf = (id: string) => JSON.stringify(viaJson(state(Number(/r(\d+)/.exec(id)![1]))));
    const firstChunk = entries.filter(([, s]) => chunkOf(s) === first.deref());
    expect(firstChunk.length).toBeGreaterThan(1);
    expect(firstChunk.length).toBeLessThan(entries.length);
    // All but one state of the first chunk taken: it stays.
    const [id0, s0] = firstChunk[0]!;
    expect(JSON.stringify(s0.take())).toBe(stateOf(id0));
    expect(() => s0.snapshot()).toThrow(/read after it was restored/);
    for (const [, s] of firstChunk.slice(1, -1)) s.take();
    await collect();
    expect(first.deref()).toBeDefined();
    firstChunk.at(-1)![1].take();
    firstChunk.length = 0;
    await collect();
    expect(first.deref()).toBeUndefined();
    expect(last.deref()).toBeDefined();
    const [idN, sN] = entries.at(-1)!;
    expect(JSON.stringify(sN.snapshot())).toBe(stateOf(idN));
  });
});
