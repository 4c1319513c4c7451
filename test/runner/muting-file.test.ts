import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutingFileIn, mutingText, readMuting, writeMuting } from '../../src/runner/muting-file.js';

const alert = { labels: { alertname: 'StormwatchRetryStorm', signal: 'downloads' }, annotations: { summary: 's' }, fingerprint: 'f1', startsAtMs: 1_700_000_000_000 };

describe('muting state file', () => {
  it('reads back what was written; no file reads as unknown, not as nothing held', () => {
    const file = mutingFileIn(mkdtempSync(join(tmpdir(), 'stormwatch-muting-')));
    expect(readMuting(file)).toEqual({});
    writeMuting(file, mutingText({ held: [alert], surgeOnsets: { f2: [1, 2] } }));
    expect(readMuting(file)).toEqual({ state: { held: [alert], surgeOnsets: { f2: [1, 2] } } });
    writeMuting(file, mutingText({ held: [], surgeOnsets: {} }));
    expect(readMuting(file)).toEqual({ state: { held: [], surgeOnsets: {} } });
  });

  it('moves a file it cannot read aside, says so, and holds nothing', () => {
    const file = mutingFileIn(mkdtempSync(join(tmpdir(), 'stormwatch-muting-')));
    writeFileSync(file, '{"version":1,"held":[{"fingerprint":3}],"surgeOnsets":{}}');
    const read = readMuting(file);
    expect(read.state).toEqual({ held: [], surgeOnsets: {} });
    expect(read.problem).toContain(`${file} moved to ${file}.bad`);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.bad`, 'utf8')).toContain('"fingerprint":3');
  });
});
