import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StartupError } from '../../src/core/errors.js';
import { ensureStateDir } from '../../src/runner/state-dir.js';

const underAFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-state-dir-'));
  writeFileSync(join(dir, 'blocker'), '');
  return join(dir, 'blocker', 'state');
};

describe('ensureStateDir', () => {
  it('refuses a directory it cannot create, naming delivery.outboxDir by default', () => {
    const dir = underAFile();
    expect(() => ensureStateDir(dir)).toThrow(StartupError);
    expect(() => ensureStateDir(dir)).toThrow(`cannot use state directory ${dir} (delivery.outboxDir): ENOTDIR (a part of the path is a file); point delivery.outboxDir at a writable directory`);
  });

  it('names the flag that gave the directory when it was --state-dir', () => {
    const dir = underAFile();
    expect(() => ensureStateDir(dir, '--state-dir')).toThrow(`cannot use state directory ${dir} (--state-dir): ENOTDIR (a part of the path is a file); point --state-dir at a writable directory`);
  });

  it('says a path that is a file is not a directory', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'stormwatch-state-dir-')), 'state');
    writeFileSync(dir, '');
    expect(() => ensureStateDir(dir)).toThrow(`cannot use state directory ${dir} (delivery.outboxDir): EEXIST (it is a file, not a directory); point`);
  });
});
