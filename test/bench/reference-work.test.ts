import { describe, expect, it } from 'vitest';
import { referenceWork } from '../../bench/reference-work.js';

describe('referenceWork', () => {
  it('gives the median CPU seconds of its rounds inside their range', () => {
    const r = referenceWork();
    expect(r.range[0]).toBeGreaterThan(0);
    expect(r.range[0]).toBeLessThanOrEqual(r.seconds);
    expect(r.seconds).toBeLessThanOrEqual(r.range[1]);
  });
});
