// Saved state as a binary file: the per-series columns (state-columns.ts) written as the typed
// arrays they are, beside a small JSON text for everything else. At 100k series the JSON form was
// 300 MB of base64 text built on the heap each minute; this writes the same numbers as raw bytes in
// bounded chunks while the series are walked, so nothing of the file's size lives on the heap.
//
// Layout (little-endian, every frame starting at a multiple of 8 bytes):
//   magic "SWSTATE\x01"
//   frames: u32 kind, u32 payload length, the payload, zero padding to a multiple of 8
//     SHAPE  JSON {"id", "section", "shape"}: a template (state-columns.ts), declared before its chunks
//     CHUNK  u32 × 8 (shape id, series, id bytes, f64, f32 and i16 counts, 0, 0), the series ids as a
//            JSON array, then the f64, f32 and i16 numbers, each starting at a multiple of 8
//     META   JSON of the snapshot, each per-series section an object of its plain entries with
//            SECTION_KEY: the index its chunks name
//     END    u32 CRC-32 of every byte before this frame, u32 frames before it
// A file without its END frame is truncated and one whose checksum differs is corrupt: either is
// refused whole, with the file's name (state-file.ts then falls back to the save before).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { ColumnWriter, type FilledGroup, COLUMNS_KEY, decodeColumns, setEntry } from './state-columns.js';

/** The first bytes of a binary state file (a JSON one starts with "{"). */
export const BINARY_MAGIC = Buffer.from('SWSTATE\u0001', 'latin1');
/** In the meta's per-series sections: the index of the section their chunks belong to. */
export const SECTION_KEY = '\u0000section';

const FRAME_SHAPE = 1;
const FRAME_CHUNK = 2;
const FRAME_META = 3;
const FRAME_END = 4;
const FRAME_HEADER = 8;
const CHUNK_HEADER = 32;
/** Numbers a chunk holds at most: columns of a few MB, reused from chunk to chunk. */
const CHUNK_NUMBERS = 1 << 19;

/** A state file that cannot be read at all: truncated, corrupt, or not one. */
export class StateFileError extends Error {}

const padding = new Uint8Array(8);
const pad8 = (n: number) => (8 - (n % 8)) % 8;
const bytesOf = (a: Float64Array | Float32Array | Int16Array | Uint32Array, n = a.length) => new Uint8Array(a.buffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);

/**
 * Writes a state file through `sink`, as it is made: section() puts a section's entries in chunks
 * (it is the section builder Pipeline.snapshot takes), finish() writes the rest and the end.
 * `sink` writes or copies the bytes it is given before it returns: they are reused for the next.
 */
export class BinaryStateWriter {
  private crc = 0;
  private bytes = 0;
  private frames = 0;
  private sections = 0;
  private readonly shapes = new Map<string, number>();

  constructor(private readonly sink: (bytes: Uint8Array) => void) {
    this.put(BINARY_MAGIC);
  }

  /** Whether this platform writes the format (typed arrays are written as they lie in memory). */
  static get supported(): boolean {
    return ColumnWriter.supported;
  }

  /** A per-series section, its entries written as chunks; returns what stands for it in the meta. */
  readonly section = (entries: Iterable<[string, unknown]>): Record<string, unknown> => {
    const index = this.sections++;
    const writer = new ColumnWriter((g) => this.chunk(index, g), CHUNK_NUMBERS);
    for (const [id, state] of entries) writer.add(id, state);
    writer.end();
    const out: Record<string, unknown> = { [SECTION_KEY]: index };
    for (const id in writer.plain) setEntry(out, id, writer.plain[id]);
    return out;
  };

  /** Writes the meta (the snapshot with its sections as section() returned them) and the end; returns the file's bytes. */
  finish(meta: unknown): number {
    this.frame(FRAME_META, [Buffer.from(JSON.stringify(meta), 'utf8')]);
    const end = new Uint32Array([this.crc, this.frames]);
    this.frame(FRAME_END, [bytesOf(end)]);
    return this.bytes;
  }

  private chunk(section: number, g: FilledGroup): void {
    const key = `${section}\n${g.shape}`;
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      this.shapes.set(key, (shape = this.shapes.size));
      this.frame(FRAME_SHAPE, [Buffer.from(JSON.stringify({ id: shape, section, shape: g.shape }), 'utf8')]);
    }
    const ids = idsBytes(g.ids);
    const header = new Uint32Array([shape, g.ids.length, ids.length, g.f64.length, g.f32.length, g.i16.length, 0, 0]);
    const f32 = bytesOf(g.f32.data, g.f32.length);
    this.frame(FRAME_CHUNK, [bytesOf(header), ids, padding.subarray(0, pad8(ids.length)), bytesOf(g.f64.data, g.f64.length), f32, padding.subarray(0, pad8(f32.length)), bytesOf(g.i16.data, g.i16.length)]);
  }

  private frame(kind: number, parts: Uint8Array[]): void {
    let length = 0;
    for (const p of parts) length += p.byteLength;
    this.put(bytesOf(new Uint32Array([kind, length])));
    for (const p of parts) this.put(p);
    this.put(padding.subarray(0, pad8(length)));
    this.frames++;
  }

  private put(b: Uint8Array): void {
    if (b.byteLength === 0) return;
    this.crc = crc32(b, this.crc);
    this.bytes += b.byteLength;
    this.sink(b);
  }
}

