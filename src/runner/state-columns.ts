// Per-series state saved as columns. The states of a section (detectors, ramps) are objects of a
// few shapes (the same keys and array lengths for almost every series), so each shape is written
// once, with the ids of its series and their numbers as typed arrays (raw bytes in the binary file,
// state-binary.ts; base64 in the JSON files before it): no decimal text per number and no JSON per
// series. At 100k series that is most of a save's CPU.
//
// Decoding gives exactly what JSON.parse(JSON.stringify(state)) gives (a number that is not finite
// becomes null, -0 becomes 0), so a restart from columns restores what a restart from JSON did.
// Arrays of numbers are stored as compactly as is lossless: 16-bit fixed point in 1/1024 units (the
// seasonal profile's own resolution), float32, or float64; a state that encodes itself may also
// write 16-bit integers as they are ('i': the tail records' codes) and non-negative half floats as
// their bits ('h': the ratio baselines' values, as their windows keep them; files saved before
// have them as float32s, read as ever). A state that does not fit (a string beginning with U+0000,
// a little-endian platform missing) is left as it was, a plain entry beside the columns. Pure.

import { halfBits, halfValue } from '../core/half-float.js';
import { Column, type ColumnScratch, MARK, Q_NULL, Q_UNITS, type SelfEncoding, Unsupported, columnScratch, encodeValue, isSelfEncoding } from '../core/column-encoder.js';

/** The key of a section's column groups, among its plain entries. */
export const COLUMNS_KEY = '\u0000columns';

/** One shape: its template (JSON, numbers as 0, number arrays as markers), its series and their numbers. */
export interface ColumnGroup {
  shape: string;
  ids: string[];
  f64: string;
  f32: string;
  i16: string;
}

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

/** A template compiled for matching states against it while their numbers are written (one shape for all nodes: monomorphic). */
interface Node {
  kind: 'number' | 'numbers' | 'literal' | 'array' | 'object';
  column: 'q' | 'f' | 'd' | 'i' | 'h';
  length: number;
  value: unknown;
  keys: string[];
  children: Node[];
}

function node(kind: Node['kind'], fields: Partial<Node> = {}): Node {
  return { kind, column: fields.column ?? 'd', length: fields.length ?? 0, value: fields.value, keys: fields.keys ?? [], children: fields.children ?? [] };
}

function compile(t: unknown): Node {
  if (typeof t === 'number') return node('number');
  if (typeof t === 'string' && t.startsWith(MARK)) return node('numbers', { column: t[1] as Node['column'], length: Number(t.slice(2)) });
  if (Array.isArray(t)) return node('array', { children: t.map(compile), length: t.length });
  if (t !== null && typeof t === 'object') return node('object', { keys: Object.keys(t), children: Object.values(t).map(compile) });
  return node('literal', { value: t });
}

/**
 * Writes a state's numbers to `s` if the state has the template's shape (the same keys in the same
 * order, array lengths, literals, and numbers each array's column holds exactly); false otherwise,
 * with `s` partly written. The common case: most series share the shape of the one before.
 */
function writeMatching(value: unknown, node: Node, s: ColumnScratch): boolean {
  switch (node.kind) {
    case 'number':
      if (value === null) s.f64.push(Number.NaN);
      else if (typeof value === 'number') s.f64.push(value);
      else return false;
      return true;
    case 'numbers': {
      if (!Array.isArray(value) || value.length !== node.length) return false;
      const a = value as unknown[];
      if (node.column === 'q') {
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          if (v === null) s.i16.push(Q_NULL);
          else if (typeof v !== 'number') return false;
          else if (!Number.isFinite(v)) s.i16.push(Q_NULL);
          else {
            const q = v * Q_UNITS;
            if (!(Number.isInteger(q) && Math.abs(q) <= 32767)) return false;
            s.i16.push(q);
          }
        }
      } else if (node.column === 'i') {
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          if (!(typeof v === 'number' && Number.isInteger(v) && v >= -32768 && v <= 32767 && !Object.is(v, -0))) return false;
          s.i16.push(v);
        }
      } else if (node.column === 'h') {
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          if (typeof v !== 'number') return false;
          // Only a half float's value exactly (and not −0, which JSON would not give back).
          const bits = halfBits(v);
          if (halfValue(bits) !== v || Object.is(v, -0)) return false;
          s.i16.push(bits);
        }
      } else if (node.column === 'f') {
        const column = s.f32;
        column.reserve(a.length);
        const data = column.data;
        let at = column.length;
        for (let i = 0; i < a.length; i++, at++) {
          const v = a[i];
          if (v === null) data[at] = Number.NaN;
          else if (typeof v !== 'number') return false;
          else {
            data[at] = v;
            // Read back: a value the float32 rounded is not held exactly (NaN and ±Infinity are).
            if (data[at] !== v && v === v) return false;
          }
        }
        column.length = at;
      } else {
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          if (v === null) s.f64.push(Number.NaN);
          else if (typeof v !== 'number') return false;
          else s.f64.push(v);
        }
      }
      return true;
    }
    case 'literal':
      return value === node.value;
    case 'array': {
      if (!Array.isArray(value) || value.length !== node.length) return false;
      for (let i = 0; i < value.length; i++) if (!writeMatching(value[i], node.children[i]!, s)) return false;
      return true;
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      const keys = node.keys;
      let i = 0;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        if (i >= keys.length || key !== keys[i]) return false;
        if (!writeMatching((value as Record<string, unknown>)[key], node.children[i]!, s)) return false;
        i++;
      }
      return i === keys.length;
    }
  }
}

