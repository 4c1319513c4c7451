// A decimal number's text read from bytes into the double Number() gives for it, without making a
// string: a Prometheus answer's 17-digit sample values (a quarter of a rate's values or more) each
// made a string to read. What this cannot read exactly it does not guess: it answers NaN and the
// caller reads the text.
//
// Two exact methods. A mantissa below 2^53 with a power of ten up to 22 is one correctly rounded
// operation on exact operands (W. D. Clinger, "How to read floating point numbers accurately",
// PLDI 1990). Any other mantissa of up to 19 digits goes through Eisel-Lemire (D. Lemire, "Number
// parsing at a gigabyte per second", Software: Practice and Experience 51(8), 2021; as N. Tao
// wrote it for Wuffs and Go's strconv): the mantissa times a 64-bit truncation of the power of ten,
// rounded to 53 bits, except where the truncation could decide the rounding (then NaN). Pure.

const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;

/** Exact powers of ten a double holds (up to 1e22), each made by an exact product. */
const POWERS_OF_TEN = ((): number[] => {
  const powers = [1];
  while (powers.length < 23) powers.push(powers[powers.length - 1]! * 10);
  return powers;
})();
const TWO_32 = 2 ** 32;
/** Exact reciprocals: dividing by a power of two is multiplying by its inverse. */
const INVERSE_TWO_32 = 1 / 4294967296;
const TWO_53 = 2 ** 53;
/** Significant digits the mantissa is split at: the first 15 are below 2^53 however they read. */
const HIGH_DIGITS = 15;
/** Significant digits a 64-bit mantissa always holds (10^19 < 2^64). */
const MAX_DIGITS = 19;
/** An exponent written beyond this is left to Number() (it is far outside the powers below). */
const MAX_EXPONENT_TEXT = 100_000;

/** Powers of ten whose mantissas are tabled (as Go's strconv has them): the doubles' range and a margin. */
const MIN_POWER = -348;
const MAX_POWER = 347;

/**
 * The top 64 bits of each power of ten's mantissa, rounded down and normalised (top bit set), as
 * two 32-bit words (high, low). From 10^q = 5^q * 2^q: for q >= 0, 5^q cut to 64 bits; for q < 0,
 * 2^k / 5^-q with k making it 64 bits.
 */
const POWER_WORDS = ((): Float64Array => {
  const words = new Float64Array(2 * (MAX_POWER - MIN_POWER + 1));
  for (let q = MIN_POWER; q <= MAX_POWER; q++) {
    const five = 5n ** BigInt(Math.abs(q));
    const bits = five.toString(2).length;
    let mantissa: bigint;
    if (q >= 0) mantissa = bits >= 64 ? five >> BigInt(bits - 64) : five << BigInt(64 - bits);
    else mantissa = (1n << BigInt(bits + 63)) / five;
    words[2 * (q - MIN_POWER)] = Number(mantissa >> 32n);
    words[2 * (q - MIN_POWER) + 1] = Number(mantissa & 0xffffffffn);
  }
  return words;
})();

/** 2^e at index e + 1074, from the smallest double up to 2^971 (each made by an exact doubling). */
const POWERS_OF_TWO = ((): Float64Array => {
  const powers = new Float64Array(2046);
  let p = Number.MIN_VALUE;
  for (let i = 0; i < powers.length; i++, p *= 2) powers[i] = p;
  return powers;
})();
const TWO_TO_0 = 1074;

/**
 * The value of the decimal text bytes[from, to) — [+-] digits [. digits] [e [+-] digits], or [+-] .
 * digits [e ...] — exactly as Number() reads that text; NaN for any other text, and for one of more
 * than 19 significant digits, out of the normal doubles' range, or too close to a rounding boundary
 * to decide here (read the text then).
 */
export function decimalValue(b: Uint8Array, from: number, to: number): number {
  let i = from;
  let negative = false;
  if (i < to && (b[i] === MINUS || b[i] === PLUS)) {
    negative = b[i] === MINUS;
    i++;
  }
  // Every digit into one double: exact while below 2^53 (and at or above it if the true value is).
  const digitsFrom = i;
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  for (; i < to && b[i]! >= ZERO && b[i]! <= NINE; i++, digits++) mantissa = mantissa * 10 + (b[i]! - ZERO);
  if (i < to && b[i] === DOT) {
    for (i++; i < to && b[i]! >= ZERO && b[i]! <= NINE; i++, digits++, exponent--) mantissa = mantissa * 10 + (b[i]! - ZERO);
  }
  const digitsTo = i;
  if (digits === 0) return Number.NaN;
  if (i < to) {
    if (b[i] !== 0x65 && b[i] !== 0x45) return Number.NaN;
    i++;
    let sign = 1;
    if (i < to && (b[i] === MINUS || b[i] === PLUS)) {
      sign = b[i] === MINUS ? -1 : 1;
      i++;
    }
    if (i === to) return Number.NaN;
    let written = 0;
    for (; i < to; i++) {
      const c = b[i]!;
      if (c < ZERO || c > NINE) return Number.NaN;
      written = written * 10 + (c - ZERO);
      if (written > MAX_EXPONENT_TEXT) return Number.NaN;
    }
    exponent += sign * written;
  }
  if (mantissa === 0) return negative ? -0 : 0;
  if (mantissa < TWO_53 && exponent >= -22 && exponent <= 22) {
    const value = exponent < 0 ? mantissa / POWERS_OF_TEN[-exponent]! : mantissa * POWERS_OF_TEN[exponent]!;
    return negative ? -value : value;
  }
  // The significant digits again, exactly: the first HIGH_DIGITS in `high`, up to MAX_DIGITS in all.
  let high = 0;
  let low = 0;
  let significant = 0;
  for (let k = digitsFrom; k < digitsTo; k++) {
    const c = b[k]!;
    if (c === DOT || (c === ZERO && significant === 0)) continue;
    if (++significant <= HIGH_DIGITS) high = high * 10 + (c - ZERO);
    else if (significant <= MAX_DIGITS) low = low * 10 + (c - ZERO);
    else return Number.NaN;
  }
  return eiselLemire(high, low, Math.max(0, significant - HIGH_DIGITS), exponent, negative);
}

