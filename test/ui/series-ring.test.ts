import { describe, expect, it } from 'vitest';
import { COLUMN_COUNT } from '../../src/ui/chart-point.js';
import { SeriesRing } from '../../src/ui/series-ring.js';

describe('SeriesRing', () => {
  it('keeps the last `capacity` points, oldest first, and ignores times that go back', () => {
    const ring = new SeriesRing(3);
    const row = (v: number) => new Float32Array(COLUMN_COUNT).fill(v);
    for (let i = 1; i <= 5; i++) ring.push(i * 1000, row(i));
    ring.push(4000, row(99));
    const { times, columns } = ring.range();
    expect([...times]).toEqual([3000, 4000, 5000]);
    expect([...columns[0]!]).toEqual([3, 4, 5]);
    expect([...ring.range(4000, 4000).times]).toEqual([4000]);
    expect(ring.firstMs).toBe(3000);
  });
});
