// The installed command is a bundle (scripts/bundle-cli.ts) of what tsc compiles: both must do the
// same thing. A backtest through each prints the same transitions and writes the same per-tick
// scores, and the bundle's report carries the UI's assets, found from dist/bin.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR, PACKAGE_ROOT } from '../../src/core/paths.js';
import { CLI } from '../helpers/cli.js';

const run = promisify(execFile);
const COMPILED = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');

describe('the bundled command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backtests exactly as the compiled modules do, and its report has the UI assets', async () => {
    const config = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');
    const backtest = async (cli: string, name: string) => {
      const scores = join(dir, `${name}.csv`);
      const report = join(dir, `${name}.html`);
      const { stdout } = await run(process.execPath, [cli, 'backtest', '--config', config, '--scores', scores, '--report', report, '--log-level', 'warn'], { maxBuffer: 1 << 26 });
      return { stdout, scores: readFileSync(scores, 'utf8'), report: readFileSync(report, 'utf8') };
    };
    const [bundled, compiled] = await Promise.all([backtest(CLI, 'bundled'), backtest(COMPILED, 'compiled')]);
    expect(bundled.stdout).toContain('"status":"firing"');
    expect(bundled.stdout).toBe(compiled.stdout);
    expect(bundled.scores.split('\n').length).toBeGreaterThan(1000);
    expect(bundled.scores).toBe(compiled.scores);
    // uPlot from node_modules and the chart script from src/ui/client, inlined into the report.
    expect(bundled.report).toContain('uPlot');
    expect(bundled.report).toContain(readFileSync(join(PACKAGE_ROOT, 'src', 'ui', 'client', 'series-charts.js'), 'utf8').slice(0, 200));
  }, 60_000);

  it('prints its version from the package root, found from dist/bin', async () => {
    const { version } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect((await run(process.execPath, [CLI, '--version'])).stdout).toBe(`stormwatch ${version}\n`);
  });
});
