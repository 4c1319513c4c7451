import { describe, expect, it } from 'vitest';
import { matchesSelector, parseSelector, requiredLabels, selectorMetricName } from '../../src/core/selector.js';

describe('parseSelector / matchesSelector', () => {
  const s = parseSelector('http_requests_total{route="download", code=~"5..", instance!="canary", env!~"dev|test"}');

  it.each([
    ['all matchers hold', { route: 'download', code: '503', instance: 'web.1', env: 'prod' }, true],
    ['regex must match the whole value', { route: 'download', code: '5033', instance: 'web.1' }, false],
    ['!= excludes', { route: 'download', code: '500', instance: 'canary' }, false],
    ['!~ excludes', { route: 'download', code: '500', env: 'test' }, false],
    ['a missing label is the empty string', { code: '500' }, false],
  ])('%s', (_, labels, expected) => {
    expect(matchesSelector(s, 'http_requests_total', labels)).toBe(expected);
  });

  it('checks the metric name', () => {
    expect(matchesSelector(s, 'other_total', { route: 'download', code: '500' })).toBe(false);
    expect(selectorMetricName(s)).toBe('http_requests_total');
  });

  it('accepts a name-only selector and a commas inside quoted values', () => {
    expect(matchesSelector(parseSelector('up'), 'up', {})).toBe(true);
    expect(matchesSelector(parseSelector('x{a="1,2"}'), 'x', { a: '1,2' })).toBe(true);
  });

  it("reads a value's escapes as Prometheus does (Go's), bytes as UTF-8", () => {
    const value = (text: string) => parseSelector(text).matchers[1]!.value;
    expect(value('r{job="caf\\u00e9"}')).toBe('café');
    expect(value('r{job="\\x61pi"}')).toBe('api');
    expect(value('r{job="\\141pi"}')).toBe('api');
    expect(value('r{job="\\xc3\\xa9"}')).toBe('é');
    expect(value('r{job="a\\tb\\nc"}')).toBe('a\tb\nc');
    expect(value('r{job="we\\"ird\\\\job"}')).toBe('we"ird\\job');
    expect(value('r{job="\\U0001F600"}')).toBe('😀');
    expect(value('r{code=~"5\\\\d+"}')).toBe('5\\d+');
    expect(matchesSelector(parseSelector('r{job="caf\\u00e9"}'), 'r', { job: 'café' })).toBe(true);
  });

  it.each([
    ['x{a="\\."}', 'label matcher a: unknown escape sequence \\. (PromQL knows'],
    ['x{a="\\400"}', 'label matcher a: invalid escape \\400 (over \\377)'],
    ['x{a="\\xZ1"}', 'label matcher a: invalid escape \\xZ1'],
    ['sum(rate(x[1m]))', 'expected a series selector like metric_name{label="value"}, got "sum(rate(x[1m]))"'],
    ['x{a=1}', 'cannot read label matcher "a=1" in "x{a=1}"'],
    ['x{a=~"("}', 'invalid regular expression "(" in "x{a=~\\"(\\"}": error parsing regexp: missing closing ): `(`'],
    // Not through the anchoring group either (Prometheus compiles the value alone first).
    ['x{a=~"a)|(b"}', 'invalid regular expression "a)|(b" in "x{a=~\\"a)|(b\\"}": error parsing regexp: unexpected ): `a)|(b`'],
    // JavaScript's lookahead is no RE2.
    ['x{a=~"a(?=b)"}', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['{a!="x"}', 'selector "{a!=\\"x\\"}" must have a metric name or a matcher that does not match the empty string'],
  ])('rejects %s', (text, message) => {
    expect(() => parseSelector(text)).toThrow(message);
  });
});

describe('selector regexes read as Prometheus reads them (RE2, anchored)', () => {
  it('takes RE2\'s flags, which JavaScript\'s RegExp refused', () => {
    const s = parseSelector('http_requests_total{method=~"(?i)get|head"}');
    expect(matchesSelector(s, 'http_requests_total', { method: 'GET' })).toBe(true);
    expect(matchesSelector(s, 'http_requests_total', { method: 'Head' })).toBe(true);
    expect(matchesSelector(s, 'http_requests_total', { method: 'GETS' })).toBe(false);
  });

  it('answers a pattern that backtracking engines never finish (RegExp takes about 2^34 steps here)', () => {
    const s = parseSelector('x{pod=~"(a+)+"}');
    expect(matchesSelector(s, 'x', { pod: `${'a'.repeat(34)}!` })).toBe(false);
    expect(matchesSelector(s, 'x', { pod: 'a'.repeat(34) })).toBe(true);
  });
});

describe('requiredLabels', () => {
  it('lists the labels a series must have to be selected: those whose matcher a missing label fails', () => {
    expect(requiredLabels(parseSelector('r{code=~"5..", job="api", route!="", pod!="x", env=~"prod|", zone!~"", x!~"a"}'))).toEqual(['code', 'job', 'route', 'zone']);
    expect(requiredLabels(parseSelector('r{code=""}'))).toEqual([]);
    expect(requiredLabels(parseSelector('r'))).toEqual([]);
  });
});
