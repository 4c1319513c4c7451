import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { COLUMN_COUNT } from '../../src/ui/chart-point.js';
import { HistoryFileError, encodeHistory, restoreHistory } from '../../src/ui/history-codec.js';
import { COLUMNS } from '../../src/ui/chart-point.js';
import { decodeChartValue, encodeChartValue } from '../../src/ui/chart-code.js';
import { type AlertInterval, HistoryStore } from '../../src/ui/history-store.js';
import { SeriesRing } from '../../src/ui/series-ring.js';

const signals = [{ name: 'api', by: ['route'], labels: {} }];

function storeOf(capacity: number, maxSeries = 10): HistoryStore {
  return new HistoryStore({ capacity, eagerSeries: maxSeries, maxSeries, zThreshold: 3, signals });
}

/** A point whose every column says which series and tick it is (NaN in the state column, as a tick nothing judged has). */
function point(series: number, tick: number): Float32Array {
  const p = new Float32Array(COLUMN_COUNT);
  for (let c = 0; c < COLUMN_COUNT; c++) p[c] = series * 1000 + tick + c / 100;
  p[10] = Number.NaN;
  return p;
}

const closed: AlertInterval = { fingerprint: 'f1', seriesId: 'api{route="/a"}', alertname: 'StormwatchRetryStorm', severity: 'critical', labels: { alertname: 'StormwatchRetryStorm' }, startsAtMs: 5000, firedAtMs: 6000, endsAtMs: 9000, summary: 's', description: 'd' };

/** Three series (the second's ring has wrapped round), a closed alert and an explanation. */
function filled(): HistoryStore {
  const store = storeOf(8);
  for (let s = 0; s < 3; s++) {
    const ring = new SeriesRing(8);
    const ticks = s === 1 ? 13 : 5 + s;
    for (let t = 0; t < ticks; t++) ring.push(1000 * (t + 1), point(s, t));
    store.rings.set(`api{route="/${'abc'[s]}"}`, ring);
  }
  store.closed.push(closed);
  store.explanations.set('api{route="/a"}', { atMs: 4000, text: 'every download failing' });
  store.firstTimeMs = 1000;
  return store;
}

function encoded(store: HistoryStore): Buffer {
  const parts: Buffer[] = [];
  const bytes = encodeHistory(store, 123_456, (b) => parts.push(Buffer.from(b)));
  const buf = Buffer.concat(parts);
  expect(buf.length).toBe(bytes);
  return buf;
}

