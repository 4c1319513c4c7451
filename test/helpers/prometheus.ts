// Starts the real Prometheus binary (Debian's) on 127.0.0.1 with a random port and a temp dir,
// optionally backfilled from an OpenMetrics fixture with promtool; stops and cleans up after.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

export interface RunningPrometheus {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** OpenMetrics file to backfill with `promtool tsdb create-blocks-from openmetrics`. */
  backfill?: string;
  /** Scrape targets (host:port) polled every `scrapeInterval`. */
  scrapeTargets?: string[];
  scrapeInterval?: string;
  /** Rule files (their text) Prometheus evaluates. */
  rules?: string;
  dropTargetLabels?: boolean;
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-prom-'));
  const data = join(dir, 'data');
  if (options.backfill) {
    await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', options.backfill, data]);
  }
  // dropTargetLabels: scraped series keep exactly the labels the target exposes (no job/instance),
  // so they continue the backfilled series of the same name.
  const relabel = options.dropTargetLabels ? `    metric_relabel_configs:\n      - action: labeldrop\n        regex: job|instance\n` : '';
  const scrape = options.scrapeTargets?.length
    ? `scrape_configs:\n  - job_name: target\n    scrape_interval: ${options.scrapeInterval ?? '1s'}\n    static_configs:\n      - targets: [${options.scrapeTargets.map((t) => `'${t}'`).join(', ')}]\n${relabel}`
    : 'scrape_configs: []\n';
  let ruleFiles = '';
  if (options.rules !== undefined) {
    writeFileSync(join(dir, 'rules.yml'), options.rules);
    ruleFiles = `rule_files: ['${join(dir, 'rules.yml')}']\n`;
  }
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: ${options.scrapeInterval ?? '1s'}\n  evaluation_interval: 1s\n${ruleFiles}${scrape}`);

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${data}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=5y',
        '--web.enable-lifecycle',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    });
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitReady(url, child, 30_000);
    if (ready) {
      return {
        url,
        dir,
        async stop() {
          await stopChild(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stopChild(child);
    if (attempt >= 2) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus did not become ready:\n${log}`);
    }
  }
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
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
