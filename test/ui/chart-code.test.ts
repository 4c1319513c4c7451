import { describe, expect, it } from 'vitest';
import { NAN_CODE, decodeChartValue, encodeChartValue } from '../../src/ui/chart-code.js';
import { mulberry32 } from '../../scripts/sim/random.js';

/**
 * The nearest value of the codes' grid, computed another way (logarithms and division, not bits):
 * ten significant bits from 2^-30 up, units of 2^-39 below, ties away from zero, and past the
 * largest code (2^31·(2 − 2^-9)) that code. Its input is read as a float32 first, as the codes read it.
 */
const LARGEST = 2 ** 31 * (2 - 2 ** -9);

function nearestOnGrid(x: number): number {
  const v = Math.fround(x);
  const a = Math.abs(v);
  if (a === 0) return v;
  const e = Math.max(-30, Math.floor(Math.log2(a)));
  const unit = 2 ** (e - 9);
  const q = Math.floor(a / unit + 0.5) * unit;
  const r = q >= 2 ** 32 ? LARGEST : q;
  return v < 0 ? -r : r;
}

describe('chart codes', () => {
  it('read every value back as the nearest point of their grid, within 2^-10 in the normal range', () => {
    const next = mulberry32(7);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      // Magnitudes over 2^-45 … 2^34: subnormal codes, the normal range, and past its top.
      const x = (next() < 0.5 ? -1 : 1) * 2 ** (-45 + 79 * next());
      const back = decodeChartValue(encodeChartValue(x));
      expect(back).toBe(nearestOnGrid(x));
      const a = Math.abs(x);
      if (a >= 2 ** -30 && a < 2 ** 32) worst = Math.max(worst, Math.abs(back - x) / a);
    }
    expect(worst).toBeGreaterThan(2 ** -11);
    expect(worst).toBeLessThanOrEqual(2 ** -10 + 2 ** -23);
  });

  it('keep 0, the sign of 0, small integers, NaN and the infinities exactly, and hold a finite value past the top at the largest code', () => {
    for (let k = 0; k <= 1024; k++) expect(decodeChartValue(encodeChartValue(k))).toBe(k);
    expect(Object.is(decodeChartValue(encodeChartValue(-0)), -0)).toBe(true);
    expect(encodeChartValue(Number.NaN)).toBe(NAN_CODE);
    expect(decodeChartValue(encodeChartValue(Number.NaN))).toBeNaN();
    expect(decodeChartValue(encodeChartValue(Number.POSITIVE_INFINITY))).toBe(Number.POSITIVE_INFINITY);
    expect(decodeChartValue(encodeChartValue(Number.NEGATIVE_INFINITY))).toBe(Number.NEGATIVE_INFINITY);
    // A busy route's rate, past a float16's 65504; a finite value past the top, the largest code
    // (drawn at the chart's top, not left out); far under the bottom, 0.
    expect(decodeChartValue(encodeChartValue(4_710_000))).toBeCloseTo(4_710_000, -4);
    expect(decodeChartValue(encodeChartValue(9e9))).toBe(LARGEST);
    expect(decodeChartValue(encodeChartValue(-1e30))).toBe(-LARGEST);
    expect(decodeChartValue(encodeChartValue(1e-13))).toBe(0);
    expect(decodeChartValue(encodeChartValue(3 * 2 ** -39))).toBe(3 * 2 ** -39);
  });

  it('are their own values: every code encodes back to itself, and they rise with what they stand for', () => {
    let last = Number.NEGATIVE_INFINITY;
    for (let code = 0; code < 0x10000; code++) {
      const v = decodeChartValue(code);
      const isNaNCode = (code & 0x7e00) === 0x7e00 && (code & 0x1ff) !== 0;
      expect(encodeChartValue(v)).toBe(isNaNCode ? NAN_CODE : code === 0x8000 ? 0x8000 : code);
      if (code <= 0x7e00) {
        if (code > 0) expect(v).toBeGreaterThan(last);
        last = v;
      }
    }
  });
});
