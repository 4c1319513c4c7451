// The series of one split signal (`by` labels) as a Prometheus source knows them across ticks, in
// columns: each label set gets a series number once, its id and labels are built once, and each
// tick's values go into typed arrays by series number. Answers are resolved by the raw text of each
// series' `metric` object, predicted from the previous answer of the same query (Prometheus answers
// in the same order tick after tick), so a steady tick compares bytes and allocates nothing per
// series until the frame is built.

import type { SignalConfig } from '../config/load.js';
import { detached } from '../core/detached.js';
import type { SeriesInfo, SignalInput } from '../core/types.js';
import type { FrameSamples, SeriesIndex, SeriesInfos } from '../series/frame-samples.js';
import { pickLabels, seriesIdOf } from '../series/series-key.js';
import { FORGET_GROUP_AFTER_MS } from '../series/snapshot-frames.js';

export const INPUTS: readonly SignalInput[] = ['requests', 'errors', 'downstream'];

const utf8 = new TextDecoder('utf-8');

/** One query's answers: the metric texts of its last answer in order, to predict the next one. */
export interface AnswerStream {
  input: number;
  /** Text numbers of the previous answer in order, and of this one as it is read. */
  previous: Int32Array;
  previousLength: number;
  current: Int32Array;
  currentLength: number;
  /** Where the next series of this answer is expected in `previous`. */
  cursor: number;
  /** Each text number's position in the previous answer (checked against `previous` before use). */
  positionOf: Int32Array;
}

export class SplitSeries {
  /** Series by their `by` values (one value, or each prefixed by its length). */
  private readonly byKey = new Map<string, number>();
  private count = 0;
  private dead = 0;
  private keys: (string | undefined)[] = [];
  private ids: string[] = [];
  private infos: SeriesInfo[] = [];
  /** Data time a series was last in a successful answer; -Infinity until then. */
  private lastSeenMs = new Float64Array(64);
  /** Each input's values this tick and the tick that wrote them (several series of one label set are summed). */
  private values = INPUTS.map(() => new Float64Array(64));
  private stamps = INPUTS.map(() => new Int32Array(64));
  /** Each series' slot in the frames' index (set by `index`, valid until membership changes). */
  private slots = new Int32Array(64);

  /** Metric texts (one character per byte, so bytes compare as they are) and their series. */
  private readonly byText = new Map<string, number>();
  private texts: (string | undefined)[] = [];
  private textSeries = new Int32Array(64);
  private freeTexts: number[] = [];
  private readonly streams: AnswerStream[] = [];
  /** Changes whenever the set of series in the frame changes (one comes or is forgotten). */
  membership = 0;
  /** Changes when forget() drops series: series numbers handed out before may since be another's (compact). */
  generation = 0;

  constructor(private readonly signal: SignalConfig) {}

  /** The prediction state of one query's answers (one per input of the signal). */
  stream(input: SignalInput): AnswerStream {
    const stream: AnswerStream = { input: INPUTS.indexOf(input), previous: new Int32Array(0), previousLength: 0, current: new Int32Array(64), currentLength: 0, cursor: 0, positionOf: new Int32Array(this.texts.length + 64).fill(-1) };
    this.streams.push(stream);
    return stream;
  }

  /** Starts reading an answer of `stream`. */
  begin(stream: AnswerStream): void {
    stream.currentLength = 0;
    stream.cursor = 0;
  }

  /** One series of an answer (its metric object at bytes[start, end)) with its value, at tick `tick`. */
  add(stream: AnswerStream, bytes: Uint8Array, start: number, end: number, value: number, tick: number): void {
    let text = -1;
    const c = stream.cursor;
    if (c < stream.previousLength && this.textIs(stream.previous[c]!, bytes, start, end)) {
      text = stream.previous[c]!;
      stream.cursor = c + 1;
    } else if (c + 1 < stream.previousLength && this.textIs(stream.previous[c + 1]!, bytes, start, end)) {
      // One series of the last answer is gone.
      text = stream.previous[c + 1]!;
      stream.cursor = c + 2;
    } else {
      text = this.textOf(bytes, start, end);
      const p = text < stream.positionOf.length ? stream.positionOf[text]! : -1;
      // A series seen before elsewhere in the order: carry on predicting from there.
      if (p >= 0 && p < stream.previousLength && stream.previous[p] === text) stream.cursor = p + 1;
    }
    this.take(stream, text, value, tick);
  }

  /** The metric text the next series of `stream`'s answer should have: the one at the same place in its last answer. */
  expected(stream: AnswerStream): string | undefined {
    const c = stream.cursor;
    return c < stream.previousLength ? this.texts[stream.previous[c]!] : undefined;
  }

