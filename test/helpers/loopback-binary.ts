// Starts a server binary (Prometheus, Alertmanager) on 127.0.0.1 at a free port, waits for its
// /-/ready, and stops it. A port taken between choosing and binding is retried with another.

import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { freePort } from './ports.js';

export interface LoopbackBinary {
  url: string;
  stop(): Promise<void>;
}

export interface LoopbackOptions {
  /** The binary serves HTTPS (a web config with TLS). */
  scheme?: 'http' | 'https';
  /** Readiness check when /-/ready needs more than a plain GET (TLS, basic auth). */
  isReady?: (url: string) => Promise<boolean>;
}

export async function startLoopbackBinary(command: string, args: (port: number) => string[], cleanupDir: string, options: LoopbackOptions = {}): Promise<LoopbackBinary> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(command, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    });
    const url = `${options.scheme ?? 'http'}://127.0.0.1:${port}`;
    if (await waitReady(url, child, 30_000, options.isReady)) {
      return {
        url,
        async stop() {
          await stopChild(child);
          rmSync(cleanupDir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    if (attempt >= 2) {
      rmSync(cleanupDir, { recursive: true, force: true });
      throw new Error(`${command} did not become ready:\n${log}`);
    }
  }
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, isReady?: (url: string) => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      if (isReady ? await isReady(url) : (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export async function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
