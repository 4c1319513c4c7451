import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { HALF_MAX_BITS, halfBits, halfValue } from '../../src/core/half-float.js';
import { Q_NULL } from '../../src/core/column-encoder.js';
import { asKept, codeTable, logRateCode, logRateOf, ratioCode, ratioOf } from '../../src/series/window-codes.js';

describe('ratio codes', () => {
  it('are the half floats of core/half-float.ts, as their bits', () => {
    // The half floats' own properties (numpy's values, rounding, order) are tested there.
    for (let code = 0; code <= HALF_MAX_BITS; code++) expect(ratioOf(code)).toBe(halfValue(code));
    for (const x of [0, 1e-9, 2.5e-5, 0.0123, 0.5 + 2 ** -12, 0.999, 7, 1e6, -1, Number.NaN]) expect(ratioCode(x), `${x}`).toBe(halfBits(x));
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
