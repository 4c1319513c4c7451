import { describe, expect, it } from 'vitest';
import { breakLateShare, lateShareOf, learnLateShare, newLateShare } from '../../src/detectors/stats/late-share.js';
import { newLagOne } from '../../src/detectors/stats/lag-one-dispersion.js';
import { DISPERSION_FIELDS, DispersionView } from '../../src/detectors/tick-dispersion.js';

const FIELDS = ['rate', 'errors', 'funnel', 'ticks', 'lateNum', 'lateDen', 'latePrevN', 'rateBlock', 'blocks', 'blockN', 'blockExpected', 'blockTicks', 'ratePrevN', 'lag0', 'lag1', 'lagTicks', 'lagPrev', 'funnelTicks', 'errorsPrevK', 'inNN', 'inND', 'inDD', 'inLN', 'inLD', 'inLL', 'inW', 'inPrevN'] as const;

describe('DispersionView', () => {
  it('starts as nothing learnt: φ = 1 for every input, no ticks, a fresh late share and lag-one moments, no block', () => {
    const d = new DispersionView(new Float64Array(DISPERSION_FIELDS), 0);
    const late = newLateShare();
    expect([d.rate, d.errors, d.funnel, d.ticks, d.lateNum, d.lateDen, d.latePrevN]).toEqual([1, 1, 1, 0, late.lateNum, late.lateDen, late.latePrevN]);
    const lag = newLagOne();
    expect([d.lag0, d.lag1, d.lagTicks, d.lagPrev]).toEqual([lag.lag0, lag.lag1, lag.lagTicks, lag.lagPrev]);
    expect(d.funnelTicks).toBe(0);
    for (const k of ['rateBlock', 'blocks', 'blockN', 'blockExpected', 'blockTicks', 'ratePrevN', 'errorsPrevK'] as const) expect(d[k], k).toBeNaN();
  });

  it('holds each field in its own place of its slice, and reset() rewrites them all', () => {
    const doubles = new Float64Array(2 + DISPERSION_FIELDS + 2).fill(-7);
    const d = new DispersionView(doubles, 2);
    FIELDS.forEach((k, i) => (d[k] = 10 + i));
    FIELDS.forEach((k, i) => expect(d[k], k).toBe(10 + i));
    expect(Array.from(doubles.subarray(2, 2 + DISPERSION_FIELDS))).toEqual(FIELDS.map((_, i) => 10 + i));
    expect([doubles[0], doubles[1], doubles[2 + DISPERSION_FIELDS], doubles[3 + DISPERSION_FIELDS]]).toEqual([-7, -7, -7, -7]);
    d.reset(2.5, 1.5, 3, 40);
    expect([d.rate, d.errors, d.funnel, d.ticks, d.lateNum, d.lateDen, d.latePrevN]).toEqual([2.5, 1.5, 3, 40, 0, 0, -1]);
    expect(d.blockN).toBeNaN();
    expect(d.ratePrevN).toBeNaN();
    expect(d.errorsPrevK).toBeNaN();
    expect([d.inNN, d.inND, d.inDD, d.inLN, d.inLD, d.inLL, d.inW, d.inPrevN]).toEqual([0, 0, 0, 0, 0, 0, 0, -1]);
    expect([d.lag0, d.lag1, d.lagTicks, d.lagPrev]).toEqual([0, 0, 0, Number.NaN]);
    // The funnel's residuals counted as the ticks unless said otherwise (states saved before it).
    expect(d.funnelTicks).toBe(40);
    d.reset(2.5, 1.5, 3, 40, 12);
    expect(d.funnelTicks).toBe(12);
  });

  it('learns the late share exactly as a plain state does', () => {
    const view = new DispersionView(new Float64Array(DISPERSION_FIELDS), 0);
    const plain = newLateShare();
    let x = 0.37;
    for (let i = 0; i < 500; i++) {
      x = (x * 9301 + 49297) % 1;
      const n = 20 + Math.floor(x * 30);
      const lost = (x - 0.5) * 4;
      if (i % 97 === 0) {
        breakLateShare(view);
        breakLateShare(plain);
      }
      learnLateShare(view, n, lost, 60);
      learnLateShare(plain, n, lost, 60);
    }
    expect([view.lateNum, view.lateDen, view.latePrevN]).toEqual([plain.lateNum, plain.lateDen, plain.latePrevN]);
    expect(lateShareOf(view)).toBe(lateShareOf(plain));
  });
});
