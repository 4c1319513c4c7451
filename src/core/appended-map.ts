// A map built by appending entries of distinct keys, read as a ReadonlyMap in the order they were
// appended. Its entries are two arrays: a hash index by key is built only when a key is looked up.
// A tick's reports (one per watched series) are appended once and then iterated by every reader;
// at 100k series, building a Map of them each tick cost more than the readers did.

export class AppendedMap<K, V> implements ReadonlyMap<K, V> {
  private readonly keyList: K[];
  private readonly valueList: V[];
  private count = 0;
  /** Entries written since the last settle (reset keeps the lists, so this round's count may be less). */
  private filled = 0;
  /** Built on the first lookup by key (and kept up to date after). */
  private index: Map<K, number> | undefined;

  /**
   * @param expected entries the caller expects (a tick's watched series): the lists are made that
   * long at once, not grown by copying some twenty times on the way to 100k.
   */
  constructor(expected = 0) {
    this.keyList = expected > 0 ? new Array<K>(expected) : [];
    this.valueList = expected > 0 ? new Array<V>(expected) : [];
  }

  /**
   * Empties the map for a new round of appends, keeping its lists: a tick's map made again in
   * place. At 100k series the two lists are 1.6 MB, made in the old generation at once (V8's
   * large-object space) and left for a full collection every tick. The entries of the last round
   * stay referenced until overwritten or let go by `settle`.
   */
  reset(): void {
    this.count = 0;
    this.index = undefined;
  }

  /** Lets go of the last round's entries past this round's count (call when the appends are done). */
  settle(): void {
    if (this.filled > this.count) {
      (this.keyList as (K | undefined)[]).fill(undefined, this.count, this.filled);
      (this.valueList as (V | undefined)[]).fill(undefined, this.count, this.filled);
    }
    this.filled = this.count;
  }

  /** Adds an entry; its key must not be in the map yet (the caller's keys are distinct). */
  append(key: K, value: V): void {
    this.index?.set(key, this.count);
    this.keyList[this.count] = key;
    this.valueList[this.count] = value;
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    const i = this.indexOf(key);
    return i === undefined ? undefined : this.valueList[i];
  }

  has(key: K): boolean {
    return this.indexOf(key) !== undefined;
  }

  private indexOf(key: K): number | undefined {
    if (!this.index) {
      this.index = new Map();
      for (let i = 0; i < this.count; i++) this.index.set(this.keyList[i]!, i);
    }
    return this.index.get(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.count; i++) callback.call(thisArg, this.valueList[i]!, this.keyList[i]!, this);
  }

  *entries(): MapIterator<[K, V]> {
    for (let i = 0; i < this.count; i++) yield [this.keyList[i]!, this.valueList[i]!];
  }

  *keys(): MapIterator<K> {
    for (let i = 0; i < this.count; i++) yield this.keyList[i]!;
  }

  *values(): MapIterator<V> {
    for (let i = 0; i < this.count; i++) yield this.valueList[i]!;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}
