import { describe, expect, it } from 'vitest';
import { COLUMNS_KEY, type ColumnGroup, DeferredState, decodeColumns, fromColumns, toColumns } from '../../src/runner/state-columns.js';
import { checkState } from '../../src/runner/state-schema.js';
import { type ColumnScratch, encodeValue, numbersTemplate } from '../../src/core/column-encoder.js';
import { halfBits, halfValue } from '../../src/core/half-float.js';

const float32s = (n: number, k = 0) => Array.from(new Float32Array(Array.from({ length: n }, (_, i) => Math.log(100 + i * 0.37 + k))));

/** A detector-like state of series `k`: float32 baselines, a fixed-point profile with gaps, doubles, nulls. */
function state(k: number): Record<string, unknown> {
  return {
    rate: { values: float32s(60, k), partial: [1.5 + k, 15, 2] },
    errorRatio: { values: [] },
    checks: { spike: { small: 0.1 * k, large: 0, health: 3, alarmed: k % 2 === 0 } },
    rateShiftSinceMs: k % 3 === 0 ? null : 1_700_000_000_000 + k,
    probation: [1, Number.NaN, Math.fround(0.3)],
    profile: { slots: Array.from({ length: 168 }, (_, i) => (i % 5 === 0 ? null : (i - 80 + k) / 1024)), sinceMs: null },
    ramp: { before: [0.1 + k, Number.NaN, -0, Number.POSITIVE_INFINITY], runSinceMs: null },
    label: 'a "quoted" name',
    missing: undefined,
  };
}

/** What a save through JSON gives back: the reference the columns must match exactly. */
const viaJson = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;

