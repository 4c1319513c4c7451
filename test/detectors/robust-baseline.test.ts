import { describe, expect, it } from 'vitest';
import { MAD_TO_SIGMA, RobustBaseline } from '../../src/detectors/stats/robust-baseline.js';

describe('RobustBaseline', () => {
  it('keeps anomalous points out until relearnAfter, then learns them', () => {
    const b = new RobustBaseline(10, 30_000);
    for (let i = 0; i < 5; i++) b.record(1, false, i * 15_000);
    b.record(100, true, 75_000);
    b.record(100, true, 90_000);
    expect(b.stats().median).toBe(1);
    b.record(100, true, 105_000); // anomalous for 30 s: a level shift
    expect(b.size).toBe(6);
  });

  it('averages buckets, counts only complete ones, and scales σ back to one point', () => {
    const b = new RobustBaseline(10, 3_600_000, 4);
    // Bucket means: 1, 2, 3 (each from 4 points around the mean).
    const points = [0.5, 1.5, 1, 1, 1.5, 2.5, 2, 2, 2.5, 3.5, 3, 3];
    points.forEach((v, i) => b.record(v, false, i * 15_000));
    b.record(50, false, 13 * 15_000); // a partial bucket: not counted yet
    expect(b.size).toBe(12);
    const { median, sigma } = b.stats();
    expect(median).toBe(2);
    // MAD of [1, 2, 3] is 1; × 1.4826 × √4.
    expect(sigma).toBeCloseTo(MAD_TO_SIGMA * 2, 10);
  });

  it('survives a snapshot and restore mid-bucket', () => {
    const b = new RobustBaseline(10, 3_600_000, 4);
    [1, 1, 1, 1, 2, 2].forEach((v, i) => b.record(v, false, i));
    const again = new RobustBaseline(10, 3_600_000, 4);
    again.restore(JSON.parse(JSON.stringify(b.snapshot())));
    [2, 2].forEach((v, i) => again.record(v, false, 10 + i));
    expect(again.size).toBe(8);
    expect(again.stats().median).toBe(1.5);
  });
});
