// The command line as users call it: exit codes, output formats, the README's demo.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, PACKAGE_ROOT } from '../src/core/paths.js';
import { runCli } from './helpers/cli.js';

const config = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');

/** The error `run`'s last log line stopped with; every line of its stderr is a JSON log line. */
function stoppedWith(stderr: string): unknown {
  const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'stopped: it cannot go on', exitCode: 1 });
  expect(lines.at(-1)).not.toHaveProperty('stack');
  return lines.at(-1)!.error;
}

describe('stormwatch CLI', () => {
  it('check-config: ok on a good file', async () => {
    const r = await runCli(['check-config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${config}: ok (1 signal(s), replay source, every 15s)\n`);
  });

  it('check-config: a warning goes to stderr naming file and place, the check passes (with --lint too)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const file = join(dir, 'prom.yaml');
    writeFileSync(file, "source:\n  prometheus:\n    url: http://127.0.0.1:9090\n    bearerToken: /var/run/secrets/prometheus-token\nsignals:\n  - name: api\n    requests: 'api_total'\n");
    for (const args of [['check-config', file], ['check-config', '--lint', file]]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`stormwatch: warning: ${file}: source.prometheus.bearerToken: an inline value that looks like a file path is sent as it is: to read the file, give {file: PATH} (line 4)\n`);
    }
  });

  it('check-config: a replay file that is not there is a problem naming its key (not with --lint)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const file = join(dir, 'replay.yaml');
    writeFileSync(file, 'source:\n  replay:\n    file: nowhere.om\nsignals:\n  - name: api\n    requests: http_requests_total\n');
    const r = await runCli(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`source.replay.file: no such file ${join(dir, 'nowhere.om')}`);
    expect((await runCli(['check-config', '--lint', file])).code).toBe(0);
  });

  it('run and backtest: a replay file that is not there is a configuration problem at its key (exit 2), as check-config says it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const file = join(dir, 'replay.yaml');
    writeFileSync(file, 'source:\n  replay:\n    file: nowhere.om\nsignals:\n  - name: api\n    requests: http_requests_total\n');
    const [run, backtest] = await Promise.all([runCli(['run', '--config', file]), runCli(['backtest', '--config', file])]);
    expect([run.code, run.stderr]).toEqual([2, `${file}: invalid configuration\n  source.replay.file: no such file ${join(dir, 'nowhere.om')}\n`]);
    expect([backtest.code, backtest.stderr]).toEqual([2, `${file}: invalid configuration\n  source.replay.file: no such file ${join(dir, 'nowhere.om')} (or give another with --input)\n`]);

    // A file given with --input that is not there is bad usage (exit 2), naming the flag.
    const input = await runCli(['backtest', '--config', file, '--input', join(dir, 'missing.om')]);
    expect(input.code).toBe(2);
    expect(input.stderr).toContain(`--input: no such file ${join(dir, 'missing.om')}`);
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

  it('checks what it can before a backtest: a Prometheus range given whole and in order, a report\'s directory (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const prom = join(dir, 'prom.yaml');
    writeFileSync(prom, 'source:\n  prometheus:\n    url: http://127.0.0.1:9\nsignals:\n  - name: api\n    requests: http_requests_total\n');
    const noRange = await runCli(['backtest', '--config', prom, '--from', '2023-07-20T12:00:00Z']);
    expect([noRange.code, noRange.stderr.trim()]).toEqual([2, expect.stringContaining('a backtest against Prometheus needs --from and --to')]);
    const reversed = await runCli(['backtest', '--config', prom, '--from', '2023-07-20T13:00:00Z', '--to', '2023-07-20T12:00:00Z']);
    expect([reversed.code, reversed.stderr]).toEqual([2, expect.stringContaining('--from 2023-07-20T13:00:00Z is not before --to 2023-07-20T12:00:00Z')]);
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, '');
    const report = await runCli(['backtest', '--config', config, '--report', join(aFile, 'r.html')]);
    expect(report.code).toBe(2);
    expect(report.stderr).toContain(`--report ${join(aFile, 'r.html')}: cannot write: a part of ${aFile} is a file, not a directory`);
    // Refused before the replay: no transition printed.
    expect(report.stdout).toBe('');
    // A directory given for the report's file, and more shards than it takes.
    const toDir = await runCli(['backtest', '--config', config, '--report', dir]);
    expect([toDir.code, toDir.stdout]).toEqual([2, '']);
    expect(toDir.stderr).toContain(`--report ${dir}: is a directory: give the file to write, such as ${join(dir, 'report.html')}`);
    const inputDir = await runCli(['backtest', '--config', config, '--input', dir]);
    expect([inputDir.code, inputDir.stdout]).toEqual([2, '']);
    expect(inputDir.stderr).toContain(`--input: ${dir} is a directory, not a file`);
    const shards = await runCli(['backtest', '--config', config, '--shard', '0/99999999999999999999']);
    expect([shards.code, shards.stdout]).toEqual([2, '']);
    expect(shards.stderr).toContain('--shard: expected i/N with 0 <= i < N <= 65536, got "0/99999999999999999999"');
  });

  it('refuses a port past 65535 in server.listen and --listen, and reads a bare 0 as a duration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'source:\n  prometheus:\n    url: http://127.0.0.1:9\n    seasonalHistory: 0\nserver:\n  listen: 127.0.0.1:99999\nsignals:\n  - name: api\n    requests: http_requests_total\n');
    const checked = await runCli(['check-config', file]);
    expect(checked.code).toBe(2);
    expect(checked.stderr).toBe(`${file}: invalid configuration\n  server.listen: expected a port 0-65535 in an address like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got "127.0.0.1:99999" (line 6)\n`);
    const flag = await runCli(['run', '--config', config, '--listen', '127.0.0.1:65536']);
    expect([flag.code, flag.stderr]).toEqual([2, expect.stringContaining('--listen: expected a port 0-65535 in an address like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got "127.0.0.1:65536"')]);
  });

  it('refuses a YAML file of nested aliases (a billion laughs) naming the file, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const file = join(dir, 'bomb.yaml');
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let k = 1; k < 9; k++) rows.push(`${String.fromCharCode(97 + k)}: &${String.fromCharCode(97 + k)} [${Array(9).fill(`*${String.fromCharCode(96 + k)}`).join(',')}]`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    const r = await runCli(['check-config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid configuration\n  .*alias`, 'i'));
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

  it('backtest --log-level debug: one "tick evaluated" line a tick with its readings and evidence, as run logs them; info has none', async () => {
    const [debug, info] = await Promise.all([runCli(['backtest', '--config', config, '--log-level', 'debug']), runCli(['backtest', '--config', config])]);
    expect([debug.code, info.code]).toEqual([0, 0]);
    const lines = debug.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; dataTime?: string; signals?: Record<string, { checks: { check: string; evidence?: number }[] }> });
    const ticks = lines.filter((l) => l.msg === 'tick evaluated');
    const done = lines.find((l) => l.msg === 'backtest done') as unknown as { frames: number };
    expect(ticks.length).toBe(done.frames);
    // At the storm, its evidence past the threshold.
    const storm = ticks.find((l) => l.dataTime === '2023-07-20T12:17:15.000Z')!;
    expect(Math.max(...storm.signals!['crate-downloads']!.checks.map((c) => c.evidence ?? 0))).toBeGreaterThan(17);
    expect(info.stderr).not.toContain('tick evaluated');
  }, 60_000);

  it('run on a replay prints what backtest prints, the release of a held alert included', async () => {
    const [run, backtest] = await Promise.all([runCli(['run', '--config', config, '--log-level', 'warn']), runCli(['backtest', '--config', config, '--log-level', 'warn'])]);
    expect([run.code, backtest.code]).toEqual([0, 0]);
    expect(run.stdout).toBe(backtest.stdout);
    // The storm held back by the failed deploy's alert, delivered after all.
    expect(run.stdout.split('\n').filter((l) => l.includes('"releasedAt"'))).toHaveLength(1);
  });

  it('backtest: a clear error when a scrape config has no history', async () => {
    const r = await runCli(['backtest', '--config', join(FIXTURES_DIR, 'configs', 'scrape-example.yaml')]);
    // A usage error (exit 2), as the README's exit codes say, found before anything is read.
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('stormwatch: a backtest needs --input FILE, a replay source, or a prometheus source with --from and --to; this config has a scrape source (a page has no history) (see stormwatch backtest --help)\n');
  });

  it('rejects an unknown command and a bad time with usage errors', async () => {
    expect((await runCli(['frobnicate'])).stderr).toContain('unknown command "frobnicate"');
    const r = await runCli(['backtest', '--config', config, '--from', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('stormwatch: --from: expected RFC 3339 (2023-07-20T12:00:00Z) or unix seconds, got "yesterday" (see stormwatch backtest --help)\n');
  });

  it('deploy and silence refuse a --url with credentials before any request, and never print them', async () => {
    const env = { STORMWATCH_DEPLOY_TOKEN: 'x' };
    for (const args of [
      ['silence', 'list', '--url', 'http://u:PASSWORDINURL@127.0.0.1:9'],
      ['deploy', '--service', 's', '--version', '1', '--url', 'http://u:PASSWORDINURL@127.0.0.1:9'],
      ['silence', 'list', '--url', 'ftp://u:PASSWORDINURL@127.0.0.1:9'],
    ]) {
      const r = await runCli(args, 60_000, env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--url');
      expect(r.stderr).toContain('<redacted>@127.0.0.1:9');
      expect(r.stderr + r.stdout).not.toContain('PASSWORDINURL');
    }
  });

  it('--version and version print the package version; deploy --version stays the deploy version', async () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-V'], ['version']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`stormwatch ${pkg.version}\n`);
    }
    const deploy = await runCli(['deploy', '--service', 's', '--version', '1.2.3']);
    expect(deploy.stderr).toBe('stormwatch: give --url http://HOST:PORT (once per replica), or --config FILE with server.listen (see stormwatch deploy --help)\n');
  });

  it('per-command help with examples; every command checks its own flags (exit 2)', async () => {
    // Spawned side by side: each start of node costs a second on a busy machine.
    const commands = ['run', 'check-config', 'backtest', 'deploy', 'rules', 'demo', 'version'];
    const bad = [['rules', '--config', config, '--wait'], ['demo', '--input', 'x'], ['check-config', config, 'extra'], ['run', '--listen', 'nowhere', '--config', config], ['--bogus']];
    const [helps, viaHelp, global, none, failures] = await Promise.all([
      Promise.all(commands.map((c) => runCli([c, '--help']))),
      Promise.all(commands.map((c) => runCli(['help', c]))),
      runCli(['--help']),
      runCli([]),
      Promise.all(bad.map((args) => runCli(args))),
    ]);
    commands.forEach((command, i) => {
      expect(helps[i]!.code).toBe(0);
      expect(helps[i]!.stdout).toMatch(new RegExp(`^stormwatch ${command}: `));
      expect(helps[i]!.stdout).toContain('Examples:');
      expect(viaHelp[i]!.stdout).toEqual(helps[i]!.stdout);
    });
    expect(new Set(helps.map((h) => h.stdout)).size).toBe(commands.length);
    expect(global.code).toBe(0);
    expect(global.stdout).toContain('stormwatch <command> --help');
    expect(none.code).toBe(2);
    bad.forEach((args, i) => {
      const r = failures[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^stormwatch: /);
    });
  }, 90_000);

  it('check-config --lint checks the file without its secrets or TLS files; a real mistake still fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-lint-'));
    const file = join(dir, 'prod.yaml');
    writeFileSync(
      file,
      `source:\n  prometheus:\n    url: https://prom.internal:9090\n    bearerToken: {file: /run/secrets/prom-token}\n    tls: {caFile: /etc/ssl/prom-ca.pem}\n` +
        `deploys:\n  apiToken: {env: STORMWATCH_LINT_TEST_UNSET}\nsinks:\n  - slack: {url: {env: STORMWATCH_LINT_TEST_SLACK}}\nsignals: [{name: api, requests: http_requests_total}]\n`,
    );
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, `source: {scrape: {url: 'http://127.0.0.1:9100/metrics', bearerToken: {env: X}}}\nsignals: [{name: api, requests: 'sum(rate(x[5m]))'}]\n`);
    const [lint, full, lintBroken, rules] = await Promise.all([runCli(['check-config', '--lint', file]), runCli(['check-config', file]), runCli(['check-config', '--lint', broken]), runCli(['rules', '--config', file])]);
    expect(lint.code, lint.stderr).toBe(0);
    // Rules are written from the signals: a CI step without the production secrets writes them too.
    expect(rules.code, rules.stderr).toBe(0);
    expect(rules.stdout).toContain('groups:');
    expect(lint.stdout).toBe(`${file}: ok (lint: secrets not read) (1 signal(s), prometheus source, every 15s)\n`);
    expect(full.code).toBe(2);
    expect(full.stderr).toContain('source.prometheus.bearerToken: cannot read secret file /run/secrets/prom-token: ENOENT');
    expect(full.stderr).toContain('deploys.apiToken: environment variable STORMWATCH_LINT_TEST_UNSET is not set');
    expect(lintBroken.code).toBe(2);
    expect(lintBroken.stderr).toContain('signals[0].requests:');
  });

  it('`run` ends a runtime failure (exit 1) as one JSON log line without a stack trace: a state directory it cannot create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    writeFileSync(join(dir, 'blocker'), 'a file where a directory should be');
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `source: {scrape: {url: 'http://127.0.0.1:1/metrics'}}\ndelivery: {outboxDir: ${join(dir, 'blocker', 'state')}}\nsignals: [{name: s, requests: x_total}]\n`);
    const r = await runCli(['run', '--config', file]);
    expect(r.code).toBe(1);
    expect(stoppedWith(r.stderr)).toBe(
      `cannot use state directory ${join(dir, 'blocker', 'state')} (delivery.outboxDir): ENOTDIR (a part of the path is a file); point delivery.outboxDir at a writable directory, such as a mounted volume (/var/lib/stormwatch in the container image)`,
    );
  });

  it.runIf(existsSync('/proc/self'))('a state directory under /proc is refused at once (a recursive mkdir there spun for ever)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `source: {scrape: {url: 'http://127.0.0.1:1/metrics'}}\nsignals: [{name: s, requests: x_total}]\n`);
    const r = await runCli(['run', '--config', file, '--state-dir', '/proc/stormwatch-state/x'], 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot use state directory /proc/stormwatch-state/x (--state-dir): ENOENT');
  });

  it('a bad --state-dir is reported as the flag the user gave, not as delivery.outboxDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    writeFileSync(join(dir, 'blocker'), 'a file where a directory should be');
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `source: {scrape: {url: 'http://127.0.0.1:1/metrics'}}\nsignals: [{name: s, requests: x_total}]\n`);
    const r = await runCli(['run', '--config', file, '--state-dir', join(dir, 'blocker', 'state')]);
    expect(r.code).toBe(1);
    expect(stoppedWith(r.stderr)).toBe(`cannot use state directory ${join(dir, 'blocker', 'state')} (--state-dir): ENOTDIR (a part of the path is a file); point --state-dir at a writable directory, such as a mounted volume (/var/lib/stormwatch in the container image)`);
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
    // The deploy's page, the storm's (held while the deploy's inhibits it; its refreshed reading
    // is what goes out once the rollback resolves the deploy's), and both resolved.
    expect(r.stdout).not.toContain('[receiver] UPDATE');
    // The storm's update while held (its client named) is said as an update, not as a second page.
    expect(r.stdout).toMatch(/\[stormwatch\] update 1 of StormwatchRetryStorm at data time 2023-07-20T12:17:\d\d\.000Z: crate-downloads: retry storm, .*\(client model: cargo\) \(not sent: inhibited by StormwatchDeployRegression/);
    expect(r.stdout.match(/\[stormwatch\] firing StormwatchRetryStorm at data time/g)).toHaveLength(1);
    expect(r.stdout).toContain('4 notification(s) received.');
    // The UI while it runs, alert links into it, and the report's path last.
    expect(r.stdout).toMatch(/Live UI while it runs: http:\/\/127\.0\.0\.1:\d+\/ui\//);
    expect(r.stdout).toMatch(/see http:\/\/127\.0\.0\.1:\d+\/ui\/series\?id=crate-downloads&at=2023-07-20T12%3A17%3A15\.000Z/);
    const last = r.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^Report of the replay \(open it in a browser\): \/.*\.html$/);
    expect(existsSync(last.split(': ').at(-1)!)).toBe(true);
    // The storm held by the deploy's alert went out when the rollback resolved it, and the report says
    // so (it said 'not delivered').
    expect(r.stdout).toContain('[stormwatch] firing StormwatchRetryStorm sent at data time 2023-07-20T12:30:00.000Z: its muting ended while it still fires');
    const html = readFileSync(last.split(': ').at(-1)!, 'utf8');
    expect(html).toContain('); delivered at 2023-07-20T12:30:00Z, when that ended');
    expect(html).toContain('(of which delivered later, their muting over while they still fired: 1)');
  });

  it('backtest --scores: every tick scored, where a plain backtest of the same config skips the score and prints the same lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    // The bundled config without its deploys (their verdicts read the score, so it would be kept).
    const noDeploys = join(dir, 'no-deploys.yaml');
    writeFileSync(noDeploys, readFileSync(config, 'utf8').replace('../scenarios/', `${join(FIXTURES_DIR, 'scenarios')}/`).replace(/^deploys:[\s\S]*$/m, ''));
    const scores = join(dir, 'scores.csv');
    const [plain, scored] = await Promise.all([runCli(['backtest', '--config', noDeploys, '--log-level', 'warn']), runCli(['backtest', '--config', noDeploys, '--scores', scores, '--log-level', 'warn'])]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(plain.stdout).toBe(scored.stdout);
    expect(plain.stdout).toContain('StormwatchRetryStorm');
    const column = readFileSync(scores, 'utf8').trim().split('\n')[0]!.split(',').indexOf('anomaly_score');
    const values = readFileSync(scores, 'utf8').trim().split('\n').slice(1).map((row) => row.split(',')[column]);
    // An empty cell is a tick without a score.
    expect(values.length).toBeGreaterThan(1000);
    expect(values.filter((v) => v !== '' && Number.isFinite(Number(v))).length).toBeGreaterThan(values.length / 2);
  }, 60_000);

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

  it('backtest: a maintenance window mutes the alerts it selects as run does, said on their lines, in --summary and in the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-'));
    const windowed = join(dir, 'windowed.yaml');
    // The bundled config, its replay file named absolutely, with a window over the incident.
    const text = readFileSync(config, 'utf8').replace('../scenarios/', `${join(FIXTURES_DIR, 'scenarios')}/`);
    writeFileSync(windowed, `${text}maintenanceWindows:\n  - name: redirect-fix\n    matchers: ['service="crates-io"']\n    start: 2023-07-20T12:00:00Z\n    end: 2023-07-20T13:00:00Z\n`);
    const report = join(dir, 'r.html');
    const [plainRun, r] = await Promise.all([runCli(['backtest', '--config', config, '--log-level', 'warn']), runCli(['backtest', '--config', windowed, '--summary', '--report', report, '--log-level', 'warn'])]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const plainLines = plainRun.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const firing = lines.filter((l) => l.status === 'firing' && l.update === undefined);
    expect(firing.map((l) => (l.labels as Record<string, string>).alertname).sort()).toEqual(['StormwatchDeployRegression', 'StormwatchRetryStorm']);
    // The window first; the RetryStorm's later lines are inhibited by the DeployRegression too, as without it.
    for (const l of firing) expect(l).toMatchObject({ delivered: false, mutedBy: expect.arrayContaining(['maintenance redirect-fix']) });
    for (const l of firing) expect((l.mutedBy as string[])[0]).toBe('maintenance redirect-fix');
    // Decided alike: the same transitions as without the window, only marked. Without it the
    // DeployRegression pages, and inhibits the RetryStorm that fired in the same tick (the default rule).
    const unmarked = (ls: Record<string, unknown>[]) => ls.filter((l) => l.releasedAt === undefined).map(({ delivered: _d, mutedBy: _m, ...rest }) => rest);
    expect(unmarked(lines)).toEqual(unmarked(plainLines));
    // Without the window, the inhibited RetryStorm still fires when the rollback resolves the
    // DeployRegression (12:30:00): it is delivered then, and a line says so, as run sends it.
    expect(plainLines.filter((l) => l.releasedAt !== undefined)).toEqual([
      expect.objectContaining({ status: 'firing', labels: expect.objectContaining({ alertname: 'StormwatchRetryStorm' }), delivered: true, releasedAt: '2023-07-20T12:30:00.000Z' }),
    ]);
    expect(lines.filter((l) => l.releasedAt !== undefined)).toEqual([]);
    const plainFiring = plainLines.filter((l) => l.status === 'firing' && l.update === undefined);
    expect(plainFiring.filter((l) => l.delivered === undefined).map((l) => (l.labels as Record<string, string>).alertname)).toEqual(['StormwatchDeployRegression']);
    expect(plainFiring.find((l) => (l.labels as Record<string, string>).alertname === 'StormwatchRetryStorm')).toMatchObject({ delivered: false, mutedBy: [expect.stringMatching(/^inhibited by StormwatchDeployRegression\{service="crates-io",version="/)] });
    expect(r.stderr).toContain('alerts fired: 2 (StormwatchDeployRegression 1, StormwatchRetryStorm 1); muted when they fired, not delivered: 2 (maintenance 2)');
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('muted when they fired, not delivered: maintenance 2');
    expect(html.match(/not delivered: maintenance redirect-fix/g)).toHaveLength(2);
  }, 60_000);
});

describe('stormwatch run: SIGTERM', () => {
  it('exits 0 with an alert still waiting on a receiver that never answers; the alert stays in the outbox', async () => {
    const { spawnCli } = await import('./helpers/cli.js');
    const { freePort } = await import('./helpers/ports.js');
    const { createServer } = await import('node:net');
    // A receiver that accepts and never answers (the sink waits 60 s).
    let accepted = 0;
    const hung = createServer((socket) => {
      accepted++;
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-term-'));
    const file = join(dir, 'stormwatch.yaml');
    const port = await freePort();
    const closed = await freePort();
    writeFileSync(
      file,
      `interval: 1s\nsource:\n  scrape:\n    url: http://127.0.0.1:${closed}/metrics\nserver:\n  listen: 127.0.0.1:${port}\ndeploys:\n  apiToken: tok-123456\nsinks:\n  - name: hung\n    webhook:\n      url: http://127.0.0.1:${(hung.address() as { port: number }).port}/hook\n      timeout: 60s\nprobes:\n  - name: health\n    service: payments\n    url: http://127.0.0.1:${closed}/health\n    interval: 1m\nsignals:\n  - name: a\n    requests: a_total\n`,
    );
    const p = spawnCli(['run', '--config', file, '--state-dir', dir, '--log-level', 'info']);
    try {
      await p.waitForLog('stormwatch running', 15_000);
      // A deploy of payments runs its smoke probe at once; the probe fails, and so does the deploy: an alert to send.
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/deploys`, { method: 'POST', headers: { authorization: 'Bearer tok-123456', 'content-type': 'application/json' }, body: JSON.stringify({ service: 'payments', version: '2' }) });
      expect(r.status).toBe(201);
      for (let i = 0; i < 200 && accepted === 0; i++) await new Promise((res) => setTimeout(res, 50));
      expect(accepted).toBeGreaterThan(0);
      p.child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => p.child.once('close', resolve));
      expect(code).toBe(0);
      expect(p.stderr()).toContain('"msg":"stopped"');
      expect(p.stderr()).not.toContain('stop took too long');
      expect(readFileSync(join(dir, 'outbox.jsonl'), 'utf8')).toContain('"sink":"hung"');
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      hung.close();
    }
  }, 60_000);
});

describe('stormwatch run: reload', () => {
  it('SIGHUP and POST /-/reload reload the file; a bad file is refused and the process keeps running', async () => {
    const { spawnCli } = await import('./helpers/cli.js');
    const { freePort } = await import('./helpers/ports.js');
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cli-reload-'));
    const file = join(dir, 'stormwatch.yaml');
    const port = await freePort();
    const text = async (extra: string) =>
      `interval: 1h\nsource:\n  scrape:\n    url: http://127.0.0.1:${await freePort()}/metrics\nserver:\n  listen: 127.0.0.1:${port}\ndeploys:\n  apiToken: tok-123456\nsignals:\n  - name: a\n    requests: a_total\n${extra}`;
    writeFileSync(file, await text(''));
    const p = spawnCli(['run', '--config', file, '--state-dir', dir, '--log-level', 'info']);
    try {
      await p.waitForLog('stormwatch running', 15_000);
      writeFileSync(file, await text('  - name: b\n    requests: b_total\n    alerting: { for: soon }\n'));
      p.child.kill('SIGHUP');
      const refused = await p.waitForLog('configuration reload refused; the running configuration stays', 10_000);
      expect(refused).toMatchObject({ trigger: 'sighup', problems: ['signals[1].alerting.for: expected a duration like 15s, 1m or 1h, got "soon" (line 14)'] });
      writeFileSync(file, await text('  - name: b\n    requests: b_total\n'));
      const url = `http://127.0.0.1:${port}/-/reload`;
      expect((await fetch(url, { method: 'POST' })).status).toBe(401);
      const ok = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer tok-123456' } });
      expect(ok.status).toBe(200);
      // The page's URL changed too (a new free port each time): the source is said changed.
      expect(await ok.json()).toEqual({ status: 'reloaded', changed: ['signals', 'source'] });
      expect(await p.waitForLog('configuration reloaded', 5000)).toMatchObject({ trigger: 'http', signalsAdded: ['b'] });
      expect(p.child.exitCode).toBeNull();
    } finally {
      if (p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await new Promise((resolve) => p.child.once('close', resolve));
      }
    }
  }, 60_000);
});

describe('stormwatch check-config --lint: PromQL and unknown keys', () => {
  it('names the column of a PromQL syntax error and suggests the key meant, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-lint-promql-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(file, "source:\n  prometheus:\n    url: http://127.0.0.1:9090\n    timout: 5s\nsignals:\n  - name: api\n    requests: {query: 'sum(rate(http_requests_total[5m]'}\n");
    const schemaProblem = await runCli(['check-config', '--lint', file]);
    expect(schemaProblem.code).toBe(2);
    expect(schemaProblem.stderr).toBe(`${file}: invalid configuration\n  source.prometheus.timout: unknown key; did you mean "timeout"? (line 4)\n`);
    writeFileSync(file, "source:\n  prometheus:\n    url: http://127.0.0.1:9090\nsignals:\n  - name: api\n    requests: {query: 'sum(rate(http_requests_total[5m]'}\n");
    const promql = await runCli(['check-config', '--lint', file]);
    expect(promql.code).toBe(2);
    expect(promql.stderr).toBe(`${file}: invalid configuration\n  signals[0].requests.query: PromQL syntax error at column 33: unexpected end of expression (an unclosed bracket or a missing operand?) (line 6)\n`);
  });

  it('ends `run` that cannot go on (its port in use) with one JSON log line, as everything else on its stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-port-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(file, 'interval: 15s\nsource:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nsignals:\n  - name: a\n    requests: a_total\n');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const r = await runCli(['run', '--config', file, '--listen', `127.0.0.1:${(taken.address() as AddressInfo).port}`, '--state-dir', join(dir, 'state')]);
      expect(r.code).toBe(1);
      expect(String(stoppedWith(r.stderr))).toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  });
});
