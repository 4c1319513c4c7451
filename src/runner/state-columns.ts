// Per-series state saved as columns. The states of a section (detectors, ramps) are objects of a
// few shapes (the same keys and array lengths for almost every series), so each shape is written
// once, with the ids of its series and their numbers as typed arrays (base64): no decimal text per
// number and no JSON per series. At 100k series that is most of a save's CPU.
//
// Decoding gives exactly what JSON.parse(JSON.stringify(state)) gives (a number that is not finite
// becomes null, -0 becomes 0), so a restart from columns restores what a restart from JSON did.
// Arrays of numbers are stored as compactly as is lossless: 16-bit fixed point in 1/1024 units (the
// seasonal profile's own resolution), float32 (the baselines' values), or float64. A state that
// does not fit (a string beginning with U+0000, a little-endian platform missing) is left as it was,
// a plain entry beside the columns. Pure.

import { Column, type ColumnScratch, MARK, Q_NULL, Q_UNITS, Unsupported, columnScratch, encodeValue, isSelfEncoding } from '../core/column-encoder.js';

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
  column: 'q' | 'f' | 'd';
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
  if (typeof t === 'string' && t.startsWith(MARK)) return node('numbers', { column: t[1] as 'q' | 'f' | 'd', length: Number(t.slice(2)) });
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

interface Group {
  shape: string;
  node: Node;
  ids: string[];
  f64: Column<Float64Array>;
  f32: Column<Float32Array>;
  i16: Column<Int16Array>;
}

/**
 * A section's states as column groups, and the states that could not be put in columns as plain
 * entries beside them (under their ids). A state is plain data or a SelfEncoding, which writes its
 * own template and numbers (no plain copy of it is made). The result is what is written in the
 * section's place.
 */
export function toColumns(states: Record<string, unknown> | Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const entries = Symbol.iterator in states ? (states as Iterable<[string, unknown]>) : entriesOf(states as Record<string, unknown>);
  if (!LITTLE_ENDIAN) {
    for (const [id, state] of entries) out[id] = isSelfEncoding(state) ? state.snapshot() : state;
    return out;
  }
  const groups = new Map<string, Group>();
  const scratch = columnScratch();
  let last: Group | undefined;
  for (const [id, state] of entries) {
    scratch.f64.length = scratch.f32.length = scratch.i16.length = 0;
    let shape: string;
    if (isSelfEncoding(state)) {
      if (!last) shape = state.encodeColumns(scratch);
      else {
        // Straight into the last group's columns; moved out when the shape turns out to differ.
        const mark = { f64: last.f64.length, f32: last.f32.length, i16: last.i16.length };
        shape = state.encodeColumns(last);
        if (shape === last.shape) {
          last.ids.push(id);
          continue;
        }
        moveTail(last.f64, mark.f64, scratch.f64);
        moveTail(last.f32, mark.f32, scratch.f32);
        moveTail(last.i16, mark.i16, scratch.i16);
      }
    } else {
      if (last) {
        // Straight into the last group's columns when the shape matches; undone when it does not.
        const mark = { f64: last.f64.length, f32: last.f32.length, i16: last.i16.length };
        if (writeMatching(state, last.node, last)) {
          last.ids.push(id);
          continue;
        }
        last.f64.length = mark.f64;
        last.f32.length = mark.f32;
        last.i16.length = mark.i16;
      }
      try {
        if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new Unsupported();
        shape = encodeValue(state, scratch);
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        out[id] = state;
        continue;
      }
    }
    let g = last?.shape === shape ? last : groups.get(shape);
    if (!g) {
      const columns = columnScratch();
      groups.set(shape, (g = { shape, node: compile(JSON.parse(shape)), ids: [], ...columns }));
    }
    g.ids.push(id);
    g.f64.append(scratch.f64);
    g.f32.append(scratch.f32);
    g.i16.append(scratch.i16);
    last = g;
  }
  if (groups.size > 0) out[COLUMNS_KEY] = [...groups.values()].map((g): ColumnGroup => ({ shape: g.shape, ids: g.ids, f64: g.f64.base64(), f32: g.f32.base64(), i16: g.i16.base64() }));
  return out;
}

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
  else if (typeof t === 'string' && t.startsWith(MARK)) c[t[1] as 'd' | 'f' | 'q'] += Number(t.slice(2));
  else if (Array.isArray(t)) for (const e of t) countOf(e, c);
  else if (t !== null && typeof t === 'object') for (const k of Object.keys(t)) countOf((t as Record<string, unknown>)[k], c);
}

function build(t: unknown, c: Cursor): unknown {
  if (typeof t === 'number') return asJson(c.f64[c.d++]!);
  if (typeof t === 'string') {
    if (!t.startsWith(MARK)) return t;
    const n = Number(t.slice(2));
    const out = new Array<number | null>(n);
    if (t[1] === 'q') {
      for (let i = 0; i < n; i++) {
        const v = c.i16[c.q++]!;
        out[i] = v === Q_NULL ? null : v / Q_UNITS;
      }
    } else if (t[1] === 'f') for (let i = 0; i < n; i++) out[i] = asJson(c.f32[c.f++]!);
    else for (let i = 0; i < n; i++) out[i] = asJson(c.f64[c.d++]!);
    return out;
  }
  if (Array.isArray(t)) return t.map((e) => build(e, c));
  if (t !== null && typeof t === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(t)) out[k] = build((t as Record<string, unknown>)[k], c);
    return out;
  }
  return t;
}

/** Whether a template's markers are well formed (kind and a whole count). */
function validTemplate(t: unknown): boolean {
  if (typeof t === 'string') return !t.startsWith(MARK) || (/^\u0000[dfq]\d+$/.test(t));
  if (Array.isArray(t)) return t.every(validTemplate);
  if (t !== null && typeof t === 'object') return Object.values(t).every(validTemplate);
  return true;
}

/** One group's states by id; undefined when the group is not whole (the wrong number of numbers). */
function decodeGroup(g: Partial<ColumnGroup> | null): Map<string, unknown> | undefined {
  if (!g || typeof g.shape !== 'string' || !Array.isArray(g.ids) || !g.ids.every((id) => typeof id === 'string')) return undefined;
  let template: unknown;
  try {
    template = JSON.parse(g.shape);
  } catch {
    return undefined;
  }
  if (!validTemplate(template)) return undefined;
  const f64s = typed(g.f64, 8, (b) => new Float64Array(b));
  const f32s = typed(g.f32, 4, (b) => new Float32Array(b));
  const i16s = typed(g.i16, 2, (b) => new Int16Array(b));
  if (!f64s || !f32s || !i16s) return undefined;
  const per = { d: 0, f: 0, q: 0 };
  countOf(template, per);
  const n = g.ids.length;
  if (f64s.length !== per.d * n || f32s.length !== per.f * n || i16s.length !== per.q * n) return undefined;
  const cursor: Cursor = { f64: f64s, f32: f32s, i16: i16s, d: 0, f: 0, q: 0 };
  const out = new Map<string, unknown>();
  for (const id of g.ids) out.set(id, build(template, cursor));
  return out;
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
    // Own properties only (an id could be any text, "__proto__" too).
    for (const [id, state] of states) if (!Object.hasOwn(s, id)) Object.defineProperty(s, id, { value: state, enumerable: true, writable: true, configurable: true });
  }
  if (bad.length > 0) s[COLUMNS_KEY] = bad;
  else delete s[COLUMNS_KEY];
}
