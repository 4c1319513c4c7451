import { describe, expect, it } from 'vitest';
import { parseSeriesId, seriesIdOf } from '../../src/series/series-key.js';

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
