// `mkdir -p` that cannot spin: Node 20's recursive mkdirSync loops for ever on a path under /proc
// (its mkdir answers ENOENT, which the recursive walk reads as a missing parent and retries), so a
// mistyped state directory hung the start. Each missing level is made on its own, parents first;
// the first that cannot be made throws mkdir's error for that level.

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      statSync(at);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!);
    } catch (error) {
      // Made meanwhile by another process: as good.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(missing[i]!).isDirectory()) throw error;
    }
  }
  // An existing path that is a file: mkdir's own answer, as the recursive call gave.
  if (missing.length === 0 && !statSync(at).isDirectory()) mkdirSync(at);
}