  /** The next series of `stream`'s answer had the metric text `expected` gave, with its value, at tick `tick`. */
  addExpected(stream: AnswerStream, value: number, tick: number): void {
    const text = stream.previous[stream.cursor++]!;
    this.take(stream, text, value, tick);
  }

  private take(stream: AnswerStream, text: number, value: number, tick: number): void {
    if (stream.currentLength === stream.current.length) stream.current = grow(stream.current, 2 * stream.current.length);
    stream.current[stream.currentLength++] = text;
    this.put(stream.input, this.textSeries[text]!, value, tick);
  }

  /** A successful answer is complete: its series were seen at `nowMs`; its order predicts the next. */
  commit(stream: AnswerStream, nowMs: number): void {
    const { current, currentLength } = stream;
    if (stream.positionOf.length < this.texts.length) stream.positionOf = grow(stream.positionOf, this.texts.length + 64, -1);
    for (let j = 0; j < currentLength; j++) {
      const text = current[j]!;
      const s = this.textSeries[text]!;
      if (this.lastSeenMs[s] === Number.NEGATIVE_INFINITY) this.membership++;
      this.lastSeenMs[s] = nowMs;
      stream.positionOf[text] = j;
    }
    const previous = stream.previous;
    stream.previous = current;
    stream.previousLength = currentLength;
    stream.current = previous.length >= currentLength ? previous : new Int32Array(currentLength);
  }

  /**
   * The series number of a range answer's series by its metric object's text (one character a
   * byte, as the answer wrote it), made on first sight: for addSeries, while `generation` stays the
   * same (a history read resolves each series of an answer once, not at every step).
   */
  seriesOfText(key: string): number {
    // The text's number first: adding it may grow textSeries.
    const t = this.byText.get(key) ?? this.addText(key, JSON.parse(Buffer.from(key, 'latin1').toString('utf8')) as Record<string, string>);
    return this.textSeries[t]!;
  }

  /** Series `s`'s (seriesOfText) value of input `input` (its index in INPUTS) at tick `tick`, seen at `nowMs`. */
  addSeries(input: number, s: number, value: number, tick: number, nowMs: number): void {
    this.put(input, s, value, tick);
    if (this.lastSeenMs[s] === Number.NEGATIVE_INFINITY) this.membership++;
    this.lastSeenMs[s] = nowMs;
  }

  /** Forgets label sets gone for long (pods, versions) rather than keeping them at zero forever. */
  forget(nowMs: number): void {
    let forgot = false;
    for (let s = 0; s < this.count; s++) {
      const key = this.keys[s];
      if (key === undefined || !(nowMs - this.lastSeenMs[s]! > FORGET_GROUP_AFTER_MS)) continue;
      this.byKey.delete(key);
      this.keys[s] = undefined;
      this.dead++;
      forgot = true;
    }
    if (!forgot) return;
    this.membership++;
    this.generation++;
    for (let t = 0; t < this.texts.length; t++) {
      const text = this.texts[t];
      if (text === undefined || this.keys[this.textSeries[t]!] !== undefined) continue;
      this.byText.delete(text);
      this.texts[t] = undefined;
      this.freeTexts.push(t);
    }
    if (this.dead > 1024 && this.dead > this.count - this.dead) this.compact();
  }

  /**
   * Gives every series of the signal a slot in `index`, in the order they were first seen, and puts
   * its identity into `series`: done only when the set of series changed (`membership`).
   */
  index(index: SeriesIndex, series: SeriesInfos): void {
    for (let s = 0; s < this.count; s++) {
      // Never in a successful answer (only in failed ones): not a series yet.
      if (this.keys[s] === undefined || this.lastSeenMs[s] === Number.NEGATIVE_INFINITY) continue;
      const slot = index.add(this.ids[s]!);
      this.slots[s] = slot;
      series.set(slot, this.infos[s]!);
    }
  }