/**
 * A chunk's series ids as JSON bytes, in one buffer reused from chunk to chunk and save to save, as
 * the columns are. They were kept per chunk from save to save for when a chunk's series stay the
 * same, but one series whose state changes shape (an alarm raised, an episode ended) moves every
 * later series of its old shape to another chunk: at 100k series every chunk was encoded anew at
 * every save, 6 MB of fresh buffers a save, which outlived the save's young collections and, counted
 * as external memory, set off full collections of the whole heap.
 */
let idsScratch = Buffer.allocUnsafeSlow(1 << 16);

function idsBytes(ids: readonly string[]): Buffer {
  const json = JSON.stringify(ids);
  const n = Buffer.byteLength(json, 'utf8');
  if (n > idsScratch.length) idsScratch = Buffer.allocUnsafeSlow(Math.max(n, 2 * idsScratch.length));
  idsScratch.write(json, 0, n, 'utf8');
  return idsScratch.subarray(0, n);
}

/** Whether the file `file` is a binary state file (by its first bytes; false for one too short to tell). */
export function isBinaryStateFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(BINARY_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && isBinaryState(head);
  } finally {
    closeSync(fd);
  }
}

/** Whether the bytes are a binary state file (by its first bytes). */
export function isBinaryState(bytes: Uint8Array): boolean {
  return bytes.length >= BINARY_MAGIC.length && BINARY_MAGIC.equals(bytes.subarray(0, BINARY_MAGIC.length));
}

/** One frame of a state file: its kind, its payload (starting at a multiple of 8 bytes in memory), and where it starts in the file. */
interface Frame {
  kind: number;
  payload: Buffer;
  at: number;
}

/**
 * The state a binary file holds, as parsed JSON of the same save would give it (per-series
 * sections with every entry); throws StateFileError when the file is truncated or corrupt. A chunk
 * that does not decode stays under COLUMNS_KEY of its section, where the state check reports it.
 * `deferred`: the entries of chunks are DeferredStates, each built when it is asked for
 * (state-columns.ts), so a restart does not hold every series' state as objects at once.
 */
export function readBinaryState(input: Uint8Array, options: { deferred?: boolean } = {}): Record<string, unknown> {
  if (!isBinaryState(input)) throw new StateFileError('not a binary state file');
  // Typed views need their element alignment: a buffer that does not start at a multiple of 8 is copied.
  let buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.byteOffset % 8 !== 0) buf = Buffer.from(Uint8Array.prototype.slice.call(input));
  const read = (at: number, n: number) => buf.subarray(at, at + n);
  const end = checkedEnd(buf.length, read);
  const crc = crc32(buf.subarray(0, end.at));
  if (crc !== end.crc) throw new StateFileError(`corrupt: checksum ${crc.toString(16)} where the file says ${end.crc.toString(16)}`);
  return decodeFrames(framesOf(read, end.at), end.frames, options);
}

/**
 * readBinaryState of the file `file`, read a frame at a time: each chunk's numbers in a buffer of
 * their own, so a chunk's memory goes once every state built from it has been taken
 * (DeferredState.take: a restart restores series in the file's order), where the file read whole
 * lived until the last series was restored (190 MB at 100k series, beside the detectors filled).
 */
export function readBinaryStateFile(file: string, options: { deferred?: boolean } = {}): Record<string, unknown> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (at: number, n: number): Buffer => {
      const out = Buffer.allocUnsafeSlow(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, out, got, n - got, at + got);
        if (r === 0) throw new StateFileError(`truncated: ${at + got} bytes where the file said ${size} (it changed while it was read)`);
        got += r;
      }
      return out;
    };
    if (!isBinaryState(read(0, Math.min(size, BINARY_MAGIC.length)))) throw new StateFileError('not a binary state file');
    const end = checkedEnd(size, read);
    let crc = crc32(BINARY_MAGIC);
    const checksum = () => {
      if (crc !== end.crc) throw new StateFileError(`corrupt: checksum ${crc.toString(16)} where the file says ${end.crc.toString(16)}`);
    };
    try {
      const state = decodeFrames(
        framesOf(read, end.at, (bytes) => (crc = crc32(bytes, crc))),
        end.frames,
        options,
      );
      // The checksum is known once every frame was read: a state is only made of a file that has it right.
      checksum();
      return state;
    } catch (error) {
      // A changed byte may break a frame before the checksum is known: name the checksum, as a file read whole does.
      if (!(error instanceof StateFileError && error.message.startsWith('corrupt: checksum'))) {
        crc = 0;
        for (let at = 0; at < end.at; at += 1 << 24) crc = crc32(read(at, Math.min(1 << 24, end.at - at)), crc);
        checksum();
      }
      throw error;
    }
  } finally {
    closeSync(fd);
  }
}

