import { describe, expect, it } from 'vitest';
import { RollingWindow } from '../../src/series/rolling-window.js';

describe('RollingWindow', () => {
  it('keeps the newest values, oldest first', () => {
    const w = new RollingWindow(3);
    for (const v of [1, 2, 3, 4, 5]) w.push(v);
    expect(w.size).toBe(3);
    expect(w.toArray()).toEqual([3, 4, 5]);
  });

  it('returns what it has before it is full', () => {
    const w = new RollingWindow(4);
    w.push(7);
    w.push(8);
    expect(w.toArray()).toEqual([7, 8]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RollingWindow(0)).toThrow('capacity must be a positive integer, got 0');
  });
});
