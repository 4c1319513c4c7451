// Non-negative numbers as the bits of an IEEE 754 half-precision float (binary16): 11 significant
// bits, 0.05 % relative, from 6e-8 up to 65504, in 16 bits whose patterns ascend with their values.
// A baseline window keeps its ratios so (series/window-codes.ts), and a state save writes them as
// they are kept (core/column-encoder.ts, the 'h' column). Pure.

/** The largest finite half float's bits (65504). */
export const HALF_MAX_BITS = 0x7bff;
/** 2⁻²⁴: a subnormal half float's step. */
const HALF_TINY = 2 ** -24;

/** Every non-negative finite half float's value by its bits (248 KB for the process, made once). */
export const HALF_VALUES = (() => {
  const table = new Float64Array(HALF_MAX_BITS + 1);
  for (let bits = 0; bits <= HALF_MAX_BITS; bits++) {
    const exponent = bits >> 10;
    const mantissa = bits & 0x3ff;
    table[bits] = exponent === 0 ? mantissa * HALF_TINY : (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
})();

/** halfBits's view of one float32's bits (one thread). */
const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

/**
 * The half float nearest `x`, as its bits (ties away from zero); 0 for anything not above 0, the
 * largest finite half for anything above it.
 */
export function halfBits(x: number): number {
  if (!(x > 0)) return 0;
  if (x >= HALF_VALUES[HALF_MAX_BITS]!) return HALF_MAX_BITS;
  if (x < 2 ** -14) return Math.round(x / HALF_TINY);
  // The float32's exponent and top 10 mantissa bits are a half's bits (a restart codes ~18M values
  // at 100k series: this is 5x quicker than log2 and a power, with the same bits); the float32's
  // own rounding may have carried x over a code's edge, so the bits are then set to the nearest by the table.
  float32[0] = x;
  const bits = float32Bits[0]!;
  let code = ((((bits >>> 23) & 0xff) - 127 + 15) << 10) | ((bits >>> 13) & 0x3ff);
  if (HALF_VALUES[code]! > x) code--;
  // Ties go up, as Math.round's do.
  return code < HALF_MAX_BITS && HALF_VALUES[code + 1]! - x <= x - HALF_VALUES[code]! ? code + 1 : code;
}

/** The value of a non-negative finite half float's bits; NaN for any other 16-bit pattern. */
export function halfValue(bits: number): number {
  return bits >= 0 && bits <= HALF_MAX_BITS ? HALF_VALUES[bits]! : Number.NaN;
}
