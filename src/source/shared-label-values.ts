// Label values shared among the label sets a cache keeps. Most label names take few values (a
// status code, a method, a job, a histogram's buckets), each written on thousands of series: a copy
// of the value in every set was 24-40 bytes a label a series, for strings equal to each other. A
// value is kept once per label name, and every set that carries it is handed the same string.
//
// Bounded, since a table outlives the sets that brought its values: a name with more distinct
// values than MAX_VALUES_PER_NAME (a route, a pod at scale) is no longer tabled (its values are
// each in few sets, and a table of them would cost more than it saves: about 50 bytes a value);
// at most MAX_VALUES values are tabled in all, each of at most MAX_TABLED_LENGTH characters, of at
// most MAX_NAMES names (an exporter may make label names of ids). A name not tabled still shares
// its last value: a page lists a family's series in runs that repeat their first labels (a
// route's status codes one after the other). Pure.

import { detached } from '../core/detached.js';

/** Distinct values of one label name tabled at most; past it, only the name's last value is shared. */
export const MAX_VALUES_PER_NAME = 1024;
/** Values tabled at most, over every name: past it, new values are copied and not kept. */
export const MAX_VALUES = 16_384;
/** Label names followed at most: past it, the values of names not yet followed are copied. */
export const MAX_NAMES = 1024;
/**
 * Longer values are copied and never tabled: a table outlives the sets that brought its values,
 * and at this length what it can hold for sets long gone stays a few MB.
 */
export const MAX_TABLED_LENGTH = 128;

/** One label name's values: tabled (null: not tabled, for too many values or no room when it came), and the last one handed out. */
interface NameValues {
  table: Map<string, string> | null;
  last: string | undefined;
}

export class SharedLabelValues {
  private readonly byName = new Map<string, NameValues>();
  private tabled = 0;

  /**
   * `value` of label `name` in storage of its own (`detached`): the string already kept for it,
   * or a copy, kept when there is room.
   */
  share(name: string, value: string): string {
    let values = this.byName.get(name);
    if (values === undefined) {
      if (this.byName.size >= MAX_NAMES) return detached(value);
      values = { table: this.tabled < MAX_VALUES ? new Map() : null, last: undefined };
      this.byName.set(name, values);
    }
    if (values.last === value) return values.last;
    const table = values.table;
    let kept = table?.get(value);
    if (kept === undefined) {
      kept = detached(value);
      if (table !== null && this.tabled < MAX_VALUES && value.length <= MAX_TABLED_LENGTH) {
        if (table.size >= MAX_VALUES_PER_NAME) {
          this.tabled -= table.size;
          values.table = null;
        } else {
          table.set(kept, kept);
          this.tabled++;
        }
      }
    }
    values.last = kept;
    return kept;
  }

  /** How many values are tabled: of `name` (0 when no longer tabled or never seen), or over every name. */
  size(name?: string): number {
    return name === undefined ? this.tabled : (this.byName.get(name)?.table?.size ?? 0);
  }

  /** Whether `name`'s values are not tabled (too many of them, or no room left when it came). */
  untabled(name: string): boolean {
    return this.byName.get(name)?.table === null;
  }
}
