// Decodes a Prometheus instant-query answer (`/api/v1/query`) from its bytes as they arrive, without
// JSON.parse and without an object or string per series: each series is handed to a sink as the
// byte range of its `metric` object (the same bytes tick after tick for the same series, so a caller
// resolves labels once per distinct text) and its value as a number. At 100k series, JSON.parse of
// three answers and the objects it built were most of a tick's source read.
//
// A range-query answer (`/api/v1/query_range`, a matrix) is read the same way by a decoder made with
// VectorDecoder.forMatrix: each series handed over whole, its metric's bytes and its points' times
// and values in typed arrays, so a history read builds no object per point either.
//
// Any valid JSON answer is read: any key order, whitespace, escapes and UTF-8 in label values,
// `warnings`/`infos`, a scalar result, NaN and ±Inf values. A native histogram, or a result of the
// other kind (a matrix to a vector decoder, a vector to a matrix one) is refused, and so is malformed
// JSON, with the byte offset where it went wrong. The sink may see series of an answer that turns
// out to be an error: callers apply them only once `end()` says success. Pure: no I/O.

import { decimalValue } from './decimal-text.js';

/** Receives each series of an answer; `bytes[start, end)` is its metric object, valid only during the call. */
export interface VectorSink {
  series(bytes: Uint8Array, start: number, end: number, value: number): void;
  /**
   * The metric text (one character per byte) the sink expects of the next series, if any: a text
   * that was the whole metric object of an earlier series. A series written
   * `{"metric":<that text>,"value":[time,"value"]}` goes to `expectedSeries` instead of `series`,
   * read without scanning its labels again (the same bytes are the same valid object).
   */
  expected?(): string | undefined;
  expectedSeries?(value: number): void;
}

/**
 * Receives each series of a range answer: `bytes[start, end)` is its metric object, and its points
 * are `times[0, count)` (seconds, as written) with `values[0, count)`; all valid only during the call.
 */
export interface MatrixSink {
  series(bytes: Uint8Array, start: number, end: number, times: Float64Array, values: Float64Array, count: number): void;
}

/** What an answer said besides its series. */
export interface DecodedAnswer {
  status: string;
  resultType: string | undefined;
  errorType: string | undefined;
  error: string | undefined;
  warnings: string[];
  infos: string[];
  /** How many series went to the sink. */
  series: number;
}

