import { describe, expect, it } from 'vitest';
import { DeployWatcher, type DeployWindowParams, type SignalTick } from '../../src/deploys/deploy-watcher.js';
import type { DeployEvent } from '../../src/deploys/types.js';

const P: DeployWindowParams = { windowMs: 30 * 60_000, intervalMs: 15_000, earlyAlpha: 0.001, alpha: 0.01, minPostSamples: 4, funnelDropFraction: 0.03, minErrorRatioIncrease: 0.02, minRequestsPerTick: 20, bucketTicks: 1 };
const T0 = 1_000_000;
const deploy = (id = 'd1', startedAtMs = T0): DeployEvent => ({ id, service: 'crates-io', version: '1.2.3', environment: 'production', startedAtMs, source: 'api' });
const pre = () => new Map([['downloads', { completion: Array.from({ length: 120 }, (_, i) => 0.998 + (i % 5) * 0.0004), errorRatio: Array.from({ length: 120 }, (_, i) => 0.001 + (i % 3) * 0.0002) }]]);
const tick = (completion: number, requests = 1000, extra: Partial<SignalTick> = {}) =>
  new Map<string, SignalTick>([['downloads', { sample: { requests, errors: requests * 0.001, downstream: requests * completion }, ...extra }]]);

function watcher() {
  return new DeployWatcher(P, [{ name: 'downloads', service: 'crates-io' }, { name: 'other', service: 'else' }]);
}

describe('DeployWatcher', () => {
  it('passes a quiet deploy when its window ends, and not before', () => {
    const w = watcher();
    w.add(deploy(), pre());
    let t = T0;
    for (; t < T0 + P.windowMs; t += 15_000) expect(w.observe(t, tick(0.999 - ((t / 15_000) % 4) * 0.0003)).changed).toEqual([]);
    const { changed, alerts } = w.observe(t, tick(0.999));
    expect(changed.map((r) => r.verdict)).toEqual(['pass']);
    expect(alerts).toEqual([]);
  });

  it('fails early once the evidence is overwhelming: 4 ticks of nothing completing', () => {
    const w = watcher();
    w.add(deploy(), pre());
    const verdicts = [0, 1, 2, 3].map((i) => w.observe(T0 + i * 15_000, tick(0)).changed.map((r) => r.verdict));
    expect(verdicts).toEqual([[], [], [], ['fail']]);
    const r = w.get('d1')!;
    expect(r.reasons[0]).toMatch(/^downloads: downstream completion 0\.00% after vs 99\.9% before \(Mann-Whitney p=/);
  });

  it('fails at once when the signal\'s incident alert fires after the deploy, and raises its alert', () => {
    const w = watcher();
    w.add(deploy(), pre());
    const { changed, alerts } = w.observe(T0 + 30_000, tick(0, 4000, { incidentSinceMs: T0 + 15_000, incidentAlert: 'StormwatchRetryStorm' }));
    expect(changed[0]!.verdict).toBe('fail');
    expect(changed[0]!.reasons).toEqual(['StormwatchRetryStorm on downloads since 1970-01-01T00:16:55.000Z']);
    expect(alerts.map((a) => a.status)).toEqual(['firing']);
  });

  it('does not blame a deploy for an incident that began before it', () => {
    const w = watcher();
    w.add(deploy(), pre());
    expect(w.observe(T0 + 15_000, tick(0.999, 1000, { incidentSinceMs: T0 - 600_000 })).changed).toEqual([]);
  });

  it('fails on a failed smoke probe', () => {
    const w = watcher();
    w.add(deploy(), pre());
    w.probeFailed('crates-io', 'download: redirect to static.crates.iocrates: name does not resolve');
    expect(w.observe(T0, tick(0.999)).changed[0]!.reasons).toEqual(['smoke probe failed: download: redirect to static.crates.iocrates: name does not resolve']);
  });

  it('is inconclusive when there was too little traffic to judge', () => {
    const w = watcher();
    w.add(deploy(), pre());
    expect(w.observe(T0 + P.windowMs, tick(0.999, 0.5)).changed.map((r) => r.verdict)).toEqual(['inconclusive']);
  });

  it('resolves a failed deploy\'s alert when the next deploy of the service (the rollback) arrives', () => {
    const w = watcher();
    w.add(deploy(), pre());
    w.observe(T0 + 15_000, tick(0, 4000, { incidentSinceMs: T0 + 15_000 }));
    const { changes } = w.add(deploy('d2', T0 + 60_000), pre());
    expect(changes.map((c) => [c.record.id, c.status])).toEqual([['d1', 'resolved']]);
    expect(w.records().map((r) => r.id)).toEqual(['d2', 'd1']);
  });

  it('keeps open windows across a restart', () => {
    const w = watcher();
    w.add(deploy(), pre());
    w.observe(T0, tick(0.999));
    const again = watcher();
    again.restore(JSON.parse(JSON.stringify(w.snapshot())));
    expect(again.get('d1')).toEqual(w.get('d1'));
    const verdicts = [1, 2, 3].map((i) => again.observe(T0 + i * 15_000, tick(0)).changed.map((r) => r.verdict));
    expect(verdicts.flat()).toEqual([]); // 1 good + 3 bad: not yet overwhelming
  });

  it('watches only the signals of the deployed service', () => {
    expect(watcher().signalsOf('crates-io')).toEqual(['downloads']);
    expect(watcher().signalsOf('unknown')).toEqual(['downloads', 'other']);
  });
});
