// The state check's fast path: it may accept a detector entry only where the schema accepts it.
import { describe, expect, it } from 'vitest';
import { checkState, detector, plainDetector } from '../../src/runner/state-schema.js';
import { mulberry32 } from '../../scripts/sim/random.js';
import { DeployWatcher } from '../../src/deploys/deploy-watcher.js';
import { DEPLOY_SOURCES } from '../../src/deploys/types.js';

function baseline(random: () => number): Record<string, unknown> {
  const b: Record<string, unknown> = { values: Array.from({ length: Math.floor(random() * 6) }, () => random() * 10 - 5) };
  if (random() < 0.5) b.partial = [random(), random() * 100, 3];
  if (random() < 0.3) b.anomalousSinceMs = random() < 0.5 ? null : 1_700_000_000_000;
  return b;
}

const oddities: unknown[] = [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -Infinity, '1', true, [], {}, [1, 2], [1, 2, 3, 4], 0, -0, 1e308];

/** One entry, valid or with one part replaced by an oddity. */
function entry(random: () => number): unknown {
  const d: Record<string, unknown> = { rate: baseline(random), errorRatio: baseline(random), funnel: baseline(random), other: { kept: 1 } };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const odd = pick(oddities);
  const where = random();
  const b = d[pick(['rate', 'errorRatio', 'funnel'])] as Record<string, unknown>;
  if (where < 0.15) return odd;
  if (where < 0.3) d[pick(['rate', 'errorRatio', 'funnel'])] = odd;
  else if (where < 0.45) b.values = odd;
  else if (where < 0.6 && Array.isArray(b.values) && b.values.length > 0) (b.values as unknown[])[Math.floor(random() * b.values.length)] = odd;
  else if (where < 0.7) b.partial = odd;
  else if (where < 0.8) b.partial = [1, odd, 3];
  else if (where < 0.9) b.anomalousSinceMs = odd;
  return d;
}

describe('plainDetector', () => {
  it('accepts an entry only when the schema does, and most valid ones without it', () => {
    const random = mulberry32(5);
    let fast = 0;
    let valid = 0;
    for (let i = 0; i < 5000; i++) {
      const e = entry(random);
      const schema = detector.safeParse(e).success;
      if (plainDetector(e)) {
        expect(schema, JSON.stringify(e)).toBe(true);
        fast++;
      }
      if (schema) valid++;
    }
    // Both kinds were drawn, and the fast path took every valid entry but those the schema alone knows.
    expect(valid).toBeGreaterThan(1000);
    expect(valid).toBeLessThan(5000);
    expect(fast).toBe(valid);
  });

  it('leaves the problem of a bad entry to the schema, which names it', () => {
    const good = { values: [1, 2], partial: [0, 15, 1] };
    const checked = checkState({ version: 1, savedAtMs: 0, alerts: [], detectors: { ok: { rate: good, errorRatio: good, funnel: good }, bad: { rate: { values: [1, null] }, errorRatio: good, funnel: good } } });
    expect(Object.keys(checked.snapshot!.detectors)).toEqual(['ok']);
    expect(checked.bad).toEqual([{ section: 'detectors', problem: 'bad: rate.values.1: Invalid input: expected number, received null' }]);
  });
});

describe('checkState: time zones', () => {
  it('keeps the zones the profiles were learnt in, and reports a zone this runtime does not know', () => {
    const base = { version: 1, savedAtMs: 0, alerts: [], detectors: {} };
    expect(checkState({ ...base, timeZones: { web: 'Europe/Berlin', api: 'UTC' } })).toEqual({ snapshot: { ...base, timeZones: { web: 'Europe/Berlin', api: 'UTC' } }, bad: [] });
    const bad = checkState({ ...base, timeZones: { web: 'Europe/Berlni' } });
    expect(bad.snapshot!.timeZones).toBeUndefined();
    expect(bad.bad).toEqual([{ section: 'timeZones', problem: expect.stringContaining('not a time zone this runtime knows') }]);
  });

  it('keeps the collapses judged traffic moved, and reports a section that is not a map of times', () => {
    const base = { version: 1, savedAtMs: 0, alerts: [], detectors: {} };
    const moved = { 'api{route="/r/0"}': 1_700_000_000_000 };
    expect(checkState({ ...base, movedTraffic: moved })).toEqual({ snapshot: { ...base, movedTraffic: moved }, bad: [] });
    const bad = checkState({ ...base, movedTraffic: { 'api{route="/r/0"}': 'yesterday' } });
    expect(bad.snapshot!.movedTraffic).toBeUndefined();
    expect(bad.bad.map((b) => b.section)).toEqual(['movedTraffic']);
  });

  it('keeps the deploy windows whatever source recorded them (API, CLI, marker, Argo, Flagger, an HA peer)', () => {
    const watcher = new DeployWatcher({ windowMs: 1_800_000, intervalMs: 15_000, earlyAlpha: 0.001, alpha: 0.01, minPostSamples: 4, funnelDropFraction: 0.03, minErrorRatioIncrease: 0.02, minRequestsPerTick: 20, bucketTicks: 1 }, [{ name: 'downloads', service: 'crates-io' }]);
    DEPLOY_SOURCES.forEach((source, i) => watcher.add({ id: `d-${source}`, service: `svc-${i}`, version: '1.0', environment: 'production', startedAtMs: 1_000 * i, source }, new Map()));
    const saved = JSON.parse(JSON.stringify({ version: 1, savedAtMs: 0, alerts: [], detectors: {}, deploys: watcher.snapshot() })) as unknown;
    const checked = checkState(saved);
    expect(checked.bad).toEqual([]);
    const restored = new DeployWatcher({ windowMs: 1_800_000, intervalMs: 15_000, earlyAlpha: 0.001, alpha: 0.01, minPostSamples: 4, funnelDropFraction: 0.03, minErrorRatioIncrease: 0.02, minRequestsPerTick: 20, bucketTicks: 1 }, []);
    restored.restore(checked.snapshot!.deploys);
    expect(restored.records().map((r) => r.source).sort()).toEqual([...DEPLOY_SOURCES].sort());
  });
});