/** A body that is not a Prometheus instant-query answer; the message names the byte where it went wrong. */
export class AnswerDecodeError extends Error {
  constructor(
    message: string,
    /** An answer of another result type (matrix, string), or native histograms: valid JSON, wrong query. */
    readonly unsupported = false,
  ) {
    super(message);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Returned by a scanning step that ran out of bytes before its unit ended: retry with more. */
const MORE = -1;
/** Nesting deeper than this in skipped values is refused (a stack guard, far above any real answer). */
const MAX_DEPTH = 64;

const EMPTY_METRIC = new Uint8Array([OPEN_OBJECT, CLOSE_OBJECT]);
/** How Prometheus writes a series up to its metric object, and from its end to the value's time. */
const METRIC_KEY = Buffer.from('{"metric":');
const VALUE_KEY = Buffer.from(',"value":[');
const utf8 = new TextDecoder('utf-8');


const enum Phase {
  Open,
  Top,
  Data,
  Result,
  Tail,
}

/** The members of the envelope and of a series that the decoder acts on. */
const enum Key {
  Other,
  Status,
  Data,
  ErrorType,
  Error,
  Warnings,
  Infos,
  ResultType,
  Result,
  Metric,
  Value,
  Histogram,
  Values,
  Histograms,
}

const KEYS: [string, Key][] = [
  ['status', Key.Status],
  ['data', Key.Data],
  ['errorType', Key.ErrorType],
  ['error', Key.Error],
  ['warnings', Key.Warnings],
  ['infos', Key.Infos],
  ['resultType', Key.ResultType],
  ['result', Key.Result],
  ['metric', Key.Metric],
  ['value', Key.Value],
  ['histogram', Key.Histogram],
  ['values', Key.Values],
  ['histograms', Key.Histograms],
];
const KEY_BYTES = KEYS.map(([name, key]) => ({ bytes: Buffer.from(name), key }));

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function show(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

export class VectorDecoder {
  /** Bytes received but not yet consumed (a unit cut by a chunk's end), at pending[0, pendingLength). */
  private pending = new Uint8Array(0);
  private pendingLength = 0;
  /** The answer's byte offset of the first byte of the bytes being scanned (for errors). */
  private origin = 0;
  private phase = Phase.Open;
  /** Whether the object or array being read has had no member yet. */
  private first = true;
  private seen = new Set<Key>();
  private readonly answer: DecodedAnswer = { status: '', resultType: undefined, errorType: undefined, error: undefined, warnings: [], infos: [], series: 0 };
  /** A scalar result's value text, applied at the end once the result type says it is a scalar. */
  private scalar: string | undefined;
  private sawResult = false;
  /** Set by scanString: whether the string just scanned has escapes. */
  private escaped = false;
  /** Set by scanSeries: the metric's and the value's byte ranges. */
  private metricStart = -1;
  private metricEnd = -1;
  private valueStart = -1;
  private valueEnd = -1;
  private valueEscaped = false;
  /** Set by scanPair: the time's byte range. */
  private timeStart = -1;
  private timeEnd = -1;
  /** A matrix series' points so far (scanValues), reset at each scan of a series. */
  private times: Float64Array = new Float64Array(256);
  private values: Float64Array = new Float64Array(256);
  private points = -1;

  /** A decoder of instant answers; `matrix` (see forMatrix) makes it one of range answers instead. */
  constructor(
    private readonly sink: VectorSink,
    private readonly matrix?: MatrixSink,
  ) {}

  /** A decoder of range-query answers (matrices), handing each series to `sink` whole. */
  static forMatrix(sink: MatrixSink): VectorDecoder {
    return new VectorDecoder({ series: () => {} }, sink);
  }

  /** Decodes what it can of `chunk`; keeps a cut unit for the next chunk. Throws AnswerDecodeError. */
  push(chunk: Uint8Array): void {
    if (this.pendingLength === 0) {
      const stop = this.run(chunk, 0, chunk.length, false);
      this.keep(chunk, stop, chunk.length);
      return;
    }
    const need = this.pendingLength + chunk.length;
    if (need > this.pending.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.pending.length));
      grown.set(this.pending.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending.set(chunk, this.pendingLength);
    this.pendingLength = need;
    const stop = this.run(this.pending, 0, need, false);
    this.pending.copyWithin(0, stop, need);
    this.pendingLength = need - stop;
  }

  /** Ends the answer: what it said besides its series. Throws AnswerDecodeError if it is cut short or not an answer. */
  end(): DecodedAnswer {
    this.run(this.pending, 0, this.pendingLength, true);
    if (this.phase !== Phase.Tail) throw new AnswerDecodeError(`the answer ends early at byte ${this.origin}`);
    const a = this.answer;
    if (a.status === 'success') {
      if (!this.sawResult) throw new AnswerDecodeError('a success without data.result');
      if (this.matrix) {
        if (a.resultType !== 'matrix') throw new AnswerDecodeError(`expected a matrix, got ${a.resultType}`, true);
        return a;
      }
      if (a.resultType !== 'vector' && a.resultType !== 'scalar') throw new AnswerDecodeError(`expected a vector, got ${a.resultType}`, true);
      if (a.resultType === 'scalar') {
        if (this.scalar === undefined) throw new AnswerDecodeError('a scalar result without its [time, "value"] pair');
        a.series++;
        this.sink.series(EMPTY_METRIC, 0, 2, sampleValue(this.scalar, 'the scalar'));
      } else if (this.scalar !== undefined) throw new AnswerDecodeError('a vector result that is a [time, value] pair');
    }
    return a;
  }

  private keep(bytes: Uint8Array, from: number, to: number): void {
    if (to - from > this.pending.length) this.pending = new Uint8Array(Math.max(to - from, 4096));
    this.pending.set(bytes.subarray(from, to));
    this.pendingLength = to - from;
  }

  /** Scans whole units from `from`; returns where the first unfinished unit starts. */
  private run(b: Uint8Array, from: number, to: number, final: boolean): number {
    let i = from;
    for (;;) {
      const next = this.unit(b, i, to);
      if (next === MORE) break;
      this.origin += next - i;
      i = next;
    }
    // At the end, the unit cut short throws, naming where its scan stopped.
    if (final) this.unit(b, i, to, true);
    return i;
  }

  /** One unit of the current phase from `i`: the index after it, or MORE. */
  private unit(b: Uint8Array, i: number, to: number, final = false): number {
    const start = i;
    i = this.skipWhitespace(b, i, to);
    if (i >= to) {
      if (final && this.phase !== Phase.Tail) this.failAt(start, i, 'the answer ends early');
      return this.phase === Phase.Tail && i > start ? i : MORE;
    }
    const c = b[i]!;
    switch (this.phase) {
      case Phase.Open:
        if (c !== OPEN_OBJECT) this.failAt(start, i, `expected '{' (a Prometheus API answer), got ${show(c)}`);
        this.phase = Phase.Top;
        this.first = true;
        return i + 1;
      case Phase.Tail:
        return this.failAt(start, i, `unexpected ${show(c)} after the answer`);
      case Phase.Result:
        return this.resultUnit(b, start, i, to, final);
      default:
        return this.memberUnit(b, start, i, to, final);
    }
  }

  private failAt(start: number, at: number, what: string): never {
    throw new AnswerDecodeError(`${what} at byte ${this.origin + at - start}`);
  }

  /** A member of the envelope or of `data` (or the object's end). */
  private memberUnit(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    const top = this.phase === Phase.Top;
    if (b[i] === CLOSE_OBJECT) {
      this.phase = top ? Phase.Tail : Phase.Top;
      this.first = false;
      return i + 1;
    }
    if (!this.first) {
      if (b[i] !== COMMA) this.failAt(start, i, `expected ',' or '}', got ${show(b[i]!)}`);
      i = this.skipWhitespace(b, i + 1, to);
      if (i >= to) return this.more(start, i, final);
    }
    const keyStart = i;
    if (b[i] !== QUOTE) this.failAt(start, i, `expected a key, got ${show(b[i]!)}`);
    i = this.scanString(b, start, i, to, final);
    if (i === MORE) return MORE;
    const key = this.keyOf(b, keyStart, i);
    i = this.colon(b, start, i, to, final);
    if (i === MORE) return MORE;
    const valueStart = i;
    const c = b[i]!;
    if (top && key === Key.Data && c === OPEN_OBJECT) {
      this.once(start, keyStart, key);
      this.phase = Phase.Data;
      this.first = true;
      return i + 1;
    }
    if (!top && key === Key.Result && c === OPEN_ARRAY) {
      this.once(start, keyStart, key);
      this.sawResult = true;
      this.phase = Phase.Result;
      this.first = true;
      return i + 1;
    }
    i = this.skipValue(b, start, i, to, final, 0);
    if (i === MORE) return MORE;
    const known = top ? key === Key.Status || key === Key.ErrorType || key === Key.Error || key === Key.Warnings || key === Key.Infos : key === Key.ResultType;
    if (known) {
      const value = JSON.parse(utf8.decode(b.subarray(valueStart, i))) as unknown;
      if (key === Key.Warnings || key === Key.Infos) {
        if (!Array.isArray(value) || !value.every((w) => typeof w === 'string')) this.failAt(start, valueStart, `${key === Key.Warnings ? 'warnings' : 'infos'} must be an array of strings`);
        (key === Key.Warnings ? this.answer.warnings : this.answer.infos).push(...(value as string[]));
      } else {
        if (typeof value !== 'string') this.failAt(start, valueStart, 'expected a string');
        if (key === Key.Status) this.answer.status = value;
        else if (key === Key.ErrorType) this.answer.errorType = value;
        else if (key === Key.Error) this.answer.error = value;
        else this.answer.resultType = value;
      }
    } else if (key === Key.Result) this.failAt(start, valueStart, 'data.result must be an array');
    this.first = false;
    return i;
  }

  /** An element of data.result (a series, or a scalar's pair), or the array's end. */
  private resultUnit(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    if (b[i] === CLOSE_ARRAY) {
      this.phase = Phase.Data;
      this.first = false;
      return i + 1;
    }
    if (!this.first) {
      if (b[i] !== COMMA) this.failAt(start, i, `expected ',' or ']' in data.result, got ${show(b[i]!)}`);
      i = this.skipWhitespace(b, i + 1, to);
      if (i >= to) return this.more(start, i, final);
    }
    const c = b[i]!;
    if (c === OPEN_OBJECT && this.matrix) {
      i = this.scanSeries(b, start, i, to, final);
      if (i === MORE) return MORE;
      this.answer.series++;
      this.matrix.series(b, this.metricStart, this.metricEnd, this.times, this.values, this.points);
      this.first = false;
      return i;
    }
    if (c === OPEN_OBJECT) {
      const expected = this.sink.expected?.();
      if (expected !== undefined) {
        const end = this.scanExpectedSeries(b, start, i, to, expected);
        if (end >= 0) {
          this.answer.series++;
          this.sink.expectedSeries!(this.valueOf(b, start));
          this.first = false;
          return end;
        }
      }
      i = this.scanSeries(b, start, i, to, final);
      if (i === MORE) return MORE;
      this.answer.series++;
      this.sink.series(b, this.metricStart, this.metricEnd, this.valueOf(b, start));
      this.first = false;
      return i;
    }
    if (this.first && !this.matrix && (c === MINUS || isDigit(c))) {
      // A scalar (or string) result: [time, "value"]. Its type is checked at the end.
      const pair = this.scanPair(b, start, i, to, final, true);
      if (pair === MORE) return MORE;
      this.scalar = utf8.decode(b.subarray(this.valueStart, this.valueEnd));
      if (this.valueEscaped) this.scalar = JSON.parse(`"${this.scalar}"`) as string;
      i = this.skipWhitespace(b, pair, to);
      if (i >= to) return this.more(start, i, final);
      if (b[i] !== CLOSE_ARRAY) this.failAt(start, i, `expected ']' after a scalar's value, got ${show(b[i]!)}`);
      this.phase = Phase.Data;
      this.first = false;
      return i + 1;
    }
    return this.failAt(start, i, `expected a series object in data.result, got ${show(c)}`);
  }

  /** The value of the series just scanned. */
  private valueOf(b: Uint8Array, start: number): number {
    return this.valueEscaped
      ? sampleValue(JSON.parse(utf8.decode(b.subarray(this.valueStart - 1, this.valueEnd + 1))) as string, `the value at byte ${this.origin + this.valueStart - start}`)
      : parseValue(b, this.valueStart, this.valueEnd, this.origin + this.valueStart - start);
  }

  /**
   * A series object written `{"metric":<expected>,"value":[time,"value"]}` (whitespace only before
   * its closing `]` and `}`): sets the value's range; the index after it. -1 when it is written
   * otherwise or cut by the chunk's end: then the general scan reads it (and says what is wrong).
   */
  private scanExpectedSeries(b: Uint8Array, start: number, i: number, to: number, expected: string): number {
    const length = expected.length;
    let j = i + METRIC_KEY.length;
    if (j + length + VALUE_KEY.length >= to) return -1;
    for (let k = 0; k < METRIC_KEY.length; k++) if (b[i + k] !== METRIC_KEY[k]) return -1;
    for (let k = 0; k < length; k++) if (b[j + k] !== expected.charCodeAt(k)) return -1;
    j += length;
    for (let k = 0; k < VALUE_KEY.length; k++) if (b[j + k] !== VALUE_KEY[k]) return -1;
    const pair = this.scanPair(b, start, this.skipWhitespace(b, j + VALUE_KEY.length, to), to, false, false);
    if (pair === MORE) return -1;
    j = this.skipWhitespace(b, pair, to);
    if (j >= to || b[j] !== CLOSE_ARRAY) return -1;
    j = this.skipWhitespace(b, j + 1, to);
    if (j >= to || b[j] !== CLOSE_OBJECT) return -1;
    return j + 1;
  }

  /** One series object: sets the metric's and value's ranges; the index after it, or MORE. */
  private scanSeries(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    const at = i;
    this.metricStart = -1;
    this.valueStart = -1;
    this.points = -1;
    i++;
    let first = true;
    for (;;) {
      i = this.skipWhitespace(b, i, to);
      if (i >= to) return this.more(start, i, final);
      if (b[i] === CLOSE_OBJECT) break;
      if (!first) {
        if (b[i] !== COMMA) this.failAt(start, i, `expected ',' or '}' in a series, got ${show(b[i]!)}`);
        i = this.skipWhitespace(b, i + 1, to);
        if (i >= to) return this.more(start, i, final);
      }
      first = false;
      const keyStart = i;
      if (b[i] !== QUOTE) this.failAt(start, i, `expected a key in a series, got ${show(b[i]!)}`);
      i = this.scanString(b, start, i, to, final);
      if (i === MORE) return MORE;
      const key = this.keyOf(b, keyStart, i);
      i = this.colon(b, start, i, to, final);
      if (i === MORE) return MORE;
      if (key === Key.Metric) {
        const end = this.scanLabels(b, start, i, to, final);
        if (end === MORE) return MORE;
        this.metricStart = i;
        this.metricEnd = end;
        i = end;
      } else if (key === Key.Value && this.matrix) {
        throw new AnswerDecodeError(`an instant series ("value") at byte ${this.origin + keyStart - start}: expected a matrix, got vector`, true);
      } else if (key === Key.Values && this.matrix) {
        i = this.scanValues(b, start, i, to, final);
        if (i === MORE) return MORE;
      } else if (key === Key.Value) {
        if (b[i] !== OPEN_ARRAY) this.failAt(start, i, `expected a series' value as [time, "value"], got ${show(b[i]!)}`);
        const pair = this.scanPair(b, start, this.skipWhitespace(b, i + 1, to), to, final, false);
        if (pair === MORE) return MORE;
        i = this.skipWhitespace(b, pair, to);
        if (i >= to) return this.more(start, i, final);
        if (b[i] !== CLOSE_ARRAY) this.failAt(start, i, `expected ']' after a series' value, got ${show(b[i]!)}`);
        i++;
      } else if (key === Key.Histogram || key === Key.Histograms) {
        throw new AnswerDecodeError(`a native histogram series at byte ${this.origin + keyStart - start}: stormwatch reads float samples; query a counter or a histogram's _count/_bucket series`, true);
      } else if (key === Key.Values) {
        throw new AnswerDecodeError(`a range series ("values") at byte ${this.origin + keyStart - start}: expected a vector, got matrix`, true);
      } else {
        i = this.skipValue(b, start, i, to, final, 1);
        if (i === MORE) return MORE;
      }
    }
    if (this.metricStart < 0) this.failAt(start, at, 'a series without "metric"');
    if (this.matrix) {
      if (this.points < 0) this.failAt(start, at, 'a series without "values"');
    } else if (this.valueStart < 0) this.failAt(start, at, 'a series without "value"');
    return i + 1;
  }

  /** A matrix series' `[[time, "value"], ...]` from `i`: its points into times and values; the index after it, or MORE. */
  private scanValues(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    if (b[i] !== OPEN_ARRAY) this.failAt(start, i, `expected a series' values as [[time, "value"], ...], got ${show(b[i]!)}`);
    i++;
    this.points = 0;
    for (;;) {
      i = this.skipWhitespace(b, i, to);
      if (i >= to) return this.more(start, i, final);
      if (b[i] === CLOSE_ARRAY) return i + 1;
      if (this.points > 0) {
        if (b[i] !== COMMA) this.failAt(start, i, `expected ',' or ']' in a series' values, got ${show(b[i]!)}`);
        i = this.skipWhitespace(b, i + 1, to);
        if (i >= to) return this.more(start, i, final);
      }
      if (b[i] !== OPEN_ARRAY) this.failAt(start, i, `expected a point as [time, "value"], got ${show(b[i]!)}`);
      const pair = this.scanPair(b, start, this.skipWhitespace(b, i + 1, to), to, final, false);
      if (pair === MORE) return MORE;
      i = this.skipWhitespace(b, pair, to);
      if (i >= to) return this.more(start, i, final);
      if (b[i] !== CLOSE_ARRAY) this.failAt(start, i, `expected ']' after a point's value, got ${show(b[i]!)}`);
      i++;
      if (this.points === this.times.length) {
        this.times = growFloats(this.times);
        this.values = growFloats(this.values);
      }
      const time = decimalValue(b, this.timeStart, this.timeEnd);
      this.times[this.points] = Number.isNaN(time) ? Number(latin1(b, this.timeStart, this.timeEnd)) : time;
      this.values[this.points] = this.valueOf(b, start);
      this.points++;
    }
  }

  /** `time, "value"` from `i` (inside the brackets); sets the value's range; the index after the value's quote, or MORE. */
  private scanPair(b: Uint8Array, start: number, i: number, to: number, final: boolean, scalar: boolean): number {
    if (i >= to) return this.more(start, i, final);
    const timeEnd = this.scanNumber(b, start, i, to, final);
    if (timeEnd === MORE) return MORE;
    this.timeStart = i;
    this.timeEnd = timeEnd;
    i = this.skipWhitespace(b, timeEnd, to);
    if (i >= to) return this.more(start, i, final);
    if (b[i] !== COMMA) this.failAt(start, i, `expected ',' after a sample's time, got ${show(b[i]!)}`);
    i = this.skipWhitespace(b, i + 1, to);
    if (i >= to) return this.more(start, i, final);
    if (b[i] !== QUOTE) this.failAt(start, i, `expected a sample's value as a string${scalar ? '' : ' (a histogram?)'}, got ${show(b[i]!)}`);
    const end = this.scanString(b, start, i, to, final);
    if (end === MORE) return MORE;
    this.valueStart = i + 1;
    this.valueEnd = end - 1;
    this.valueEscaped = this.escaped;
    return end;
  }

  /** A flat object of string label values from `i`; the index after it, or MORE. */
  private scanLabels(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    if (b[i] !== OPEN_OBJECT) this.failAt(start, i, `expected a series' metric as an object, got ${show(b[i]!)}`);
    i++;
    let first = true;
    for (;;) {
      i = this.skipWhitespace(b, i, to);
      if (i >= to) return this.more(start, i, final);
      if (b[i] === CLOSE_OBJECT) return i + 1;
      if (!first) {
        if (b[i] !== COMMA) this.failAt(start, i, `expected ',' or '}' in a metric, got ${show(b[i]!)}`);
        i = this.skipWhitespace(b, i + 1, to);
        if (i >= to) return this.more(start, i, final);
      }
      first = false;
      if (b[i] !== QUOTE) this.failAt(start, i, `expected a label name, got ${show(b[i]!)}`);
      i = this.scanString(b, start, i, to, final);
      if (i === MORE) return MORE;
      i = this.colon(b, start, i, to, final);
      if (i === MORE) return MORE;
      if (b[i] !== QUOTE) this.failAt(start, i, `expected a label value as a string, got ${show(b[i]!)}`);
      i = this.scanString(b, start, i, to, final);
      if (i === MORE) return MORE;
    }
  }

  /** Whitespace, ':' and whitespace after a key: the index of the value, or MORE. */
  private colon(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    i = this.skipWhitespace(b, i, to);
    if (i >= to) return this.more(start, i, final);
    if (b[i] !== COLON) this.failAt(start, i, `expected ':' after a key, got ${show(b[i]!)}`);
    i = this.skipWhitespace(b, i + 1, to);
    return i >= to ? this.more(start, i, final) : i;
  }

  /** A JSON string from its quote at `i`: the index after its closing quote, or MORE. Sets `escaped`. */
  private scanString(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    let escaped = false;
    for (let j = i + 1; j < to; j++) {
      const c = b[j]!;
      if (c === QUOTE) {
        this.escaped = escaped;
        return j + 1;
      }
      if (c === BACKSLASH) {
        escaped = true;
        if (j + 1 >= to) break;
        const e = b[j + 1]!;
        if (e === 0x75) {
          if (j + 5 >= to) break;
          for (let h = j + 2; h < j + 6; h++) if (!isHex(b[h]!)) this.failAt(start, h, 'a \\u escape without four hex digits');
          j += 5;
        } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) j++;
        else this.failAt(start, j, `an invalid escape \\${String.fromCharCode(e)} in a string`);
      } else if (c < 0x20) this.failAt(start, j, 'a control character in a string');
    }
    return this.more(start, to, final);
  }

  /** A JSON number from `i`: the index after it, or MORE (a number touching the end may go on). */
  private scanNumber(b: Uint8Array, start: number, i: number, to: number, final: boolean): number {
    const at = i;
    if (b[i] === MINUS) i++;
    if (i >= to) return this.more(start, i, final);
    if (b[i] === ZERO) i++;
    else if (isDigit(b[i]!)) while (i < to && isDigit(b[i]!)) i++;
    else this.failAt(start, at, 'expected a number');
    if (i < to && b[i] === DOT) {
      const f = ++i;
      while (i < to && isDigit(b[i]!)) i++;
      if (i === f && i < to) this.failAt(start, i, 'a number without digits after its point');
    }
    if (i < to && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < to && (b[i] === PLUS || b[i] === MINUS)) i++;
      const e = i;
      while (i < to && isDigit(b[i]!)) i++;
      if (i === e && i < to) this.failAt(start, i, "a number without digits after its 'e'");
    }
    return i >= to ? this.more(start, i, final) : i;
  }

  /** Any JSON value from `i` (validated, not built): the index after it, or MORE. */
  private skipValue(b: Uint8Array, start: number, i: number, to: number, final: boolean, depth: number): number {
    if (depth > MAX_DEPTH) this.failAt(start, i, 'values nested too deep');
    const c = b[i]!;
    if (c === QUOTE) return this.scanString(b, start, i, to, final);
    if (c === MINUS || isDigit(c)) return this.scanNumber(b, start, i, to, final);
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const object = c === OPEN_OBJECT;
      const close = object ? CLOSE_OBJECT : CLOSE_ARRAY;
      i++;
      let first = true;
      for (;;) {
        i = this.skipWhitespace(b, i, to);
        if (i >= to) return this.more(start, i, final);
        if (b[i] === close) return i + 1;
        if (!first) {
          if (b[i] !== COMMA) this.failAt(start, i, `expected ',' or '${String.fromCharCode(close)}', got ${show(b[i]!)}`);
          i = this.skipWhitespace(b, i + 1, to);
          if (i >= to) return this.more(start, i, final);
        }
        first = false;
        if (object) {
          if (b[i] !== QUOTE) this.failAt(start, i, `expected a key, got ${show(b[i]!)}`);
          i = this.scanString(b, start, i, to, final);
          if (i === MORE) return MORE;
          i = this.colon(b, start, i, to, final);
          if (i === MORE) return MORE;
        }
        i = this.skipValue(b, start, i, to, final, depth + 1);
        if (i === MORE) return MORE;
      }
    }
    for (const word of LITERALS) {
      if (b[i] !== word[0]) continue;
      for (let k = 1; k < word.length; k++) {
        if (i + k >= to) return this.more(start, i + k, final);
        if (b[i + k] !== word[k]) this.failAt(start, i + k, 'expected a JSON value');
      }
      return i + word.length;
    }
    return this.failAt(start, i, `expected a JSON value, got ${show(c)}`);
  }

