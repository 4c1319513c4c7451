// End to end with the real promtool: the 2023-07-20 scenario backfilled into a TSDB, dumped back
// with `promtool tsdb dump` (series by series, the name among the labels, milliseconds), and the
// dump backtested with the CLI: the same transitions as the backtest of the OpenMetrics file.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scenarioFile } from '../helpers/scenarios.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';

const run = promisify(execFile);

describe('a backtest of promtool tsdb dump output', () => {
  it('decides as the backtest of the OpenMetrics file the TSDB was filled from', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-tsdb-dump-'));
    try {
      const data = join(dir, 'data');
      await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', scenarioFile('crates-2023-07-20-broken-redirect'), data]);
      // promtool 2.42's dump also reads the WAL, which a backfill does not write.
      mkdirSync(join(data, 'wal'), { recursive: true });
      const { stdout } = await run('promtool', ['tsdb', 'dump', data], { maxBuffer: 64 << 20 });
      expect(stdout.split('\n', 1)[0]).toMatch(/^\{__name__="[a-z_]+", .*\} \d+ \d{13}$/);
      const dump = join(dir, 'dump.txt');
      writeFileSync(dump, stdout);
      const config = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');
      const fromFile = await runCli(['backtest', '--config', config]);
      const fromDump = await runCli(['backtest', '--config', config, '--input', dump]);
      expect(fromDump.code, fromDump.stderr).toBe(0);
      const transitions = fromFile.stdout.trim().split('\n');
      expect(transitions.length).toBeGreaterThan(2);
      expect(fromDump.stdout).toBe(fromFile.stdout);
      // Nothing of the dump was refused.
      expect(fromDump.stderr).not.toContain('replay file problem');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
