import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { AnswerDecodeError, type DecodedAnswer, VectorDecoder } from '../../src/source/vector-decoder.js';

type Series = { labels: unknown; value: number };

/** What JSON.parse makes of an answer: each series' labels and value (Go's float text read as Prometheus means it). */
function reference(text: string): { series: Series[]; warnings: unknown; status: unknown } {
  const body = JSON.parse(text) as { status: string; warnings?: unknown; data: { resultType: string; result: { metric: unknown; value: [number, string] }[] | [number, string] } };
  const goFloat = (s: string) => (s === '+Inf' || s === 'Inf' ? Number.POSITIVE_INFINITY : s === '-Inf' ? Number.NEGATIVE_INFINITY : Number(s));
  if (body.data.resultType === 'scalar') return { series: [{ labels: {}, value: goFloat((body.data.result as [number, string])[1]) }], warnings: body.warnings ?? [], status: body.status };
  return { series: (body.data.result as { metric: unknown; value: [number, string] }[]).map((s) => ({ labels: s.metric, value: goFloat(s.value[1]) })), warnings: body.warnings ?? [], status: body.status };
}

/** Decodes `bytes` fed in chunks of the given sizes (cycled); each series' metric text parsed back to labels. */
function decode(bytes: Uint8Array, chunks: number[] = [bytes.length || 1]): { series: Series[]; answer: DecodedAnswer } {
  const series: Series[] = [];
  const decoder = new VectorDecoder({
    series(b, start, end, value) {
      series.push({ labels: JSON.parse(Buffer.from(b.subarray(start, end)).toString('utf8')) as unknown, value });
    },
  });
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = Math.max(1, chunks[k % chunks.length]!);
    // A copy, as a stream's chunk is its own buffer that the decoder must not keep.
    decoder.push(Uint8Array.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return { series, answer: decoder.end() };
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A random JSON writer: key orders, whitespace and string escapes vary; the meaning does not. */
function writer(random: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const ws = () => (random() < 0.7 ? '' : pick([' ', '\n', '\t', '\r\n  ', '  ']));
  const str = (s: string) => {
    let out = '"';
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      if (ch === '"' || ch === '\\') out += `\\${ch}`;
      else if (c < 0x20) out += random() < 0.5 && '\n\t\r\b\f'.includes(ch) ? JSON.stringify(ch).slice(1, -1) : `\\u${c.toString(16).padStart(4, '0')}`;
      else if (random() < 0.05) for (let u = 0; u < ch.length; u++) out += `\\u${ch.charCodeAt(u).toString(16).padStart(4, '0')}`;
      else if (ch === '/' && random() < 0.5) out += '\\/';
      else out += ch;
    }
    return `${out}"`;
  };
  const value = (v: unknown): string => {
    if (typeof v === 'string') return str(v);
    if (typeof v === 'number') return String(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((x) => value(x)).join(`${ws()},${ws()}`)}${ws()}]`;
    if (v === null || typeof v === 'boolean') return String(v);
    const entries = Object.entries(v as object);
    if (random() < 0.5) entries.reverse();
    return `{${ws()}${entries.map(([k, x]) => `${str(k)}${ws()}:${ws()}${value(x)}`).join(`${ws()},${ws()}`)}${ws()}}`;
  };
  return { value, pick, ws };
}

const LABEL_VALUE_PARTS = ['a', '/api/v1/items', 'Zürich', '東京', '😀', '"', '\\', '\n', '\t', '\u0001', '}', '{', ',', ':', '"value":[1,"2"]', ' ', '', 'naïve café', 'C:\\dir\\"x"', '\u2028', '\\u0041'];
const VALUES = ['0', '1', '-0', '12.25', '0.1', '1e-7', '1E+3', '+5', 'NaN', '+Inf', '-Inf', '123456789012345678', '0.000000000000000000000000001', '1000000000000000000000000000000', '9007199254740993', '9007199254740992.5', '.5', '3.', '-2.5e-3'];

function randomAnswer(random: () => number): string {
  const { value, pick, ws } = writer(random);
  const n = Math.floor(random() * 6);
  const result = Array.from({ length: n }, () => {
    const labels: Record<string, string> = {};
    const count = Math.floor(random() * 5);
    for (let i = 0; i < count; i++) {
      let v = '';
      for (let k = Math.floor(random() * 4); k > 0; k--) v += pick(LABEL_VALUE_PARTS);
      labels[pick(['route', 'code', '__name__', 'pod', 'le', 'a_b', 'x'])] = v;
    }
    const rawValue = random() < 0.5 ? String((random() - 0.5) * 10 ** Math.floor(random() * 30 - 15)) : pick(VALUES);
    const series: Record<string, unknown> = { metric: labels, value: [1_700_000_000 + Math.floor(random() * 1000) / 1000, rawValue] };
    if (random() < 0.1) series.extra = { nested: [1, true, null, 'x'] };
    return series;
  });
  const data: Record<string, unknown> = random() < 0.5 ? { resultType: 'vector', result } : { result, resultType: 'vector' };
  const body: Record<string, unknown> = { status: 'success', data };
  if (random() < 0.3) body.warnings = ['PromQL info: metric might not be a counter', 'partial "data"'];
  if (random() < 0.2) body.infos = ['info'];
  if (random() < 0.2) body.stats = { timings: { evalTotalTime: 0.001 }, samples: { totalQueryableSamples: 3 } };
  return `${ws()}${value(body)}${ws()}`;
}

/**
 * Decodes `bytes` with a sink that expects, of the n-th series, the metric text `expect(n)` gives
 * (one character per byte): what it read, in order, each series marked as taken as expected or not.
 */
function decodeExpecting(bytes: Uint8Array, chunks: number[], expect: (n: number) => string | undefined): { series: Series[]; expected: boolean[]; answer: DecodedAnswer } {
  const series: Series[] = [];
  const expected: boolean[] = [];
  const decoder = new VectorDecoder({
    series(b, start, end, value) {
      series.push({ labels: JSON.parse(Buffer.from(b.subarray(start, end)).toString('utf8')) as unknown, value });
      expected.push(false);
    },
    expected: () => expect(series.length),
    expectedSeries(value) {
      series.push({ labels: JSON.parse(Buffer.from(expect(series.length)!, 'latin1').toString('utf8')) as unknown, value });
      expected.push(true);
    },
  });
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = Math.max(1, chunks[k % chunks.length]!);
    decoder.push(Uint8Array.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return { series, expected, answer: decoder.end() };
}

/** Each series' metric text as written, one character per byte (what a sink keeps to expect it again). */
function metricTexts(bytes: Uint8Array): string[] {
  const texts: string[] = [];
  const decoder = new VectorDecoder({ series: (b, start, end) => texts.push(Buffer.from(b.subarray(start, end)).toString('latin1')) });
  decoder.push(bytes);
  decoder.end();
  return texts;
}

describe('decoding an instant-query answer', () => {
  it('reads a series written as expected exactly as one scanned in full, and any other (a wrong guess, another layout) in full', () => {
    const random = mulberry32(4242);
    let taken = 0;
    const earlier: string[] = ['{}'];
    for (let k = 0; k < 2000; k++) {
      // Half compact, as Prometheus writes answers (the expected layout), half in random layouts.
      const text = k % 2 === 0 ? JSON.stringify(JSON.parse(randomAnswer(random))) : randomAnswer(random);
      const bytes = utf8(text);
      const texts = metricTexts(bytes);
      // Right guesses mostly; some another series' text (of this answer or an earlier one), some none.
      const guesses = texts.map((t) => {
        const r = random();
        if (r < 0.6) return t;
        if (r < 0.75) return texts[Math.floor(random() * texts.length)];
        if (r < 0.9) return earlier[Math.floor(random() * earlier.length)];
        return undefined;
      });
      earlier.push(...texts);
      const chunks = k % 3 === 0 ? [bytes.length] : Array.from({ length: 5 }, () => 1 + Math.floor(random() * (k % 3 === 1 ? 4 : 64)));
      const { series, expected, answer } = decodeExpecting(bytes, chunks, (n) => guesses[n]);
      expect(series, text).toEqual(reference(text).series);
      expect(answer.series).toBe(texts.length);
      // Taken as expected only when the guess was its own text.
      expected.forEach((e, n) => {
        if (e) expect(guesses[n]).toBe(texts[n]);
      });
      taken += expected.filter(Boolean).length;
    }
    // The shortcut was taken often enough for the comparison to mean something.
    expect(taken).toBeGreaterThan(500);
  });

  it('refuses a malformed series written after an expected metric text as the full scan does, with the same message', () => {
    const random = mulberry32(77);
    for (let k = 0; k < 300; k++) {
      const text = JSON.stringify(JSON.parse(randomAnswer(random)));
      const bytes = utf8(text);
      const texts = metricTexts(bytes);
      for (let m = 0; m < 10; m++) {
        const mutated = Uint8Array.from(bytes);
        mutated[Math.floor(random() * bytes.length)] = '{}[]":,\\ 0-a.eE\u0001'.charCodeAt(Math.floor(random() * 19));
        const chunks = [1 + Math.floor(random() * 40)];
        const outcome = (f: () => { series: Series[] }) => {
          try {
            return { series: f().series };
          } catch (e) {
            expect(e).toBeInstanceOf(AnswerDecodeError);
            return { error: (e as Error).message };
          }
        };
        expect(outcome(() => decodeExpecting(mutated, chunks, (n) => texts[n])), Buffer.from(mutated).toString('utf8')).toEqual(outcome(() => decode(mutated, chunks)));
      }
    }
  });


  it('finds what JSON.parse finds on random answers: label shapes, escapes, unicode, key orders, whitespace, extra fields, any chunking', () => {
    const random = mulberry32(2026);
    for (let k = 0; k < 3000; k++) {
      const text = randomAnswer(random);
      const bytes = utf8(text);
      const expected = reference(text);
      const chunks = k % 3 === 0 ? [bytes.length] : Array.from({ length: 5 }, () => 1 + Math.floor(random() * (k % 3 === 1 ? 4 : 64)));
      const { series, answer } = decode(bytes, chunks);
      expect(series, text).toEqual(expected.series);
      expect(answer.status).toBe('success');
      expect(answer.warnings).toEqual(expected.warnings);
      expect(answer.series).toBe(expected.series.length);
    }
  });

  it('reads values exactly as Number() does (from the bytes or through the text), and Go ±Inf as infinities', () => {
    const random = mulberry32(7);
    const texts: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
      texts.push(String(x), x.toFixed(Math.floor(random() * 20)), String(Math.round(x)), x.toPrecision(17), x.toExponential(16));
    }
    texts.push('9007199254740993', '9007199254740992', '9007199254740991', '0.30000000000000004', '1.7976931348623157e308', '5e-324', '00012', '-0');
    const body = `{"status":"success","data":{"resultType":"vector","result":[${texts.map((v) => `{"metric":{},"value":[1,"${v}"]}`).join(',')},{"metric":{},"value":[1,"+Inf"]},{"metric":{},"value":[1,"-Inf"]},{"metric":{},"value":[1,"NaN"]}]}}`;
    const values = decode(utf8(body)).series.map((s) => s.value);
    expect(values.slice(0, texts.length)).toEqual(texts.map(Number));
    expect(Object.is(values[texts.length - 1], -0)).toBe(true);
    expect(values.slice(texts.length)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]);
  });

  it('a scalar is one series without labels; an empty vector none', () => {
    expect(decode(utf8('{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"2.5"]}}')).series).toEqual([{ labels: {}, value: 2.5 }]);
    expect(decode(utf8('{"status":"success","data":{"result":[], "resultType":"vector"}}')).series).toEqual([]);
  });

  it('an error answer comes back as such, with its type and message', () => {
    const { answer } = decode(utf8('{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \\"}\\""}'));
    expect(answer).toMatchObject({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected "}"' });
  });

  it.each([
    ['a native histogram', '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{"count":"2","sum":"3"}]}]}}', /^a native histogram series at byte 73: /],
    ['a matrix', '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}}', /expected a vector, got matrix/],
    ['a string result', '{"status":"success","data":{"resultType":"string","result":[1,"x"]}}', /expected a vector, got string/],
  ])('refuses %s as unsupported', (_what, text, message) => {
    const error = (() => {
      try {
        decode(utf8(text));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AnswerDecodeError);
    expect((error as AnswerDecodeError).unsupported).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  /** The byte offset of `needle` in `text` (ASCII texts): where the decoder must say it went wrong. */
  const at = (text: string, needle: string, plus = 0) => text.indexOf(needle) + plus;
  const vector = (series: string) => `{"status":"success","data":{"resultType":"vector","result":[${series}]}}`;
  it.each([
    ['HTML', '<html>502 Bad Gateway</html>', (t: string) => `expected '{' (a Prometheus API answer), got '<' at byte ${at(t, '<')}`],
    ['a label that is not a string', vector('{"metric":{"a":1},"value":[1,"1"]}'), (t: string) => `expected a label value as a string, got '1' at byte ${at(t, '1}')}`],
    ['a time that is not a number', vector('{"metric":{},"value":["1","1"]}'), (t: string) => `expected a number at byte ${at(t, '"1","1"')}`],
    ['a value that is not one', vector('{"metric":{},"value":[1,"abc"]}'), (t: string) => `the value at byte ${at(t, 'abc')}: "abc" is not a sample value`],
    ['an empty value', vector('{"metric":{},"value":[1,""]}'), (t: string) => `the value at byte ${at(t, '""]', 1)}: "" is not a sample value`],
    ['a bad escape', vector('{"metric":{"a":"\\x"},"value":[1,"1"]}'), (t: string) => `an invalid escape \\x in a string at byte ${at(t, '\\x')}`],
    ['a raw newline in a label', vector('{"metric":{"a":"\n"},"value":[1,"1"]}'), (t: string) => `a control character in a string at byte ${at(t, '\n')}`],
    ['a series without a value', vector('{"metric":{}}'), (t: string) => `a series without "value" at byte ${at(t, '{"metric"')}`],
    ['bytes after the answer', `${vector('')} x`, (t: string) => `unexpected 'x' after the answer at byte ${at(t, 'x')}`],
    ['a truncated answer', vector('{"metric":{"a":"b"},"value":[1,"1"]}').slice(0, -3), (t: string) => `the answer ends early at byte ${t.length}`],
    ['a second data', '{"status":"success","data":{"resultType":"vector","result":[]},"data":{"result":[]}}', (t: string) => `a second "data" at byte ${at(t, '"data":{"result"')}`],
    ['a success without a result', '{"status":"success","data":{"resultType":"vector"}}', () => 'a success without data.result'],
  ])('refuses %s, naming where', (_what, text, message) => {
    for (const chunks of [[text.length], [1], [7]]) expect(() => decode(utf8(text), chunks)).toThrow(new AnswerDecodeError(message(text)));
  });

  it('refuses every truncation and every mutation JSON.parse refuses, at any chunking', () => {
    const random = mulberry32(99);
    for (let k = 0; k < 300; k++) {
      const text = randomAnswer(random);
      const bytes = utf8(text);
      const end = text.trimEnd().length;
      const cut = Math.floor(random() * end);
      expect(() => decode(bytes.subarray(0, cut), [1 + Math.floor(random() * 9)]), text.slice(0, cut)).toThrow(AnswerDecodeError);
      for (let m = 0; m < 10; m++) {
        const mutated = Uint8Array.from(bytes);
        mutated[Math.floor(random() * bytes.length)] = '{}[]":,\\ 0-a.eE\u0001'.charCodeAt(Math.floor(random() * 19));
        const mutatedText = Buffer.from(mutated).toString('utf8');
        let parsed: ReturnType<typeof reference> | undefined;
        try {
          parsed = reference(mutatedText);
          if (!parsed.series.every((s) => typeof s.labels === 'object' && s.labels !== null && !Number.isNaN(s.value) && Object.values(s.labels).every((v) => typeof v === 'string'))) parsed = undefined;
        } catch {
          parsed = undefined;
        }
        if (parsed === undefined) {
          // JSON.parse refused it, or read something that is not a vector of labelled values: so must the decoder,
          // unless the mutation turned a value into NaN text or similar (then it must agree with JSON.parse).
          let decoded: Series[] | undefined;
          try {
            decoded = decode(mutated, [1 + Math.floor(random() * 9)]).series;
          } catch (e) {
            expect(e).toBeInstanceOf(AnswerDecodeError);
          }
          if (decoded) expect(() => JSON.parse(mutatedText) as unknown, mutatedText).not.toThrow();
        } else {
          let decoded: Series[] | undefined;
          try {
            decoded = decode(mutated).series;
          } catch (e) {
            // A valid JSON that is not a valid answer (an unknown key turned into a known one, a value that is no number).
            expect(e).toBeInstanceOf(AnswerDecodeError);
          }
          if (decoded) expect(decoded, mutatedText).toEqual(parsed.series);
        }
      }
    }
  });
});

type MatrixSeries = { labels: unknown; times: number[]; values: number[] };

/** A random range answer: the instant answers' label shapes and values, 0-5 points a series. */
function randomMatrixAnswer(random: () => number): string {
  const { value, pick, ws } = writer(random);
  const result = Array.from({ length: Math.floor(random() * 6) }, () => {
    const labels: Record<string, string> = {};
    for (let i = Math.floor(random() * 5); i > 0; i--) {
      let v = '';
      for (let k = Math.floor(random() * 4); k > 0; k--) v += pick(LABEL_VALUE_PARTS);
      labels[pick(['route', 'code', '__name__', 'pod', 'le', 'a_b', 'x'])] = v;
    }
    const points = Array.from({ length: Math.floor(random() * 6) }, (_, p) => [1_700_000_000 + p * 15 + Math.floor(random() * 1000) / 1000, random() < 0.5 ? String((random() - 0.5) * 10 ** Math.floor(random() * 30 - 15)) : pick(VALUES)]);
    const series: Record<string, unknown> = { metric: labels, values: points };
    if (random() < 0.1) series.extra = { nested: [1, true, null, 'x'] };
    return series;
  });
  const body: Record<string, unknown> = { status: 'success', data: random() < 0.5 ? { resultType: 'matrix', result } : { result, resultType: 'matrix' } };
  if (random() < 0.3) body.warnings = ['partial "data"'];
  return `${ws()}${value(body)}${ws()}`;
}

function decodeMatrix(bytes: Uint8Array, chunks: number[] = [bytes.length || 1]): { series: MatrixSeries[]; answer: DecodedAnswer } {
  const series: MatrixSeries[] = [];
  const decoder = VectorDecoder.forMatrix({
    series(b, start, end, times, values, count) {
      series.push({ labels: JSON.parse(Buffer.from(b.subarray(start, end)).toString('utf8')) as unknown, times: [...times.subarray(0, count)], values: [...values.subarray(0, count)] });
    },
  });
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = Math.max(1, chunks[k % chunks.length]!);
    decoder.push(Uint8Array.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return { series, answer: decoder.end() };
}

describe('decoding a range-query answer (a matrix)', () => {
  const goFloat = (s: string) => (s === '+Inf' || s === 'Inf' ? Number.POSITIVE_INFINITY : s === '-Inf' ? Number.NEGATIVE_INFINITY : Number(s));

  it('finds what JSON.parse finds on random answers, every point of every series, at any chunking', () => {
    const random = mulberry32(2027);
    for (let k = 0; k < 2000; k++) {
      const text = randomMatrixAnswer(random);
      const bytes = utf8(text);
      const body = JSON.parse(text) as { data: { result: { metric: unknown; values: [number, string][] }[] } };
      const expected = body.data.result.map((s) => ({ labels: s.metric, times: s.values.map(([t]) => t), values: s.values.map(([, v]) => goFloat(v)) }));
      const chunks = k % 3 === 0 ? [bytes.length] : Array.from({ length: 5 }, () => 1 + Math.floor(random() * (k % 3 === 1 ? 4 : 64)));
      const { series, answer } = decodeMatrix(bytes, chunks);
      expect(series, text).toEqual(expected);
      expect(answer.status).toBe('success');
      expect(answer.series).toBe(expected.length);
    }
  });

  it('holds a series of many points (past its first arrays) whole', () => {
    const values = Array.from({ length: 3000 }, (_, p) => [1_700_000_000 + 15 * p, String(p / 7)]);
    const { series } = decodeMatrix(utf8(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { route: '/a' }, values }] } })), [4096]);
    expect(series[0]!.values).toEqual(values.map(([, v]) => Number(v)));
    expect(series[0]!.times.at(-1)).toBe(1_700_000_000 + 15 * 2999);
  });

  it('refuses a vector answer, a series without values, and every truncation; an error answer is one', () => {
    const vector = utf8('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"2"]}]}}');
    expect(() => decodeMatrix(vector)).toThrow(/expected a matrix, got vector/);
    expect(() => decodeMatrix(utf8('{"status":"success","data":{"resultType":"vector","result":[]}}'))).toThrow(/expected a matrix, got vector/);
    expect(() => decodeMatrix(utf8('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{}}]}}'))).toThrow(/without "values"/);
    const error = decodeMatrix(utf8('{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}')).answer;
    expect(error).toMatchObject({ status: 'error', errorType: 'execution' });
    const random = mulberry32(7);
    for (let k = 0; k < 300; k++) {
      const text = randomMatrixAnswer(random);
      const cut = Math.floor(random() * text.trimEnd().length);
      expect(() => decodeMatrix(utf8(text).subarray(0, cut), [1 + Math.floor(random() * 9)]), text.slice(0, cut)).toThrow(AnswerDecodeError);
    }
  });
});
