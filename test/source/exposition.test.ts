import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { type ExpositionFormat, LabelSetCache, checkPage, parseExposition, parseSampleValue } from '../../src/source/exposition.js';

function parse(text: string, format: ExpositionFormat = 'text') {
  const samples: { name: string; labels: Record<string, string>; value: number; ts: number }[] = [];
  const result = parseExposition(text, { format, onSample: (name, labels, value, ts) => samples.push({ name, labels, value, ts }) });
  return { ...result, samples };
}

describe('parseExposition', () => {
  it("reports a wanted series' negative value when its series are counters, and reads any finite value otherwise (as its peers)", () => {
    const text = ['negative_total{a="b"} -5', 'zero_total -0', 'gauge_temperature -3.5', 'ok_total 4'].join('\n');
    const counters: string[] = [];
    const asCounters = parseExposition(text, { format: 'text', counters: true, wants: (n) => n.endsWith('_total'), onSample: (name) => void counters.push(name) });
    expect(counters).toEqual(['zero_total', 'ok_total']);
    expect(asCounters.problems).toEqual([{ line: 1, message: 'negative_total: value -5 is negative, which a counter never is; sample skipped' }]);
    expect(asCounters.wantedProblems).toBe(1);
    const plain = parse(text);
    expect(plain.samples.map((s) => s.value)).toEqual([-5, -0, -3.5, 4]);
    expect(plain.problems).toEqual([]);
  });

  it('reads a text-format page with help, type, labels, escapes and timestamps', () => {
    const { samples, problems, types } = parse(
      [
        '# HELP http_requests_total Requests.',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="get",code="200"} 1027 1395066363000',
        'http_requests_total{path="C:\\\\dir",msg="say \\"hi\\"\\n"} 3',
        'up 1',
        'metric_without_labels{} 12.5e3',
        '',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(types.get('http_requests_total')).toBe('counter');
    expect(samples).toEqual([
      { name: 'http_requests_total', labels: { method: 'get', code: '200' }, value: 1027, ts: 1395066363000 },
      { name: 'http_requests_total', labels: { path: 'C:\\dir', msg: 'say "hi"\n' }, value: 3, ts: Number.NaN },
      { name: 'up', labels: {}, value: 1, ts: Number.NaN },
      { name: 'metric_without_labels', labels: {}, value: 12500, ts: Number.NaN },
    ]);
  });

  it('reads OpenMetrics timestamps as seconds and ignores exemplars', () => {
    const { samples, problems, sawEof } = parse(
      ['# TYPE a counter', 'a_total{x="1"} 5 1689832800.5 # {trace_id="abc"} 1 1689832800', 'a_total{x="1"} 6 1689832815', '# EOF'].join('\n'),
      'openmetrics',
    );
    expect(problems).toEqual([]);
    expect(sawEof).toBe(true);
    expect(samples.map((s) => [s.value, s.ts])).toEqual([
      [5, 1689832800500],
      [6, 1689832815000],
    ]);
  });

  it('reports each malformed line with its number and keeps the good ones', () => {
    const { samples, problems } = parse(
      [
        'good 1', // 1
        'bad{label="x" 2', // 2: unclosed label set
        '9starts_with_digit 3', // 3
        'novalue', // 4
        'notanumber{a="b"} abc', // 5
        'nan_counter NaN', // 6
        'inf_counter +Inf', // 7
        'trailing 1 2 3', // 8
        'bad_escape{a="\\q"} 1', // 9
        'dup{a="1",a="2"} 1', // 10
        'also_good{a="b",} 2', // 11: a trailing comma is allowed
        'float_ts 1 1.5', // 12: text-format timestamps are integer milliseconds
      ].join('\n'),
    );
    expect(samples.map((s) => s.name)).toEqual(['good', 'also_good']);
    expect(problems).toEqual([
      { line: 2, message: "bad: expected ',' or '}' at column 15; line skipped" },
      { line: 3, message: 'expected a metric name, found "9starts_with_digit 3"; line skipped' },
      { line: 4, message: 'novalue: expected a space before the value; line skipped' },
      { line: 5, message: 'notanumber: value "abc" is not a number; line skipped' },
      { line: 6, message: 'nan_counter: value NaN is not a finite number; sample skipped' },
      { line: 7, message: 'inf_counter: value +Inf is not a finite number; sample skipped' },
      { line: 8, message: 'trailing: unexpected text after the timestamp; line skipped' },
      { line: 9, message: 'bad_escape: label a: invalid escape \\q at column 15; line skipped' },
      { line: 10, message: 'dup: label a: given twice; line skipped' },
      { line: 12, message: 'float_ts: timestamp "1.5" is not an integer of milliseconds; line skipped' },
    ]);
  });

  it('refuses a label given twice on any line, whatever the lines before it repeated', () => {
    // Label sets drawn from few names, so that lines repeat the names before them at some
    // positions and not others (the duplicate check is skipped only where that proves nothing can
    // repeat), and some lines give a name twice. Also lines of a metric not wanted, whose names
    // are read but not checked.
    const random = mulberry32(23);
    const names = ['a', 'b', 'c', 'dd'];
    const lines: string[] = [];
    const twice = new Set<number>();
    for (let line = 1; line <= 3000; line++) {
      const n = 1 + Math.floor(random() * 4);
      const picked = Array.from({ length: n }, () => names[Math.floor(random() * (random() < 0.9 ? 2 : names.length))]!);
      const metric = random() < 0.2 ? 'other' : 'm';
      if (metric === 'm' && new Set(picked).size < picked.length) twice.add(line);
      lines.push(`${metric}{${picked.map((x, k) => `${x}="${k}"`).join(',')}} 1`);
    }
    const { samples, problems } = parseExposition(lines.join('\n'), { format: 'text', onSample: () => {}, wants: (name) => name === 'm' });
    const refused = new Set(problems.filter((p) => p.message.includes('given twice')).map((p) => p.line));
    expect(twice.size).toBeGreaterThan(500);
    expect([...refused].sort((x, y) => x - y)).toEqual([...twice].sort((x, y) => x - y));
    expect(samples).toBeGreaterThan(1000);
  });

  it('handles CRLF line ends and a missing final newline', () => {
    const { samples, problems } = parse('a 1\r\nb 2');
    expect(problems).toEqual([]);
    expect(samples.map((s) => [s.name, s.value])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('reports content after # EOF in OpenMetrics', () => {
    const { problems } = parse('a_total 1 1\n# EOF\nb_total 2 2\n', 'openmetrics');
    expect(problems).toEqual([{ line: 3, message: 'content after # EOF ignored' }]);
  });
});

describe('parseExposition label sets', () => {
  it('keeps each line\'s own names in the order written, whatever the line before had', () => {
    const { samples } = parse(['m{a="1",b="2"} 1', 'm{b="3",a="4"} 2', 'm{a="5"} 3', 'm{a="6",b="7",c="8"} 4', 'm{a="9",b="10"} 5'].join('\n'));
    expect(samples.map((s) => Object.entries(s.labels))).toEqual([
      [['a', '1'], ['b', '2']],
      [['b', '3'], ['a', '4']],
      [['a', '5']],
      [['a', '6'], ['b', '7'], ['c', '8']],
      [['a', '9'], ['b', '10']],
    ]);
  });

  it('resolves escapes at the start, middle and end of a value, and back to back', () => {
    const { samples, problems } = parse(['m{v="\\"x"} 1', 'm{v="a\\nb"} 2', 'm{v="y\\\\"} 3', 'm{v="\\\\\\"\\n"} 4', 'm{v="plain"} 5'].join('\n'));
    expect(problems).toEqual([]);
    expect(samples.map((s) => s.labels.v)).toEqual(['"x', 'a\nb', 'y\\', '\\"\n', 'plain']);
  });

  it('reads a name that only begins like the one on the line before as its own', () => {
    const { samples } = parse(['m_total{a="1"} 1', 'm_total_x{ab="2"} 2', 'm_total{a="3",ab="4"} 3', 'm_total{ab="5"} 4', 'm 5'].join('\n'));
    expect(samples.map((s) => `${s.name}${JSON.stringify(s.labels)}`)).toEqual(['m_total{"a":"1"}', 'm_total_x{"ab":"2"}', 'm_total{"a":"3","ab":"4"}', 'm_total{"ab":"5"}', 'm{}']);
  });

  it('finds where each value ends whether an escape lies ahead on the page, in it, or behind it', () => {
    const { samples, problems } = parse(['m{v="a",w="b"} 1', 'm{v="c",w="d\\"e"} 2', 'm{v="f",w="g"} 3', 'm{v="h\\\\",w="i"} 4', 'm{v="j"} 5'].join('\n'));
    expect(problems).toEqual([]);
    expect(samples.map((s) => [s.labels.v, s.labels.w])).toEqual([['a', 'b'], ['c', 'd"e'], ['f', 'g'], ['h\\', 'i'], ['j', undefined]]);
  });

  it('never lets a label named __proto__ change a label set\'s prototype', () => {
    const { samples } = parse('m{__proto__="x",a="1"} 1\n');
    expect(Object.getPrototypeOf(samples[0]!.labels)).toBe(Object.prototype);
    expect(samples[0]!.labels.a).toBe('1');
  });

  it('survives a callback that parses another page (the outer parse keeps its names and wants)', () => {
    const outer: string[] = [];
    parseExposition('a_total{x="1"} 1\na_total{x="2"} 2\nb_total 3\n', {
      format: 'text',
      wants: (name) => name !== 'b_total',
      onSample: (name, labels) => {
        outer.push(`${name}${JSON.stringify(labels)}`);
        parseExposition('b_total 9\n', { format: 'text', wants: () => true, onSample: () => {} });
      },
    });
    expect(outer).toEqual(['a_total{"x":"1"}', 'a_total{"x":"2"}']);
  });

  it('finds the escapes of its own page after a callback parsed another one', () => {
    const values: string[] = [];
    // The inner page's first backslash lies far beyond the outer page's escaped quote.
    const inner = `x{v="${'y'.repeat(200)}\\\\"} 1\n`;
    parseExposition('m{v="a"} 1\nm{v="b\\"c"} 2\n', {
      format: 'text',
      onSample: (_name, labels) => {
        values.push(labels.v!);
        parseExposition(inner, { format: 'text', onSample: () => {} });
      },
    });
    expect(values).toEqual(['a', 'b"c']);
  });
});

/** The label sets a page's samples are handed, in order, read through `cache` (a text-format page). */
function labelSetsOf(cache: LabelSetCache, text: string): Record<string, string>[] {
  const labels: Record<string, string>[] = [];
  parseExposition(text, { format: 'text', labelCache: cache, onSample: (_n, l) => labels.push(l) });
  return labels;
}

describe('parseExposition with a LabelSetCache', () => {
  const page = [
    'a_total{route="/x",code="200"} 1 1689832800',
    'a_total{route="/x",code="500"} 2 1689832800',
    'b_total{route="/x",code="200"} 3 1689832800', // same label text under another name
    'a_total{route="/x",code="200"} 4 1689832815',
    'a_total{msg="say \\"hi\\"\\n",code="200"} 5 1689832815', // escapes
    'a_total{route="/x",route="/y"} 6 1689832815', // bad: a cache must not make it good
    'a_total{route="/x",code="200"} 123456789012345678 1689832830', // past 15 digits: the full grammar
    '# EOF',
  ].join('\n');
  const collect = (cache?: LabelSetCache) => {
    const samples: { name: string; labels: Record<string, string>; value: number; ts: number }[] = [];
    const result = parseExposition(page, { format: 'openmetrics', ...(cache ? { labelCache: cache } : {}), onSample: (name, labels, value, ts) => samples.push({ name, labels, value, ts }) });
    return { samples, problems: result.problems };
  };

  it('returns the same samples and problems as without a cache', () => {
    expect(collect(new LabelSetCache())).toEqual(collect());
    expect(collect().samples.at(-1)!.value).toBe(123456789012345678);
  });

  it('hands out one frozen object per label text, across names and pages', () => {
    const cache = new LabelSetCache();
    const first = collect(cache).samples;
    expect(first[0]!.labels).toBe(first[2]!.labels);
    expect(first[0]!.labels).toBe(first[3]!.labels);
    expect(Object.isFrozen(first[0]!.labels)).toBe(true);
    cache.endPage();
    expect(collect(cache).samples[0]!.labels).toBe(first[0]!.labels);
  });

  it('gives `a{}` and `a` one and the same empty label set (one series, so a duplicate is seen as one)', () => {
    const labels: Record<string, string>[] = [];
    parseExposition('a{} 1\na 2\n', { format: 'text', labelCache: new LabelSetCache(), onSample: (_n, l) => labels.push(l) });
    expect(labels[0]).toBe(labels[1]);
  });

  it('reads the right name on lines cycling through more metric names than it remembers', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `m_${(i * 7) % 40}{k="${i % 3}"} ${i}`);
    const names: string[] = [];
    parseExposition(lines.join('\n'), { format: 'text', labelCache: new LabelSetCache(), onSample: (name) => names.push(name) });
    expect(names).toEqual(lines.map((l) => l.slice(0, l.indexOf('{'))));
  });

  // Names and label texts short and long, the long ones up to a line cut where the page ends (the
  // predicted text runs past it).
  it.each([
    ['short', (line: string) => line, ''],
    ['long', (line: string) => line.replaceAll('r{', 'requests_total{').replaceAll('a=', 'route_name='), 'requests_total{route_name="1",b="2'],
  ])('reads pages in a repeated, then changed, order as without a cache (the next label set is predicted): %s texts', (_, written, cutAtEnd) => {
    const pages = [
      ['r{a="1"} 1', 'r{a="10"} 2', 'r{a="1",b="2"} 3', 'r{a="2"} 4'],
      ['r{a="1"} 5', 'r{a="10"} 6', 'r{a="1",b="2"} 7', 'r{a="2"} 8'],
      // Reordered, a prefix of the predicted text, the predicted text with more after it, a bad line.
      ['r{a="10"} 9', 'r{a="1"}x 10', 'r{a="1"} 11', 'r{a="1",b="2",c="3"} 12', 'r{a="2"} 13', 'r{a="1"} 14', 'r{a="1",a="1"} 15'],
      // The order of the first page, the last line cut short where the page ends.
      ['r{a="1"} 16', 'r{a="10"} 17'],
    ].map((lines) => lines.map(written));
    const cache = new LabelSetCache();
    const read = (text: string, withCache: boolean) => {
      const samples: [string, Record<string, string>, number][] = [];
      const result = parseExposition(text, { format: 'text', ...(withCache ? { labelCache: cache } : {}), onSample: (name, labels, value) => samples.push([name, labels, value]) });
      return { samples, problems: result.problems };
    };
    for (const [k, lines] of pages.entries()) {
      const text = k === pages.length - 1 && cutAtEnd ? `${lines.join('\n')}\n${cutAtEnd}` : `${lines.join('\n')}\n`;
      const withCache = read(text, true);
      expect(withCache).toEqual(read(text, false));
      expect(withCache.samples.length).toBeGreaterThan(0);
      cache.endPage();
    }
  });

  it('lets a dropped page\'s new label sets go and does not count it as a page: the last good page\'s sets are handed out again', () => {
    const cache = new LabelSetCache();
    const read = (text: string) => labelSetsOf(cache, text);
    const [a] = read('r{a="1"} 1\n');
    cache.endPage();
    // A bad page: it brings b and sees a again.
    const [b, a2] = read('r{b="1"} 1\nr{a="1"} 2\n');
    expect(a2).toBe(a);
    cache.dropPage();
    // A good page without a: a was seen on the last page used, so the end of this one keeps it.
    const [c] = read('r{c="1"} 1\n');
    cache.endPage();
    const [a3, b2, c2] = read('r{a="1"} 1\nr{b="1"} 2\nr{c="1"} 3\n');
    expect(a3).toBe(a);
    expect(c2).toBe(c);
    // b came with the dropped page only: a new object, equal to the old one.
    expect(b2).not.toBe(b);
    expect(b2).toEqual(b);
  });

  it('remembers a set away from the pages for keepMs when told the pages\' times, and for the last two pages when not', () => {
    const away = (cache: LabelSetCache, pages: number, stepMs: number) => {
      const [a] = labelSetsOf(cache, 'r{a="1"} 1\nr{b="1"} 1\n');
      cache.endPage(0);
      for (let p = 1; p <= pages; p++) {
        labelSetsOf(cache, 'r{b="1"} 1\n');
        cache.endPage(p * stepMs);
      }
      return labelSetsOf(cache, 'r{a="1"} 1\n')[0] === a;
    };
    // Away 299 s at 1 s pages: kept; 302 s: a new object. At 15 s pages, away 19 pages (285 s): kept.
    expect(away(new LabelSetCache(300_000), 299, 1000)).toBe(true);
    expect(away(new LabelSetCache(300_000), 302, 1000)).toBe(false);
    expect(away(new LabelSetCache(300_000), 19, 15_000)).toBe(true);
    expect(away(new LabelSetCache(300_000), 21, 15_000)).toBe(false);
    // No keepMs, or pages without a time: a set on neither of the last two pages is forgotten.
    expect(away(new LabelSetCache(), 0, 1000)).toBe(true);
    expect(away(new LabelSetCache(), 1, 1000)).toBe(false);
    const untimed = new LabelSetCache(300_000);
    const [a] = labelSetsOf(untimed, 'r{a="1"} 1\n');
    untimed.endPage();
    labelSetsOf(untimed, 'r{b="1"} 1\n');
    untimed.endPage();
    expect(labelSetsOf(untimed, 'r{a="1"} 1\n')[0]).not.toBe(a);
  });

  it('hands out one object for a label set whatever order its labels are written in, on one page or a later one, escapes included', () => {
    const cache = new LabelSetCache();
    const read = (text: string) => labelSetsOf(cache, text);
    const [a, b] = read('r{route="/x",code="200"} 1\nr{code="200",route="/x"} 2\n');
    expect(b).toBe(a);
    cache.endPage();
    const [c, d, e] = read('r{code="200",route="/x"} 3\nr{route="/x",code="500"} 4\nr{code="200",route="/x",pod="p"} 5\n');
    expect(c).toBe(a);
    expect(d).not.toBe(a);
    expect(e).not.toBe(a);
    const [f, g] = read('r{b="say \\"hi\\"\\n",a="1"} 1\nr{a="1",b="say \\"hi\\"\\n"} 2\n');
    expect(f).toEqual({ a: '1', b: 'say "hi"\n' });
    expect(g).toBe(f);
  });

  it('hands out the object of the last page used for every set on it, whatever order each page writes its labels in (random pages, some dropped)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = mulberry32(seed);
      const cache = new LabelSetCache();
      const sets = Array.from({ length: 6 }, (_, k) => ({ a: `${k}`, b: `x${k % 3}`, c: k % 2 ? 'y"\\' : 'z' }));
      const written = (k: number) => {
        const names = ['a', 'b', 'c'].sort(() => random() - 0.5) as ('a' | 'b' | 'c')[];
        return `m{${names.map((n) => `${n}="${sets[k]![n].replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}} 1`;
      };
      let lastUsed = new Map<number, Record<string, string>>();
      for (let page = 0; page < 200; page++) {
        const shown: number[] = [];
        for (let k = 0; k < sets.length; k++) if (random() < 0.8) shown.push(k);
        // Now and then a set twice on one page, in another order: one set, one object.
        if (shown.length > 0 && random() < 0.1) shown.push(shown[0]!);
        const got: Record<string, string>[] = [];
        parseExposition(`${shown.map(written).join('\n')}\n`, { format: 'text', labelCache: cache, onSample: (_n, l) => got.push(l) });
        const objects = new Map<number, Record<string, string>>();
        shown.forEach((k, i) => {
          expect(got[i]).toEqual(sets[k]);
          const before = objects.get(k) ?? lastUsed.get(k);
          if (before !== undefined) expect(got[i]).toBe(before);
          objects.set(k, got[i]!);
        });
        if (random() < 0.1) cache.dropPage();
        else {
          cache.endPage();
          lastUsed = objects;
        }
      }
    }
  });

  it('predicts no label set forgotten by endPage', () => {
    const cache = new LabelSetCache();
    const read = (text: string) => {
      const labels: Record<string, string>[] = [];
      parseExposition(text, { format: 'text', labelCache: cache, onSample: (_n, l) => labels.push(l) });
      cache.endPage();
      return labels;
    };
    const first = read('r{a="1"} 1\nr{a="2"} 2\n');
    // {a="1"} last on this page: it still remembers {a="2"} as the label set after it.
    read('r{a="1"} 3\n');
    const later = read('r{a="2"} 4\nr{a="1"} 5\n');
    // {a="2"} was on neither of the last two pages: a new object, equal; {a="1"} was: the same.
    expect(later[0]).not.toBe(first[1]);
    expect(later[0]).toEqual(first[1]);
    expect(later[1]).toBe(first[0]);
  });

  it('forgets label sets seen on neither of the last two pages', () => {
    const cache = new LabelSetCache();
    collect(cache);
    cache.endPage();
    cache.endPage();
    expect(cache.get('{route="/x",code="200"}')).toBeUndefined();
  });
});

