import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withHealthyHistory } from '../../scripts/recorded-om.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';

/** The samples of an OpenMetrics text: per series, its values and timestamps in order. */
function series(om: string): Map<string, { values: number[]; times: number[] }> {
  const out = new Map<string, { values: number[]; times: number[] }>();
  for (const line of om.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const [name, value, ts] = line.split(' ') as [string, string, string];
    const s = out.get(name) ?? { values: [], times: [] };
    s.values.push(Number(value));
    s.times.push(Number(ts));
    out.set(name, s);
  }
  return out;
}

describe('withHealthyHistory', () => {
  const name = 'cargo-1.95-broken-redirect-1';
  const om = readFileSync(join(FIXTURES_DIR, 'recorded', `${name}.om`), 'utf8');
  const onsetMs = (JSON.parse(readFileSync(join(FIXTURES_DIR, 'recorded', `${name}.json`), 'utf8')) as { onsetMs: number }).onsetMs;

  it("plays copies of the healthy stretch before the recording, counters monotone and every step one of the stretch's", () => {
    const before = series(om);
    const after = series(withHealthyHistory(om, onsetMs, 3));
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, b] of before) {
      const a = after.get(key)!;
      const healthy = b.times.filter((t) => t * 1000 < onsetMs - 2000).length;
      // Three copies of the stretch, then the recording itself.
      expect(a.values.length).toBe(b.values.length + 3 * healthy);
      const steps = (v: number[]) => v.slice(1).map((x, i) => x - v[i]!);
      const stretchSteps = steps(b.values.slice(0, healthy));
      const joinStep = stretchSteps[0]!;
      // Each copy repeats the stretch's steps; copies and the recording join with its first step.
      expect(steps(a.values)).toEqual([...[0, 1, 2].flatMap(() => [...stretchSteps, joinStep]), ...steps(b.values)]);
      // The recording's own part is shifted by the copies' increase only, at its own times.
      expect(a.times.slice(3 * healthy)).toEqual(b.times);
      const added = a.values[3 * healthy]! - b.values[0]!;
      expect(a.values.slice(3 * healthy).map((v) => v - added)).toEqual(b.values);
      // Times rise by one scrape everywhere, across the joins too.
      const gaps = a.times.slice(1).map((t, i) => Number((t - a.times[i]!).toFixed(3)));
      expect(Math.min(...gaps)).toBeGreaterThan(0.9);
      expect(Math.max(...gaps)).toBeLessThan(1.1);
    }
  });

  it('leaves the recording as it is with no copies', () => {
    expect(withHealthyHistory(om, onsetMs, 0)).toBe(om);
  });
});
