import { describe, expect, it } from 'vitest';
import { scanVectorAnswer } from '../../src/source/vector-answer.js';

/** What JSON.parse makes of the same answer: each series' labels and value, the reference. */
function parsed(text: string): { labels: unknown; value: number }[] {
  const body = JSON.parse(text) as { data: { result: { metric: unknown; value: [number, string] }[] } };
  return body.data.result.map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
}

const answer = (result: unknown[], extra = '') => `{"status":"success","data":{"resultType":"vector","result":${JSON.stringify(result)}}${extra}}`;

describe('scanning an instant-query answer', () => {
  it('finds what JSON.parse finds: escapes, unicode, braces in values, NaN and ±Inf, empty label sets', () => {
    const text = answer([
      { metric: { route: '/a', code: '200' }, value: [1_700_000_000.5, '12.25'] },
      { metric: { path: 'C:\\dir\\"x"', note: 'a}b{c,"d":e' }, value: [1_700_000_000, '1e-7'] },
      { metric: { city: 'Zürich', region: '東京', nl: 'a\nb' }, value: [1_700_000_000, 'NaN'] },
      { metric: {}, value: [1_700_000_000, '+Inf'] },
      { metric: { x: '' }, value: [1_700_000_000, '-Inf'] },
    ]);
    const scanned = scanVectorAnswer(text)!;
    expect(scanned.metrics.map((m) => ({ labels: JSON.parse(m) as unknown }))).toEqual(parsed(text).map((s) => ({ labels: s.labels })));
    expect(scanned.values).toEqual(parsed(text).map((s) => s.value));
  });

  it('the same series gives the same text at every tick (the key callers resolve once)', () => {
    const at = (t: number, v: string) => scanVectorAnswer(answer([{ metric: { route: '/a' }, value: [t, v] }]))!.metrics[0];
    expect(at(1, '1')).toBe(at(2, '7.5'));
  });

  it('an empty vector is no series', () => {
    expect(scanVectorAnswer(answer([]))).toEqual({ metrics: [], values: [] });
  });

  it.each([
    ['warnings after the data', answer([{ metric: {}, value: [1, '1'] }], ',"warnings":["partial"]')],
    ['whitespace', JSON.stringify(JSON.parse(answer([{ metric: { a: 'b' }, value: [1, '1'] }])), null, 1)],
    ['another key order', '{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"],"metric":{}}]}}'],
    ['a scalar', '{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}'],
    ['an error', '{"status":"error","errorType":"bad_data","error":"parse error"}'],
    ['a label that is not a string', '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":1},"value":[1,"1"]}]}}'],
    ['a time that is not a number', '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","1"]}]}}'],
    ['a native histogram', '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{"count":"2"}]}]}}'],
    ['an escape in a value', '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"\\u0031"]}]}}'],
    ['a truncated body', answer([{ metric: { a: 'b' }, value: [1, '1'] }]).slice(0, -3)],
  ])('leaves anything else to JSON.parse: %s', (_what, text) => {
    expect(scanVectorAnswer(text)).toBeUndefined();
  });
});
