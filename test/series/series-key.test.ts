import { describe, expect, it } from 'vitest';
import { parseSeriesId, sameLabels, seriesIdOf } from '../../src/series/series-key.js';

describe('series ids', () => {
  it('reads back what seriesIdOf writes, quotes, commas, braces and escapes included', () => {
    for (const labels of [{ route: '/a,"b"', service: 'x' } as Record<string, string>, { route: 'a}b{c=\\"', z: 'é\n' }, { only: '' }]) {
      const id = seriesIdOf('api', labels);
      expect(parseSeriesId(id), id).toEqual({ signal: 'api', groupLabels: labels });
      expect(seriesIdOf('api', parseSeriesId(id).groupLabels)).toBe(id);
    }
    expect(parseSeriesId('crate-downloads')).toEqual({ signal: 'crate-downloads', groupLabels: {} });
  });
});

describe('sameLabels', () => {
  it('compares names and values in any order; a label more, less or different is another set', () => {
    expect(sameLabels({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true);
    expect(sameLabels({}, {})).toBe(true);
    expect(sameLabels({ a: '1' }, { a: '1', b: '' })).toBe(false);
    expect(sameLabels({ a: '1', b: '' }, { a: '1' })).toBe(false);
    expect(sameLabels({ a: '1' }, { a: '2' })).toBe(false);
  });
});
