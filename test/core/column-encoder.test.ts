import { describe, expect, it } from 'vitest';
import { type ColumnScratch, columnScratch, encodeNumber, encodeNumbers, encodeValue, isSelfEncoding, numbersScratch } from '../../src/core/column-encoder.js';

/** A scratch's numbers as plain arrays (what a comparison needs). */
const numbersOf = (s: ColumnScratch) => ({ f64: [...s.f64.data.subarray(0, s.f64.length)], f32: [...s.f32.data.subarray(0, s.f32.length)], i16: [...s.i16.data.subarray(0, s.i16.length)] });

describe('encoding states as templates and columns', () => {
  it('writes a slice of a typed array as encodeValue writes the same numbers as a plain array', () => {
    const cases: (number | null)[][] = [
      [1 / 1024, -3, 0, null], // fixed point
      [Math.fround(0.1), Math.fround(2.5e9), null], // float32
      [0.1, 1e-300, null], // float64
      [Number.NaN, null], // nothing but gaps: fixed point
      [-0, 1], // -0 is not fixed point (JSON writes it as 0: a float)
      [Number.POSITIVE_INFINITY, 0.1], // a float64 array keeps Infinity (JSON writes null)
    ];
    for (const plain of cases) {
      const viaValue = columnScratch();
      const template = encodeValue(plain, viaValue);
      // The same numbers in the middle of a typed array, null as NaN.
      const typed = new Float64Array([7, 7, ...plain.map((v) => (v === null ? Number.NaN : v)), 7]);
      const viaSlice = columnScratch();
      expect(encodeNumbers(typed, 2, plain.length, viaSlice)).toBe(template);
      expect(numbersOf(viaSlice)).toEqual(numbersOf(viaValue));
    }
  });

  it('chooses the smallest column that holds the numbers exactly', () => {
    const s = columnScratch();
    expect(encodeNumbers([1 / 1024, -3, null], 0, 3, s)).toBe('"\\u0000q3"');
    expect(encodeNumbers([Math.fround(0.1)], 0, 1, s)).toBe('"\\u0000f1"');
    expect(encodeNumbers([0.1, 2], 0, 2, s)).toBe('"\\u0000d2"');
    expect(numbersOf(s)).toEqual({ f64: [0.1, 2], f32: [Math.fround(0.1)], i16: [1, -3072, -32768] });
  });

  it('writes an empty array as [], as JSON does, and nothing to the columns', () => {
    const s = columnScratch();
    expect(encodeNumbers(new Float64Array(4), 1, 0, s)).toBe('[]');
    expect(encodeValue([], s)).toBe('[]');
    expect(numbersOf(s)).toEqual({ f64: [], f32: [], i16: [] });
  });

  it('writes a number or null as 0 in the template, the value (null as NaN) in the float64 column', () => {
    const s = columnScratch();
    expect(encodeNumber(null, s)).toBe('0');
    expect(encodeValue(2.5, s)).toBe('0');
    expect(encodeValue({ 'a "b"': 1, skip: undefined, c: true }, s)).toBe('{"a \\"b\\"":0,"c":true}');
    expect(numbersOf(s).f64).toEqual([Number.NaN, 2.5, 1]);
  });

  it('tells a state that encodes itself from plain data', () => {
    expect(isSelfEncoding({ encodeColumns: () => '{}', snapshot: () => ({}) })).toBe(true);
    expect(isSelfEncoding(JSON.parse('{"encodeColumns":1}'))).toBe(false);
    expect(isSelfEncoding(null)).toBe(false);
  });

  it('the shared scratch grows to the size asked for', () => {
    expect(numbersScratch(5000).length).toBeGreaterThanOrEqual(5000);
  });
});
