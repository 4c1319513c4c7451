import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/sinks/backoff.js';

const params = { baseMs: 500, capMs: 300_000 };

describe('backoffDelayMs', () => {
  it.each([
    ['no Retry-After: full jitter under base·2^(k-1)', 3, undefined, 1000],
    ['no Retry-After: never above the cap', 30, undefined, 150_000],
    ['Retry-After longer than the jitter wins', 1, 20_000, 20_000],
    ['Retry-After shorter than the jitter loses', 10, 1000, 128_000],
    ['Retry-After: 3000000 s is clamped to the cap, not overflowed', 1, 3_000_000_000, 300_000],
    ['a negative or NaN Retry-After is ignored', 1, Number.NaN, 250],
  ])('%s', (_, attempt, retryAfterMs, expected) => {
    expect(backoffDelayMs(attempt, params, () => 0.5, retryAfterMs)).toBe(expected);
  });
});