  private skipWhitespace(b: Uint8Array, i: number, to: number): number {
    while (i < to && isWhitespace(b[i]!)) i++;
    return i;
  }

  /** Running out of bytes: MORE, or at the end of the answer an error naming the place. */
  private more(start: number, at: number, final: boolean): number {
    if (final) this.failAt(start, at, 'the answer ends early');
    return MORE;
  }

  /** Which member a key (its quotes included at b[from, to)) is. */
  private keyOf(b: Uint8Array, from: number, to: number): Key {
    if (this.escaped) {
      const name = JSON.parse(utf8.decode(b.subarray(from, to))) as string;
      return KEYS.find(([n]) => n === name)?.[1] ?? Key.Other;
    }
    const length = to - from - 2;
    // The two keys of every series first.
    if (length === 6 && b[from + 1] === 0x6d && b[from + 2] === 0x65 && b[from + 3] === 0x74 && b[from + 4] === 0x72 && b[from + 5] === 0x69 && b[from + 6] === 0x63) return Key.Metric;
    if (length === 5 && b[from + 1] === 0x76 && b[from + 2] === 0x61 && b[from + 3] === 0x6c && b[from + 4] === 0x75 && b[from + 5] === 0x65) return Key.Value;
    for (const { bytes, key } of KEY_BYTES) {
      if (bytes.length !== length) continue;
      let k = 0;
      while (k < length && bytes[k] === b[from + 1 + k]) k++;
      if (k === length) return key;
    }
    return Key.Other;
  }

