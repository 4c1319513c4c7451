import { describe, expect, it } from 'vitest';
import { matchesSelector, parseSelector, selectorMetricName } from '../../src/core/selector.js';

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

  it.each([
    ['sum(rate(x[1m]))', 'expected a series selector like metric_name{label="value"}, got "sum(rate(x[1m]))"'],
    ['x{a=1}', 'cannot read label matcher "a=1" in "x{a=1}"'],
    ['x{a=~"("}', 'invalid regular expression "(" in "x{a=~\\"(\\"}": Invalid regular expression: /^(?:()$/: Unterminated group'],
    ['{a!="x"}', 'selector "{a!=\\"x\\"}" must have a metric name or a matcher that does not match the empty string'],
  ])('rejects %s', (text, message) => {
    expect(() => parseSelector(text)).toThrow(message);
  });
});
