// examples/ci/github-actions.yml's gate step run as the runner runs it (bash, its env, `stormwatch`
// on PATH: the built CLI), against a real stormwatch; and `stormwatch deploy --wait`'s exit codes.

import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/core/paths.js';
import { CLI, runCli, spawnCli } from '../../helpers/cli.js';
import { freePort } from '../../helpers/ports.js';
import { GATE_TOKEN, type GatedService, startGatedService } from '../../helpers/gated-service.js';

const workflow = parse(readFileSync(join(PACKAGE_ROOT, 'examples', 'ci', 'github-actions.yml'), 'utf8')) as {
  jobs: { deploy: { env: Record<string, string>; steps: { name?: string; run?: string }[] } };
};
const gateStep = workflow.jobs.deploy.steps.find((s) => s.name === "Wait for stormwatch's verdict")!;

/** Runs the step's script with bash, as GitHub's runner does (bash -e {0}), `stormwatch` on PATH. */
async function runStep(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-ci-'));
  const bin = join(dir, 'bin');
  const shim = join(dir, 'bin-stormwatch');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(shim, 0o755);
  await new Promise<void>((resolve, reject) => spawn('sh', ['-c', `mkdir -p "${bin}" && ln -s "${shim}" "${bin}/stormwatch"`]).on('close', (c) => (c === 0 ? resolve() : reject(new Error('shim')))));
  const child = spawn('bash', ['-e', '-c', gateStep.run!], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, ...workflow.jobs.deploy.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr, dir };
}

describe('the CI example and deploy --wait', () => {
  let s: GatedService;
  beforeAll(async () => {
    s = await startGatedService({ windowSeconds: 6 });
    await s.warm(5000);
  }, 30_000);
  afterAll(() => s?.stop());

  const env = (sha: string) => ({ STORMWATCH_URL: s.url, STORMWATCH_DEPLOY_TOKEN: GATE_TOKEN, GITHUB_SHA: sha, GITHUB_RUN_ID: sha, GITHUB_RUN_ATTEMPT: '1' });

  it('a good deploy: the job passes, progress on stderr, the verdict JSON in verdict.json', async () => {
    const r = await runStep(env('good1'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deploy passed');
    expect(r.stderr).toMatch(/stormwatch: deploy checkout good1 \(gha-good1-1\): pending, \d+s left in the window/);
    expect(r.stderr).toContain('stormwatch: deploy checkout good1 (gha-good1-1): pass: no signal regressed in the window');
    const lines = readFileSync(join(r.dir, 'verdict.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verdict: string });
    expect(lines.map((l) => l.verdict)).toEqual(['pending', 'pass']);
  }, 40_000);

  it('a bad deploy: the job fails with exit 3 and the reason', async () => {
    s.state.broken = true;
    try {
      const r = await runStep(env('bad1'));
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('::error::stormwatch verdict: exit 3');
      expect(r.stderr).toContain('name does not resolve');
      expect(r.stderr).toContain('stormwatch: exit 3 (fail)');
    } finally {
      s.state.broken = false;
    }
  }, 40_000);

  it('timeout 5, unreachable 1, unknown flag 2, retried CI job is one deploy', async () => {
    const base = ['deploy', '--service', 'checkout', '--wait'];
    process.env.STORMWATCH_DEPLOY_TOKEN = GATE_TOKEN;
    try {
      const timeout = await runCli([...base, '--version', 't1', '--url', s.url, '--wait-timeout', '1s', '--poll-interval', '200ms']);
      expect(timeout.code).toBe(5);
      expect(timeout.stderr).toContain('no verdict within --wait-timeout 1s');
      const closed = await freePort();
      const down = await runCli([...base, '--version', 'd1', '--url', `http://127.0.0.1:${closed}`, '--wait-timeout', '1s', '--poll-interval', '300ms']);
      expect(down.code).toBe(1);
      const tries = down.stderr.trim().split('\n');
      // Tried until the deadline (a stormwatch restarting while CI records is waited for), then given up.
      expect(tries.length).toBeGreaterThanOrEqual(2);
      expect(tries.slice(0, -1).every((l) => l === `stormwatch: cannot record the deploy yet (http://127.0.0.1:${closed}: request failed: ECONNREFUSED); trying again until --wait-timeout`)).toBe(true);
      expect(tries.at(-1)).toBe(`stormwatch: cannot record the deploy: http://127.0.0.1:${closed}: request failed: ECONNREFUSED`);
      // Without --wait, once.
      const onceDown = await runCli(['deploy', '--service', 'checkout', '--version', 'd2', '--url', `http://127.0.0.1:${closed}`]);
      expect([onceDown.code, onceDown.stderr]).toEqual([1, `stormwatch: cannot record the deploy: http://127.0.0.1:${closed}: request failed: ECONNREFUSED\n`]);
      const usage = await runCli([...base, '--version', 'u1', '--url', s.url, '--bogus']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toBe("stormwatch: Unknown option '--bogus' (see stormwatch deploy --help)\n");
      const once = await runCli(['deploy', '--service', 'checkout', '--version', 'r1', '--id', 'ci-run-7', '--url', s.url]);
      const again = await runCli(['deploy', '--service', 'checkout', '--version', 'r1', '--id', 'ci-run-7', '--url', s.url]);
      expect(JSON.parse(again.stdout).startedAtMs).toBe(JSON.parse(once.stdout).startedAtMs);
      expect(once.stderr).toBe('');
      // A mistyped service is recorded (its window judges every signal) and said to the pipeline too.
      const typo = await runCli(['deploy', '--service', 'chekout', '--version', 'r2', '--url', s.url]);
      expect(typo.code).toBe(0);
      expect(typo.stderr).toBe('stormwatch: warning: no signal is labelled service="chekout": the deploy\'s window judges every signal (is the service name right?)\n');
    } finally {
      delete process.env.STORMWATCH_DEPLOY_TOKEN;
    }
  }, 40_000);
});

describe('deploy --wait against a stormwatch that is not up yet', () => {
  it('records the deploy once it answers, then waits for its verdict (exit 0)', async () => {
    const port = await freePort();
    const posts: string[] = [];
    const record = { id: 'late-1', service: 'checkout', version: 'l1', environment: 'production', startedAtMs: 0, source: 'api', verdict: 'pass', windowEndsAtMs: 1, reasons: [], evidence: [] };
    const server = createServer((req, res) => {
      if (req.method === 'POST') posts.push(req.url ?? '');
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(record));
    });
    // Up once the CLI has found it down (a stormwatch restarting as the pipeline records its
    // deploy): a fixed delay raced the CLI's own start on a busy machine.
    const cli = spawnCli(['deploy', '--service', 'checkout', '--version', 'l1', '--url', `http://127.0.0.1:${port}`, '--wait', '--wait-timeout', '20s', '--poll-interval', '300ms'], { STORMWATCH_DEPLOY_TOKEN: GATE_TOKEN });
    try {
      for (let i = 0; i < 200 && !cli.stderr().includes('cannot record the deploy yet'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(cli.stderr()).toContain('cannot record the deploy yet');
      server.listen(port, '127.0.0.1');
      const code = await new Promise<number | null>((resolve) => (cli.child.exitCode !== null ? resolve(cli.child.exitCode) : cli.child.once('exit', resolve)));
      expect(code, cli.stderr()).toBe(0);
      expect(posts).toEqual(['/api/v1/deploys']);
      expect(cli.stdout().trim().split('\n').map((l) => (JSON.parse(l) as { verdict: string }).verdict)).toEqual(['pass', 'pass']);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      server.close();
    }
  }, 40_000);
});