  /** `data` and `result` may come once: a second would mix two answers' series. */
  private once(start: number, at: number, key: Key): void {
    if (this.seen.has(key)) this.failAt(start, at, `a second "${key === Key.Data ? 'data' : 'result'}"`);
    this.seen.add(key);
  }
}

function growFloats(a: Float64Array): Float64Array {
  const grown = new Float64Array(2 * a.length);
  grown.set(a);
  return grown;
}

/** b[from, to) as a string of one character per byte. */
export function latin1(b: Uint8Array, from: number, to: number): string {
  return LATIN1_SLICE.call(b, from, to);
}
const LATIN1_SLICE = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, from: number, to: number): string }).latin1Slice;

const LITERALS = ['true', 'false', 'null'].map((w) => Buffer.from(w));

/** A sample value as Prometheus writes it (Go's strconv.FormatFloat): a decimal, NaN, +Inf or -Inf. */
const VALUE_TEXT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]?Inf)$/;

/** The number a value text stands for; throws AnswerDecodeError naming `where` for anything else. */
export function sampleValue(text: string, where: string): number {
  if (!VALUE_TEXT.test(text)) throw new AnswerDecodeError(`${where}: ${JSON.stringify(text.slice(0, 40))} is not a sample value`);
  if (text.endsWith('Inf')) return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return Number(text);
}

/**
 * The value of b[from, to) (a value string's text, no escapes): read from the bytes when it is a
 * plain decimal (decimal-text.ts, exactly as Number() reads its text); anything else (NaN, ±Inf, a
 * value too long or too close to a rounding boundary to read there, or not a value) through its text.
 */
function parseValue(b: Uint8Array, from: number, to: number, at: number): number {
  const value = decimalValue(b, from, to);
  return Number.isNaN(value) ? sampleValue(latin1(b, from, to), `the value at byte ${at}`) : value;
}
