// A replay's notifications get an outbox of their own in the temporary directory: it is removed
// when the replay ends, and when it fails.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type StormwatchConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import { runReplay } from '../../src/runner/replay.js';

let dir: string;
let tmpBefore: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stormwatch-replay-test-'));
  // os.tmpdir() reads TMPDIR at each call: the replay's outbox goes where this test can see it alone.
  tmpBefore = process.env.TMPDIR;
  process.env.TMPDIR = join(dir, 'tmp');
  mkdirSync(join(dir, 'tmp'));
});
afterEach(() => {
  if (tmpBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpBefore;
  rmSync(dir, { recursive: true, force: true });
});
const base = (): StormwatchConfig => loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));

describe("a replay's outbox", () => {
  it('is removed when the replay ends', async () => {
    const leftBehind: string[][] = [];
    const result = await runReplay(base(), {
      logger: silentLogger,
      onStart: () => void leftBehind.push(readdirSync(join(dir, 'tmp'))),
    });
    expect(result.transitions).toBeGreaterThan(0);
    // It existed while the replay ran, and is gone after.
    expect(leftBehind[0]?.filter((f) => f.startsWith('stormwatch-replay-'))).toHaveLength(1);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  it('is removed when the replay fails on a bad file, and the error names the file', async () => {
    const bad = join(dir, 'bad.om');
    writeFileSync(bad, '# TYPE x counter\nx_total{a="1"} not-a-number 1\n# EOF\n');
    const config: StormwatchConfig = { ...base(), source: { kind: 'replay', file: bad } };
    await expect(runReplay(config, { logger: silentLogger })).rejects.toThrow(/bad\.om/);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });
});