describe('a LabelSetCache kept across pages', () => {
  it('does not keep the text of a page its label sets were read from', () => {
    // A 24 MB page: 2,000 watched series with long label values between lines of an unwatched
    // metric. A label value cut from the page as a substring would keep all of it alive.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const cache = new LabelSetCache();
    const filler = `other_total{pad="${'x'.repeat(12_000)}"} 1\n`;
    const parse = () => {
      let page = '';
      for (let i = 0; i < 2_000; i++) page += `a_total{route="/api/v1/crates/crate-${i}/download",code="200"} ${i}\n${filler}`;
      page = page.slice(0);
      let samples = 0;
      parseExposition(page, { format: 'text', labelCache: cache, wants: (name) => name === 'a_total', onSample: () => samples++ });
      cache.endPage();
      return samples;
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    expect(parse()).toBe(2_000);
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    // 2,000 label sets of two labels (about 0.5 MB), not the page.
    expect(kept).toBeLessThan(4e6);
    expect(cache.get('{route="/api/v1/crates/crate-7/download",code="200"}')).toEqual({ route: '/api/v1/crates/crate-7/download', code: '200' });
  });
});

describe('parseSampleValue', () => {
  it.each([
    ['1', 1],
    ['-2.5', -2.5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['', undefined], // Number('') would be 0: must not be accepted
    ['1,5', undefined],
    ['Infinity', undefined], // JavaScript's spelling is not Prometheus's
  ])('%j -> %s', (text, expected) => {
    expect(parseSampleValue(text)).toBe(expected);
  });

  it('reads NaN', () => {
    expect(parseSampleValue('NaN')).toBeNaN();
  });
});

describe('checkPage', () => {
  const facts = (text: string, contentType = 'text/plain; version=0.0.4', watchedSamples = 0) => {
    const parse = parseExposition(text, { format: 'text', wants: (n) => n === 'watched_total', onSample: () => {} });
    return { contentType, text, parse, watchedSamples };
  };
  it.each([
    ['data: a watched sample was read', facts('watched_total 1\n', undefined, 1), undefined],
    ['data even with other broken lines', facts('watched_total 1\nother NaN\n', undefined, 1), undefined],
    ['HTML by its Content-Type', facts('oops', 'text/html; charset=utf-8'), 'not_exposition'],
    ['exposition mislabelled as HTML, with watched samples: data', facts('watched_total 1\n', 'text/html', 1), undefined],
    ['HTML by its first character', facts('<html></html>'), 'not_exposition'],
    ['JSON by its first character', facts('  [1, 2]'), 'not_exposition'],
    ['watched lines all non-finite', facts('watched_total NaN\nother 1\n'), 'unreadable'],
    ['nothing parses', facts('what\never\n'), 'unreadable'],
    ['other metrics only', facts('other 1\n'), 'no_watched_series'],
    ['blank', facts('\n\n'), 'no_watched_series'],
  ])('%s', (_, input, fault) => {
    expect(checkPage(input)?.fault).toBe(fault);
  });
});
