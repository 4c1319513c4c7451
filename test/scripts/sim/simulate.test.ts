import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../../src/config/load.js';
import { type ScenarioSpec, abortContinuation, atOnceRetriesSent, delayWeights, simulate, surgeFactor } from '../../../scripts/sim/simulate.js';

const cargo = loadBundledClientModels().find((m) => m.name === 'cargo')!;
const legacy = loadBundledClientModels().find((m) => m.name === 'cargo-legacy')!;
const T0 = Date.parse('2023-07-20T12:00:00Z');

function spec(overrides: Partial<ScenarioSpec> = {}): ScenarioSpec {
  return {
    seed: 1,
    startMs: T0,
    endMs: T0 + 40 * 60_000,
    stepMs: 15_000,
    logicalRatePerSecond: 1000,
    seasonAmplitude: 0,
    peakHourUtc: 0,
    noiseSigma: 0,
    surges: [],
    apiPods: 2,
    deploysMs: [],
    faults: [],
    client: cargo,
    ...overrides,
  };
}

const fault = (kind: ScenarioSpec['faults'][number]['kind'], failFraction: number) => ({ kind, startMs: T0 + 10 * 60_000, endMs: T0 + 30 * 60_000, failFraction });

describe('simulate', () => {
  it.each([
    // What cargo's policy implies, and what the research measured with real cargo clients.
    ['a broken redirect: every download tried 4 times', fault('broken-redirect', 1), 4.0],
    ['30 % of attempts answered 503: 1 + q + q² + q³', fault('static-503', 0.3), 1.417],
    ['a 404 is not retried', fault('static-404', 1), 1.0],
  ] as const)('%s', (_, f, attempts) => {
    const result = simulate(spec({ faults: [f] }));
    expect(result.truths[0]!.attemptsPerLogicalRequest).toBeCloseTo(attempts, 1);
  });

  it("counts the attempts of the fault window's requests, also the retries they make after it ends", () => {
    // A one-minute outage: only the requests of its last seconds, whose retries come after the fix
    // and succeed, make fewer than 4 attempts (3.93). Counting the attempts inside the window
    // instead loses the retries of its last ~11 s to the time after it, and the first seconds have
    // no retries yet: 3.73.
    const result = simulate(spec({ faults: [{ kind: 'broken-redirect', startMs: T0 + 10 * 60_000, endMs: T0 + 11 * 60_000, failFraction: 1 }] }));
    expect(result.truths[0]!.attemptsPerLogicalRequest).toBeGreaterThan(3.9);
    expect(result.truths[0]!.attemptsPerLogicalRequest).toBeLessThan(4);
  });

  it('a CI pool building 4 crates at a time sends retry + 1/N = 3.25 requests per crate, and its rate falls', () => {
    const result = simulate(spec({ pool: { clients: 300, cratesPerBuild: 4, cycleSeconds: 1 }, faults: [fault('broken-redirect', 1)] }));
    expect(result.truths[0]!.attemptsPerLogicalRequest).toBeCloseTo(3.25, 1);
    expect(result.truths[0]!.apiRatePerSecond).toBeLessThan(0.4 * 1200);
  });

  it('keeps the server blind to an unreachable API', () => {
    const result = simulate(spec({ faults: [fault('api-down', 1)] }));
    const api = (i: number) => result.snapshots[i]!.samples.filter((s) => s.name === 'crates_api_requests_total').reduce((a, s) => a + s.value, 0);
    const during = api(100) - api(60); // 12:15 -> 12:25, inside the fault
    expect(during).toBe(0);
  });

  it('resets every pod counter at a deploy', () => {
    const result = simulate(spec({ deploysMs: [T0 + 5 * 60_000] }));
    const web1 = (i: number) => result.snapshots[i]!.samples.find((s) => s.labels.pod === 'web.1' && s.labels.code === '302')!.value;
    expect(web1(19)).toBeGreaterThan(web1(18)); // before 12:05: growing
    expect(web1(21)).toBeLessThan(web1(19) / 10); // after: restarted from 0
  });

  it('sends demand a build at a time when asked: the same mean, far lumpier ticks than Poisson', () => {
    // Downloads the API answered in each 1 s step (all of its pods, every code).
    const perSecond = (o: Partial<ScenarioSpec>) => {
      const r = simulate(spec({ logicalRatePerSecond: 13, stepMs: 1000, endMs: T0 + 20 * 60_000, ...o }));
      const total = r.snapshots.map((s) => s.samples.filter((x) => x.name === 'crates_api_requests_total').reduce((a, x) => a + x.value, 0));
      return total.slice(1).map((v, i) => v - total[i]!);
    };
    const stats = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { mean, dispersion: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length / mean };
    };
    const single = stats(perSecond({}));
    // Builds of 8-16 crates: Var/mean = E[c²]/E[c] = 150.7/12 ≈ 12.6 for builds arriving in one second.
    const builds = stats(perSecond({ buildArrivals: { cratesMin: 8, cratesMax: 16, spreadSeconds: 1 } }));
    expect(builds.mean).toBeCloseTo(single.mean, -0.5);
    expect(single.dispersion).toBeLessThan(1.5);
    expect(builds.dispersion).toBeGreaterThan(8);
  });

  it('is deterministic for a seed', () => {
    const a = simulate(spec({ noiseSigma: 0.05, faults: [fault('static-503', 0.3)] }));
    const b = simulate(spec({ noiseSigma: 0.05, faults: [fault('static-503', 0.3)] }));
    expect(a).toEqual(b);
  });
});

