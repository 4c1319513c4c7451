// The UI's history as bytes, so its charts, closed alerts and explanations outlive a restart: a
// scrape source has no history to read again, and a Prometheus source's warm-up only fills the gap
// after what was kept. Pure: bytes go to a sink as they are made (no buffer of the file's size),
// and come back from one buffer (runner/ui-history-file.ts does the I/O).
//
// Layout (little-endian, every part starting at a multiple of 8 bytes):
//   magic "SWUIHIS\x02"
//   u32 header length, u32 0, the header (JSON, see HistoryHeader), zero padding to 8
//   per series of the header, in its order: f64 times[count], u16 codes[count × columns]
//     (chart-code.ts: the rings' own), padding
//   u32 CRC-32 of every byte before it, u32 0
// A file cut short or with a changed byte is refused whole (HistoryFileError, saying which). A file
// of the first version ("SWUIHIS\x01", f32 values where the codes are) is read as well: written
// before the rings kept codes, it holds a restart's charts all the same.

import { crc32 } from 'node:zlib';
import type { AlertInterval, HistoryStore } from './history-store.js';
import { COLUMNS, COLUMN_COUNT } from './chart-point.js';
import { encodeChartValue } from './chart-code.js';
import { SeriesRing } from './series-ring.js';

export const HISTORY_MAGIC = Buffer.from('SWUIHIS\u0002', 'latin1');
/** The first version's magic: its values are float32s. */
export const HISTORY_MAGIC_FLOAT32 = Buffer.from('SWUIHIS\u0001', 'latin1');

/** What the file says besides the points. */
interface HistoryHeader {
  savedAtMs: number;
  firstTimeMs: number | null;
  /** The chart columns the points were written with (chart-point.ts): other columns, other file. */
  columns: string[];
  /** Each ring's series id and its number of points, in the order their points follow. */
  series: [string, number][];
  closed: AlertInterval[];
  /** The alerts open when it was saved (absent in files before it said them). */
  open?: AlertInterval[];
  /** Each series' latest explanation: id, data time, text. */
  explanations: [string, number, string][];
}

/** A history file that cannot be read: cut short, changed, or not one. */
export class HistoryFileError extends Error {}

const padding = new Uint8Array(8);
const pad8 = (n: number) => (8 - (n % 8)) % 8;
const bytesOf = (a: Float64Array | Float32Array | Uint32Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Writes `store`'s rings, closed alerts and explanations through `sink` (which writes or copies
 * what it is given before it returns). Returns the bytes written.
 */
export function encodeHistory(store: HistoryStore, savedAtMs: number, sink: (bytes: Uint8Array) => void): number {
  let crc = 0;
  let bytes = 0;
  const put = (b: Uint8Array) => {
    if (b.length === 0) return;
    crc = crc32(b, crc);
    bytes += b.length;
    sink(b);
  };
  const series: [string, number][] = [];
  store.rings.forEach((ring, id) => {
    if (ring.length > 0) series.push([id, ring.length]);
  });
  const header: HistoryHeader = {
    savedAtMs,
    firstTimeMs: Number.isNaN(store.firstTimeMs) ? null : store.firstTimeMs,
    columns: [...COLUMNS],
    series,
    closed: store.closed,
    open: [...store.open.values()],
    explanations: [...store.explanations].map(([id, e]) => [id, e.atMs, e.text]),
  };
  const text = Buffer.from(JSON.stringify(header), 'utf8');
  put(HISTORY_MAGIC);
  put(bytesOf(Uint32Array.of(text.length, 0)));
  put(text);
  put(padding.subarray(0, pad8(text.length)));
  for (const [id, count] of series) {
    const times = new Float64Array(count);
    const codes = new Uint16Array(count * COLUMN_COUNT);
    store.rings.get(id)!.copyTo(times, codes);
    put(bytesOf(times));
    put(bytesOf(codes));
    put(padding.subarray(0, pad8(codes.byteLength)));
  }
  put(bytesOf(Uint32Array.of(crc, 0)));
  return bytes;
}

/** What a restore took back. */
export interface RestoredHistory {
  savedAtMs: number;
  series: number;
  points: number;
  closed: number;
  /** The alerts open when it was saved, for HistoryStore.resumeFiring (not put into the store: they may have ended since). */
  open: AlertInterval[];
}

/**
 * Takes a history file's contents back into an empty `store`: the rings of series `keep` accepts
 * (up to the store's maxSeries, each its newest `capacity` points from `sinceMs` on), the closed
 * alerts (up to the store's limit) and the explanations of kept series. Throws HistoryFileError
 * when the bytes are not a whole history file of these chart columns; `store` is then unchanged.
 */