describe('UI history file contents', () => {
  it('restores every ring point for point (a wrapped ring too), the closed alerts and the explanations', () => {
    const before = filled();
    const after = storeOf(8);
    expect(restoreHistory(after, encoded(before), 0, () => true)).toEqual({ savedAtMs: 123_456, series: 3, points: 5 + 8 + 7, closed: 1, open: [] });
    expect([...after.rings.keys()]).toEqual([...before.rings.keys()]);
    for (const [id, ring] of before.rings) expect(after.rings.get(id)!.range()).toEqual(ring.range());
    expect(after.rings.get('api{route="/b"}')!.range().times[0]).toBe(6000); // the newest eight of thirteen
    expect(after.closed).toEqual([closed]);
    expect([...after.explanations]).toEqual([['api{route="/a"}', { atMs: 4000, text: 'every download failing' }]]);
    expect(after.firstTimeMs).toBe(1000);
  });

  it('gives back the alerts open when it was saved, as they were, without opening them in the store', () => {
    const before = filled();
    const open: AlertInterval = { ...closed, fingerprint: 'f2', endsAtMs: undefined, firedAtMs: 7000, mutedBy: ['silence 1 (ana: site move)'] };
    delete open.endsAtMs;
    before.open.set('f2', open);
    const after = storeOf(8);
    expect(restoreHistory(after, encoded(before), 0, () => true).open).toEqual([open]);
    expect(after.open.size).toBe(0);
  });

  it('keeps what is inside the live window and the smaller capacity, of the series asked for, up to the cap', () => {
    const buf = encoded(filled());
    const small = storeOf(3, 2);
    const got = restoreHistory(small, buf, 3000, (id) => id !== 'api{route="/c"}');
    expect(got).toMatchObject({ series: 2, closed: 1 });
    expect([...small.rings.keys()]).toEqual(['api{route="/a"}', 'api{route="/b"}']);
    expect(Array.from(small.rings.get('api{route="/a"}')!.range().times)).toEqual([3000, 4000, 5000]);
    expect(Array.from(small.rings.get('api{route="/b"}')!.range().times)).toEqual([11_000, 12_000, 13_000]);
    expect(small.explanations.size).toBe(1);
    const late = storeOf(8);
    expect(restoreHistory(late, buf, 10_000, () => true)).toMatchObject({ series: 1, closed: 0 });
    expect(late.explanations.size).toBe(0);
  });

  it('reads a file of the first version, whose values are float32s, into the rings as their codes', () => {
    // Written by hand as that version wrote it: magic, header, then per series f64 times and f32 values.
    const values = [point(0, 0), point(0, 1)];
    const header = Buffer.from(JSON.stringify({ savedAtMs: 5, firstTimeMs: 1000, columns: [...COLUMNS], series: [['api{route="/a"}', 2]], closed: [], explanations: [] }), 'utf8');
    const pad = (n: number) => Buffer.alloc((8 - (n % 8)) % 8);
    const lengths = Buffer.alloc(8);
    lengths.writeUInt32LE(header.length, 0);
    const times = Buffer.from(Float64Array.of(1000, 2000).buffer);
    const floats = Buffer.from(Float32Array.from(values.flatMap((v) => [...v])).buffer);
    const body = Buffer.concat([Buffer.from('SWUIHIS\u0001', 'latin1'), lengths, header, pad(header.length), times, floats, pad(floats.length)]);
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(crc32(body), 0);
    const store = storeOf(8);
    expect(restoreHistory(store, Buffer.concat([body, tail]), 0, () => true)).toMatchObject({ series: 1, points: 2 });
    const { times: got, columns } = store.rings.get('api{route="/a"}')!.range();
    expect([...got]).toEqual([1000, 2000]);
    for (let c = 0; c < COLUMN_COUNT; c++) {
      for (let i = 0; i < 2; i++) {
        if (c === 10) expect(columns[c]![i]).toBeNaN();
        else expect(columns[c]![i]).toBe(Math.fround(decodeChartValue(encodeChartValue(values[i]![c]!))));
      }
    }
  });

  it('refuses a changed byte, a cut, and other chart columns, and leaves the store as it was', () => {
    const buf = encoded(filled());
    const changed = Buffer.from(buf);
    changed[buf.length - 20] = changed[buf.length - 20]! ^ 1;
    // Another version's columns, with a checksum that matches them.
    const renamed = Buffer.from(buf.toString('latin1').replace('"anomaly"', '"anomalx"'), 'latin1');
    renamed.writeUInt32LE(crc32(renamed.subarray(0, renamed.length - 8)), renamed.length - 8);
    const cases: [Buffer, RegExp][] = [
      [changed, /checksum differs/],
      [buf.subarray(0, buf.length - 100), /checksum differs/],
      [Buffer.from('{"version":1}'), /not a stormwatch UI history file/],
      [renamed, /written with other chart columns \(.*anomalx\)/],
    ];
    for (const [bytes, message] of cases) {
      const store = storeOf(8);
      expect(() => restoreHistory(store, bytes, 0, () => true)).toThrow(message);
      expect(() => restoreHistory(store, bytes, 0, () => true)).toThrow(HistoryFileError);
      expect(store.rings.size + store.closed.length + store.explanations.size).toBe(0);
    }
  });
});