/**
 * (high * 10^lowDigits + low) * 10^exponent rounded to the nearest double (ties to even), or NaN
 * where the 64-bit truncated power could round it the wrong way, or the result is not a normal
 * double. The 64-bit arithmetic is done in 32-bit words held by doubles (every step exact).
 */
function eiselLemire(high: number, low: number, lowDigits: number, exponent: number, negative: boolean): number {
  if (exponent < MIN_POWER || exponent > MAX_POWER) return Number.NaN;
  // The mantissa as two 32-bit words (it is below 10^19 < 2^64).
  const scale = POWERS_OF_TEN[lowDigits]!;
  const highWord = Math.floor(high * INVERSE_TWO_32);
  const t = (high - highWord * TWO_32) * scale + low;
  const carry = Math.floor(t * INVERSE_TWO_32);
  let lo = t - carry * TWO_32;
  let hi = highWord * scale + carry;
  // Normalised: shifted left until its top bit is set.
  const clz = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  if (clz >= 32) {
    hi = lo * POWERS_OF_TWO[TWO_TO_0 + clz - 32]!;
    lo = 0;
  } else if (clz > 0) {
    const shifted = lo * POWERS_OF_TWO[TWO_TO_0 + clz]!;
    const over = Math.floor(shifted * INVERSE_TWO_32);
    lo = shifted - over * TWO_32;
    hi = hi * POWERS_OF_TWO[TWO_TO_0 + clz]! + over;
  }
  const at = 2 * (exponent - MIN_POWER);
  const powerHi = POWER_WORDS[at]!;
  const powerLo = POWER_WORDS[at + 1]!;
  // The 128-bit product as four 32-bit words w3..w0, from four 32x32-bit products (each exact: low
  // word by Math.imul, high word from the rounded double product, off by far less than 2^31).
  const llLow = Math.imul(lo, powerLo) >>> 0;
  const llHigh = Math.round((lo * powerLo - llLow) * INVERSE_TWO_32);
  const lhLow = Math.imul(lo, powerHi) >>> 0;
  const lhHigh = Math.round((lo * powerHi - lhLow) * INVERSE_TWO_32);
  const hlLow = Math.imul(hi, powerLo) >>> 0;
  const hlHigh = Math.round((hi * powerLo - hlLow) * INVERSE_TWO_32);
  const hhLow = Math.imul(hi, powerHi) >>> 0;
  const hhHigh = Math.round((hi * powerHi - hhLow) * INVERSE_TWO_32);
  const t1 = llHigh + lhLow + hlLow;
  const w1 = t1 >>> 0;
  const t2 = lhHigh + hlHigh + hhLow + (t1 - w1) * INVERSE_TWO_32;
  const w2 = t2 >>> 0;
  const w3 = hhHigh + (t2 - w2) * INVERSE_TWO_32;
  // The bits below the 54 kept all set: the power's lower bits could carry into them (Go reads a
  // wider product here; this leaves it to Number()).
  if ((w2 & 0x1ff) === 0x1ff) return Number.NaN;
  const msb = w3 >>> 31;
  const shift = 9 + msb;
  // The product's top 64 bits shifted right to 54 bits (Go's retMantissa), kept as its top 53 bits
  // (exact in a double) and its last bit.
  const top = w3 * POWERS_OF_TWO[TWO_TO_0 + 22 - msb]! + (w2 >>> (shift + 1));
  const last = (w2 >>> shift) & 1;
  let exp2 = ((217706 * exponent) >> 16) + 64 + 1023 - clz - (1 ^ msb);
  // Exactly half way on the truncated product (54 bits ending in 01): the true value may be just above it.
  if (w1 === 0 && llLow === 0 && (w2 & 0x1ff) === 0 && last === 1 && top % 2 === 0) return Number.NaN;
  // Rounded to 53 bits: up when the 54th is set (a tie that ends odd rounds to even so; the other was refused above).
  let m = top + last;
  if (m >= TWO_53) {
    m /= 2;
    exp2++;
  }
  if (exp2 < 1 || exp2 > 2046) return Number.NaN;
  // m * 2^(exp2 - 1075): a normal double, exactly.
  const value = m * POWERS_OF_TWO[TWO_TO_0 + exp2 - 1075]!;
  return negative ? -value : value;
}
