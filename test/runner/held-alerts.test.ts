import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heldFileIn, readHeld, writeHeld } from '../../src/runner/held-alerts.js';

const alert = { labels: { alertname: 'StormwatchRetryStorm', signal: 'downloads' }, annotations: { summary: 's' }, fingerprint: 'f1', startsAtMs: 1_700_000_000_000 };

describe('held alerts file', () => {
  it('reads back what was written; no file reads as unknown, not as nothing held', () => {
    const file = heldFileIn(mkdtempSync(join(tmpdir(), 'stormwatch-held-')));
    expect(readHeld(file)).toEqual({});
    writeHeld(file, [alert]);
    expect(readHeld(file)).toEqual({ alerts: [alert] });
    writeHeld(file, []);
    expect(readHeld(file)).toEqual({ alerts: [] });
  });

  it('moves a file it cannot read aside, says so, and holds nothing', () => {
    const file = heldFileIn(mkdtempSync(join(tmpdir(), 'stormwatch-held-')));
    writeFileSync(file, '{"version":1,"held":[{"fingerprint":3}]}');
    const read = readHeld(file);
    expect(read.alerts).toEqual([]);
    expect(read.problem).toContain(`${file} moved to ${file}.bad`);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.bad`, 'utf8')).toContain('"fingerprint":3');
  });
});