/** A group of series of one shape and their numbers, as the writer hands it on. */
export interface FilledGroup {
  shape: string;
  ids: string[];
  f64: Column<Float64Array>;
  f32: Column<Float32Array>;
  i16: Column<Int16Array>;
}

interface Group extends FilledGroup {
  node: Node;
}

/** Shapes a writer keeps open at once; beyond, all are handed on (series of many shapes are rare). */
const MAX_OPEN_GROUPS = 64;

/**
 * Columns of groups handed on at the end of a section, kept for the next section or save. Without
 * them each save grew fresh arrays to a chunk's size (35 MB at 100k series), which outlived the
 * save's young collections, counted as external memory and set off a full collection of the whole
 * heap about once a save. Kept by shape, since a shape's group needs the same room save after save,
 * and only from writers of bounded chunks, up to a total size (a save at 100k series keeps 18 MB).
 */
const spareColumns = new Map<string, ColumnScratch>();
const MAX_SPARE_BYTES = 64 * 1024 * 1024;
let spareBytes = 0;

/**
 * Puts a section's states in column groups, one per shape, handing each group on when it holds
 * `chunkNumbers` numbers (then reusing its arrays: a binary save streams bounded chunks) and at
 * end(). States that cannot be put in columns are kept in `plain`. A state is plain data or a
 * SelfEncoding, which writes its own template and numbers (no plain copy of it is made).
 */
export class ColumnWriter {
  readonly plain: Record<string, unknown> = {};
  private readonly groups = new Map<string, Group>();
  private readonly nodes = new Map<string, Node>();
  private readonly scratch = columnScratch();
  private last: Group | undefined;

  constructor(
    private readonly handOn: (group: FilledGroup) => void,
    private readonly chunkNumbers = Number.POSITIVE_INFINITY,
  ) {}

  /** Whether columns can be written on this platform (they are little-endian). */
  static get supported(): boolean {
    return LITTLE_ENDIAN;
  }

  add(id: string, state: unknown): void {
    if (!LITTLE_ENDIAN) {
      setEntry(this.plain, id, isSelfEncoding(state) ? state.snapshot() : state);
      return;
    }
    const scratch = this.scratch;
    const last = this.last;
    scratch.f64.length = scratch.f32.length = scratch.i16.length = 0;
    let shape: string;
    if (isSelfEncoding(state)) {
      if (!last) shape = state.encodeColumns(scratch);
      else {
        // Straight into the last group's columns; moved out when the shape turns out to differ.
        const f64 = last.f64.length;
        const f32 = last.f32.length;
        const i16 = last.i16.length;
        shape = state.encodeColumns(last);
        if (shape === last.shape) {
          this.added(last, id);
          return;
        }
        moveTail(last.f64, f64, scratch.f64);
        moveTail(last.f32, f32, scratch.f32);
        moveTail(last.i16, i16, scratch.i16);
      }
    } else {
      if (last) {
        // Straight into the last group's columns when the shape matches; undone when it does not.
        const f64 = last.f64.length;
        const f32 = last.f32.length;
        const i16 = last.i16.length;
        if (writeMatching(state, last.node, last)) {
          this.added(last, id);
          return;
        }
        last.f64.length = f64;
        last.f32.length = f32;
        last.i16.length = i16;
      }
      try {
        if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new Unsupported();
        shape = encodeValue(state, scratch);
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        setEntry(this.plain, id, state);
        return;
      }
    }
    let g = last?.shape === shape ? last : this.groups.get(shape);
    if (!g) {
      if (this.groups.size >= MAX_OPEN_GROUPS) this.end();
      let node = this.nodes.get(shape);
      if (!node) {
        if (this.nodes.size >= MAX_OPEN_GROUPS) this.nodes.clear();
        this.nodes.set(shape, (node = compile(JSON.parse(shape))));
      }
      this.groups.set(shape, (g = { shape, node, ids: [], ...(takeSpare(shape) ?? columnScratch()) }));
    }
    g.f64.append(scratch.f64);
    g.f32.append(scratch.f32);
    g.i16.append(scratch.i16);
    this.last = g;
    this.added(g, id);
  }

