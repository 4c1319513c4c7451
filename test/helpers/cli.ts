// Runs the built stormwatch CLI as a child process, as users run it: the installed command, the
// bundle in dist/bin (scripts/bundle-cli.ts).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/core/paths.js';

export const CLI = join(PACKAGE_ROOT, 'dist', 'bin', 'cli.js');
/** What tsc compiles the bundle from: a bundle older than it would test yesterday's code. */
const COMPILED = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
  if (existsSync(COMPILED) && statSync(COMPILED).mtimeMs > statSync(CLI).mtimeMs) throw new Error(`${CLI} is older than ${COMPILED}: run \`npm run build\`, which bundles after tsc`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}): Promise<CliResult> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stderr log line (JSON) whose msg matches. */
  waitForLog(msg: string, timeoutMs: number): Promise<Record<string, unknown>>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitForLog(msg, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of stderr.split('\n')) {
          try {
            const parsed = JSON.parse(line) as Record<string, unknown>;
            if (parsed.msg === msg) return parsed;
          } catch {
            // not a log line
          }
        }
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${msg}" log within ${timeoutMs} ms; stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
