// Shared pieces of the fault-injection suite: a service whose /metrics page can be broken in every
// way a real one breaks, the real stormwatch CLI started on a config in a temp dir, and small
// polling helpers. Everything on 127.0.0.1 with random ports; every loop bounded.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliProcess, spawnCli } from './cli.js';
import { stopChild } from './loopback-binary.js';

export type PageMode = 'ok' | 'html' | 'garbage' | 'nan' | 'empty' | 'duplicates' | 'down';

export interface FaultyService {
  state: { api: number; files: number; broken: boolean; page: PageMode; version: string };
  url: string;
  close(): Promise<void>;
}

/**
 * A download service: 50 requests/s reaching the static host; when `broken`, every request is
 * retried 4 times and none completes. Its /metrics page can be an HTML error page with status 200,
 * garbage, NaN, empty, carry every series twice, or drop the connection.
 */
export async function startFaultyService(): Promise<FaultyService> {
  const state = { api: 0, files: 0, broken: false, page: 'ok' as PageMode, version: '1.0.0' };
  let steps = 0;
  // Bounded: at most 10 minutes of 100 ms steps.
  const timer = setInterval(() => {
    if (++steps > 6000) return clearInterval(timer);
    state.api += state.broken ? 20 : 5;
    if (!state.broken) state.files += 5;
  }, 100);
  const page = () => {
    const good = `# TYPE api_requests_total counter\napi_requests_total{route="download",code="302"} ${state.api}\n# TYPE static_requests_total counter\nstatic_requests_total{code="200"} ${state.files}\ncrates_build_info{version="${state.version}"} 1\n`;
    switch (state.page) {
      case 'html':
        return { type: 'text/html', body: '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n' };
      case 'garbage':
        return { type: 'text/plain', body: 'api_requests_total{route="download" 12\nstatic_requests_total{code="200"} twelve\n' };
      case 'nan':
        return { type: 'text/plain', body: 'api_requests_total{route="download",code="302"} NaN\nstatic_requests_total{code="200"} NaN\n' };
      case 'empty':
        return { type: 'text/plain', body: '' };
      case 'duplicates':
        // A broken exporter registering every series twice (the second with another value).
        return { type: 'text/plain', body: `${good}api_requests_total{route="download",code="302"} ${state.api * 3}\nstatic_requests_total{code="200"} ${state.files}\n` };
      default:
        return { type: 'text/plain; version=0.0.4', body: good };
    }
  };
  const server: Server = createServer((_, res) => {
    if (state.page === 'down') return void res.socket?.destroy();
    const p = page();
    res.writeHead(200, { 'content-type': p.type }).end(p.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `stormwatch-${prefix}-`));
}

/** The detector settings of the live tests: 1 s ticks, every tick kept, a short warm-up. */
export const FAST_DETECTOR = `detector:
  minBaselinePoints: 8
  baselineResolution: 1s
alerting:
  for: 2s
  keepFiringFor: 3s
`;

export interface RunningStormwatch {
  proc: CliProcess;
  /** Its HTTP server's base URL. */
  url: string;
  configFile: string;
}

/** Starts `stormwatch run` on a config (written to `dir`) and waits for its HTTP server. */
export async function startStormwatch(dir: string, config: string, env: Record<string, string> = {}): Promise<RunningStormwatch> {
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, config);
  const proc = spawnCli(['run', '--config', configFile], env);
  const listening = await proc.waitForLog('http server listening', 15_000);
  return { proc, url: String(listening.url), configFile };
}

/** SIGTERM and the time it took to exit, and the exit code. */
export async function terminate(sw: RunningStormwatch, timeoutMs = 25_000): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  if (sw.proc.child.exitCode !== null) return { code: sw.proc.child.exitCode, ms: 0 };
  const exited = new Promise<number | null>((resolve) => sw.proc.child.once('exit', (code) => resolve(code)));
  sw.proc.child.kill('SIGTERM');
  const timer = setTimeout(() => sw.proc.child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return { code, ms: Date.now() - started };
}

export async function stopQuietly(sw: RunningStormwatch | undefined): Promise<void> {
  if (sw) await stopChild(sw.proc.child, 25_000);
}

export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function status(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

/** The value of one sample of stormwatch's /metrics (0 when absent). */
export async function metricValue(baseUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Every stderr line is a JSON log line: returns them parsed, and the lines that are not JSON. */
export function logLines(stderr: string): { lines: Record<string, unknown>[]; notJson: string[] } {
  const lines: Record<string, unknown>[] = [];
  const notJson: string[] = [];
  for (const l of stderr.split('\n')) {
    if (l.trim() === '') continue;
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      notJson.push(l);
    }
  }
  return { lines, notJson };
}
