import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { HALF_MAX_BITS, halfBits, halfValue } from '../../src/core/half-float.js';

describe('half floats (non-negative binary16, as their bits)', () => {
  it('are the bits numpy gives a float16', () => {
    // numpy: hex(np.float16(x).view(np.uint16)) and float(np.float16(x))
    const numpy: [number, number, number][] = [
      [0.1, 0x2e66, 0.0999755859375],
      [1 / 3, 0x3555, 0.333251953125],
      [1, 0x3c00, 1],
      [65504, 0x7bff, 65504],
      [2 ** -24, 0x0001, 5.960464477539063e-8],
      [1e-7, 0x0002, 1.1920928955078125e-7],
      [0.0001, 0x068e, 0.00010001659393310547],
      [2.5e-5, 0x01a3, 2.4974346160888672e-5],
      [0.999, 0x3bfe, 0.9990234375],
    ];
    for (const [x, bits, value] of numpy) {
      expect(halfBits(x), `${x}`).toBe(bits);
      expect(halfValue(bits)).toBe(value);
    }
  });

  it('round-trip all bits, ascend strictly with their values, fit a signed short, and are float32s exactly', () => {
    let last = -1;
    for (let bits = 0; bits <= HALF_MAX_BITS; bits++) {
      const value = halfValue(bits);
      expect(value).toBeGreaterThan(last);
      if (halfBits(value) !== bits) expect(halfBits(value), `bits ${bits}`).toBe(bits);
      // State files saved before the 'h' column held these values as float32s: read exactly.
      if (Math.fround(value) !== value) expect(Math.fround(value)).toBe(value);
      last = value;
    }
    expect(new Int16Array([HALF_MAX_BITS])[0]).toBe(HALF_MAX_BITS);
  });

  it('keep a number as the nearest half float, to 11 significant bits', () => {
    const random = mulberry32(3);
    for (let i = 0; i < 20_000; i++) {
      // Numbers from 1e-9 to 1e4, log-uniform.
      const x = 10 ** (random() * 13 - 9);
      const bits = halfBits(x);
      const kept = halfValue(bits);
      const gapBelow = bits > 0 ? Math.abs(x - halfValue(bits - 1)) : Number.POSITIVE_INFINITY;
      const gapAbove = bits < HALF_MAX_BITS ? Math.abs(halfValue(bits + 1) - x) : Number.POSITIVE_INFINITY;
      expect(Math.abs(x - kept)).toBeLessThanOrEqual(Math.min(gapBelow, gapAbove));
      if (x >= 2 ** -14) expect(Math.abs(kept - x) / x).toBeLessThanOrEqual(2 ** -11);
    }
  });

  it('round a tie up (numpy rounds it to even), keep nothing above 0 as 0 and what is past the largest as the largest', () => {
    // 0.5 + 2^-12 lies halfway between 0.5 (0x3800) and 0.50048828125 (0x3801).
    expect(halfBits(0.5 + 2 ** -12)).toBe(0x3801);
    for (const x of [0, -0, -1, Number.NaN, Number.NEGATIVE_INFINITY]) expect(halfBits(x), `${x}`).toBe(0);
    expect(halfBits(1e6)).toBe(HALF_MAX_BITS);
  });

  it('read no other 16-bit pattern as a number', () => {
    // Infinity, NaNs and negative halves (as a signed 16-bit column holds them) are no such value.
    for (const bits of [0x7c00, 0x7fff, -1, -32768]) expect(halfValue(bits), `bits ${bits}`).toBeNaN();
  });
});
