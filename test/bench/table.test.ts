import { describe, expect, it } from 'vitest';
import { fmt, renderTable } from '../../bench/table.js';

describe('bench table', () => {
  it('formats to three significant digits (at most three decimals) with separators, and n/a when not finite', () => {
    expect([fmt(1234567), fmt(0.012345), fmt(Number.NaN), fmt(Number.POSITIVE_INFINITY)]).toEqual(['1,230,000', '0.012', 'n/a', 'n/a']);
  });

  it('aligns every column under its header', () => {
    const text = renderTable([{ what: 'parse', stormwatch: '1 s', peer: '5 s', note: '5x' }]);
    const [header, rule, row] = text.split('\n');
    expect(header!.indexOf('stormwatch')).toBe(row!.indexOf('1 s'));
    expect(rule!.startsWith('---------')).toBe(true);
  });
});
