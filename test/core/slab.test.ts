import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SLAB_BYTES, SlabAllocator, SlabPool, allocateRegion } from '../../src/core/slab.js';

// A full collection on demand, whatever flags the test runner started with.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

describe('slab allocator', () => {
  it('hands out disjoint zeroed regions of one size, several to a shared buffer', () => {
    const a = new SlabAllocator(1024);
    const regions = Array.from({ length: SLAB_BYTES / 1024 + 3 }, () => a.allocate());
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
    expect(a.live).toBe(regions.length);
  });

  it('refuses sizes that would misalign a Float64Array or not fit', () => {
    expect(() => new SlabAllocator(12)).toThrow(RangeError);
    expect(() => new SlabAllocator(SLAB_BYTES + 8)).toThrow(RangeError);
  });

  it('gives a request without a pool, or larger than a quarter slab, a buffer of its own; rounds sizes up to 8', () => {
    const pool = new SlabPool();
    const big = allocateRegion(SLAB_BYTES / 2, pool);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(SLAB_BYTES / 2);
    expect(pool.allocatorFor(SLAB_BYTES / 2)).toBeUndefined();
    const alone = allocateRegion(13, undefined);
    expect(alone.byteOffset).toBe(0);
    expect(alone.buffer.byteLength).toBe(16);
    const shared = allocateRegion(13, pool);
    expect(pool.allocatorFor(13)?.bytes).toBe(16);
    expect(shared.buffer.byteLength).toBe(SLAB_BYTES);
    const next = allocateRegion(16, pool);
    expect(next.buffer).toBe(shared.buffer);
    expect(next.byteOffset).toBe(shared.byteOffset + 16);
  });

  it('takes a region back when released, and hands it out again zeroed', () => {
    const a = new SlabAllocator(64);
    const first = a.allocate();
    const second = a.allocate();
    new Uint8Array(first.buffer, first.byteOffset, 64).fill(9);
    a.release(first.buffer, first.byteOffset);
    expect(a.live).toBe(1);
    const again = a.allocate();
    expect(again.byteOffset).toBe(first.byteOffset);
    expect(new Uint8Array(again.buffer, again.byteOffset, 64).every((b) => b === 0)).toBe(true);
    expect(a.live).toBe(2);
    expect(second.byteOffset).toBe(64);
  });

  it('refuses a region released twice, one not carved yet, and another allocator’s', () => {
    const a = new SlabAllocator(64);
    const b = new SlabAllocator(64);
    const r = a.allocate();
    expect(() => b.release(r.buffer, r.byteOffset)).toThrow(/not a region/);
    expect(() => a.release(r.buffer, 64)).toThrow(/not a region/);
    expect(() => a.release(r.buffer, 8)).toThrow(/not a region/);
    a.release(r.buffer, r.byteOffset);
    expect(() => a.release(r.buffer, r.byteOffset)).toThrow(/released twice/);
    expect(a.live).toBe(0);
  });

  it('keeps track of released regions across slabs through churn: none handed out twice, none released twice', () => {
    const a = new SlabAllocator(SLAB_BYTES / 8);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const live = new Map<string, { buffer: ArrayBuffer; byteOffset: number }>();
    const buffers: ArrayBuffer[] = [];
    const keyOf = (r: { buffer: ArrayBuffer; byteOffset: number }) => {
      if (!buffers.includes(r.buffer)) buffers.push(r.buffer);
      return `${buffers.indexOf(r.buffer)}:${r.byteOffset}`;
    };
    for (let round = 0; round < 200; round++) {
      if (live.size === 0 || random() < 0.55) {
        const r = a.allocate();
        const key = keyOf(r);
        expect(live.has(key), `region ${key} handed out while live`).toBe(false);
        live.set(key, r);
      } else {
        const keys = [...live.keys()];
        const key = keys[Math.floor(random() * keys.length)]!;
        const r = live.get(key)!;
        a.release(r.buffer, r.byteOffset);
        live.delete(key);
        expect(() => a.release(r.buffer, r.byteOffset)).toThrow(/released twice/);
      }
      expect(a.live).toBe(live.size);
    }
    expect(buffers.length).toBeGreaterThan(1);
  });

  it('lets a dropped pool be collected with its slabs (a reload’s old pipeline)', async () => {
    const slab = (() => {
      const pool = new SlabPool();
      return new WeakRef(allocateRegion(1024, pool).buffer);
    })();
    // A WeakRef's target lives to the end of the job that read it: collect in the next one.
    let collected = false;
    for (let i = 0; i < 20 && !collected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      collect();
      await new Promise((resolve) => setTimeout(resolve, 10));
      collected = slab.deref() === undefined;
    }
    expect(collected).toBe(true);
  });
});
