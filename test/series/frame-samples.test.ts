import { describe, expect, it } from 'vitest';
import type { SeriesInfo, SignalSample } from '../../src/core/types.js';
import { FrameSamples, SeriesIndex, SeriesInfos, SpareSamples } from '../../src/series/frame-samples.js';
import { mulberry32 } from '../../scripts/sim/random.js';

/** That `view` reads as `expected` does: size, iteration in order, entries, keys, values, forEach, get and has. */
function expectReadsAs<V>(view: ReadonlyMap<string, V>, expected: ReadonlyMap<string, V>): void {
  expect(view.size).toBe(expected.size);
  expect([...view]).toEqual([...expected]);
  expect([...view.entries()]).toEqual([...expected.entries()]);
  expect([...view.keys()]).toEqual([...expected.keys()]);
  expect([...view.values()]).toEqual([...expected.values()]);
  const seen: [string, V][] = [];
  view.forEach((value, key, map) => {
    expect(map).toBe(view);
    seen.push([key, value]);
  });
  expect(seen).toEqual([...expected]);
  for (const [id, value] of expected) {
    expect(view.has(id)).toBe(true);
    expect(view.get(id)).toEqual(value);
  }
}

describe('FrameSamples', () => {
  it('reads as the Map of the same series and samples would: get, has, size, entries, keys, values, forEach, in slot order', () => {
    const random = mulberry32(5);
    for (let round = 0; round < 20; round++) {
      const index = new SeriesIndex();
      const expected = new Map<string, SignalSample>();
      const count = Math.floor(random() * 30);
      for (let i = 0; i < count; i++) {
        // Some ids added twice: the first slot stays, the last value wins, as Map.set does.
        const id = `api{route="/r${Math.floor(random() * 25)}"}`;
        index.add(id);
        expected.set(id, { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN });
      }
      const samples = new FrameSamples(index);
      for (const id of expected.keys()) {
        if (random() < 0.2) continue;
        const sample = { requests: random() * 100, errors: random() < 0.3 ? Number.NaN : random(), downstream: random() * 90 };
        samples.put(index.slotOf(id)!, sample.requests, sample.errors, sample.downstream);
        expected.set(id, sample);
      }
      expectReadsAs(samples, expected);
      expect(samples.has('api{route="/other"}')).toBe(false);
      expect(samples.get('api{route="/other"}')).toBeUndefined();
    }
  });

  it('starts every series as no data (NaN), never zero, and keeps each frame its own values over a shared index', () => {
    const index = new SeriesIndex();
    index.add('a');
    index.add('b');
    const first = new FrameSamples(index);
    first.put(index.slotOf('a')!, 1, 2, 3);
    const second = new FrameSamples(index);
    second.put(index.slotOf('b')!, 4, 5, 6);
    expect(first.get('a')).toEqual({ requests: 1, errors: 2, downstream: 3 });
    expect(first.get('b')).toEqual({ requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN });
    expect(second.get('a')).toEqual({ requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN });
    expect(second.get('b')).toEqual({ requests: 4, errors: 5, downstream: 6 });
  });

  it("reads no errors without requests: an absent errors selector's 0 is no fact while the requests have no data", () => {
    const index = new SeriesIndex();
    index.add('a');
    const frame = new FrameSamples(index);
    frame.put(0, Number.NaN, 0, Number.NaN);
    expect(frame.get('a')).toEqual({ requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN });
    frame.put(0, 0, 0, Number.NaN);
    expect(frame.get('a')).toEqual({ requests: 0, errors: 0, downstream: Number.NaN });
  });
});

describe('SpareSamples', () => {
  it('gives back kept columns once, all NaN again, and only for the same index', () => {
    const index = new SeriesIndex();
    for (const id of ['a', 'b', 'c']) index.add(id);
    const spare = new SpareSamples();
    const first = spare.take(index);
    first.put(0, 1, 2, 3);
    first.put(2, 4, 5, 6);
    spare.keep(first);
    const again = spare.take(index);
    expect(again).toBe(first);
    expect([...again.requests, ...again.errors, ...again.downstream].every(Number.isNaN)).toBe(true);
    // Taken once: the next take makes new columns (two frames never share them).
    expect(spare.take(index)).not.toBe(first);
    spare.keep(again);
    const other = new SeriesIndex();
    other.add('a');
    expect(spare.take(other)).not.toBe(again);
    // A frame of a Map, not of columns, is nothing to keep.
    spare.keep(new Map());
    expect(spare.take(index)).toBeInstanceOf(FrameSamples);
  });
});

describe('SeriesInfos', () => {
  it('reads as the Map a source built of its split series would: get, has, size, entries, keys, values, forEach, in the order added', () => {
    const random = mulberry32(8);
    for (let round = 0; round < 20; round++) {
      const index = new SeriesIndex();
      const infos = new SeriesInfos(index);
      const expected = new Map<string, SeriesInfo>();
      const count = Math.floor(random() * 30);
      for (let i = 0; i < count; i++) {
        const r = Math.floor(random() * 25);
        // A signal that is not split takes a slot and has no entry, as in a Prometheus source's index.
        if (random() < 0.2) {
          index.add(`plain${r}`);
          continue;
        }
        // Some series said twice: the first place stays, the last value wins, as Map.set does.
        const id = `api{route="/r${r}"}`;
        const info = { signal: 'api', labels: { route: `/r${r}`, said: String(i) } };
        infos.set(index.add(id), info);
        expected.set(id, info);
      }
      expectReadsAs(infos, expected);
      for (const [id, info] of expected) expect(infos.get(id)).toBe(info);
      for (let r = 0; r < 25; r++) {
        expect(infos.has(`plain${r}`)).toBe(false);
        expect(infos.get(`plain${r}`)).toBeUndefined();
      }
    }
  });
});
