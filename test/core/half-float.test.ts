import { describe, expect, it } from 'vitest';
import { HALF_MAX_BITS, halfBits, halfValue } from '../../src/core/half-float.js';

describe('half floats', () => {
  it('gives the IEEE 754 binary16 nearest a number, as numpy does', () => {
    // numpy: np.array([x], dtype=np.float16).view(np.uint16), and float() of the half.
    const reference: [number, number, number][] = [
      [0.1, 0x2e66, 0.0999755859375],
      [1 / 3, 0x3555, 0.333251953125],
      [1, 0x3c00, 1],
      [65504, 0x7bff, 65504],
      [2 ** -24, 0x0001, 5.960464477539063e-8],
      [0.0001, 0x068e, 0.00010001659393310547],
    ];
    for (const [x, bits, value] of reference) {
      expect(halfBits(x), `${x}`).toBe(bits);
      expect(halfValue(bits), `${x}`).toBe(value);
    }
  });

  it('rounds a tie up (numpy rounds it to even), clamps to what a non-negative half holds', () => {
    // 0.5 + 2^-12 lies halfway between 0.5 (0x3800) and 0.50048828125 (0x3801).
    expect(halfBits(0.5 + 2 ** -12)).toBe(0x3801);
    expect(halfBits(1e9)).toBe(HALF_MAX_BITS);
    for (const x of [0, -0, -1, Number.NaN]) expect(halfBits(x), `${x}`).toBe(0);
  });

  it('reads every non-negative finite half back to itself, ascending with its bits, and no other pattern', () => {
    let previous = -1;
    for (let bits = 0; bits <= HALF_MAX_BITS; bits++) {
      const value = halfValue(bits);
      expect(value > previous, `bits ${bits}`).toBe(true);
      if (halfBits(value) !== bits) expect(halfBits(value), `bits ${bits}`).toBe(bits);
      previous = value;
    }
    // Infinity, NaNs and negative halves (as a signed 16-bit column holds them) are no ratio.
    for (const bits of [0x7c00, 0x7fff, -1, -32768]) expect(halfValue(bits), `bits ${bits}`).toBeNaN();
  });
});
