// Starts the real Prometheus binary (Debian's) on 127.0.0.1 with a random port and a temp dir,
// optionally backfilled from an OpenMetrics fixture with promtool; stops and cleans up after.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLoopbackBinary } from './loopback-binary.js';

export { stopChild } from './loopback-binary.js';

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
  /** `--query.max-samples`: the most samples a query may hold (Prometheus refuses more with HTTP 422). */
  maxSamples?: number;
  /** A --web.config.file (TLS, basic auth) and how to check readiness through it. */
  web?: { config: string; scheme: 'https' | 'http'; isReady: (url: string) => Promise<boolean> };
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

  if (options.web) writeFileSync(join(dir, 'web.yml'), options.web.config);
  const binary = await startLoopbackBinary(
    'prometheus',
    (port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=5y',
      '--web.enable-lifecycle',
      ...(options.maxSamples !== undefined ? [`--query.max-samples=${options.maxSamples}`] : []),
      ...(options.web ? [`--web.config.file=${join(dir, 'web.yml')}`] : []),
    ],
    dir,
    options.web ? { scheme: options.web.scheme, isReady: options.web.isReady } : {},
  );
  return { url: binary.url, dir, stop: binary.stop };
}

/**
 * For the describe block it is called in: a Prometheus holding `history(now)` (OpenMetrics text,
 * backfilled by promtool), started before its tests and stopped after, and a temp dir for them.
 */
export function prometheusWithHistory(prefix: string, history: (nowMs: number) => string): { readonly url: string; readonly dir: string } {
  let prometheus: RunningPrometheus | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const file = join(dir, 'history.om');
    writeFileSync(file, history(Date.now()));
    prometheus = await startPrometheus({ backfill: file });
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
  });
  return {
    get url() {
      return prometheus!.url;
    },
    get dir() {
      return dir;
    },
  };
}

/**
 * A `stormwatch run` configuration reading the Prometheus at `url` every 5 s, its warm-up an hour
 * (rates over 5 minutes, so a backfill ending moments ago still reads), its server on a random port,
 * one signal per name with the counter `<name>_requests_total`.
 */
export function historyRunConfig(url: string, seasonalHistory: string, signals: readonly string[]): string {
  const listed = signals.map((s) => `  - name: ${s}\n    requests: '${s}_requests_total'\n`).join('');
  return `interval: 5s\nsource:\n  prometheus:\n    url: ${url}\n    warmup: 1h\n    seasonalHistory: ${seasonalHistory}\n    rateWindow: 5m\nserver:\n  listen: 127.0.0.1:0\nsignals:\n${listed}`;
}

