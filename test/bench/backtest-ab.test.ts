import { describe, expect, it } from 'vitest';
import { summariseRounds } from '../../bench/backtest-ab.js';
import type { BacktestFigures } from '../../bench/backtest-bench.js';

const round = (cpuS: number, wallS: number, transitions: number): BacktestFigures => ({ samples: 100, cpuS, wallS, transitions, peakRssBytes: 1 });

describe('backtest A/B summary', () => {
  it("gives a build's CPU median and range, its median wall time and its distinct transition counts", () => {
    const s = summariseRounds('a', [round(4, 5, 2), round(3, 4, 2), round(6, 9, 3), round(5, 6, 2)]);
    expect(s).toEqual({ build: 'a', cpuS: { median: 4.5, min: 3, max: 6 }, wallS: 5.5, transitions: [2, 3] });
  });

  it('refuses a build without rounds', () => {
    expect(() => summariseRounds('b', [])).toThrow('no rounds of b');
  });
});
