import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/load.js';
import { excessArrived, plateauMultiplier, rampFraction, tickFraction } from '../../src/detectors/retry-ramp.js';

const models = loadBundledClientModels();
const cargo = models.find((m) => m.name === 'cargo')!;
const legacy = models.find((m) => m.name === 'cargo-legacy')!;

describe('excessArrived: retries sent by t seconds after onset, per unit of failing demand', () => {
  // cargo: retry 1 at S1 ~ U(0.5, 1.5), retry 2 at S1 + 3.5; retry 3 is one per build (aborts) and left out.
  // E[max(0, t − S1)] + E[max(0, t − S1 − 3.5)], by hand and checked by Monte Carlo in numpy
  // (400k draws, seed 1: 0.1252, 1.0003, 4.5006, 18.5006).
  it.each([
    [0.5, 0],
    [1, 0.125], // ∫_0.5^1 (1 − s) ds / 1 = 0.5² / 2
    [2, 1], // 2 − E[S1]
    [5, 4.5], // (5 − 1) + (5 − 4.5): S1 + 3.5 ∈ [4, 5] has fully arrived in expectation terms
    [12, 18.5], // (12 − 1) + (12 − 4.5)
  ])('cargo at %d s -> %d', (t, expected) => {
    expect(excessArrived(cargo, t)).toBeCloseTo(expected, 9);
  });

  it('cargo <= 1.69 retries at once: both retries arrive with the first attempt', () => {
    expect(excessArrived(legacy, 3)).toBeCloseTo(3, 9);
  });
});

describe('tickFraction: the share of the plateau excess a tick shows', () => {
  it('cargo at 15 s ticks: a third of it in the tick holding the onset, nearly all in the next (numpy Monte Carlo: 0.3405, 0.9762)', () => {
    expect(tickFraction(cargo, 15_000, 1)).toBeCloseTo(0.3405, 2);
    expect(tickFraction(cargo, 15_000, 2)).toBeCloseTo(0.9762, 2);
    expect(tickFraction(cargo, 15_000, 3)).toBeCloseTo(1, 9);
  });

  it('cargo <= 1.69: half in the onset tick (onset mid-tick on average), all from the next', () => {
    expect(tickFraction(legacy, 15_000, 1)).toBeCloseTo(0.5, 9);
    expect(tickFraction(legacy, 15_000, 2)).toBeCloseTo(1, 9);
  });

  it('a later schedule shows less early: shifting cargo one second later lowers its first tick', () => {
    expect(tickFraction(cargo, 5_000, 1, -1)).toBeLessThan(tickFraction(cargo, 5_000, 1));
  });
});

describe('rampFraction: the failure run average', () => {
  it('is the mean of the tick fractions before the run memory fades, and rises to 1', () => {
    const mean = (tickFraction(cargo, 15_000, 1) + tickFraction(cargo, 15_000, 2) + 1) / 3;
    expect(rampFraction(cargo, 15_000, 30_000)).toBeCloseTo(mean, 9);
    expect(rampFraction(cargo, 15_000, 15 * 60_000)).toBeGreaterThan(0.99);
  });

  it('undoes the ramp: a run at 2.0x a third into cargo plateau excess', () => {
    expect(plateauMultiplier(2, 1 / 3)).toBeCloseTo(4, 9);
    expect(plateauMultiplier(0.8, 0.5)).toBe(0.8);
  });
});
