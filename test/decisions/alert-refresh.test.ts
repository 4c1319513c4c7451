import { describe, expect, it } from 'vitest';
import { type AlertReading, RECEDING_SHARE, changedMaterially, receding } from '../../src/decisions/alert-refresh.js';

const base: AlertReading = { model: 'cargo', attempts: 3.0, attemptsLow: 2.7, attemptsHigh: 3.3, notEstimable: '', state: '', failing: 1 };
/** A page read on a storm's first tick: the value already right, the interval wide. */
const early: AlertReading = { ...base, attemptsLow: 2.0, attemptsHigh: 4.5 };

describe('changedMaterially', () => {
  it.each([
    ['the same reading', false, base, base],
    ['an interval whose ends move in by less than 10 %', false, base, { ...base, attemptsLow: 2.95, attemptsHigh: 3.05 }],
    ['a wide interval whose low end rises by 20 %', true, early, { ...early, attemptsLow: 2.4 }],
    ['a wide interval whose high end falls by 20 %', true, early, { ...early, attemptsHigh: 3.6 }],
    ['a wide interval narrowed around the same value', true, early, { ...early, attemptsLow: 2.8, attemptsHigh: 3.2 }],
    ['a wider interval around the same value', false, base, { ...base, attemptsLow: 2.4, attemptsHigh: 3.7 }],
    ['a value 5 % off, still inside the interval', false, base, { ...base, attempts: 3.15, attemptsLow: 2.9, attemptsHigh: 3.4 }],
    ['another client named', true, base, { ...base, model: 'cargo-legacy' }],
    ['no client fitting any more', false, base, { ...base, model: '' }],
    ['a value over 10 % off whose interval still holds what was sent', false, base, { ...base, attempts: 3.4, attemptsLow: 2.9, attemptsHigh: 3.9 }],
    ['a value over 10 % off whose interval no longer holds what was sent', true, base, { ...base, attempts: 3.4, attemptsLow: 3.1, attemptsHigh: 3.9 }],
    ['an interval that no longer holds what was sent', true, base, { ...base, attempts: 3.2, attemptsLow: 3.1, attemptsHigh: 3.3 }],
    ['attempts no longer estimable', true, base, { ...base, attempts: Number.NaN, attemptsLow: Number.NaN, attemptsHigh: Number.NaN, notEstimable: 'demand moved' }],
    ['a storm that outlived its cause', true, base, { ...base, state: 'outlived' }],
  ] as const)('%s -> %s', (_what, expected, previous, next) => {
    expect(changedMaterially(previous, next as AlertReading)).toBe(expected);
  });
});

describe('receding', () => {
  it('reads a failing share under half of the one last sent as a failure receding, and an unread one as not', () => {
    expect(receding(base, { ...base, failing: 0.49 })).toBe(true);
    expect(receding(base, { ...base, failing: RECEDING_SHARE })).toBe(false);
    expect(receding(base, { ...base, failing: Number.NaN })).toBe(false);
    expect(receding({ ...base, failing: Number.NaN }, { ...base, failing: 0.1 })).toBe(false);
  });
});
