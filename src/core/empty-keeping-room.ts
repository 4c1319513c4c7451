// Emptying an array that is kept for reuse, without giving its room back.

/**
 * Empties `values` and keeps most of its backing store. Setting `length = 0` gives a V8 array's
 * backing store back once it has room for 16 or more (elements.cc, SetLengthImpl), and the first
 * push after makes a new one of 17. Arrays pooled for the next run of any series (a run lasts a
 * few ticks, so at 100k series about 3,000 start and end each tick) were emptied so: each new
 * run's arrays were new after all, lived long enough to be promoted, and filled the old
 * generation towards its next full collection. Popping trims at most by halves, and never below
 * the 16 the rule keeps (array-pop.tq), so after a run or two an array keeps its room.
 */
export function emptyKeepingRoom(values: unknown[]): void {
  while (values.length > 0) values.pop();
}
