// The same detection at scale in a real Prometheus 2.42: `stormwatch rules` exports per-series rules;
// Prometheus evaluates each rule as an instant query at the evaluation time, so the bench backfills
// 70 minutes of counters with promtool and asks Prometheus for each recording rule's expression at
// the last data point, reading Prometheus's own process_cpu_seconds_total before and after. The
// inputs stormwatch itself asks for each tick are measured the same way, so both sides carry the
// Prometheus work they cause.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { exportRules } from '../src/rules/export-rules.js';
import { startPrometheus } from '../test/helpers/prometheus.js';
import { median } from './measure.js';
import { writeReplayFile } from './pages.js';

export interface RulesFigures {
  routes: number;
  samples: number;
  /** Prometheus CPU seconds for one evaluation of the recording rules (median of runs). */
  rulesCpuS: number;
  /** Prometheus CPU seconds answering stormwatch's three input queries for one tick. */
  inputsCpuS: number;
  recordingRules: number;
  seriesReturned: number;
}

const START_S = 1_689_811_200;
const INTERVAL_MS = 15_000;
/** 70 minutes: the hour the baselines' subqueries read, their 5 minute offset and the rate window. */
const TICKS = 280;

async function cpuOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^process_cpu_seconds_total ([\d.e+]+)$/m.exec(text);
  if (!m) throw new Error('Prometheus did not report process_cpu_seconds_total');
  return Number(m[1]);
}

async function instant(url: string, query: string, timeS: number): Promise<number> {
  // Uncompressed, as stormwatch asks for its inputs: gzipping 10k series' answers is CPU a recording
  // rule evaluated inside Prometheus never spends.
  const response = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'accept-encoding': 'identity' }, body: new URLSearchParams({ query, time: String(timeS) }), signal: AbortSignal.timeout(300_000) });
  const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== 'success') throw new Error(`query failed: ${body.error}`);
  return body.data!.result.length;
}

export async function benchRules(routes: number, runs: number): Promise<RulesFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-rules-'));
  try {
    const file = join(dir, 'history.om');
    const samples = await writeReplayFile(file, routes, TICKS, INTERVAL_MS);
    const configFile = join(dir, 'stormwatch.yaml');
    writeFileSync(configFile, `interval: 15s\nsource:\n  prometheus:\n    url: http://127.0.0.1:9\nsignals:\n  - name: api\n    by: [route]\n    requests: 'app_requests_total'\n    errors: 'app_requests_total{code=~"5.."}'\n    downstream: 'app_completions_total'\n`);
    const config = loadConfig(configFile);
    const groups = exportRules(config).groups as unknown as { rules: { record?: string; expr: string }[] }[];
    const recording = groups.flatMap((g) => g.rules.filter((r) => r.record !== undefined).map((r) => r.expr));
    const inputs = config.signals.flatMap((s) => Object.values(s.inputs).map((i) => i.query));
    const prometheus = await startPrometheus({ backfill: file });
    try {
      const atS = START_S + ((TICKS - 1) * INTERVAL_MS) / 1000;
      const evaluate = async (queries: readonly string[]) => {
        const before = await cpuOf(prometheus.url);
        let returned = 0;
        for (const q of queries) returned += await instant(prometheus.url, q, atS);
        return { cpuS: (await cpuOf(prometheus.url)) - before, returned };
      };
      // One unmeasured round loads the blocks' chunks, as a running Prometheus has them.
      await evaluate(inputs);
      const rules: number[] = [];
      const reads: number[] = [];
      let seriesReturned = 0;
      for (let r = 0; r < runs; r++) {
        const e = await evaluate(recording);
        rules.push(e.cpuS);
        seriesReturned = e.returned;
        reads.push((await evaluate(inputs)).cpuS);
      }
      return { routes, samples, rulesCpuS: median(rules), inputsCpuS: median(reads), recordingRules: recording.length, seriesReturned };
    } finally {
      await prometheus.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
