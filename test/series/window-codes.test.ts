import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { Q_NULL } from '../../src/core/column-encoder.js';
import { asKept, codeTable, logRateCode, logRateOf, ratioCode, ratioOf } from '../../src/series/window-codes.js';

describe('ratio codes (half-float bits)', () => {
  it('are the bits numpy gives a float16', () => {
    // numpy: hex(np.float16(x).view(np.uint16)) and float(np.float16(x))
    const numpy: [number, number, number][] = [
      [0.1, 0x2e66, 0.0999755859375],
      [1 / 3, 0x3555, 0.333251953125],
      [65504, 0x7bff, 65504],
      [1e-7, 0x0002, 1.1920928955078125e-7],
      [0.0001, 0x068e, 0.00010001659393310547],
      [2.5e-5, 0x01a3, 2.4974346160888672e-5],
      [0.999, 0x3bfe, 0.9990234375],
    ];
    for (const [x, bits, value] of numpy) {
      expect(ratioCode(x), `${x}`).toBe(bits);
      expect(ratioOf(bits)).toBe(value);
    }
  });

  it('round-trip every code, ascend strictly with their values, and fit a signed short', () => {
    let last = -1;
    for (let code = 0; code <= 0x7bff; code++) {
      const value = ratioOf(code);
      expect(value).toBeGreaterThan(last);
      if (ratioCode(value) !== code) expect(ratioCode(value), `code ${code}`).toBe(code);
      // Every code's value is a float32 exactly: a state save writes float32s.
      if (Math.fround(value) !== value) expect(Math.fround(value)).toBe(value);
      last = value;
    }
    expect(new Int16Array([0x7bff])[0]).toBe(0x7bff);
  });

  it('keep a ratio as the nearest half float, to 11 significant bits', () => {
    const random = mulberry32(3);
    for (let i = 0; i < 20_000; i++) {
      // Ratios from 1e-9 to 1e4, log-uniform.
      const x = 10 ** (random() * 13 - 9);
      const code = ratioCode(x);
      const kept = ratioOf(code);
      const gapBelow = code > 0 ? Math.abs(x - ratioOf(code - 1)) : Number.POSITIVE_INFINITY;
      const gapAbove = code < 0x7bff ? Math.abs(ratioOf(code + 1) - x) : Number.POSITIVE_INFINITY;
      expect(Math.abs(x - kept)).toBeLessThanOrEqual(Math.min(gapBelow, gapAbove));
      if (x >= 2 ** -14) expect(Math.abs(kept - x) / x).toBeLessThanOrEqual(2 ** -11);
    }
  });

  it('keep nothing above 0 as 0, and what is past the largest half as the largest', () => {
    for (const x of [0, -0, -1, Number.NaN, Number.NEGATIVE_INFINITY]) expect(ratioCode(x), `${x}`).toBe(0);
    expect(ratioCode(1e6)).toBe(0x7bff);
  });
});

describe('log-rate codes (1/1024 nat)', () => {
  it('round-trip every code and keep a log-rate to half a step, clamped to ±32 nats, never the state columns null', () => {
    for (let code = -32767; code <= 32767; code++) expect(logRateCode(logRateOf(code)) === code).toBe(true);
    expect(logRateCode(logRateOf(Q_NULL))).toBe(Q_NULL + 1);
    const random = mulberry32(5);
    for (let i = 0; i < 20_000; i++) {
      const x = random() * 60 - 30;
      expect(Math.abs(logRateOf(logRateCode(x)) - x)).toBeLessThanOrEqual(0.5 / 1024);
    }
    expect(logRateOf(logRateCode(40))).toBe(32767 / 1024);
    expect(logRateOf(logRateCode(-40))).toBe(-32767 / 1024);
  });
});

describe('codeTable', () => {
  it('reads every code of either coding as its value', () => {
    const rates = codeTable('log-rate');
    for (const code of [-32768, -7074, -1, 0, 1, 32767]) expect(rates.values[rates.bias + code]).toBe(logRateOf(code));
    const ratios = codeTable('ratio');
    for (const code of [0, 1, 0x2e66, 0x7bff]) expect(ratios.values[ratios.bias + code]).toBe(ratioOf(code));
    expect(asKept('ratio', 0.1)).toBe(0.0999755859375);
    expect(asKept('log-rate', Math.log(1e-3))).toBe(-7074 / 1024);
  });
});