/** The frames before the end record at `endAt`, each read through `read`; `sum` is given every byte read, in order. */
function* framesOf(read: (at: number, n: number) => Buffer, endAt: number, sum?: (bytes: Buffer) => void): Generator<Frame> {
  for (let at = BINARY_MAGIC.length, index = 0; at < endAt; index++) {
    const header = read(at, FRAME_HEADER);
    sum?.(header);
    const length = header.readUInt32LE(4);
    const body = at + FRAME_HEADER;
    if (body + length > endAt) throw new StateFileError(`corrupt: frame ${index} at byte ${at} runs past the end`);
    const padded = read(body, length + pad8(length));
    sum?.(padded);
    yield { kind: header.readUInt32LE(0), payload: padded.subarray(0, length), at };
    at = body + padded.length;
  }
}

/** The end record of a file of `size` bytes (where it starts, the checksum and frame count it holds); throws when there is none. */
function checkedEnd(size: number, read: (at: number, n: number) => Buffer): { at: number; crc: number; frames: number } {
  const at = size - FRAME_HEADER - 8;
  const record = at >= BINARY_MAGIC.length && at % 8 === 0 ? read(at, FRAME_HEADER + 8) : undefined;
  if (!record || record.readUInt32LE(0) !== FRAME_END || record.readUInt32LE(4) !== 8) {
    throw new StateFileError(`truncated: ${size} bytes and no end record (the write did not finish)`);
  }
  return { at, crc: record.readUInt32LE(FRAME_HEADER), frames: record.readUInt32LE(FRAME_HEADER + 4) };
}

/** The state of a file's frames (see readBinaryState), `expected` of them before its end record. */
function decodeFrames(source: Iterable<Frame>, expected: number, options: { deferred?: boolean }): Record<string, unknown> {
  const shapes = new Map<number, { section: number; shape: string }>();
  const decoded = new Map<number, Map<string, unknown>[]>();
  const bad = new Map<number, unknown[]>();
  let meta: unknown;
  let frames = 0;
  for (const { kind, payload, at } of source) {
    const length = payload.length;
    const text = () => payload.toString('utf8');
    if (kind === FRAME_SHAPE) {
      const s = JSON.parse(text()) as { id: number; section: number; shape: string };
      shapes.set(s.id, { section: s.section, shape: s.shape });
    } else if (kind === FRAME_CHUNK) {
      if (length < CHUNK_HEADER) throw new StateFileError(`corrupt: chunk frame ${frames} at byte ${at} does not add up`);
      const [shapeId, count, idBytes, nf64, nf32, ni16] = [0, 1, 2, 3, 4, 5].map((i) => payload.readUInt32LE(4 * i)) as [number, number, number, number, number, number];
      const shape = shapes.get(shapeId);
      let p = CHUNK_HEADER;
      const ids = JSON.parse(payload.toString('utf8', p, p + idBytes)) as unknown;
      p += idBytes + pad8(idBytes);
      const numbersEnd = p + 8 * nf64 + 4 * nf32 + pad8(4 * nf32) + 2 * ni16;
      if (!shape || numbersEnd !== length) throw new StateFileError(`corrupt: chunk frame ${frames} at byte ${at} does not add up`);
      const f64 = new Float64Array(payload.buffer, payload.byteOffset + p, nf64);
      p += 8 * nf64;
      const f32 = new Float32Array(payload.buffer, payload.byteOffset + p, nf32);
      p += 4 * nf32 + pad8(4 * nf32);
      const i16 = new Int16Array(payload.buffer, payload.byteOffset + p, ni16);
      const states = Array.isArray(ids) && ids.length === count && ids.every((id) => typeof id === 'string') ? decodeColumns(shape.shape, ids as string[], f64, f32, i16, options.deferred) : undefined;
      if (states) (decoded.get(shape.section) ?? decoded.set(shape.section, []).get(shape.section)!).push(states);
      else (bad.get(shape.section) ?? bad.set(shape.section, []).get(shape.section)!).push({ shape: shape.shape, ids });
    } else if (kind === FRAME_META) meta = JSON.parse(text());
    else throw new StateFileError(`corrupt: frame ${frames} at byte ${at} is of unknown kind ${kind}`);
    frames++;
  }
  if (frames !== expected) throw new StateFileError(`corrupt: ${frames} frames where the file says ${expected}`);
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new StateFileError('corrupt: no snapshot record');
  const out = meta as Record<string, unknown>;
  for (const name of Object.keys(out)) {
    const section = out[name] as Record<string, unknown> | null;
    if (section === null || typeof section !== 'object' || !Object.hasOwn(section, SECTION_KEY)) continue;
    const index = section[SECTION_KEY] as number;
    delete section[SECTION_KEY];
    // A plain entry of the same id is kept, as fromColumns does.
    for (const states of decoded.get(index) ?? []) for (const [id, state] of states) setEntry(section, id, state);
    const notWhole = bad.get(index);
    if (notWhole) section[COLUMNS_KEY] = notWhole;
  }
  return out;
}
