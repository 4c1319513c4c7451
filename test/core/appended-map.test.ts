import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { AppendedMap } from '../../src/core/appended-map.js';

describe('AppendedMap', () => {
  it('reads as the Map of the same entries would: get, has, size, entries, keys, values, forEach, in the order appended, made anew or made again in place', () => {
    const random = mulberry32(3);
    // One map made again every round (reset, appends, settle), as the pipeline's tick map is.
    const reused = new AppendedMap<string, { n: number }>();
    for (let round = 0; round < 20; round++) {
      const count = Math.floor(random() * 40);
      // Made for as many entries as will come, fewer, more, or with no idea.
      const appended = new AppendedMap<string, { n: number }>([count, Math.floor(count / 2), count + 5, 0][round % 4]);
      const expected = new Map<string, { n: number }>();
      const ids = [...new Set(Array.from({ length: count }, () => `api{route="/r${Math.floor(random() * 60)}"}`))];
      reused.reset();
      for (const [i, id] of ids.entries()) {
        appended.append(id, { n: i });
        reused.append(id, { n: i });
        expected.set(id, { n: i });
        // Looked up part way (the index is built then) and appended to after.
        if (random() < 0.1) expect(appended.get(id)).toBe(appended.get(id));
        if (random() < 0.1) expect(reused.get(id)).toBe(reused.get(id));
      }
      reused.settle();
      // Nothing of the last round is left in the reused map: not its entries, not its index.
      expect([...reused]).toEqual([...expected]);
      for (let r = 0; r < 60; r++) expect(reused.get(`api{route="/r${r}"}`)).toEqual(expected.get(`api{route="/r${r}"}`));
      expect(appended.size).toBe(expected.size);
      expect([...appended]).toEqual([...expected]);
      expect([...appended.entries()]).toEqual([...expected.entries()]);
      expect([...appended.keys()]).toEqual([...expected.keys()]);
      expect([...appended.values()]).toEqual([...expected.values()]);
      const seen: [string, { n: number }][] = [];
      appended.forEach((value, key, map) => {
        expect(map).toBe(appended);
        seen.push([key, value]);
      });
      expect(seen).toEqual([...expected]);
      for (let r = 0; r < 60; r++) {
        const id = `api{route="/r${r}"}`;
        expect(appended.has(id)).toBe(expected.has(id));
        expect(appended.get(id)).toEqual(expected.get(id));
      }
    }
  });
});
