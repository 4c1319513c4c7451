// Strings in storage of their own, for strings kept as long as a series lives.

/**
 * `s` in storage of its own. A substring of 13 or more characters is a view of the string it was cut
 * from, and keeps it alive: kept label texts and values held each page piece (64 KB) they were cut
 * from for as long as their series lived (34 MB at 100k series). A concatenation is a tree of its
 * parts, 32 bytes a node. Made from bytes, the copy is one flat string of its own (a slice of
 * anything, a concatenation too, is a view again).
 */
export function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
