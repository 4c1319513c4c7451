import { describe, expect, it } from 'vitest';
import { describeGiven } from '../../src/core/given-value.js';

describe('describeGiven', () => {
  it('names the kind of a value that is not text, and quotes text', () => {
    expect(describeGiven(9464)).toBe('the number 9464');
    expect(describeGiven(true)).toBe('the boolean true');
    expect(describeGiven(null)).toBe('nothing');
    expect(describeGiven([1])).toBe('a list');
    expect(describeGiven({ a: 1 })).toBe('a mapping');
    expect(describeGiven('5m')).toBe('"5m"');
  });

  it('clips long text', () => {
    expect(describeGiven('x'.repeat(500))).toContain('(500 characters)');
  });
});
