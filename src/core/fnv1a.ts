// FNV-1a, 32 bits, over a text's UTF-16 code units (Fowler, Noll, Vo: the offset basis 2166136261
// and the prime 16777619). A cheap, well-spread hash of short texts; not for anything an adversary
// chooses. The FNV reference implementation gives 0xe40c292c for "a" and 0xbf9cf968 for "foobar".

/** The 32-bit FNV-1a of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
