import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { decimalValue } from '../../src/source/decimal-text.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** The texts of `texts` that decimalValue reads to anything but what Number() reads (NaN is "read the text"), and how many it read itself. */
function compare(texts: readonly string[]): { wrong: string[]; read: number } {
  const wrong: string[] = [];
  let read = 0;
  for (const text of texts) {
    // Inside a larger buffer, as a value sits in an answer.
    const bytes = latin1(`["${text}"]`);
    const value = decimalValue(bytes, 2, bytes.length - 2);
    if (Number.isNaN(value)) continue;
    read++;
    if (!Object.is(value, Number(text))) wrong.push(`${text}: ${value} != ${Number(text)}`);
  }
  return { wrong, read };
}

/** A random double from random bits: every exponent and mantissa alike (NaN and infinities skipped). */
function randomDouble(random: () => number): number {
  const words = new Uint32Array(2);
  const view = new Float64Array(words.buffer);
  for (;;) {
    words[0] = Math.floor(random() * 2 ** 32);
    words[1] = Math.floor(random() * 2 ** 32);
    if (Number.isFinite(view[0]!)) return view[0]!;
  }
}

/** A double of magnitude between 10^from and 10^to with a random mantissa, either sign. */
function randomScaled(random: () => number, from: number, to: number): number {
  const x = (1 + random()) * 10 ** (from + random() * (to - from));
  return random() < 0.5 ? -x : x;
}

/** The text of x as String, toPrecision, toExponential and toFixed write it, digits chosen at random. */
function writings(x: number, random: () => number): string[] {
  const out = [String(x), x.toPrecision(1 + Math.floor(random() * 21)), x.toPrecision(17), x.toExponential(Math.floor(random() * 21))];
  if (Math.abs(x) < 1e21) out.push(x.toFixed(Math.floor(random() * 21)));
  return out;
}

/**
 * Decimal texts within a unit of the 17th-19th digit of the exact midpoint between a double and the
 * next: the values whose rounding a truncated power of ten could get wrong.
 */
function nearMidpoints(x: number, random: () => number): string[] {
  const words = new BigUint64Array(new Float64Array([Math.abs(x)]).buffer);
  const bits = words[0]!;
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0 || biased === 2047) return [];
  // x = m * 2^e, so the midpoint above it is (2m + 1) * 2^(e - 1).
  const m = fraction | (1n << 52n);
  const e = biased - 1075;
  const twice = 2n * m + 1n;
  let digits: string;
  let pointAt: number;
  if (e - 1 >= 0) {
    digits = (twice << BigInt(e - 1)).toString();
    pointAt = digits.length;
  } else {
    // (2m + 1) / 2^k = (2m + 1) * 5^k / 10^k.
    const k = 1 - e;
    digits = (twice * 5n ** BigInt(k)).toString();
    pointAt = digits.length - k;
  }
  const out: string[] = [];
  const sign = x < 0 ? '-' : '';
  for (const keep of [16, 17, 18, 19]) {
    if (digits.length < keep) continue;
    const cut = BigInt(digits.slice(0, keep));
    for (const d of [-1n, 0n, 1n]) {
      const s = (cut + d).toString();
      if (s.length !== keep) continue;
      // d.ddd...e<exponent>, or plain with a point when it fits (both forms read alike).
      const exponent = pointAt - 1;
      out.push(random() < 0.5 ? `${sign}${s[0]}.${s.slice(1)}e${exponent}` : `${sign}${s}e${pointAt - keep}`);
    }
  }
  return out;
}

