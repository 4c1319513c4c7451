// Fixed-size regions carved from shared 1 MB ArrayBuffers, for state that lives per series in typed
// arrays (a detector's windows, profile and tail records). An ArrayBuffer of its own costs a series
// about 90 bytes of heap and a backing store of native memory (a malloc'd block and its
// bookkeeping: about 200 bytes more) on top of its contents; views into a shared buffer cost
// neither. A region comes back to its allocator when its owner is collected (a forgotten series),
// and is handed out again zeroed, as a new ArrayBuffer would be.

export interface Region {
  buffer: ArrayBuffer;
  byteOffset: number;
}

/** Bytes of one shared buffer. */
export const SLAB_BYTES = 1 << 20;

/** Regions of one size. Allocators are kept by size (sizeClass): one per shape of detector. */
export class SlabAllocator {
  private readonly slabs: ArrayBuffer[] = [];
  /** Bytes handed out of the newest slab. */
  private used = SLAB_BYTES;
  /** Regions returned, as slab index × SLAB_BYTES + offset (a small integer each). */
  private readonly free: number[] = [];
  private readonly registry = new FinalizationRegistry<number>((at) => this.free.push(at));

  /** `bytes`: the region's size, rounded up to a multiple of 8 (a Float64Array may start at any region). */
  constructor(readonly bytes: number) {
    if (!(bytes > 0 && bytes <= SLAB_BYTES && bytes % 8 === 0)) throw new RangeError(`region size must be a positive multiple of 8 up to ${SLAB_BYTES}, got ${bytes}`);
  }

  /** A zeroed region, returned to the free list once `owner` is collected. */
  allocate(owner: object): Region {
    let at = this.free.pop();
    if (at !== undefined) {
      const region = this.regionAt(at);
      new Uint8Array(region.buffer, region.byteOffset, this.bytes).fill(0);
      this.registry.register(owner, at);
      return region;
    }
    if (this.used + this.bytes > SLAB_BYTES) {
      this.slabs.push(new ArrayBuffer(SLAB_BYTES));
      this.used = 0;
    }
    at = (this.slabs.length - 1) * SLAB_BYTES + this.used;
    this.used += this.bytes;
    this.registry.register(owner, at);
    return this.regionAt(at);
  }

  private regionAt(at: number): Region {
    const slab = Math.floor(at / SLAB_BYTES);
    return { buffer: this.slabs[slab]!, byteOffset: at - slab * SLAB_BYTES };
  }

  /** Regions handed out and not yet returned (tests). */
  get live(): number {
    const carved = this.slabs.length === 0 ? 0 : (this.slabs.length - 1) * Math.floor(SLAB_BYTES / this.bytes) + this.used / this.bytes;
    return carved - this.free.length;
  }
}

const allocators = new Map<number, SlabAllocator>();

/** A zeroed region of `bytes` (rounded up to 8) from the shared allocator of that size; larger than a slab: a buffer of its own. */
export function allocateRegion(bytes: number, owner: object): Region {
  const size = Math.ceil(bytes / 8) * 8;
  if (size > SLAB_BYTES / 4) return { buffer: new ArrayBuffer(size), byteOffset: 0 };
  let a = allocators.get(size);
  if (!a) allocators.set(size, (a = new SlabAllocator(size)));
  return a.allocate(owner);
}

/** Views of a whole shared buffer, one of each kind its regions' owners read through (with their own offsets). */
export interface SlabViews {
  f32: Float32Array;
  i16: Int16Array;
  u8: Uint8Array;
}

const viewsOfBuffer = new WeakMap<ArrayBuffer, SlabViews>();

/** The views of `buffer` (made once per buffer: a slab's regions share them, so a region costs no view of its own). */
export function slabViews(buffer: ArrayBuffer): SlabViews {
  let views = viewsOfBuffer.get(buffer);
  if (!views) viewsOfBuffer.set(buffer, (views = { f32: new Float32Array(buffer, 0, buffer.byteLength >> 2), i16: new Int16Array(buffer, 0, buffer.byteLength >> 1), u8: new Uint8Array(buffer) }));
  return views;
}
