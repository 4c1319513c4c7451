import { describe, expect, it } from 'vitest';
import { MarkerTracker } from '../../src/deploys/markers.js';

const spec = { name: 'build', service: 'crates-io', environment: 'production' };
const versions = (...vs: string[]) => vs.map((v, i) => ({ labels: { instance: `web.${i + 1}`, version: v }, value: 1 }));

describe('MarkerTracker', () => {
  it('marks a deploy when a new label value appears, not at the first look', () => {
    const m = new MarkerTracker({ ...spec, label: 'version' });
    expect(m.observe(versions('1.100.0', '1.100.0'), 0)).toBeUndefined();
    expect(m.observe(versions('1.100.0', '1.100.0'), 15_000)).toBeUndefined();
    expect(m.observe(versions('1.101.0', '1.100.0'), 30_000)).toEqual({ id: 'crates-io-30000', service: 'crates-io', version: '1.101.0', environment: 'production', startedAtMs: 30_000, source: 'marker' });
    // The rolling restart finishing is the same deploy.
    expect(m.observe(versions('1.101.0', '1.101.0'), 45_000)).toBeUndefined();
  });

  it('marks a rollback to an earlier version as a deploy', () => {
    const m = new MarkerTracker({ ...spec, label: 'version' });
    m.observe(versions('1.100.0'), 0);
    expect(m.observe(versions('1.101.0'), 15_000)?.version).toBe('1.101.0');
    expect(m.observe(versions('1.100.0'), 30_000)?.version).toBe('1.100.0');
  });

  it('marks a deploy when a deploy-timestamp gauge moves', () => {
    const m = new MarkerTracker(spec);
    expect(m.observe([{ labels: {}, value: 1689855420 }], 0)).toBeUndefined();
    expect(m.observe([{ labels: {}, value: 1689855420 }], 15_000)).toBeUndefined();
    // Its version names no release: another source's record of the rollout is matched by its start.
    expect(m.observe([{ labels: {}, value: 1689856200 }], 30_000)).toMatchObject({ version: '1689856200', opaqueVersion: true });
  });

  it('compares sets of versions: the same versions in another order are no deploy, one that comes back is', () => {
    const m = new MarkerTracker({ ...spec, label: 'version' });
    m.observe(versions('1', '2'), 0);
    expect(m.observe(versions('2', '1'), 15_000)).toBeUndefined();
    expect(m.observe(versions('2', '2'), 30_000)).toBeUndefined();
    expect(m.observe(versions('2', '2'), 45_000)).toBeUndefined();
    expect(m.observe(versions('1', '2'), 60_000)?.version).toBe('1');
    // A series without the label counts for nothing.
    expect(m.observe([...versions('1', '2'), { labels: { instance: 'web.9' }, value: 1 }], 75_000)).toBeUndefined();
    expect(m.observe([{ labels: { instance: 'web.9' }, value: 1 }, ...versions('3')], 90_000)?.version).toBe('3');
  });

  it('reads a gauge marker by the largest value of its series', () => {
    const m = new MarkerTracker(spec);
    const gauges = (...vs: number[]) => vs.map((value, i) => ({ labels: { instance: `web.${i + 1}` }, value }));
    m.observe(gauges(3, 7, 5), 0);
    expect(m.observe(gauges(7, 3), 15_000)).toBeUndefined();
    expect(m.observe(gauges(8, 3), 30_000)?.version).toBe('8');
    expect(m.observe(gauges(-1, 8, 8), 45_000)).toBeUndefined();
  });

  it('dates a version first seen after a gap as begun after its last look, and says nothing of one seen at the next tick', () => {
    const m = new MarkerTracker({ ...spec, label: 'version' }, 15_000);
    m.observe(versions('1.100.0'), 0);
    // Seen at the next tick: begun then, as before.
    expect(m.observe(versions('1.101.0'), 15_000)).not.toHaveProperty('startedAfterMs');
    // The source down for three ticks (no series), then the next version: it began after 15 s, by 75 s.
    expect(m.observe(undefined, 30_000)).toBeUndefined();
    expect(m.observe([], 45_000)).toBeUndefined();
    expect(m.observe(undefined, 60_000)).toBeUndefined();
    expect(m.observe(versions('1.102.0'), 75_000)).toEqual({ id: 'crates-io-75000', service: 'crates-io', version: '1.102.0', environment: 'production', startedAtMs: 75_000, startedAfterMs: 15_000, source: 'marker' });
    // A gauge marker the same way; a tick late by less than half an interval is no gap.
    const g = new MarkerTracker(spec, 15_000);
    g.observe([{ labels: {}, value: 1 }], 0);
    expect(g.observe([{ labels: {}, value: 2 }], 22_000)).not.toHaveProperty('startedAfterMs');
    expect(g.observe([{ labels: {}, value: 3 }], 60_000)).toMatchObject({ version: '3', startedAtMs: 60_000, startedAfterMs: 22_000, opaqueVersion: true });
  });

  it('dates a version seen after a restart as begun after the last look before it', () => {
    const m = new MarkerTracker({ ...spec, label: 'version' }, 15_000);
    m.observe(versions('1'), 0);
    m.observe(versions('1'), 15_000);
    const again = new MarkerTracker({ ...spec, label: 'version' }, 15_000);
    again.restore(JSON.parse(JSON.stringify(m.snapshot())));
    expect(again.observe(versions('2'), 600_000)).toMatchObject({ version: '2', startedAtMs: 600_000, startedAfterMs: 15_000 });
    // A snapshot saved before looks were timed: the first look back dates it, as before.
    const old = new MarkerTracker({ ...spec, label: 'version' }, 15_000);
    old.restore({ seen: ['1'], lastValue: null });
    expect(old.observe(versions('2'), 600_000)).not.toHaveProperty('startedAfterMs');
  });

  it('ignores gaps and survives a restart through its snapshot', () => {
    const m = new MarkerTracker({ ...spec, label: 'version' });
    m.observe(versions('1'), 0);
    expect(m.observe(undefined, 1)).toBeUndefined();
    expect(m.observe([], 2)).toBeUndefined();
    const again = new MarkerTracker({ ...spec, label: 'version' });
    again.restore(m.snapshot());
    expect(again.observe(versions('1'), 3)).toBeUndefined();
    expect(again.observe(versions('2'), 4)?.version).toBe('2');
  });
});