describe('decimalValue', () => {
  it('reads every decimal text exactly as Number() does, or leaves it to the text: random doubles of every magnitude, written every way', () => {
    const random = mulberry32(11);
    const texts: string[] = [];
    for (let k = 0; k < 40_000; k++) texts.push(...writings(randomDouble(random), random));
    for (let k = 0; k < 40_000; k++) texts.push(...writings(randomScaled(random, -12, 15), random));
    const { wrong, read } = compare(texts);
    expect(wrong).toEqual([]);
    expect(read).toBeGreaterThan(texts.length / 2);
  });

  it('rounds as Number() does next to every rounding boundary: 16 to 19 digits of the midpoints between doubles, and exact ties', () => {
    const random = mulberry32(12);
    const texts: string[] = [];
    for (let k = 0; k < 20_000; k++) texts.push(...nearMidpoints(randomScaled(random, -30, 30), random));
    for (let k = 0; k < 3_000; k++) texts.push(...nearMidpoints(randomDouble(random), random));
    // Integers half way between two doubles (ties to even), and their neighbours.
    for (let k = 0; k < 2_000; k++) {
      const power = 53n + BigInt(Math.floor(random() * 10));
      const base = (1n << power) + BigInt(Math.floor(random() * 2 ** 30)) * (1n << (power - 52n));
      const half = base + (1n << (power - 53n));
      for (const d of [-1n, 0n, 1n]) if (half + d < 10n ** 19n) texts.push(String(half + d), `${String(half + d)}.000`, `-${String(half + d)}e-3`);
    }
    const { wrong, read } = compare(texts);
    expect(wrong).toEqual([]);
    expect(read).toBeGreaterThan(texts.length / 2);
  });

  it('reads random digit strings as Number() does: signs, leading zeros, points anywhere, exponents, up to 22 digits', () => {
    const random = mulberry32(13);
    const texts: string[] = [];
    for (let k = 0; k < 200_000; k++) {
      let digits = '';
      const n = 1 + Math.floor(random() * 22);
      for (let d = 0; d < n; d++) digits += String(Math.floor(random() * 10));
      if (random() < 0.2) digits = '0'.repeat(1 + Math.floor(random() * 8)) + digits;
      const at = Math.floor(random() * (digits.length + 1));
      let text = random() < 0.7 ? `${digits.slice(0, at)}.${digits.slice(at)}` : digits;
      if (text === '.') text = '0.';
      if (random() < 0.3) text = (random() < 0.5 ? '-' : '+') + text;
      if (random() < 0.4) text += `${random() < 0.5 ? 'e' : 'E'}${random() < 0.3 ? '+' : random() < 0.5 ? '-' : ''}${Math.floor(random() * (random() < 0.9 ? 40 : 400))}`;
      texts.push(text);
    }
    const { wrong, read } = compare(texts);
    expect(wrong).toEqual([]);
    expect(read).toBeGreaterThan(texts.length / 2);
  });

  it('reads nearly every 17-digit sample value itself (as Prometheus writes rates), without the text', () => {
    const random = mulberry32(14);
    const texts = Array.from({ length: 50_000 }, () => {
      const x = Math.abs(randomScaled(random, -5, 7));
      return x < 1e-6 ? x.toExponential(16) : x.toPrecision(17);
    });
    const { wrong, read } = compare(texts);
    expect(wrong).toEqual([]);
    expect(read / texts.length).toBeGreaterThan(0.99);
  });

  it('zero keeps its sign; what is not a plain decimal of up to 19 digits in the normal range is left to the text', () => {
    for (const text of ['0', '-0', '+0', '0.000', '-0.0e5', '-.0', '00']) {
      const bytes = latin1(text);
      expect(Object.is(decimalValue(bytes, 0, bytes.length), Number(text))).toBe(true);
    }
    const left = ['NaN', 'Inf', '+Inf', '-Inf', 'Infinity', '', '-', '+', '.', '-.', 'e5', '1e', '1e+', '1.2.3', ' 1', '1 ', '0x10', '1_0', '1,5', '12345678901234567890', '1.0000000000000000001', '1e-400', '1e400', '4.9e-324', '1.7976931348623159e308', '1e999999'];
    for (const text of left) {
      const bytes = latin1(text);
      expect([text, decimalValue(bytes, 0, bytes.length)]).toEqual([text, Number.NaN]);
    }
  });
});