describe('delayWeights', () => {
  it.each([
    // phase + sleep for sleep uniform on [0.5, 1.5]: a triangle from 0.5 to 2.5, an eighth of it below 1 and above 2.
    [{ min: 0.5, max: 1.5 }, [[0, 0.125], [1, 0.75], [2, 0.125]]],
    [{ min: 3.5, max: 3.5 }, [[3, 0.5], [4, 0.5]]],
    [{ min: 2, max: 2 }, [[2, 1]]],
    // A trapezoid from 0 to 3: rising over the first second, flat over the second, falling over the third.
    [{ min: 0, max: 2 }, [[0, 0.25], [1, 0.5], [2, 0.25]]],
  ])('%j', (range, expected) => {
    const weights = [...delayWeights(range).entries()];
    expect(weights.map(([o]) => o)).toEqual(expected.map(([o]) => o));
    weights.forEach(([, w], i) => expect(w).toBeCloseTo(expected[i]![1]!, 12));
  });

  it.each([
    { min: 0.5, max: 1.5 },
    { min: 0.25, max: 0.25 },
    { min: 0, max: 4 },
    { min: 1.3, max: 2.9 },
    { min: 6.5, max: 6.5 },
  ])('puts the mean offset at the mean sleep, weights summing to one: %j', (range) => {
    const weights = [...delayWeights(range).entries()];
    expect(weights.reduce((t, [, w]) => t + w, 0)).toBeCloseTo(1, 12);
    // The phase's fractional part is uniform whatever the sleep, so floor() takes half a second off the mean of phase + sleep.
    expect(weights.reduce((t, [o, w]) => t + o * w, 0)).toBeCloseTo((range.min + range.max) / 2, 12);
  });
});

describe('surgeFactor', () => {
  const surge = { startMs: 0, endMs: 100, factor: 3, rampMs: 10 };
  it.each([
    [-1, 1],
    [5, 2],
    [50, 3],
    [105, 2],
    [200, 1],
  ])('at %d: %d', (t, expected) => {
    expect(surgeFactor(surge, t)).toBeCloseTo(expected);
  });

  describe('builds that abort at their first exhausted crate', () => {
    it('a client that waits before retrying sends N·R + 1 requests (real cargo 1.95: 13 for 4 crates, 61 for 20)', () => {
      for (const [crates, perCrate] of [[4, 3.25], [20, 3.05]] as const) {
        const result = simulate(spec({ cratesPerBuild: crates, faults: [fault('broken-redirect', 1)] }));
        expect(result.truths[0]!.attemptsPerLogicalRequest).toBeCloseTo(perCrate, 1);
      }
      expect(abortContinuation(cargo, 4)).toEqual([1, 1, 0.25]);
    });

    it('a client retrying at once aborts on time: requests per crate follow real cargo 1.65 (2.79 at 4 crates, 1.58 at 20)', () => {
      expect(atOnceRetriesSent(1)).toBe(1);
      expect(atOnceRetriesSent(4)).toBeCloseTo(0.895, 6);
      // Between measured sizes: interpolated in log N (7 crates: 0.895 + (0.55 − 0.895)·ln(7/4)/ln(10/4)).
      expect(atOnceRetriesSent(7)).toBeCloseTo(0.895 + ((0.55 - 0.895) * Math.log(7 / 4)) / Math.log(10 / 4), 9);
      expect(atOnceRetriesSent(1000)).toBe(0.145);
      for (const [crates, perCrate] of [[4, 2.79], [20, 1.58]] as const) {
        const result = simulate(spec({ client: legacy, cratesPerBuild: crates, faults: [fault('broken-redirect', 1)] }));
        expect(result.truths[0]!.attemptsPerLogicalRequest).toBeCloseTo(perCrate, 1);
      }
      // The first round fills before the second: 0.29 of 2 retries is 0.58 of the first, none of the second.
      expect(abortContinuation(legacy, 20)).toEqual([0.58, 0]);
      expect(abortContinuation(legacy, 4, 0.5)).toEqual([1, 0]);
    });
  });
});
