import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/core/make-dirs.js';

describe('makeDirs', () => {
  it('makes a directory and its missing parents, and accepts one that exists', () => {
    const root = mkdtempSync(join(tmpdir(), 'stormwatch-dirs-'));
    const deep = join(root, 'a', 'b', 'c');
    makeDirs(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeDirs(deep);
    makeDirs(root);
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it('throws the code mkdir -p gives when a part of the path is a file', () => {
    const root = mkdtempSync(join(tmpdir(), 'stormwatch-dirs-'));
    writeFileSync(join(root, 'file'), 'x');
    expect(() => makeDirs(join(root, 'file', 'below'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDirs(join(root, 'file'))).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });

  it.runIf(existsSync('/proc/self'))('throws ENOENT for a path under /proc, where nothing can be made', () => {
    expect(() => makeDirs('/proc/stormwatch-test/a/b')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
