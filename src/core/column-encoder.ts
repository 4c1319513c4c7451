// Encoding a state as a template and columns of numbers (the saved form of runner/state-columns.ts):
// the template is the state's JSON with every number written as 0 and every array of numbers as a
// marker (its column and length); the numbers go to typed columns in the order a decoder walks the
// template. Here so that a state can encode itself (SelfEncoding) straight from the typed arrays it
// lives in, without being built as plain objects first: at 100k series a save made 100k snapshots
// of ~700 numbers each, most of its CPU and garbage. Pure.

/** Marks an array of numbers in a template (as JSON text: "\u0000" then the column kind and the length). */
export const MARK = '\u0000';
/** Fixed-point units of the 16-bit column, and the value that stands for null. */
export const Q_UNITS = 1024;
export const Q_NULL = -32768;

/**
 * The column an array of numbers went to: 16-bit fixed point, float32 or float64; or, written by a
 * state that encodes itself and never chosen by encodeNumbers, 16-bit integers as they are ('i':
 * codes a state keeps in an Int16Array) or non-negative half floats as their bits ('h',
 * core/half-float.ts: a baseline window's ratios as it keeps them, half a float32's bytes).
 * 'i' and 'h' go to the 16-bit column.
 */
export type ColumnKind = 'q' | 'f' | 'd' | 'i' | 'h';

/** A state (or a part of one) that cannot be put in columns: it stays a plain entry. */
export class Unsupported extends Error {}

/** A typed array that grows by doubling. */
export class Column<T extends Float64Array | Float32Array | Int16Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}

  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1);
    this.data[this.length++] = v;
  }

  /** Makes room for `n` more values. */
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    const next = this.make(Math.max(64, this.data.length * 2, this.length + n));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  append(other: Column<T>): void {
    this.reserve(other.length);
    this.data.set(other.data.subarray(0, other.length), this.length);
    this.length += other.length;
  }

  base64(): string {
    const d = this.data;
    return Buffer.from(d.buffer, d.byteOffset, this.length * d.BYTES_PER_ELEMENT).toString('base64');
  }
}

/** The three columns a state's numbers are written to. */
export interface ColumnScratch {
  f64: Column<Float64Array>;
  f32: Column<Float32Array>;
  i16: Column<Int16Array>;
}

export function columnScratch(): ColumnScratch {
  return { f64: new Column(new Float64Array(0), (n) => new Float64Array(n)), f32: new Column(new Float32Array(0), (n) => new Float32Array(n)), i16: new Column(new Int16Array(0), (n) => new Int16Array(n)) };
}

/**
 * A state that writes its own template and numbers: exactly what encodeValue gives for its
 * snapshot(), which is also what stands in for it where columns are not used.
 */
export interface SelfEncoding {
  encodeColumns(s: ColumnScratch): string;
  snapshot(): unknown;
  /** The state, for the last time: what stands for it may let its storage go (a loaded file's columns). */
  take?(): unknown;
}

/** Whether a state encodes itself (plain data, as parsed JSON is, has no methods). */
export function isSelfEncoding(state: unknown): state is SelfEncoding {
  return typeof state === 'object' && state !== null && typeof (state as Partial<SelfEncoding>).encodeColumns === 'function';
}

/** A state as plain data: what a SelfEncoding stands for (its snapshot), anything else as it is. */
export function plainState(state: unknown): unknown {
  return isSelfEncoding(state) ? state.snapshot() : state;
}

/** plainState of a state read for the last time (restored): one that stands for a loaded file's columns lets them go. */
export function takeState(state: unknown): unknown {
  return isSelfEncoding(state) ? (state.take ? state.take() : state.snapshot()) : state;
}

/** Scratch for a state's numbers on their way to encodeNumbers; grown on demand, shared (one thread). */
let numbers = new Float64Array(1024);

/** The shared scratch, with room for `n` numbers. Its contents last until the next call. */
export function numbersScratch(n: number): Float64Array {
  if (numbers.length < n) numbers = new Float64Array(Math.max(n, 2 * numbers.length));
  return numbers;
}

/** The template of a number (or null), its value pushed. */
export function encodeNumber(value: number | null, s: ColumnScratch): '0' {
  s.f64.push(value === null ? Number.NaN : value);
  return '0';
}

