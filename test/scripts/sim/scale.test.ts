import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../../src/config/load.js';
import { UNSCALED, scaleSpec } from '../../../scripts/sim/scale.js';
import { type ScenarioSpec, simulate } from '../../../scripts/sim/simulate.js';

const cargo = loadBundledClientModels().find((m) => m.name === 'cargo')!;
const T0 = Date.parse('2023-07-20T12:00:00Z');

const quiet: ScenarioSpec = {
  seed: 7,
  startMs: T0,
  endMs: T0 + 30 * 60_000,
  stepMs: 15_000,
  logicalRatePerSecond: 200,
  seasonAmplitude: 0,
  peakHourUtc: 0,
  noiseSigma: 0.05,
  surges: [],
  apiPods: 1,
  deploysMs: [],
  faults: [],
  client: cargo,
};

/** API requests counted over the whole simulation (the counters' last values summed). */
function requestsCounted(spec: ScenarioSpec): number {
  const last = simulate(spec).snapshots.at(-1)!;
  return last.samples.filter((s) => s.name === 'crates_api_requests_total').reduce((a, s) => a + s.value, 0);
}

describe('scaleSpec', () => {
  it('leaves a spec alone at the scenario’s own demand', () => {
    expect(scaleSpec(quiet, UNSCALED)).toBe(quiet);
  });

  it('scales the requests the simulation makes with the traffic factor', () => {
    const own = requestsCounted(quiet);
    const quarter = requestsCounted(scaleSpec(quiet, { traffic: 0.25, noise: 1 }));
    expect(quarter / own).toBeGreaterThan(0.23);
    expect(quarter / own).toBeLessThan(0.27);
  });

  it('scales a closed pool by its runners (at least one) and the wobble by the noise factor', () => {
    const pooled = { ...quiet, pool: { clients: 300, cratesPerBuild: 4, cycleSeconds: 1 } };
    const scaled = scaleSpec(pooled, { traffic: 0.1, noise: 3 });
    expect(scaled.pool).toEqual({ clients: 30, cratesPerBuild: 4, cycleSeconds: 1 });
    expect(scaled.noiseSigma).toBeCloseTo(0.15, 12);
    expect(scaleSpec(pooled, { traffic: 0.001, noise: 1 }).pool!.clients).toBe(1);
  });

  it('keeps the faults, client and deploys', () => {
    const withFault = { ...quiet, faults: [{ kind: 'broken-redirect' as const, startMs: T0 + 600_000, endMs: T0 + 900_000, failFraction: 1 }], deploysMs: [T0 + 590_000] };
    const scaled = scaleSpec(withFault, { traffic: 4, noise: 0.5 });
    expect(scaled.faults).toEqual(withFault.faults);
    expect(scaled.deploysMs).toEqual(withFault.deploysMs);
    expect(scaled.client).toBe(cargo);
  });
});
