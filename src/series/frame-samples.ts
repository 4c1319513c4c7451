// A frame's samples as columns: every series of the frame has a slot in an index that frames share
// while the set of series stays the same, and this frame's rates are three Float64Arrays by slot. A
// source fills columns instead of building a Map entry and a sample object per series per tick (at
// 100k series, those and their collection were most of a tick's read after decoding). The pipeline
// reads the columns at each series' slot, found once per index; read as a ReadonlyMap, `get` makes
// the sample object of one series when asked.

import type { SeriesInfo, SignalSample } from '../core/types.js';

/** The series of a frame in slot order, and each series' slot: one object for every frame while no series comes or goes. */
export class SeriesIndex {
  private readonly slots = new Map<string, number>();
  private readonly order: string[] = [];

  /** The slot of `id`, given on first sight: a series added twice keeps its first slot (as Map.set keeps its first place). */
  add(id: string): number {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.order.length;
      this.order.push(id);
      this.slots.set(id, slot);
    }
    return slot;
  }

  slotOf(id: string): number | undefined {
    return this.slots.get(id);
  }

  idAt(slot: number): string {
    return this.order[slot]!;
  }

  get size(): number {
    return this.order.length;
  }
}

/**
 * What each split series of a frame is (its signal and group labels), read by id through the frame's
 * index: a ReadonlyMap without a Map of its own (one beside the index cost every series about 46
 * bytes at 100k series). Series of signals that are not split have no entry. Iterated in slot
 * order, the order the series were added to the index.
 */
export class SeriesInfos implements ReadonlyMap<string, SeriesInfo> {
  private readonly bySlot: (SeriesInfo | undefined)[] = [];
  private count = 0;

  constructor(readonly index: SeriesIndex) {}

  /** Says what the series in `slot` of the index is (a slot said twice keeps the last, as Map.set does). */
  set(slot: number, info: SeriesInfo): void {
    if (this.bySlot[slot] === undefined) this.count++;
    this.bySlot[slot] = info;
  }

  get size(): number {
    return this.count;
  }

  get(id: string): SeriesInfo | undefined {
    const slot = this.index.slotOf(id);
    return slot === undefined ? undefined : this.bySlot[slot];
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  forEach(callback: (value: SeriesInfo, key: string, map: ReadonlyMap<string, SeriesInfo>) => void, thisArg?: unknown): void {
    for (const [id, info] of this.entries()) callback.call(thisArg, info, id, this);
  }

  *entries(): MapIterator<[string, SeriesInfo]> {
    const bySlot = this.bySlot;
    for (let s = 0; s < bySlot.length; s++) {
      const info = bySlot[s];
      if (info !== undefined) yield [this.index.idAt(s), info];
    }
  }

  *keys(): MapIterator<string> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): MapIterator<SeriesInfo> {
    for (const [, info] of this.entries()) yield info;
  }

  [Symbol.iterator](): MapIterator<[string, SeriesInfo]> {
    return this.entries();
  }
}

export class FrameSamples implements ReadonlyMap<string, SignalSample> {
  readonly requests: Float64Array;
  readonly errors: Float64Array;
  readonly downstream: Float64Array;

  /** Columns for every series of `index`, NaN until set. */
  constructor(readonly index: SeriesIndex) {
    const n = index.size;
    this.requests = new Float64Array(n).fill(Number.NaN);
    this.errors = new Float64Array(n).fill(Number.NaN);
    this.downstream = new Float64Array(n).fill(Number.NaN);
  }

  /** Every sample back to NaN, for a frame made again in these columns (SpareSamples). */
  clear(): void {
    this.requests.fill(Number.NaN);
    this.errors.fill(Number.NaN);
    this.downstream.fill(Number.NaN);
  }

  /**
   * Writes the sample of the series in `slot`. Errors are not read without requests: an errors
   * selector that matches nothing reads 0 (a service without errors), but not while the requests
   * have no data (a target down), when that 0 was exported as a fact beside absent rates.
   */
  put(slot: number, requests: number, errors: number, downstream: number): void {
    this.requests[slot] = requests;
    this.errors[slot] = Number.isNaN(requests) ? Number.NaN : errors;
    this.downstream[slot] = downstream;
  }

  /** The sample of the series in `slot`, as a new object. */
  at(slot: number): SignalSample {
    return { requests: this.requests[slot]!, errors: this.errors[slot]!, downstream: this.downstream[slot]! };
  }

  get size(): number {
    return this.index.size;
  }

  get(id: string): SignalSample | undefined {
    const slot = this.index.slotOf(id);
    return slot === undefined ? undefined : this.at(slot);
  }

  has(id: string): boolean {
    return this.index.slotOf(id) !== undefined;
  }

  forEach(callback: (value: SignalSample, key: string, map: ReadonlyMap<string, SignalSample>) => void, thisArg?: unknown): void {
    for (let s = 0; s < this.index.size; s++) callback.call(thisArg, this.at(s), this.index.idAt(s), this);
  }

  *entries(): MapIterator<[string, SignalSample]> {
    for (let s = 0; s < this.index.size; s++) yield [this.index.idAt(s), this.at(s)];
  }

  *keys(): MapIterator<string> {
    for (let s = 0; s < this.index.size; s++) yield this.index.idAt(s);
  }

  *values(): MapIterator<SignalSample> {
    for (let s = 0; s < this.index.size; s++) yield this.at(s);
  }

  [Symbol.iterator](): MapIterator<[string, SignalSample]> {
    return this.entries();
  }
}

/**
 * The columns of a frame its reader handed back (LiveSource.recycle), made again into the next frame
 * of the same index. V8 counts typed arrays as external memory, and 64 MB of it made since the last
 * full collection starts one: at 100k series a frame's three columns (2.4 MB a tick) set off a full
 * collection of the whole heap every seven minutes on their own, and every four to five with the
 * save's. A frame not handed back is never touched again.
 */
export class SpareSamples {
  private spare: FrameSamples | undefined;

  /** Keeps a frame's columns for the next `take`; its reader must be done with them. */
  keep(signals: unknown): void {
    if (signals instanceof FrameSamples) this.spare = signals;
  }

  /** Columns for every series of `index`, NaN: the kept ones when they are of this index, else new. */
  take(index: SeriesIndex): FrameSamples {
    const spare = this.spare;
    this.spare = undefined;
    if (spare === undefined || spare.index !== index) return new FrameSamples(index);
    spare.clear();
    return spare;
  }
}
