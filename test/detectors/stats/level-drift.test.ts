import { describe, expect, it } from 'vitest';
import { DRIFT_SLOTS, clearDrift, driftSurprise, restoreDrift, snapshotDrift, updateDrift } from '../../../src/detectors/stats/level-drift.js';

const HALF_HOUR = 1_800_000;

/** 70 half-hour ticks of a small wobble, then 10 a whole 0.5 nats lower (a holiday's level). */
const residuals = Array.from({ length: 80 }, (_, i) => 0.1 * Math.sin(i / 3) + (i >= 70 ? -0.5 : 0));

function run(): { state: Float32Array; zs: number[] } {
  const state = new Float32Array(DRIFT_SLOTS);
  clearDrift(state);
  return { state, zs: residuals.map((r) => updateDrift(state, r, HALF_HOUR)) };
}

describe('updateDrift (EWMA of the deseasonalised log-rate over its own RMS)', () => {
  // Reference (numpy 2.4, float64), the same recursion:
  //   iv=1.8e6; tau=7.2e6; mem=14*86.4e6; a=1-np.exp(-iv/tau); b=1-np.exp(-iv/mem)
  //   i=np.arange(80); r=0.1*np.sin(i/3)+np.where(i>=70,-0.5,0)
  //   m=0; sq=nan; for k,x in enumerate(r): m+=a*(x-m); ticks=k+1
  //     ticks<2*tau/iv: nan; sq nan: sq=m*m, nan; z=m/sqrt(sq); sq+=b*(min(m*m,9*sq)-sq)
  //     z when ticks >= 2*tau/iv + 86.4e6/iv, else nan
  //   -> first z at index 55; z[56]=-0.7413488971112387, z[69]=-0.21902364818697478,
  //      z[75]=-6.456901278829287, z[79]=-6.277034001726038; m=-0.43366444605990473, sq=0.0048298596808549555
  it('matches the reference recursion (Float32 state)', () => {
    const { state, zs } = run();
    expect(zs.slice(0, 55).every(Number.isNaN)).toBe(true);
    expect(zs[55]).not.toBeNaN();
    expect(zs[56]).toBeCloseTo(-0.7413488971112387, 4);
    expect(zs[69]).toBeCloseTo(-0.21902364818697478, 4);
    expect(zs[75]).toBeCloseTo(-6.456901278829287, 3);
    expect(zs[79]).toBeCloseTo(-6.277034001726038, 3);
    const s = snapshotDrift(state);
    expect(s.mean).toBeCloseTo(-0.43366444605990473, 5);
    expect(s.square).toBeCloseTo(0.0048298596808549555, 6);
    expect(s.ticks).toBe(80);
  });

  it('ignores a tick without a residual', () => {
    const { state } = run();
    const before = snapshotDrift(state);
    expect(updateDrift(state, Number.NaN, HALF_HOUR)).toBeNaN();
    expect(snapshotDrift(state)).toEqual(before);
  });

  it('restores a snapshot exactly, and starts empty from one that does not fit', () => {
    const { state } = run();
    const copy = new Float32Array(DRIFT_SLOTS);
    expect(restoreDrift(copy, JSON.parse(JSON.stringify(snapshotDrift(state))))).toBe(true);
    expect(updateDrift(copy, -0.5, HALF_HOUR)).toBe(updateDrift(state, -0.5, HALF_HOUR));
    expect(restoreDrift(copy, { mean: 'x', square: 1, ticks: 3 })).toBe(false);
    expect(snapshotDrift(copy)).toEqual({ mean: 0, square: null, ticks: 0 });
  });
});

describe('driftSurprise', () => {
  // scipy 1.17: -np.log(2*norm.sf(2.5)) -> 4.388501096718746; -norm.logsf(6.277034001726038)-np.log(2) -> 21.78720821895211
  it('is the two-sided normal tail in nats', () => {
    expect(driftSurprise(2.5)).toBeCloseTo(4.388501096718746, 5);
    expect(driftSurprise(-2.5)).toBeCloseTo(4.388501096718746, 5);
    expect(driftSurprise(-6.277034001726038)).toBeCloseTo(21.78720821895211, 4);
    expect(driftSurprise(Number.NaN)).toBeNaN();
  });
});
