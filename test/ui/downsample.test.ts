import { describe, expect, it } from 'vitest';
import { downsample } from '../../src/ui/downsample.js';

function points(n: number, f: (i: number) => number) {
  const times = new Float64Array(n).map((_, i) => i * 1000);
  return { times, columns: [new Float32Array(n).map((_, i) => f(i))] };
}

describe('downsample', () => {
  it('keeps each bucket min and max, so a one-tick spike survives', () => {
    const p = points(10_000, (i) => (i === 5_123 ? 100 : 1));
    const d = downsample(p, { buckets: 100, fromMs: 0, toMs: 9_999_000 });
    expect(d.times.length).toBeLessThanOrEqual(101);
    expect(Math.max(...d.max[0]!)).toBe(100);
    expect(Math.min(...d.min[0]!)).toBe(1);
  });

  it('keeps every point inside the windows to keep', () => {
    const p = points(10_000, () => 1);
    const d = downsample(p, { buckets: 100, fromMs: 0, toMs: 9_999_000, keep: [[2_000_000, 2_499_000]] });
    const inside = d.times.filter((t) => t >= 2_000_000 && t <= 2_499_000);
    expect(inside.length).toBe(500);
    expect(d.times.length).toBeLessThan(700);
  });

  it('writes NaN for buckets with no value (gaps stay gaps)', () => {
    const p = points(10, (i) => (i < 5 ? Number.NaN : 2));
    const d = downsample(p, { buckets: 10, fromMs: 0, toMs: 9000 });
    expect(Number.isNaN(d.min[0]![0]!)).toBe(true);
    expect(d.max[0]![9]).toBe(2);
  });
});
