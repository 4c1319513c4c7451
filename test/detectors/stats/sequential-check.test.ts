import { describe, expect, it } from 'vitest';
import { newCheckState, updateCheck } from '../../../src/detectors/stats/sequential-check.js';

const H = 10;
const RESOLVE = 4;

describe('sequential check (CUSUM with a resolving test)', () => {
  it('accumulates evidence across ticks and alarms once it reaches h', () => {
    const s = newCheckState();
    for (let i = 0; i < 3; i++) expect(updateCheck(s, 3, Number.NaN, H, RESOLVE).alarmed).toBe(false);
    expect(updateCheck(s, 3, Number.NaN, H, RESOLVE).alarmed).toBe(true);
  });

  it('never goes below zero: a long healthy stretch does not bank credit against a failure', () => {
    const s = newCheckState();
    for (let i = 0; i < 100; i++) updateCheck(s, -5, Number.NaN, H, RESOLVE);
    expect(s.small).toBe(0);
    expect(updateCheck(s, 11, Number.NaN, H, RESOLVE).alarmed).toBe(true);
  });

  it('alarms on either chart of the bank', () => {
    const s = newCheckState();
    expect(updateCheck(s, 0.1, 12, H, RESOLVE).alarmed).toBe(true);
  });

  it('resolves only on evidence for health, and a bad tick while resolving sets that evidence back', () => {
    const s = newCheckState();
    updateCheck(s, 20, Number.NaN, H, RESOLVE);
    expect(updateCheck(s, -3, Number.NaN, H, RESOLVE).alarmed).toBe(true);
    expect(updateCheck(s, 2, Number.NaN, H, RESOLVE).health).toBe(1);
    expect(updateCheck(s, -2, Number.NaN, H, RESOLVE).alarmed).toBe(true);
    expect(updateCheck(s, -1, Number.NaN, H, RESOLVE).alarmed).toBe(false);
    expect(s.small).toBe(0);
  });

  it('caps the evidence so a long incident still resolves promptly', () => {
    const s = newCheckState();
    for (let i = 0; i < 1000; i++) updateCheck(s, 50, Number.NaN, H, RESOLVE);
    expect(s.small).toBe(2 * H);
  });
});
