// Emptying an array that is kept for reuse, without giving its room back.

/**
 * Empties `values` and keeps most of its backing store. Setting `length = 0` gives a V8 array's
 * backing store back once it has room for 16 or more (elements.cc, SetLengthImpl), and the first
 * push after makes a new one of 17. Arrays pooled for the next run of any series (a run lasts a
 * few ticks; at 100k series about 2,600 begin and end each tick) were emptied so: each new run's
 * arrays were new after all, lived long enough to be promoted, and were old garbage when it ended.
 * A pop trims only while the room is more than twice the length plus 16, and then by half of what
 * is unused (array-pop.tq, the same rule), so an emptied array keeps 9 slots or more: a run's
 * short windows fit in them again.
 */
export function emptyKeepingRoom(values: unknown[]): void {
  while (values.length > 0) values.pop();
}
