import { describe, expect, it } from 'vitest';
import { type AlertReading, changedMaterially } from '../../src/decisions/alert-refresh.js';

const base: AlertReading = { model: 'cargo', attempts: 3.0, attemptsLow: 2.7, attemptsHigh: 3.3, notEstimable: '', state: '' };

describe('changedMaterially', () => {
  it.each([
    ['the same reading', base, false],
    ['a narrower interval around the same value', { ...base, attemptsLow: 2.95, attemptsHigh: 3.05 }, false],
    ['a value 5 % off, still inside the interval', { ...base, attempts: 3.15, attemptsLow: 2.9, attemptsHigh: 3.4 }, false],
    ['another client named', { ...base, model: 'cargo-legacy' }, true],
    ['no client fitting any more', { ...base, model: '' }, false],
    ['a value over 10 % off', { ...base, attempts: 3.4, attemptsLow: 2.9, attemptsHigh: 3.9 }, true],
    ['an interval that no longer holds what was sent', { ...base, attempts: 3.2, attemptsLow: 3.1, attemptsHigh: 3.3 }, true],
    ['attempts no longer estimable', { ...base, attempts: Number.NaN, attemptsLow: Number.NaN, attemptsHigh: Number.NaN, notEstimable: 'demand moved' }, true],
    ['a storm that outlived its cause', { ...base, state: 'outlived' }, true],
  ])('%s -> %s', (_what, next, expected) => {
    expect(changedMaterially(base, next as AlertReading)).toBe(expected);
  });
});