  /** Hands on every group that holds series. */
  end(): void {
    for (const g of this.groups.values()) {
      this.handOnGroup(g);
      // Handed on means written (or copied): the arrays are free for the next group.
      if (Number.isFinite(this.chunkNumbers)) keepSpare(g.shape, g);
    }
    this.groups.clear();
    this.last = undefined;
  }

  private added(g: Group, id: string): void {
    g.ids.push(id);
    if (g.f64.length + g.f32.length + g.i16.length >= this.chunkNumbers) this.handOnGroup(g);
  }

  private handOnGroup(g: Group): void {
    if (g.ids.length === 0) return;
    this.handOn(g);
    g.ids = [];
    g.f64.length = g.f32.length = g.i16.length = 0;
  }
}

/**
 * A section's states as column groups (base64, for a JSON file), and the states that could not be
 * put in columns as plain entries beside them (under their ids). The result is what is written in
 * the section's place.
 */
export function toColumns(states: Record<string, unknown> | Iterable<[string, unknown]>): Record<string, unknown> {
  const groups: ColumnGroup[] = [];
  const writer = new ColumnWriter((g) => groups.push({ shape: g.shape, ids: g.ids, f64: g.f64.base64(), f32: g.f32.base64(), i16: g.i16.base64() }));
  const entries = Symbol.iterator in states ? (states as Iterable<[string, unknown]>) : entriesOf(states as Record<string, unknown>);
  for (const [id, state] of entries) writer.add(id, state);
  writer.end();
  const out = writer.plain;
  if (groups.length > 0) out[COLUMNS_KEY] = groups;
  return out;
}

/** The spare columns kept for `shape`, taken (no two open groups share them). */
function takeSpare(shape: string): ColumnScratch | undefined {
  const spare = spareColumns.get(shape);
  if (spare) {
    spareColumns.delete(shape);
    spareBytes -= bytesOfColumns(spare);
  }
  return spare;
}

function keepSpare(shape: string, columns: ColumnScratch): void {
  const bytes = bytesOfColumns(columns);
  if (spareColumns.has(shape) || spareBytes + bytes > MAX_SPARE_BYTES) return;
  spareColumns.set(shape, { f64: columns.f64, f32: columns.f32, i16: columns.i16 });
  spareBytes += bytes;
}

const bytesOfColumns = (c: ColumnScratch) => c.f64.data.byteLength + c.f32.data.byteLength + c.i16.data.byteLength;

/** Moves a column's values from `from` on to the end of `to`. */
function moveTail<T extends Float64Array | Float32Array | Int16Array>(column: Column<T>, from: number, to: Column<T>): void {
  to.reserve(column.length - from);
  to.data.set(column.data.subarray(from, column.length), to.length);
  to.length += column.length - from;
  column.length = from;
}

function* entriesOf(states: Record<string, unknown>): Generator<[string, unknown]> {
  for (const id in states) yield [id, states[id]];
}

/** The typed array a base64 text holds; undefined when it is not whole elements. */
function typed<T>(text: unknown, bytes: number, make: (b: ArrayBuffer) => T): T | undefined {
  if (typeof text !== 'string') return undefined;
  const b = Buffer.from(text, 'base64');
  if (b.length % bytes !== 0) return undefined;
  return make(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer);
}

interface Cursor {
  f64: Float64Array;
  f32: Float32Array;
  i16: Int16Array;
  d: number;
  f: number;
  q: number;
}

/** A number as JSON would give it back. */
function asJson(v: number): number | null {
  return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
}

/** Counts the numbers one state of a template takes from each column. */
function countOf(t: unknown, c: { d: number; f: number; q: number }): void {
  if (typeof t === 'number') c.d++;
  else if (typeof t === 'string' && t.startsWith(MARK)) c[t[1] === 'i' || t[1] === 'h' ? 'q' : (t[1] as 'd' | 'f' | 'q')] += Number(t.slice(2));
  else if (Array.isArray(t)) for (const e of t) countOf(e, c);
  else if (t !== null && typeof t === 'object') for (const k of Object.keys(t)) countOf((t as Record<string, unknown>)[k], c);
}

