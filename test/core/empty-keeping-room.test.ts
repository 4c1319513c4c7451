import { describe, expect, it } from 'vitest';
import { emptyKeepingRoom } from '../../src/core/empty-keeping-room.js';

describe('emptyKeepingRoom', () => {
  it('empties the array itself, whatever it held', () => {
    for (const values of [[1.5, 2.5, 3.5], Array.from({ length: 60 }, (_, i) => i / 3), [Number.NaN], [] as number[]]) {
      const same = values;
      emptyKeepingRoom(values);
      expect(values).toBe(same);
      expect(values).toHaveLength(0);
    }
  });

  it('leaves an array that takes pushes again as new', () => {
    const values = [0.25, 0.5, 0.75];
    emptyKeepingRoom(values);
    values.push(4.5);
    values.push(Number.NaN);
    expect(values).toEqual([4.5, Number.NaN]);
  });
});
