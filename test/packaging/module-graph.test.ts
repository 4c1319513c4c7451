// The shape of src/: stages whose data flows one way. No module imports itself back through
// others (type imports count: a cycle of types is a cycle of concepts), and nothing in src/
// imports the development tools beside it (scripts/, bench/, test/).

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative import of each file of src/ (static, type-only, re-exports and dynamic), as paths of .ts files. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    graph.set(
      file,
      importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.')).map((name) => resolve(dirname(file), name).replace(/\.js$/, '.ts')),
    );
  }
  return graph;
}

/** Strongly connected components of more than one module, or of one that imports itself (Tarjan 1972). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('the module graph of src/', () => {
  const graph = importGraph();

  it('reads the imports of every module, multi-line, type-only and dynamic ones included', () => {
    expect(graph.size).toBeGreaterThan(150);
    const pipeline = graph.get(join(SRC, 'pipeline.ts'))!;
    expect(pipeline.length).toBeGreaterThan(5);
    expect(pipeline.every((f) => f.endsWith('.ts'))).toBe(true);
  });

  it('has no import cycles', () => {
    expect(cycles(graph).map((c) => c.map((f) => relative(ROOT, f)))).toEqual([]);
  });

  it('imports nothing from outside src/ (the development tools depend on it, not it on them)', () => {
    const outside = [...graph].flatMap(([file, deps]) => deps.filter((d) => !d.startsWith(SRC + '/')).map((d) => `${relative(ROOT, file)} -> ${relative(ROOT, d)}`));
    expect(outside).toEqual([]);
  });

  it('finds a cycle of two modules, a self-import and none in a chain', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['a']], ['c', ['a']]]))).toEqual([['a', 'b']]);
    expect(cycles(new Map([['a', ['a']]]))).toEqual([['a']]);
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });
});