function build(t: unknown, c: Cursor): unknown {
  if (typeof t === 'number') return asJson(c.f64[c.d++]!);
  if (typeof t === 'string') return t.startsWith(MARK) ? readNumbers(c, t[1]!, Number(t.slice(2))) : t;
  if (Array.isArray(t)) return t.map((e) => build(e, c));
  if (t !== null && typeof t === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(t)) out[k] = build((t as Record<string, unknown>)[k], c);
    return out;
  }
  return t;
}

/** `n` numbers of a marker's column (`kind`: q, i, h, f or d) from the cursor, as JSON gives them (bits that are no non-negative half float: null). */
function readNumbers(c: Cursor, kind: string, n: number): (number | null)[] {
  const out = new Array<number | null>(n);
  if (kind === 'q') {
    for (let i = 0; i < n; i++) {
      const v = c.i16[c.q++]!;
      out[i] = v === Q_NULL ? null : v / Q_UNITS;
    }
  } else if (kind === 'i') for (let i = 0; i < n; i++) out[i] = c.i16[c.q++]!;
  else if (kind === 'h') for (let i = 0; i < n; i++) out[i] = asJson(halfValue(c.i16[c.q++]!));
  else if (kind === 'f') for (let i = 0; i < n; i++) out[i] = asJson(c.f32[c.f++]!);
  else for (let i = 0; i < n; i++) out[i] = asJson(c.f64[c.d++]!);
  return out;
}

type Builder = (c: Cursor) => unknown;

/** A chunk with fewer states than this is built by walking its template (compiling costs about as much as a few dozen walks). */
const COMPILE_FROM_STATES = 16;
/** Generated code longer than this is not compiled (a template of ever so many keys: walk it). */
const MAX_BUILDER_SOURCE = 64 * 1024;

/**
 * build() for one template as code made once for all the states of its chunk: object literals of
 * one shape (a store per key into an empty object goes through V8's generic keyed store, and the
 * walk reads each marker's text again for every state), numbers taken from the cursor in the
 * walk's order. At a restart of 100k series the walk was a seventh of the restore. Keys are
 * written as strings, not computed: a `"__proto__"` key then sets the prototype, as the walk's
 * store does. Keys and literals are JSON text and counts are digits (validTemplate), so no
 * template writes code. Undefined for too large a template.
 */
function compileBuilder(t: unknown): Builder | undefined {
  const emit = (t: unknown): string => {
    if (typeof t === 'number') return 'J(c.f64[c.d++])';
    if (typeof t === 'string') return t.startsWith(MARK) ? `N(c, ${JSON.stringify(t[1])}, ${Number(t.slice(2))})` : JSON.stringify(t);
    if (Array.isArray(t)) return `[${t.map(emit).join(', ')}]`;
    if (t !== null && typeof t === 'object') return `{${Object.keys(t).map((k) => `${JSON.stringify(k)}: ${emit((t as Record<string, unknown>)[k])}`).join(', ')}}`;
    return JSON.stringify(t);
  };
  const body = emit(t);
  if (body.length > MAX_BUILDER_SOURCE) return undefined;
  return new Function('J', 'N', `return (c) => (${body});`)(asJson, readNumbers) as Builder;
}

/** Whether a template's markers are well formed (kind and a whole count). */
function validTemplate(t: unknown): boolean {
  if (typeof t === 'string') return !t.startsWith(MARK) || (/^\u0000[dfqih]\d+$/.test(t));
  if (Array.isArray(t)) return t.every(validTemplate);
  if (t !== null && typeof t === 'object') return Object.values(t).every(validTemplate);
  return true;
}

/** One group's states by id; undefined when the group is not whole (the wrong number of numbers). */
function decodeGroup(g: Partial<ColumnGroup> | null): Map<string, unknown> | undefined {
  if (!g || typeof g.shape !== 'string' || !Array.isArray(g.ids) || !g.ids.every((id) => typeof id === 'string')) return undefined;
  const f64s = typed(g.f64, 8, (b) => new Float64Array(b));
  const f32s = typed(g.f32, 4, (b) => new Float32Array(b));
  const i16s = typed(g.i16, 2, (b) => new Int16Array(b));
  if (!f64s || !f32s || !i16s) return undefined;
  return decodeColumns(g.shape, g.ids, f64s, f32s, i16s);
}

/**
 * The states of series `ids` of one shape from their columns (as toColumns or a binary save wrote
 * them), each exactly what JSON would give; undefined when the template is not one or the columns
 * do not hold exactly the numbers of `ids.length` states. `deferred`: each state a DeferredState,
 * built when it is asked for, from these very columns (a copy of 200 MB at 100k series cost more
 * than the build; the pipeline lets go of what is left at its first save).
 */
