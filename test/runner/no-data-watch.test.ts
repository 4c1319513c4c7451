import { describe, expect, it } from 'vitest';
import type { SignalConfig } from '../../src/config/load.js';
import { NoDataWatch } from '../../src/runner/no-data-watch.js';

const signal = (name: string, inputs: string[]) => ({ name, by: [], labels: {}, clients: [], inputs: Object.fromEntries(inputs.map((i) => [i, { query: 'q' }])) }) as unknown as SignalConfig;
const reading = (requests: number, errors = 0, downstream = Number.NaN) => ({ sample: { requests, errors, downstream } });

describe('NoDataWatch', () => {
  it('notices an input without data in any series once it has lasted, and once when data is back', () => {
    const watch = new NoDataWatch(60_000);
    const signals = [signal('api', ['requests', 'errors'])];
    const empty: [string, ReturnType<typeof reading>][] = [];
    expect(watch.observe(0, signals, empty)).toEqual({ noticed: [], ended: [] });
    expect(watch.observe(45_000, signals, empty).noticed).toEqual([]);
    expect(watch.observe(60_000, signals, empty).noticed).toEqual([
      { signal: 'api', input: 'requests', sinceMs: 0 },
      { signal: 'api', input: 'errors', sinceMs: 0 },
    ]);
    // Said once.
    expect(watch.observe(75_000, signals, empty).noticed).toEqual([]);
    expect(watch.missing()).toHaveLength(2);
    // One series of a split signal with data is enough; errors back, requests still missing.
    const some: [string, ReturnType<typeof reading>][] = [['api{route="/a"}', reading(Number.NaN, 0)], ['api{route="/b"}', reading(Number.NaN, 1)]];
    expect(watch.observe(90_000, signals, some)).toEqual({ noticed: [], ended: [{ signal: 'api', input: 'errors', sinceMs: 0 }] });
    expect(watch.missing()).toEqual([{ signal: 'api', input: 'requests', sinceMs: 0 }]);
    expect(watch.observe(105_000, signals, [['api{route="/b"}', reading(5)]]).ended).toEqual([{ signal: 'api', input: 'requests', sinceMs: 0 }]);
    expect(watch.missing()).toEqual([]);
  });

  it('does not take one signal\'s data for another whose name it begins with, nor a short gap for a span', () => {
    const watch = new NoDataWatch(60_000);
    const signals = [signal('api', ['requests']), signal('api-v2', ['requests'])];
    for (let t = 0; t <= 60_000; t += 15_000) watch.observe(t, signals, [['api-v2{route="/a"}', reading(3)], ['api', reading(t === 30_000 ? Number.NaN : 2)]]);
    expect(watch.missing()).toEqual([]);
    const only = new NoDataWatch(60_000);
    for (let t = 0; t <= 60_000; t += 15_000) only.observe(t, signals, [['api-v2{route="/a"}', reading(3)]]);
    expect(only.missing()).toEqual([{ signal: 'api', input: 'requests', sinceMs: 0 }]);
  });

  it('forgets the spans of a signal a reload removed without noticing them ended', () => {
    const watch = new NoDataWatch(0);
    watch.observe(0, [signal('old', ['requests'])], []);
    expect(watch.missing()).toHaveLength(0);
    expect(watch.observe(15_000, [signal('old', ['requests'])], []).noticed).toHaveLength(1);
    expect(watch.observe(30_000, [signal('new', ['requests'])], [['new', reading(1)]])).toEqual({ noticed: [], ended: [] });
    expect(watch.missing()).toEqual([]);
  });
});
