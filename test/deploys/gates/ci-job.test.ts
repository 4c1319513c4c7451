// examples/ci/github-actions.yml's gate step run as the runner runs it (bash, its env, `stormwatch`
// on PATH: the built CLI), against a real stormwatch; and `stormwatch deploy --wait`'s exit codes.

import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/core/paths.js';
import { CLI, runCli } from '../../helpers/cli.js';
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
      const down = await runCli([...base, '--version', 'd1', '--url', `http://127.0.0.1:${closed}`]);
      expect(down.code).toBe(1);
      expect(down.stderr).toBe(`stormwatch: cannot record the deploy: http://127.0.0.1:${closed}: request failed: ECONNREFUSED\n`);
      const usage = await runCli([...base, '--version', 'u1', '--url', s.url, '--bogus']);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toBe("stormwatch: Unknown option '--bogus' (see stormwatch deploy --help)\n");
      const once = await runCli(['deploy', '--service', 'checkout', '--version', 'r1', '--id', 'ci-run-7', '--url', s.url]);
      const again = await runCli(['deploy', '--service', 'checkout', '--version', 'r1', '--id', 'ci-run-7', '--url', s.url]);
      expect(JSON.parse(again.stdout).startedAtMs).toBe(JSON.parse(once.stdout).startedAtMs);
    } finally {
      delete process.env.STORMWATCH_DEPLOY_TOKEN;
    }
  }, 40_000);
});
