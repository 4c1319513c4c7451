import { describe, expect, it } from 'vitest';
import { MIN_WEIGHT, breakInFlight, inFlightShareOf, learnInFlight, newInFlight } from '../../../src/detectors/stats/in-flight-share.js';

/** Learns every (n, lost) pair in order, nothing forgotten. */
function learnt(pairs: [number, number][], memory = Number.POSITIVE_INFINITY) {
  const s = newInFlight();
  for (const [n, lost] of pairs) learnInFlight(s, n, lost, memory);
  return s;
}

describe('in-flight share', () => {
  it("is the least squares coefficient of the change of requests, beside the share lost, with its standard error from the fit (numpy)", () => {
    const n = [100, 130, 90, 160, 120, 80, 150, 110, 140, 95, 170, 105, 125, 60];
    const lost = [3, 14, -9, 25, -6, -10, 22, -7, 13, -11, 24, -17, 9, -19];
    const s = learnt(n.map((x, i) => [x, lost[i]!]));
    // numpy.linalg.lstsq on columns (n_t, n_t − n_{t−1}), t ≥ 1: [0.02617942, 0.28484577]; the
    // coefficient's standard error, residual variance over 13 − 2: 0.008469578517174916.
    expect(inFlightShareOf(s, 0.05)).toBeCloseTo(0.28484577, 7);
    expect(inFlightShareOf(s, 0.00846)).toBe(0);
    expect(inFlightShareOf(s, 0.00847)).toBeCloseTo(0.28484577, 7);
    // Fewer than MIN_WEIGHT ticks say too little of the residuals' variance.
    expect(inFlightShareOf(learnt(n.slice(0, MIN_WEIGHT).map((x, i) => [x, lost[i]!])), 1)).toBe(0);
  });

  it('leaves a constant share lost to the other coefficient: a failure does not move it', () => {
    const n = [300, 420, 250, 510, 380, 290, 460, 330, 410, 270, 350, 480, 300];
    const healthy = learnt(n.map((x, i) => [x, 0.01 * x + 0.2 * (i > 0 ? x - n[i - 1]! : 0)]));
    const failing = learnt(n.map((x, i) => [x, 0.5 * x + 0.2 * (i > 0 ? x - n[i - 1]! : 0)]));
    expect(inFlightShareOf(healthy, 0.05)).toBeCloseTo(0.2, 9);
    expect(inFlightShareOf(failing, 0.05)).toBeCloseTo(0.2, 9);
  });

  it('follows a moved share within a few memories, and measures no change across a break', () => {
    const s = newInFlight();
    let prev = 200;
    let x = 0.37;
    const tick = (q: number) => {
      x = (x * 9301 + 49297) % 1;
      const n = 100 + Math.floor(x * 200);
      learnInFlight(s, n, q * (n - prev) + (x - 0.5), 20);
      prev = n;
    };
    for (let i = 0; i < 200; i++) tick(0.4);
    expect(inFlightShareOf(s, 0.05)).toBeCloseTo(0.4, 2);
    for (let i = 0; i < 100; i++) tick(0);
    expect(inFlightShareOf(s, 0.05)).toBeLessThan(0.01);
    const before = { ...s };
    breakInFlight(s);
    learnInFlight(s, 5000, 0, 20);
    // The tick after a break only sets where the next change is measured from.
    expect({ ...s, inPrevN: before.inPrevN }).toEqual(before);
    expect(s.inPrevN).toBe(5000);
    // A tick without a count breaks the chain too.
    learnInFlight(s, Number.NaN, 0, 20);
    expect(s.inPrevN).toBe(-1);
  });

  it('is 0 before any change was seen, and never negative', () => {
    expect(inFlightShareOf(newInFlight(), 0.05)).toBe(0);
    const n = [100, 150, 90, 170, 110, 130, 80, 160, 120, 140, 90, 150];
    expect(inFlightShareOf(learnt(n.map((x, i) => [x, -0.3 * (i > 0 ? x - n[i - 1]! : 0) + (i % 2) - 0.5])), 1)).toBe(0);
  });
});
