import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SLAB_BYTES, SlabAllocator, allocateRegion } from '../../src/core/slab.js';

// A full collection on demand, whatever flags the test runner started with.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

describe('slab allocator', () => {
  it('hands out disjoint zeroed regions of one size, several to a shared buffer', () => {
    const a = new SlabAllocator(1024);
    const owners = Array.from({ length: SLAB_BYTES / 1024 + 3 }, () => ({}));
    const regions = owners.map((o) => a.allocate(o));
    expect(new Set(regions.map((r) => r.buffer)).size).toBe(2);
    for (const r of regions) {
      expect(r.byteOffset % 8).toBe(0);
      expect(r.byteOffset + 1024).toBeLessThanOrEqual(r.buffer.byteLength);
      const bytes = new Uint8Array(r.buffer, r.byteOffset, 1024);
      expect(bytes.every((b) => b === 0)).toBe(true);
      bytes.fill(7);
    }
    // Every region still holds only what its own owner wrote: none overlaps another.
    for (const r of regions) expect(new Uint8Array(r.buffer, r.byteOffset, 1024).every((b) => b === 7)).toBe(true);
    expect(a.live).toBe(owners.length);
  });

  it('refuses sizes that would misalign a Float64Array or not fit', () => {
    expect(() => new SlabAllocator(12)).toThrow(RangeError);
    expect(() => new SlabAllocator(SLAB_BYTES + 8)).toThrow(RangeError);
  });

  it('gives a large request a buffer of its own, and rounds sizes up to 8', () => {
    const big = allocateRegion(SLAB_BYTES, {});
    expect(big).toMatchObject({ byteOffset: 0 });
    expect(big.buffer.byteLength).toBe(SLAB_BYTES);
    const r = allocateRegion(13, {});
    expect(r.byteOffset % 8).toBe(0);
  });

  it('takes a region back once its owner is collected, and hands it out zeroed', async () => {
    const a = new SlabAllocator(64);
    (() => {
      const r = a.allocate({});
      new Uint8Array(r.buffer, r.byteOffset, 64).fill(9);
    })();
    for (let i = 0; i < 20 && a.live > 0; i++) {
      collect();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(a.live).toBe(0);
    const again = a.allocate({});
    expect(again.byteOffset).toBe(0);
    expect(new Uint8Array(again.buffer, again.byteOffset, 64).every((b) => b === 0)).toBe(true);
  });
});