describe('per-series state as columns', () => {
  it('decodes to exactly what JSON gives (nulls, NaN, -0, Infinity, float32, fixed point, doubles)', () => {
    const states: Record<string, unknown> = {};
    for (let k = 0; k < 30; k++) states[`api{route="/r${k}"}`] = state(k);
    const saved = viaJson(toColumns(states)) as Record<string, unknown>;
    // Two shapes: alarmed true or false (a boolean is part of the shape; null or a number is one slot).
    expect(Object.keys(saved)).toEqual([COLUMNS_KEY]);
    expect((saved[COLUMNS_KEY] as ColumnGroup[]).length).toBe(2);
    fromColumns(saved);
    expect(saved).toEqual(viaJson(states));
    // Entry by entry, as text too (the order of ids is the groups', which restore does not use).
    for (const id of Object.keys(states)) expect(JSON.stringify(saved[id])).toBe(JSON.stringify(states[id]));
  });

  it('takes states that encode themselves beside plain ones, and decodes both to what JSON gives', () => {
    /** Encodes itself as encodeValue encodes its snapshot (as a detector does, from its own arrays). */
    class Encoding {
      constructor(private readonly k: number) {}
      snapshot() {
        return state(this.k);
      }
      encodeColumns(s: ColumnScratch) {
        return encodeValue(this.snapshot(), s);
      }
    }
    // Shapes alternate (alarmed true or false), so states written into the last group move out again.
    const entries: [string, unknown][] = [];
    for (let k = 0; k < 12; k++) entries.push([`s${k}`, k % 3 === 2 ? state(k) : new Encoding(k)]);
    const saved = viaJson(toColumns(entries)) as Record<string, unknown>;
    expect(Object.keys(saved)).toEqual([COLUMNS_KEY]);
    expect((saved[COLUMNS_KEY] as ColumnGroup[]).length).toBe(2);
    fromColumns(saved);
    const expected = Object.fromEntries(entries.map(([id, st]) => [id, st instanceof Encoding ? st.snapshot() : st]));
    expect(saved).toEqual(viaJson(expected));
    for (const id of Object.keys(expected)) expect(JSON.stringify(saved[id])).toBe(JSON.stringify(expected[id]));
  });

  it("takes a ratio window as half floats' bits ('h'), plain states of its values beside it, and reads bits that are no half as null", () => {
    // Ratios a half float holds exactly (a window's kept values), and as a state encodes itself
    // from its codes: the bits in the 16-bit column, the marker 'h'.
    const ratios = (k: number) => Array.from({ length: 8 }, (_, i) => halfValue(halfBits((i + 1) * 0.0123 * (k + 1))));
    class Window {
      constructor(private readonly k: number) {}
      snapshot() {
        return { values: ratios(this.k), n: this.k };
      }
      encodeColumns(s: ColumnScratch) {
        for (const v of ratios(this.k)) s.i16.push(halfBits(v));
        s.f64.push(this.k);
        return `{"values":${numbersTemplate('h', 8)},"n":0}`;
      }
    }
    // A plain state with the same values follows an encoder: it is written into the encoder's group
    // (its values matched against the 'h' marker); one whose values no half holds is not.
    const off = { values: [...ratios(9).slice(0, 7), 0.1], n: 9 };
    const entries: [string, unknown][] = [['a', new Window(1)], ['b', { values: ratios(2), n: 2 }], ['c', new Window(3)], ['d', off]];
    const saved = viaJson(toColumns(entries)) as Record<string, unknown>;
    const groups = saved[COLUMNS_KEY] as ColumnGroup[];
    expect(groups.map((g) => g.ids)).toEqual([['a', 'b', 'c'], ['d']]);
    // Two bytes a value, not a float32's four.
    expect(Buffer.from(groups[0]!.i16, 'base64').length).toBe(3 * 8 * 2);
    expect(Buffer.from(groups[0]!.f32, 'base64').length).toBe(0);
    fromColumns(saved);
    expect(saved).toEqual(viaJson({ a: new Window(1).snapshot(), b: { values: ratios(2), n: 2 }, c: new Window(3).snapshot(), d: off }));
    // Bits that are no non-negative finite half (a negative one, infinity) read as null, which a
    // baseline's restore refuses as it refuses any value that is not a ratio.
    const bad = decodeColumns(`{"values":${numbersTemplate('h', 3)}}`, ['x'], new Float64Array(0), new Float32Array(0), Int16Array.of(0x3c00, -1, 0x7c00))!;
    expect(bad.get('x')).toEqual({ values: [1, null, null] });
  });

  it('decodes a shape of many states, built now or when asked for, to exactly what JSON gives', () => {
    // 16 states of one shape (even k below 32: alarmed, and the partial bucket in fixed point):
    // enough for the chunk's template to be compiled rather than walked.
    const states: Record<string, unknown> = {};
    for (let k = 0; k < 32; k += 2) states[`api{route="/r${k}"}`] = state(k);
    const saved = viaJson(toColumns(states)) as Record<string, unknown>;
    const [g] = saved[COLUMNS_KEY] as ColumnGroup[];
    expect((saved[COLUMNS_KEY] as ColumnGroup[]).map((x) => x.ids.length)).toEqual([16]);
    const column = <T>(text: string, make: (b: ArrayBuffer) => T) => {
      const b = Buffer.from(text, 'base64');
      return make(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer);
    };
    const f64 = column(g!.f64, (b) => new Float64Array(b));
    const f32 = column(g!.f32, (b) => new Float32Array(b));
    const i16 = column(g!.i16, (b) => new Int16Array(b));
    const now = decodeColumns(g!.shape, g!.ids, f64, f32, i16)!;
    const later = decodeColumns(g!.shape, g!.ids, f64, f32, i16, true)!;
    for (const id of g!.ids) {
      const expected = JSON.stringify(states[id]);
      expect(JSON.stringify(now.get(id))).toBe(expected);
      const deferred = later.get(id) as DeferredState;
      expect(deferred).toBeInstanceOf(DeferredState);
      expect(JSON.stringify(deferred.snapshot())).toBe(expected);
      expect(deferred.snapshot()).toEqual(viaJson(states[id]));
    }
  });

  it('decodes a template with a __proto__ key compiled as it does walked', () => {
    // A template key "__proto__" (only a hand-made file has one): the walk's store sets the
    // prototype, and so must the compiled literal (a computed key would make an own property).
    // Twenty states of it are compiled, two are walked.
    const one = JSON.parse('{"v":[1.5,2],"__proto__":{"w":3}}') as Record<string, unknown>;
    const many: Record<string, unknown> = {};
    const few: Record<string, unknown> = {};
    for (let k = 0; k < 20; k++) many[`s${k}`] = one;
    for (let k = 0; k < 2; k++) few[`s${k}`] = one;
    const decode = (states: Record<string, unknown>) => {
      const saved = viaJson(toColumns(states)) as Record<string, unknown>;
      fromColumns(saved);
      return saved.s0 as Record<string, unknown>;
    };
    const fromMany = decode(many);
    const fromFew = decode(few);
    expect(Object.getPrototypeOf(fromMany)).toEqual(Object.getPrototypeOf(fromFew));
    expect(Object.keys(fromMany)).toEqual(Object.keys(fromFew));
    expect(fromMany.v).toEqual([1.5, 2]);
  });

  it('puts each array in the smallest column that holds it exactly', () => {
    const saved = toColumns({ a: { q: [1 / 1024, null, -3], f: [Math.fround(0.1)], d: [0.1] } });
    const [g] = saved[COLUMNS_KEY] as ColumnGroup[];
    expect(g!.shape).toBe('{"q":"\\u0000q3","f":"\\u0000f1","d":"\\u0000d1"}');
    expect(Buffer.from(g!.i16, 'base64').length).toBe(6);
    expect(Buffer.from(g!.f32, 'base64').length).toBe(4);
    expect(Buffer.from(g!.f64, 'base64').length).toBe(8);
  });

  it('keeps a state it cannot encode as a plain entry beside the columns', () => {
    const states = { odd: { name: '\u0000x' }, plain: 3, ok: { v: 1 } };
    const saved = viaJson(toColumns(states)) as Record<string, unknown>;
    expect(saved.odd).toEqual({ name: '\u0000x' });
    expect(saved.plain).toBe(3);
    fromColumns(saved);
    expect(saved).toEqual(states);
  });

  it('a group that is not whole stays under its key, and the state check reports it', () => {
    const saved = viaJson(toColumns({ a: state(1), b: state(3) })) as Record<string, unknown>;
    const groups = saved[COLUMNS_KEY] as ColumnGroup[];
    groups[0]!.f32 = groups[0]!.f32.slice(0, 8);
    fromColumns(saved);
    expect(saved[COLUMNS_KEY]).toHaveLength(1);
    const checked = checkState({ version: 1, savedAtMs: 1, alerts: [], detectors: saved });
    expect(checked.bad.map((b) => b.section)).toEqual(['detectors']);
  });

  it('an id like __proto__ is an entry of its own, not the prototype', () => {
    const saved = viaJson(toColumns(JSON.parse('{"__proto__":{"v":2}}') as Record<string, unknown>)) as Record<string, unknown>;
    fromColumns(saved);
    expect(Object.hasOwn(saved, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(saved)).toBe(Object.prototype);
  });
});
