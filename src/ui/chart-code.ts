// Chart values as 16-bit codes: a series' ring of history keeps each of its twelve chart columns in
// two bytes instead of a float32's four (a point with its time: 32 bytes, not 56), so the same
// memory holds the history of 1.75x the series. Pure.
//
// A code is a float32 cut down to 16 bits: the sign, 6 exponent bits and 9 of the mantissa's 23,
// rounded to nearest (ties away from zero). Normal codes span 2^-30 … 2^32 (9.3e-10 … 4.3e9;
// a float16's 5 exponent bits stop at 65504, under a busy route's requests a second: the half
// floats of series/window-codes.ts hold a window's ratios, not a chart's rates), below them
// subnormal codes step by 2^-39; the top exponent holds ±Infinity and NaN, as IEEE 754's formats
// do. A value in the normal range reads back within 2^-10 (0.1 %) of itself, under what the
// charts print (three significant digits); 0, small integers (a tick's state: 0, 1, 2), NaN (no
// data, never 0) and ±Infinity read back exactly, and a decoded value encodes to the same code. A
// finite value past the top (a z-score of a tick against a spread near zero) reads as the largest
// code, ±4.29e9, not as Infinity: the charts draw no point for a value that is not finite, and the
// most extreme tick of a series must not be the one left out.

/** The code of NaN (any code with the top exponent and a mantissa other than 0 decodes to NaN). */
export const NAN_CODE = 0x7e01;
/** The code of +Infinity; −Infinity is this with the sign bit (0x8000). */
const INFINITY_CODE = 0x7e00;
/** The largest finite code: 2^31·(2 − 2^-9). */
const MAX_FINITE_CODE = INFINITY_CODE - 1;
/** float32's exponent bias (127) less the code's (31). */
const REBIAS = 96;

// One float32's bits, read and written in place (no allocation per value).
const float = new Float32Array(1);
const bits = new Uint32Array(float.buffer);

/** The code of `x` (read as the float32 nearest it). */
export function encodeChartValue(x: number): number {
  float[0] = x;
  const b = bits[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) return mantissa !== 0 ? NAN_CODE : sign | INFINITY_CODE;
  const e = exponent - REBIAS;
  if (e <= 0) {
    // Subnormal codes count units of 2^-39: the 24-bit significand shifted by 15 − e, rounded.
    // Under half a unit (float32's own subnormals among them) is ±0.
    if (e < -9) return sign;
    const shift = 15 - e;
    return sign | (((mantissa | 0x800000) + (1 << (shift - 1))) >>> shift);
  }
  // Rounding up may carry into the exponent: the next power of two, or past the top (saturated).
  const code = e >= 63 ? INFINITY_CODE : ((e << 9) | (mantissa >>> 14)) + ((mantissa >>> 13) & 1);
  return sign | (code >= INFINITY_CODE ? MAX_FINITE_CODE : code);
}

/** The value a code stands for. */
export function decodeChartValue(code: number): number {
  const e = (code >>> 9) & 0x3f;
  const mantissa = code & 0x1ff;
  if (e === 0x3f) {
    if (mantissa !== 0) return Number.NaN;
    return code & 0x8000 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (e === 0) {
    const v = mantissa * 2 ** -39;
    return code & 0x8000 ? -v : v;
  }
  bits[0] = ((code & 0x8000) << 16) | ((e + REBIAS) << 23) | (mantissa << 14);
  return float[0]!;
}
