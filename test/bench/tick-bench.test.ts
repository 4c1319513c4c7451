import { describe, expect, it } from 'vitest';
import { type TickFigures, medianTick } from '../../bench/tick-bench.js';

/** Figures of one run: only what medianTick reads and carries matters here. */
function run(allInCpuS: number, stepCpuS: number): TickFigures {
  return { series: 100_000, source: 'prometheus', allInCpuS, stepCpuS } as TickFigures;
}

describe('medianTick', () => {
  it('takes the whole run whose all-in CPU is the median, with the range of the runs', () => {
    const m = medianTick([run(1.1, 0.7), run(0.94, 0.6), run(0.99, 0.65)]);
    expect(m.allInCpuS).toBe(0.99);
    // The median run's own breakdown, not a mix of runs.
    expect(m.stepCpuS).toBe(0.65);
    expect(m.runs).toBe(3);
    expect(m.allInRangeS).toEqual([0.94, 1.1]);
  });

  it('takes the lower middle of an even count, and refuses none', () => {
    expect(medianTick([run(2, 1), run(1, 1), run(4, 1), run(3, 1)]).allInCpuS).toBe(2);
    expect(() => medianTick([])).toThrow(/no runs/);
  });
});