  /**
   * Writes every series of the signal into the frame's columns (at the slots `index` gave): inputs
   * whose answer failed (`ok[i]` false) or that the signal lacks are NaN; a series missing from a
   * successful answer gets that input's absent value.
   */
  fill(samples: FrameSamples, ok: readonly boolean[], tick: number, absent: readonly number[]): void {
    const [requests, errors, downstream] = this.values as [Float64Array, Float64Array, Float64Array];
    const [rs, es, ds] = this.stamps as [Int32Array, Int32Array, Int32Array];
    const [rOk, eOk, dOk] = ok as [boolean, boolean, boolean];
    const [rAbsent, eAbsent, dAbsent] = absent as [number, number, number];
    const slots = this.slots;
    for (let s = 0; s < this.count; s++) {
      if (this.keys[s] === undefined || this.lastSeenMs[s] === Number.NEGATIVE_INFINITY) continue;
      samples.put(
        slots[s]!,
        rOk ? (rs[s] === tick ? requests[s]! : rAbsent) : Number.NaN,
        eOk ? (es[s] === tick ? errors[s]! : eAbsent) : Number.NaN,
        dOk ? (ds[s] === tick ? downstream[s]! : dAbsent) : Number.NaN,
      );
    }
  }

  private put(input: number, s: number, value: number, tick: number): void {
    const values = this.values[input]!;
    const stamps = this.stamps[input]!;
    if (stamps[s] === tick) values[s]! += value;
    else {
      values[s] = value;
      stamps[s] = tick;
    }
  }

  /** Whether text number `t` is bytes[start, end). */
  private textIs(t: number, bytes: Uint8Array, start: number, end: number): boolean {
    const text = this.texts[t];
    if (text === undefined || text.length !== end - start) return false;
    for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) !== bytes[start + k]) return false;
    return true;
  }

  /** The text number of bytes[start, end), its labels parsed and its series found or made on first sight. */
  private textOf(bytes: Uint8Array, start: number, end: number): number {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
    const known = this.byText.get(key);
    if (known !== undefined) return known;
    return this.addText(key, JSON.parse(utf8.decode(bytes.subarray(start, end))) as Record<string, string>);
  }

  /** A new text number for a metric text (`key`, one character a byte) whose labels are `labels`. */
  private addText(key: string, labels: Record<string, string>): number {
    const s = this.seriesOf(labels);
    const t = this.freeTexts.pop() ?? this.texts.length;
    if (t === this.texts.length) this.texts.push(key);
    else this.texts[t] = key;
    if (t >= this.textSeries.length) this.textSeries = grow(this.textSeries, 2 * this.textSeries.length);
    this.textSeries[t] = s;
    this.byText.set(key, t);
    return t;
  }

  /** The series number of a label set (by the signal's `by` values), made on first sight. */
  private seriesOf(labels: Record<string, string>): number {
    const by = this.signal.by;
    let key: string;
    if (by.length === 1) key = labels[by[0]!] ?? '';
    else {
      key = '';
      for (const name of by) {
        const v = labels[name] ?? '';
        key += `${v.length}:${v}`;
      }
    }
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const s = this.count++;
    if (s >= this.lastSeenMs.length) this.growSeries(2 * this.lastSeenMs.length);
    const picked = pickLabels(labels, by);
    this.keys[s] = key;
    // Flat: the id is kept as long as the series, and as built it is a tree of its parts (three
    // nodes of 32 bytes for a route's id).
    this.ids[s] = detached(seriesIdOf(this.signal.name, picked));
    this.infos[s] = { signal: this.signal.name, labels: picked };
    this.lastSeenMs[s] = Number.NEGATIVE_INFINITY;
    for (const stamps of this.stamps) stamps[s] = 0;
    this.byKey.set(key, s);
    return s;
  }

  private growSeries(size: number): void {
    this.lastSeenMs = growFloat(this.lastSeenMs, size);
    this.values = this.values.map((v) => growFloat(v, size));
    this.stamps = this.stamps.map((v) => grow(v, size));
    this.slots = grow(this.slots, size);
  }

  /** Renumbers the live series from 0, in their order (between ticks: this tick's values are not kept). */
  private compact(): void {
    const renumbered = new Int32Array(this.count).fill(-1);
    let n = 0;
    for (let s = 0; s < this.count; s++) {
      const key = this.keys[s];
      if (key === undefined) continue;
      renumbered[s] = n;
      this.keys[n] = key;
      this.ids[n] = this.ids[s]!;
      this.infos[n] = this.infos[s]!;
      this.lastSeenMs[n] = this.lastSeenMs[s]!;
      this.byKey.set(key, n);
      n++;
    }
    this.keys.length = n;
    this.ids.length = n;
    this.infos.length = n;
    for (const stamps of this.stamps) stamps.fill(0);
    for (let t = 0; t < this.texts.length; t++) if (this.texts[t] !== undefined) this.textSeries[t] = renumbered[this.textSeries[t]!]!;
    this.count = n;
    this.dead = 0;
  }
}

function grow(a: Int32Array, size: number, fill = 0): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

function growFloat(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}
