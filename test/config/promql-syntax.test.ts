import { describe, expect, it } from 'vitest';
import { promqlSyntaxError } from '../../src/config/promql-syntax.js';

describe('promqlSyntaxError', () => {
  it.each([
    ['a counter rate', 'sum(rate(http_requests_total{job="api",code=~"5.."}[5m]))'],
    ['split by a label', 'sum by (route) (irate(x_total[1m]))'],
    ['vector matching', 'sum(rate(a[5m])) / on(job) group_left sum(rate(b[5m]))'],
    ['offset and @', 'x offset 5m + x @ 1609746000'],
    ['histogram_quantile', 'histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))'],
  ])('accepts %s', (_, expr) => {
    expect(promqlSyntaxError(expr)).toBeUndefined();
  });

  it.each([
    ['an unclosed call (the issue\'s example)', 'sum(rate(x[5m]', 'PromQL syntax error at column 15: unexpected end of expression (an unclosed bracket or a missing operand?)'],
    ['a missing operand', 'x +', 'PromQL syntax error at column 4: unexpected end of expression (an unclosed bracket or a missing operand?)'],
    ['trailing junk', 'sum(rate(x[5m])) bogus', 'PromQL syntax error at column 18, near "bogus"'],
    ['empty', '  ', 'empty PromQL expression'],
  ])('rejects %s, naming the column', (_, expr, message) => {
    expect(promqlSyntaxError(expr)).toBe(message);
  });
});
