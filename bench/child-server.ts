// The bench's fake upstreams (answer-server.ts, history-server.ts) run in processes of their own, so
// none of their work is counted in the measured process. Both halves of that arrangement: the child
// announces its port and lives while its parent's stdin pipe is open; the parent starts it and waits.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';

/**
 * In the child: listens on a random loopback port, prints "listening PORT", and exits when the
 * parent closes stdin (or dies). Idle connections are kept ten minutes: the bench's ticks and saves
 * take longer than the default 5 s between requests, and a connection closed as it is reused fails
 * the next fetch.
 */
export function serveUntilParentGoes(server: Server): void {
  server.keepAliveTimeout = 600_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

/** In the parent: starts `node script ...args` and resolves once it listens: its URL, and how to stop it. */
export async function startChildServer(script: string, args: readonly string[], nodeFlags: readonly string[] = []): Promise<{ url: string; child: ChildProcess; stop: () => void }> {
  const child = spawn(process.execPath, [...nodeFlags, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening: ${out}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () => {
      child.stdin!.end();
      child.kill();
    },
  };
}
