import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/core/retry-after.js';

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    ['Thu, 20 Jul 2023 12:18:00 GMT', 60_000],
    ['soon', undefined],
    ['3000000', 3_000_000_000],
    [null, undefined],
  ])('%j', (value, expected) => {
    expect(parseRetryAfter(value, Date.parse('2023-07-20T12:17:00Z'))).toBe(expected);
  });
});
