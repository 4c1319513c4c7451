import { describe, expect, it } from 'vitest';
import { TsdbDumpText, dumpLineAsText, goQuotedAsText, opensAsTsdbDump } from '../../src/source/tsdb-dump.js';
import { parseExposition } from '../../src/source/exposition.js';

describe('dumpLineAsText', () => {
  it('takes the metric name out of the label set, as promtool tsdb dump writes it', () => {
    expect(dumpLineAsText('{__name__="crates_api_requests_total", code="302", route="download"} 256 1689832800000')).toBe('crates_api_requests_total{code="302",route="download"} 256 1689832800000');
    expect(dumpLineAsText('{__name__="up"} 1 1689832800000')).toBe('up 1 1689832800000');
    // Go sorts label names byte-wise: an upper-case name comes before __name__.
    expect(dumpLineAsText('{Zone="b", __name__="r_total", pod="x"} 2e+06 5')).toBe('r_total{Zone="b",pod="x"} 2e+06 5');
  });

  it('keeps quotes, commas, braces and equals signs inside values', () => {
    expect(dumpLineAsText('{__name__="r_total", path="/a,b}=c", q="say \\"hi\\", \\\\ok"} 3 7')).toBe('r_total{path="/a,b}=c",q="say \\"hi\\", \\\\ok"} 3 7');
  });

  it('leaves what is not a dump line as it is, for the parser to read or report', () => {
    for (const line of ['', '# a comment', 'r_total{a="1"} 1 2', '{a="1"} 1 2', '{__name__="r_total", a="1" 1 2', '{__name__="r_total", a=1} 1 2', '{__name__="r\\"x"} 1 2']) {
      expect(dumpLineAsText(line)).toBe(line);
    }
  });

  it('tells a dump by the first character of its first line that is neither blank nor a comment', () => {
    expect(opensAsTsdbDump('\n  {__name__="up"} 1 2')).toBe(true);
    expect(opensAsTsdbDump('# exported 2023-07-20\r\n\n{__name__="up"} 1 2')).toBe(true);
    expect(opensAsTsdbDump('# TYPE up gauge\nup 1 2')).toBe(false);
    expect(opensAsTsdbDump('   ')).toBe(false);
    expect(opensAsTsdbDump('# only a comment')).toBe(false);
  });

  it('reads the escapes Go writes that the text format has not (promtool quotes values with strconv.Quote)', () => {
    // What Go's strconv.Quote writes for a tab, a carriage return, a non-breaking space, an
    // astral character, a byte outside UTF-8, a backslash, a quote and a newline.
    expect(goQuotedAsText('a\\tb\\rc\\u00a0d\\U0001f600e\\x80f\\\\g\\"h\\ni')).toBe('a\tb\rc\u00a0d\u{1f600}e\ufffdf\\\\g\\"h\\ni');
    const line = dumpLineAsText('{__name__="r_total", pod="a\\tx", zone="\\u00e9"} 1 1689832800000');
    const labels: Record<string, string>[] = [];
    const result = parseExposition(`${line}\n`, { format: 'text', onSample: (_n, l) => labels.push({ ...l }) });
    expect(result.problems).toEqual([]);
    expect(labels).toEqual([{ pod: 'a\tx', zone: '\u00e9' }]);
  });
});

describe('TsdbDumpText', () => {
  it('rewrites lines split anywhere across pieces as the whole text line by line', () => {
    const text = ['{__name__="a_total", x="1"} 1 1000', '', '{__name__="b_total"} 2 2000', '{__name__="a_total", x="1"} 3 3000'].join('\n');
    const whole = text.split('\n').map(dumpLineAsText).join('\n');
    for (let cut = 0; cut <= text.length; cut++) {
      for (const ending of ['', '\n']) {
        const lines = new TsdbDumpText();
        const out = lines.push(text.slice(0, cut)) + lines.push(text.slice(cut) + ending) + lines.end();
        expect(out, `cut at ${cut}`).toBe(whole + ending);
      }
    }
  });
});
