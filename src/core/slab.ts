// Fixed-size regions carved from shared 1 MB ArrayBuffers, for state that lives per series in typed
// arrays (a detector's windows, profile and tail records). An ArrayBuffer of its own costs a series
// about 90 bytes of heap and a backing store of native memory (a malloc'd block and its
// bookkeeping: about 200 bytes more) on top of its contents; views into a shared buffer cost
// neither.
//
// Regions belong to a pool, and the pool to its owner (a pipeline): a region its series no longer
// needs is released to the pool by hand (a forgotten series) and handed out again zeroed, as a new
// ArrayBuffer would be; a pool dropped (a reload's old pipeline) is collected with every slab in it.
// Regions once came back through a FinalizationRegistry when their owner was collected: its weak
// cell cost every series 72 bytes of heap.

export interface Region {
  buffer: ArrayBuffer;
  byteOffset: number;
}

/** Bytes of one shared buffer. */
export const SLAB_BYTES = 1 << 20;

/** Regions of one size. A pool keeps one per size (one per shape of detector). */
export class SlabAllocator {
  private readonly slabs: ArrayBuffer[] = [];
  /** Bytes handed out of the newest slab. */
  private used = SLAB_BYTES;
  /** Regions released, as slab index × SLAB_BYTES + offset (a small integer each). */
  private readonly free: number[] = [];
  /** Whether each region (by number: slab × regions a slab + offset ÷ bytes) is on the free list: a release checks it in constant time. */
  private isFree = new Uint8Array(0);
  /** Regions one slab holds. */
  private readonly perSlab: number;

  /** `bytes`: the region's size, rounded up to a multiple of 8 (a Float64Array may start at any region). */
  constructor(readonly bytes: number) {
    if (!(bytes > 0 && bytes <= SLAB_BYTES && bytes % 8 === 0)) throw new RangeError(`region size must be a positive multiple of 8 up to ${SLAB_BYTES}, got ${bytes}`);
    this.perSlab = Math.floor(SLAB_BYTES / bytes);
  }

  /** A zeroed region, this allocator's until released. */
  allocate(): Region {
    const at = this.free.pop();
    if (at !== undefined) {
      const region = this.regionAt(at);
      this.isFree[this.numberOf(at)] = 0;
      new Uint8Array(region.buffer, region.byteOffset, this.bytes).fill(0);
      return region;
    }
    if (this.used + this.bytes > SLAB_BYTES) {
      this.slabs.push(new ArrayBuffer(SLAB_BYTES));
      this.used = 0;
    }
    const region = { buffer: this.slabs[this.slabs.length - 1]!, byteOffset: this.used };
    this.used += this.bytes;
    return region;
  }

  /**
   * Takes back a region this allocator handed out, to hand out again: its owner must not read or
   * write it after. Anything else (another allocator's, a region released twice) is refused.
   */
  release(buffer: ArrayBuffer, byteOffset: number): void {
    const slab = this.slabs.lastIndexOf(buffer);
    const carved = slab === this.slabs.length - 1 ? this.used : SLAB_BYTES;
    if (slab < 0 || byteOffset % this.bytes !== 0 || byteOffset >= carved) throw new RangeError(`not a region of this ${this.bytes}-byte allocator (offset ${byteOffset})`);
    const at = slab * SLAB_BYTES + byteOffset;
    const k = this.numberOf(at);
    if (k >= this.isFree.length) {
      const grown = new Uint8Array(Math.max(k + 1, this.slabs.length * this.perSlab));
      grown.set(this.isFree);
      this.isFree = grown;
    }
    if (this.isFree[k] === 1) throw new RangeError(`region at ${at} released twice`);
    this.isFree[k] = 1;
    this.free.push(at);
  }

  private numberOf(at: number): number {
    const slab = Math.floor(at / SLAB_BYTES);
    return slab * this.perSlab + (at - slab * SLAB_BYTES) / this.bytes;
  }

  private regionAt(at: number): Region {
    const slab = Math.floor(at / SLAB_BYTES);
    return { buffer: this.slabs[slab]!, byteOffset: at - slab * SLAB_BYTES };
  }

  /** Regions handed out and not yet released (tests). */
  get live(): number {
    const carved = this.slabs.length === 0 ? 0 : (this.slabs.length - 1) * Math.floor(SLAB_BYTES / this.bytes) + this.used / this.bytes;
    return carved - this.free.length;
  }
}

/** A pipeline's regions: one allocator per size. */
export class SlabPool {
  private readonly allocators = new Map<number, SlabAllocator>();

  /** The allocator of regions of `bytes` (rounded up to 8): undefined when a region that large wants a buffer of its own. */
  allocatorFor(bytes: number): SlabAllocator | undefined {
    const size = Math.ceil(bytes / 8) * 8;
    if (size > SLAB_BYTES / 4) return undefined;
    let a = this.allocators.get(size);
    if (!a) this.allocators.set(size, (a = new SlabAllocator(size)));
    return a;
  }
}

/**
 * A zeroed region of `bytes` (rounded up to 8) from `pool`'s allocator of that size (released to
 * `pool.allocatorFor(bytes)`). Without a pool, or larger than a quarter slab: a buffer of its own,
 * collected with its owner.
 */
export function allocateRegion(bytes: number, pool: SlabPool | undefined): Region {
  const allocator = pool?.allocatorFor(bytes);
  return allocator ? allocator.allocate() : { buffer: new ArrayBuffer(Math.ceil(bytes / 8) * 8), byteOffset: 0 };
}

/**
 * Gives a region of `count` doubles (from `at` in its buffer's Float64 view, allocated with
 * allocateRegion from `pool`) back to `pool`, and returns a copy of them in an array of their own:
 * an owner read after its region went to another (a forgotten series' report read late) reads its
 * own numbers. A region that was a buffer of its own is simply copied.
 */
export function releaseDoubles(pool: SlabPool, doubles: Float64Array, at: number, count: number): Float64Array {
  const own = doubles.slice(at, at + count);
  pool.allocatorFor(count * Float64Array.BYTES_PER_ELEMENT)?.release(doubles.buffer as ArrayBuffer, at * Float64Array.BYTES_PER_ELEMENT);
  return own;
}

/** Views of a whole shared buffer, one of each kind its regions' owners read through (with their own offsets). */
export interface SlabViews {
  f64: Float64Array;
  f32: Float32Array;
  i16: Int16Array;
  u8: Uint8Array;
}

const viewsOfBuffer = new WeakMap<ArrayBuffer, SlabViews>();

/** The views of `buffer` (made once per buffer: a slab's regions share them, so a region costs no view of its own). */
export function slabViews(buffer: ArrayBuffer): SlabViews {
  let views = viewsOfBuffer.get(buffer);
  if (!views) viewsOfBuffer.set(buffer, (views = { f64: new Float64Array(buffer, 0, buffer.byteLength >> 3), f32: new Float32Array(buffer, 0, buffer.byteLength >> 2), i16: new Int16Array(buffer, 0, buffer.byteLength >> 1), u8: new Uint8Array(buffer) }));
  return views;
}
