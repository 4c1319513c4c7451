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

  it('reads back each value as its 16-bit code keeps it: within 0.1 %, NaN as NaN, and 32 bytes a point', () => {
    const ring = new SeriesRing(4);
    const row = new Float32Array(COLUMN_COUNT);
    for (let c = 0; c < COLUMN_COUNT; c++) row[c] = 4711.3 * 10 ** (c - 6);
    row[10] = Number.NaN;
    ring.push(1000, row);
    const { columns } = ring.range();
    for (let c = 0; c < COLUMN_COUNT; c++) {
      if (c === 10) expect(columns[c]![0]).toBeNaN();
      else expect(Math.abs(columns[c]![0]! / row[c]! - 1)).toBeLessThanOrEqual(2 ** -10);
    }
    expect(SeriesRing.bytesPerPoint).toBe(COLUMN_COUNT * 2 + 8);
  });
});
