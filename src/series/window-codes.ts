// The 16-bit codes a baseline window keeps its values in, two bytes a value instead of a float32's
// four (a series' three hour-long windows: 360 bytes less of its 2.66 KB slab region).
// Both codes are order-preserving integers, so a window keeps its sort order on codes and decodes
// only what it reads out:
// - a log-rate (nats) in fixed point, 1/1024 nat a step (rates to 0.05 %, as the seasonal profile
//   and the state columns keep them; see core/column-encoder.ts), ±32 nats;
// - a ratio (≥ 0) as the bits of an IEEE 754 half-precision float (core/half-float.ts: 11
//   significant bits, 0.05 % relative, down to 6e-8 and up to 65504), whose bit patterns of
//   non-negative numbers ascend with their values; a state save writes them as they are (the
//   columns' 'h'). A fixed point would keep 1.5e-5 a step: a bucket's error ratio of 1e-4 would be
//   read 7 % off.

import { Q_NULL, Q_UNITS } from '../core/column-encoder.js';
import { HALF_VALUES, halfBits } from '../core/half-float.js';

/** How a window's values become codes: fixed-point nats, or half-float ratios. */
export type WindowCoding = 'log-rate' | 'ratio';

/** Fixed-point steps a nat: the state columns' (a log-rate window is saved as it holds). */
const LOG_RATE_UNITS = Q_UNITS;
/** The lowest log-rate code: the one below it is the columns' null. */
const LOG_RATE_MIN_CODE = Q_NULL + 1;
/**
 * The half float nearest a ratio, as its bits (ties away from zero); 0 for anything not above 0
 * (a ratio is never negative), the largest finite half for anything above it.
 */
export const ratioCode = halfBits;

/** The value of a ratio's code. */
export function ratioOf(code: number): number {
  return HALF_VALUES[code]!;
}

/** Every log-rate code's value, from −32768 (index 0) up (512 KB for the process, made once). */
const LOG_RATE_VALUES = (() => {
  const table = new Float64Array(65536);
  for (let i = 0; i < table.length; i++) table[i] = (i - 32768) / LOG_RATE_UNITS;
  return table;
})();

/**
 * A coding's values by code, `values[bias + code]`: one read, the same for both codings, where a
 * window decodes what it reads out (its median's neighbours, a sorted copy).
 */
export interface CodeTable {
  values: Float64Array;
  bias: number;
}

const LOG_RATE_TABLE: CodeTable = { values: LOG_RATE_VALUES, bias: 32768 };
const RATIO_TABLE: CodeTable = { values: HALF_VALUES, bias: 0 };

export function codeTable(coding: WindowCoding): CodeTable {
  return coding === 'log-rate' ? LOG_RATE_TABLE : RATIO_TABLE;
}

/**
 * A log-rate's fixed-point code, clamped to ±32767: −32768 is the state columns' null
 * (core/column-encoder.ts's Q_NULL), and a state save writes these codes as they are.
 */
export function logRateCode(x: number): number {
  const q = Math.round(x * LOG_RATE_UNITS);
  // `| 0`: a code is an integer, never −0.
  return q < LOG_RATE_MIN_CODE ? LOG_RATE_MIN_CODE : q > 32767 ? 32767 : q | 0;
}

/** The value of a log-rate's code. */
export function logRateOf(code: number): number {
  return code / LOG_RATE_UNITS;
}

/** A value's code under a coding. */
export function codeOf(coding: WindowCoding, x: number): number {
  return coding === 'log-rate' ? logRateCode(x) : ratioCode(x);
}

/** A value as a window of that coding keeps it. */
export function asKept(coding: WindowCoding, x: number): number {
  const table = codeTable(coding);
  return table.values[table.bias + codeOf(coding, x)]!;
}
