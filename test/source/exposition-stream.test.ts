import { describe, expect, it } from 'vitest';
import { type ExpositionFormat, LabelSetCache, checkPage, parseExposition } from '../../src/source/exposition.js';
import { ExpositionStream } from '../../src/source/exposition-stream.js';
import { mulberry32 } from '../../scripts/sim/random.js';

interface Seen {
  name: string;
  labels: Record<string, string>;
  value: number;
  ts: number;
  line: number;
}

function whole(text: string, format: ExpositionFormat, cache?: LabelSetCache) {
  const samples: Seen[] = [];
  const result = parseExposition(text, { format, ...(cache ? { labelCache: cache } : {}), onSample: (name, labels, value, ts, line) => samples.push({ name, labels, value, ts, line }) });
  return { result, samples };
}

/** The page's bytes handed over in chunks of 1 to `maxChunk` bytes (UTF-8 sequences split wherever they fall). */
function streamed(text: string, format: ExpositionFormat, random: () => number, maxChunk: number, cache?: LabelSetCache) {
  const samples: Seen[] = [];
  const stream = new ExpositionStream({ format, ...(cache ? { labelCache: cache } : {}), onSample: (name, labels, value, ts, line) => samples.push({ name, labels, value, ts, line }) });
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + Math.floor(random() * maxChunk);
    stream.push(bytes.subarray(at, at + n));
    at += n;
  }
  const result = stream.end();
  return { result, samples, head: stream.head };
}

/** A page of many shapes: comments, types, escapes, UTF-8, CRLF, timestamps, blank and malformed lines. */
function randomPage(random: () => number, format: ExpositionFormat): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const values = ['1', '0', '12.5e3', '-3', 'NaN', '+Inf', '1689832800.25', '17.000000000000004', 'x1', ''];
  const labelValues = ['get', 'C:\\\\dir', 'say \\"hi\\"\\n', 'größe', '日本', '', 'a,b=c', '\\\\'];
  const lines: string[] = [];
  const n = 20 + Math.floor(random() * 60);
  for (let k = 0; k < n; k++) {
    const r = random();
    if (r < 0.08) lines.push(pick(['# HELP a_total Requests.', '# TYPE a_total counter', '# TYPE b gauge', '# just a comment']));
    else if (r < 0.12) lines.push(pick(['', '   ', '\t']));
    else if (r < 0.16) lines.push(pick(['{broken="1"} 2', 'a_total{x="1" 3', 'a_total{x="unterminated} 1', '9bad 1']));
    else {
      const name = pick(['a_total', 'a_total', 'b', 'request_duration_seconds_bucket']);
      const labels = Array.from({ length: Math.floor(random() * 3) }, (_, j) => `${pick(['method', 'code', 'path', 'le'])}${j}="${pick(labelValues)}"`);
      const ts = random() < 0.2 ? ` ${format === 'openmetrics' ? '1689832800.5' : '1395066363000'}` : '';
      lines.push(`${name}${labels.length || random() < 0.2 ? `{${labels.join(',')}}` : ''} ${pick(values)}${ts}`);
    }
  }
  if (format === 'openmetrics' && random() < 0.7) lines.push('# EOF', ...(random() < 0.5 ? ['late_line 1'] : []));
  const eol = random() < 0.3 ? '\r\n' : '\n';
  return lines.join(eol) + (random() < 0.5 ? eol : '');
}

describe('ExpositionStream', () => {
  it('reads a page in chunks of any size exactly as the whole page: samples, line numbers, problems, types, # EOF', () => {
    const random = mulberry32(20261129);
    for (let run = 0; run < 400; run++) {
      const format: ExpositionFormat = run % 2 === 0 ? 'text' : 'openmetrics';
      const text = randomPage(random, format);
      const expected = whole(text, format);
      const got = streamed(text, format, random, 1 + (run % 64));
      expect(got.samples, text).toEqual(expected.samples);
      expect(got.result, text).toEqual(expected.result);
    }
  });

  it('reads the same with a label cache kept across pages, streamed or not', () => {
    const random = mulberry32(7);
    const streamedCache = new LabelSetCache();
    const wholeCache = new LabelSetCache();
    for (let page = 0; page < 50; page++) {
      const text = randomPage(random, 'text');
      const expected = whole(text, 'text', wholeCache);
      const got = streamed(text, 'text', random, 13, streamedCache);
      wholeCache.endPage();
      streamedCache.endPage();
      expect(got.samples, text).toEqual(expected.samples);
    }
  });

  it('parses a last line that has no newline, and an empty body as no lines', () => {
    const got = streamed('a 1\nb{x="2"} 3', 'text', mulberry32(1), 2);
    expect(got.samples.map((s) => [s.name, s.value, s.line])).toEqual([['a', 1, 1], ['b', 3, 2]]);
    const empty = new ExpositionStream({ format: 'text', onSample: () => undefined });
    expect(empty.end()).toEqual({ samples: 0, problems: [], wantedProblems: 0, types: new Map(), sawEof: false });
    expect(empty.head).toBe('');
  });

  it('reports content after # EOF once and reads nothing after it, in whatever chunk it comes', () => {
    for (const chunk of [1, 3, 1000]) {
      const got = streamed('a_total 1\n# EOF\nb 2\nc 3\n', 'openmetrics', () => (chunk - 0.5) / chunk, chunk);
      expect(got.samples.map((s) => s.name)).toEqual(['a_total']);
      expect(got.result.problems).toEqual([{ line: 3, message: 'content after # EOF ignored' }]);
    }
  });

  it("keeps the page's opening from its first non-blank character, so an HTML page streamed in pieces is still told apart", () => {
    const html = `\n\n   \n<!DOCTYPE html><html><body>${'x'.repeat(200)}</body></html>`;
    const got = streamed(html, 'text', mulberry32(3), 2);
    expect(got.head.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(got.head.length).toBe(64);
    expect(checkPage({ contentType: 'text/plain', text: got.head, parse: got.result, watchedSamples: 0 })?.fault).toBe('not_exposition');
  });

  it('reads a last line without its newline as a line, unless the page must end with one: then it is a page cut short', () => {
    const read = (lastLineEnds: boolean) => {
      const samples: Seen[] = [];
      const stream = new ExpositionStream({ format: 'text', wants: (n) => n === 'a', onSample: (name, labels, value, ts, line) => samples.push({ name, labels, value, ts, line }) });
      stream.pushText('a{x="1"} 12\nb 3\na{x="2"} 40');
      return { result: stream.end(lastLineEnds), samples };
    };
    expect(read(false).samples.map((s) => s.value)).toEqual([12, 40]);
    const cut = read(true);
    expect(cut.samples.map((s) => s.value)).toEqual([12]);
    expect(cut.result.problems).toEqual([{ line: 3, message: 'a: the page ends inside this line (no newline after it): cut short; line skipped' }]);
    expect(cut.result.wantedProblems).toBe(1);
  });
});
