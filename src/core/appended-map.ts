// A map built by appending entries of distinct keys, read as a ReadonlyMap in the order they were
// appended. Its entries are two arrays: a hash index by key is built only when a key is looked up.
// A tick's reports (one per watched series) are appended once and then iterated by every reader;
// at 100k series, building a Map of them each tick cost more than the readers did.

export class AppendedMap<K, V> implements ReadonlyMap<K, V> {
  private readonly keyList: K[] = [];
  private readonly valueList: V[] = [];
  /** Built on the first lookup by key (and kept up to date after). */
  private index: Map<K, number> | undefined;

  /** Adds an entry; its key must not be in the map yet (the caller's keys are distinct). */
  append(key: K, value: V): void {
    this.index?.set(key, this.keyList.length);
    this.keyList.push(key);
    this.valueList.push(value);
  }

  get size(): number {
    return this.keyList.length;
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
      for (let i = 0; i < this.keyList.length; i++) this.index.set(this.keyList[i]!, i);
    }
    return this.index.get(key);
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (let i = 0; i < this.keyList.length; i++) callback.call(thisArg, this.valueList[i]!, this.keyList[i]!, this);
  }

  *entries(): MapIterator<[K, V]> {
    for (let i = 0; i < this.keyList.length; i++) yield [this.keyList[i]!, this.valueList[i]!];
  }

  *keys(): MapIterator<K> {
    for (let i = 0; i < this.keyList.length; i++) yield this.keyList[i]!;
  }

  *values(): MapIterator<V> {
    for (let i = 0; i < this.valueList.length; i++) yield this.valueList[i]!;
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}