export function restoreHistory(store: HistoryStore, buf: Uint8Array, sinceMs: number, keep: (seriesId: string) => boolean): RestoredHistory {
  const { header, valueBytes } = readHeader(buf);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 16 + view.getUint32(8, true);
  at += pad8(at);
  const parts: { id: string; times: Float64Array; codes: Uint16Array }[] = [];
  for (const [id, count] of header.series) {
    const pointBytes = count * COLUMN_COUNT * valueBytes;
    if (at + count * 8 + pointBytes > buf.length - 8) throw new HistoryFileError(`its points end before series ${JSON.stringify(id)}'s (${count} said)`);
    // Copied out: the file's buffer need not be aligned for typed views, nor kept.
    const times = new Float64Array(count);
    bytesOf(times).set(buf.subarray(at, at + count * 8));
    at += count * 8;
    const codes = new Uint16Array(count * COLUMN_COUNT);
    if (valueBytes === 2) bytesOf(codes).set(buf.subarray(at, at + pointBytes));
    else {
      const values = new Float32Array(count * COLUMN_COUNT);
      bytesOf(values).set(buf.subarray(at, at + pointBytes));
      for (let i = 0; i < values.length; i++) codes[i] = encodeChartValue(values[i]!);
    }
    at += pointBytes + pad8(pointBytes);
    for (let i = 1; i < count; i++) if (!(times[i]! > times[i - 1]!)) throw new HistoryFileError(`series ${JSON.stringify(id)}'s times do not ascend at point ${i}`);
    parts.push({ id, times, codes });
  }
  if (at !== buf.length - 8) throw new HistoryFileError(`${buf.length - 8 - at} bytes after the last series' points`);
  let series = 0;
  let points = 0;
  for (const { id, times, codes } of parts) {
    if (store.rings.size >= store.options.maxSeries || !keep(id) || store.rings.has(id)) continue;
    const ring = new SeriesRing(store.options.capacity);
    if (ring.load(times, codes, sinceMs) === 0) continue;
    store.rings.set(id, ring);
    series++;
    points += ring.length;
  }
  const max = store.options.maxClosedAlerts ?? 5000;
  const closed = header.closed.filter((a) => (a.endsAtMs ?? Number.POSITIVE_INFINITY) >= sinceMs).slice(-max);
  store.closed.unshift(...closed);
  if (store.closed.length > max) store.closed.splice(0, store.closed.length - max);
  for (const [id, atMs, text] of header.explanations) if (atMs >= sinceMs && keep(id) && !store.explanations.has(id)) store.explanations.set(id, { atMs, text });
  if (header.firstTimeMs !== null && points > 0 && !(store.firstTimeMs <= header.firstTimeMs)) store.firstTimeMs = Math.max(header.firstTimeMs, sinceMs);
  return { savedAtMs: header.savedAtMs, series, points, closed: closed.length, open: header.open ?? [] };
}

const isInterval = (a: unknown): a is AlertInterval => typeof a === 'object' && a !== null && typeof (a as AlertInterval).fingerprint === 'string' && typeof (a as AlertInterval).startsAtMs === 'number';

/** The header of a whole, unchanged history file of this version's columns, and the bytes of its values (2: codes; 4: the first version's float32s). */
function readHeader(buf: Uint8Array): { header: HistoryHeader; valueBytes: 2 | 4 } {
  const magic = buf.length < 24 ? undefined : Buffer.from(buf.buffer, buf.byteOffset, 8);
  const valueBytes = magic?.equals(HISTORY_MAGIC) ? 2 : magic?.equals(HISTORY_MAGIC_FLOAT32) ? 4 : undefined;
  if (valueBytes === undefined) throw new HistoryFileError('not a stormwatch UI history file');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stored = view.getUint32(buf.length - 8, true);
  if (crc32(buf.subarray(0, buf.length - 8)) !== stored) throw new HistoryFileError('corrupt or truncated (its checksum differs)');
  const length = view.getUint32(8, true);
  if (16 + length > buf.length - 8) throw new HistoryFileError('truncated in its header');
  let header: HistoryHeader;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 16, length).toString('utf8')) as HistoryHeader;
  } catch (error) {
    throw new HistoryFileError(`its header is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(header.series) || !Array.isArray(header.closed) || !Array.isArray(header.explanations) || !Array.isArray(header.columns)) throw new HistoryFileError('its header lacks series, closed alerts, explanations or columns');
  if (header.columns.join(',') !== COLUMNS.join(',')) throw new HistoryFileError(`written with other chart columns (${header.columns.join(', ')})`);
  for (const s of header.series) if (!(Array.isArray(s) && typeof s[0] === 'string' && Number.isInteger(s[1]) && s[1] >= 0)) throw new HistoryFileError(`a series entry is not [id, points]: ${JSON.stringify(s)}`);
  for (const a of header.closed) if (!isInterval(a)) throw new HistoryFileError(`a closed alert is not one: ${JSON.stringify(a)}`);
  if (header.open !== undefined && !Array.isArray(header.open)) throw new HistoryFileError('its open alerts are not a list');
  for (const a of header.open ?? []) if (!(isInterval(a) && typeof a.firedAtMs === 'number')) throw new HistoryFileError(`an open alert is not one: ${JSON.stringify(a)}`);
  for (const e of header.explanations) if (!(Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' && typeof e[2] === 'string')) throw new HistoryFileError(`an explanation is not [id, time, text]: ${JSON.stringify(e)}`);
  return { header, valueBytes };
}
