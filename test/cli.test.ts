// The command line as users call it: exit codes, output formats, the README's demo.

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../src/core/paths.js';
import { runCli } from './helpers/cli.js';

const config = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');

describe('stormwatch CLI', () => {
  it('check-config: ok on a good file', async () => {
    const r = await runCli(['check-config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${config}: ok (1 signal(s), replay source, every 15s)\n`);
  });

  it('--help states the exit codes check-config really uses', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('validate a config; prints every problem, exits 2 if any');
  });

  it('check-config: every problem and exit 2 on a bad file', async () => {
    const file = join(FIXTURES_DIR, 'configs', 'bad', 'query-with-scrape.yaml');
    const r = await runCli(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `${file}: invalid configuration\n` +
        '  detector.preset: unknown preset "paranoid"; known: default, sensitive (line 5)\n' +
        '  signals[0].requests: a scrape source reads counters: give a selector, not a PromQL query (line 8)\n' +
        '  signals[1].name: duplicate signal name "downloads" (line 9)\n',
    );
  });

  it('backtest: one JSON line per transition with the documented fields', async () => {
    const r = await runCli(['backtest', '--config', config, '--log-level', 'warn']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) {
      expect(line).toMatchObject({ status: expect.stringMatching(/^(firing|resolved)$/), labels: { alertname: expect.any(String), severity: expect.any(String) } });
      // Signal alerts name their signal; deploy alerts their service and version.
      const labels = line.labels as Record<string, string>;
      expect(labels.signal === 'crate-downloads' || (labels.service === 'crates-io' && labels.version !== undefined)).toBe(true);
      expect(Date.parse(String(line.startsAt))).not.toBeNaN();
      expect(Date.parse(String(line.evaluatedAt))).not.toBeNaN();
    }
  });

  it('backtest: a clear error when a scrape config has no history', async () => {
    const r = await runCli(['backtest', '--config', join(FIXTURES_DIR, 'configs', 'scrape-example.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('stormwatch: a backtest needs --input FILE, a replay source, or a prometheus source with --from and --to; this config has a scrape source\n');
  });

  it('rejects an unknown command and a bad time with usage errors', async () => {
    expect((await runCli(['frobnicate'])).stderr).toContain('unknown command "frobnicate"');
    const r = await runCli(['backtest', '--config', config, '--from', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('stormwatch: --from: expected RFC 3339 (2023-07-20T12:00:00Z) or unix seconds, got "yesterday"\n');
  });

  it('demo: replays the bundled scenario and a local receiver prints the alerts', async () => {
    const r = await runCli(['demo', '--log-level', 'warn']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('[receiver] FIRING StormwatchRetryStorm (critical) signal=crate-downloads');
    expect(r.stdout).toContain('[receiver] RESOLVED StormwatchRetryStorm (critical) signal=crate-downloads');
    // The page fires on the first tick after the break (data time 12:17:15), as a retry storm.
    expect(r.stdout).toMatch(/startsAt 2023-07-20T12:17:15\.000Z\n {2}crate-downloads: retry storm, requests \d\.\d+x baseline while \d+(\.\d+)?% of attempts fail/);
    // The deploy that caused it is named and failed, and the rollback deploy resolves it.
    expect(r.stdout).toContain('[receiver] FIRING StormwatchDeployRegression (critical)');
    expect(r.stdout).toMatch(/deploy 1\.102\.0 of crates-io regressed: StormwatchRetryStorm on crate-downloads since 2023-07-20T12:17:15/);
    expect(r.stdout).toContain('4 notification(s) received.');
    // The UI while it runs, alert links into it, and the report's path last.
    expect(r.stdout).toMatch(/Live UI while it runs: http:\/\/127\.0\.0\.1:\d+\/ui\//);
    expect(r.stdout).toMatch(/see http:\/\/127\.0\.0\.1:\d+\/ui\/series\?id=crate-downloads&at=2023-07-20T12%3A17%3A15\.000Z/);
    const last = r.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^Report of the replay \(open it in a browser\): \/.*\.html$/);
    expect(existsSync(last.split(': ').at(-1)!)).toBe(true);
  });

  it('backtest --summary: counts on stderr; --report: a file', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'stormwatch-cli-')), 'r.html');
    const r = await runCli(['backtest', '--config', config, '--summary', '--report', report, '--log-level', 'warn']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('alerts fired: 2 (StormwatchDeployRegression 1, StormwatchRetryStorm 1)');
    expect(r.stderr).toContain('deploys: 3 (pass 2, fail 1)');
    expect(r.stderr).toMatch(/data quality: 0 input line\(s\) skipped/);
    // stderr is not a terminal here: no progress bar.
    expect(r.stderr).not.toContain('backtest [');
    expect(readFileSync(report, 'utf8')).toContain('<h2>crate-downloads</h2>');
  }, 60_000);
});