/** Whether every element is a number or null (an array the columns hold). */
function numeric(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== null && typeof a[i] !== 'number') return false;
  return true;
}

/** Keys as JSON text: states have few distinct keys, each written once per series. */
const keyTexts = new Map<string, string>();
const MAX_KEY_TEXTS = 4096;

function keyText(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (keyTexts.size < MAX_KEY_TEXTS) keyTexts.set(key, text);
  }
  return text;
}

/** The template of `value`, its numbers pushed into `s` in the order a decoder walks the template. */
export function encodeValue(value: unknown, s: ColumnScratch): string {
  if (value === null || typeof value === 'number') return encodeNumber(value, s);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    if (value.startsWith(MARK)) throw new Unsupported();
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    if (value.length > 0 && numeric(value)) return encodeNumbers(value as (number | null)[], 0, value.length, s);
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const e = value[i];
      // As JSON: an element that has no JSON form is null.
      out += `${i > 0 ? ',' : ''}${e === undefined || typeof e === 'function' || typeof e === 'symbol' ? encodeNumber(null, s) : encodeValue(e, s)}`;
    }
    return `${out}]`;
  }
  if (typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw new Unsupported();
    let out = '{';
    let first = true;
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      out += `${first ? '' : ','}${keyText(key)}:${encodeValue(v, s)}`;
      first = false;
    }
    return `${out}}`;
  }
  throw new Unsupported();
}

/** Marker texts by kind, indexed by length: made once, so templates built of them share their pieces (no key text built per call). */
const markerTexts: Record<ColumnKind, string[]> = { q: [], f: [], d: [], i: [], h: [] };

/** A marker's template text: the kind and length of an array of numbers. */
export function numbersTemplate(kind: ColumnKind, length: number): string {
  const texts = markerTexts[kind];
  let text = texts[length];
  if (text === undefined) {
    text = `"\\u0000${kind}${length}"`;
    if (length < MAX_KEY_TEXTS) texts[length] = text;
  }
  return text;
}

/**
 * Appends `n` values of `a` from `from` to a column as they are (the caller's typed array already
 * holds what the column does: float32s to f32, fixed point or codes to i16); returns the template
 * of an array of them of kind `kind` ('[]' when empty).
 */
export function encodeTyped<T extends Float64Array | Float32Array | Int16Array>(a: T, from: number, n: number, column: Column<T>, kind: ColumnKind): string {
  if (n === 0) return '[]';
  column.reserve(n);
  const data = column.data;
  const at = column.length;
  // Copied in a loop: a subarray for set() is an object a call, and a save at 100k series copies
  // a weekly profile and two tail records a series (runs of 15-168 values).
  for (let i = 0; i < n; i++) data[at + i] = a[from + i]!;
  column.length = at + n;
  return numbersTemplate(kind, n);
}

/**
 * The template of an array of numbers, `a[from]` to `a[from + n - 1]` (null and NaN alike: written
 * as null), pushed to the smallest column that holds it exactly. An empty array is `[]`, as
 * encodeValue writes it.
 */
export function encodeNumbers(a: ArrayLike<number | null>, from: number, n: number, s: ColumnScratch): string {
  if (n === 0) return '[]';
  const end = from + n;
  let fixed = true;
  let single = true;
  for (let i = from; i < end; i++) {
    const v = a[i]!;
    if (v === null || !Number.isFinite(v)) continue;
    const q = v * Q_UNITS;
    if (fixed && !(Number.isInteger(q) && Math.abs(q) <= 32767 && !Object.is(q, -0))) fixed = false;
    if (single && Math.fround(v) !== v) single = false;
    if (!fixed && !single) break;
  }
  if (fixed) {
    const column = s.i16;
    column.reserve(n);
    const data = column.data;
    let at = column.length;
    for (let i = from; i < end; i++) {
      const v = a[i]!;
      data[at++] = v === null || !Number.isFinite(v) ? Q_NULL : v * Q_UNITS;
    }
    column.length = at;
    return numbersTemplate('q', n);
  }
  const column = single ? s.f32 : s.f64;
  column.reserve(n);
  const data = column.data;
  let at = column.length;
  for (let i = from; i < end; i++) {
    const v = a[i]!;
    data[at++] = v === null ? Number.NaN : v;
  }
  column.length = at;
  return numbersTemplate(single ? 'f' : 'd', n);
}
