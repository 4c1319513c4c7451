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
    expect(m.observe([{ labels: {}, value: 1689856200 }], 30_000)?.version).toBe('1689856200');
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