export function decodeColumns(shape: string, ids: readonly string[], f64s: Float64Array, f32s: Float32Array, i16s: Int16Array, deferred = false): Map<string, unknown> | undefined {
  let template: unknown;
  try {
    template = JSON.parse(shape);
  } catch {
    return undefined;
  }
  if (!validTemplate(template)) return undefined;
  const per = { d: 0, f: 0, q: 0 };
  countOf(template, per);
  const n = ids.length;
  if (f64s.length !== per.d * n || f32s.length !== per.f * n || i16s.length !== per.q * n) return undefined;
  const out = new Map<string, unknown>();
  if (deferred) {
    const chunk: DecodedChunk = { template, per, f64: f64s, f32: f32s, i16: i16s, builder: n >= COMPILE_FROM_STATES ? null : undefined };
    for (let k = 0; k < n; k++) out.set(ids[k]!, new DeferredState(chunk, k));
    return out;
  }
  const cursor: Cursor = { f64: f64s, f32: f32s, i16: i16s, d: 0, f: 0, q: 0 };
  const compiled = n >= COMPILE_FROM_STATES ? compileBuilder(template) : undefined;
  for (const id of ids) out.set(id, compiled ? compiled(cursor) : build(template, cursor));
  return out;
}

/** A chunk's template and columns, kept for the states built from them when asked for. */
interface DecodedChunk {
  template: unknown;
  per: { d: number; f: number; q: number };
  f64: Float64Array;
  f32: Float32Array;
  i16: Int16Array;
  /** Its template compiled (compileBuilder) when first asked for; null: not yet; undefined: walked. */
  builder: Builder | null | undefined;
}

/**
 * A saved state left in its chunk's columns until it is asked for. A restart at 100k series built
 * 100k object trees of a few hundred numbers at load, and every collection until the first tick
 * had restored them marked them all (a third of the restart's CPU); built as each series is
 * restored, a tree dies young. It stands for its state wherever a state goes: snapshot() builds
 * it, a save writes it (SelfEncoding), JSON writes what it holds.
 */
export class DeferredState implements SelfEncoding {
  /** Undefined once taken. */
  private chunk: DecodedChunk | undefined;

  constructor(
    chunk: DecodedChunk,
    private readonly index: number,
  ) {
    this.chunk = chunk;
  }

  /** The state, exactly what decodeColumns builds for it: a new object at each call. */
  snapshot(): unknown {
    const c = this.chunk;
    if (!c) throw new Error('a saved state was read after it was restored');
    const k = this.index;
    if (c.builder === null) c.builder = compileBuilder(c.template);
    const cursor: Cursor = { f64: c.f64, f32: c.f32, i16: c.i16, d: k * c.per.d, f: k * c.per.f, q: k * c.per.q };
    return c.builder ? c.builder(cursor) : build(c.template, cursor);
  }

  /** The state, once: the chunk's columns (the file's memory) go when every state of it was taken. */
  take(): unknown {
    const state = this.snapshot();
    this.chunk = undefined;
    return state;
  }

  encodeColumns(s: ColumnScratch): string {
    return encodeValue(this.snapshot(), s);
  }

  toJSON(): unknown {
    return this.snapshot();
  }
}

/**
 * Sets a section's entry as an own property, unless it has one. An id could be any text: "__proto__"
 * is defined (a store would set the prototype); any other is stored (a definition per entry, with
 * its descriptor object, was a tenth of a restart's decode at 100k series).
 */
export function setEntry(section: Record<string, unknown>, id: string, state: unknown): void {
  if (Object.hasOwn(section, id)) return;
  if (id === '__proto__') Object.defineProperty(section, id, { value: state, enumerable: true, writable: true, configurable: true });
  else section[id] = state;
}

/**
 * Undoes toColumns in place on a parsed section: each whole group's states become plain entries
 * again (a plain entry of the same id is kept). Groups that are not whole stay under COLUMNS_KEY,
 * where the state check reports them as a bad entry.
 */
export function fromColumns(section: unknown): void {
  if (!section || typeof section !== 'object') return;
  const s = section as Record<string, unknown>;
  const groups = s[COLUMNS_KEY];
  if (groups === undefined) return;
  if (!Array.isArray(groups)) return;
  const bad: unknown[] = [];
  for (const g of groups as (Partial<ColumnGroup> | null)[]) {
    const states = decodeGroup(g);
    if (!states) {
      bad.push(g);
      continue;
    }
    for (const [id, state] of states) setEntry(s, id, state);
  }
  if (bad.length > 0) s[COLUMNS_KEY] = bad;
  else delete s[COLUMNS_KEY];
}
