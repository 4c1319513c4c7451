// Where a steady-state tick's resident bytes go, per series: the tick bench's set-up (its own
// baselines per series, real ticks from the bytes of Prometheus answers, a state save), then the
// components released one at a time, each followed by two full collections; a component's share is
// what its release gave back (heap used + array buffers, and the resident set).
// `--snapshot FILE` also writes a heap snapshot of the steady state (for bench/heap-summary.ts).
// Run: node --expose-gc dist/bench/mem-breakdown.js N [--snapshot FILE]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { Pipeline } from '../src/pipeline.js';
import { STATE_FILE_NAME, saveState } from '../src/runner/state-file.js';
import type { PrometheusSource } from '../src/source/prometheus-source.js';
import { StormwatchMetrics } from '../src/telemetry/metrics.js';
import { BAND_SIGMAS } from '../src/ui/band.js';
import { HistoryStore } from '../src/ui/history-store.js';
import { liveHistory } from '../src/ui/history-sizes.js';
import { settledRss } from './measure.js';
import { routeProfiles } from './pages.js';
import { FakePrometheusAnswers, configFor, restoreSteadyState } from './tick-bench.js';

const INTERVAL_MS = 15_000;

interface Reading {
  heap: number;
  committed: number;
  buffers: number;
  rss: number;
}

function read(): Reading {
  const rss = settledRss();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, committed: m.heapTotal, buffers: m.arrayBuffers, rss };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10_000);
  const snapshotAt = process.argv.indexOf('--snapshot');
  const save = !process.argv.includes('--no-save');
  const ticks = 8;
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-mem-'));
  try {
    const config = configFor(dir, 'prometheus');
    const profiles = routeProfiles(n);
    const t0 = 1_700_000_000_000;
    const answers = new FakePrometheusAnswers(profiles, t0);
    const start = read();
    let source: PrometheusSource | undefined = answers.source(config.signals);
    let pipeline: Pipeline | undefined = new Pipeline(config);
    restoreSteadyState(pipeline, config, profiles, t0);
    let history: HistoryStore | undefined = new HistoryStore(liveHistory(config));
    let metrics: StormwatchMetrics | undefined = new StormwatchMetrics(true, BAND_SIGMAS);
    const stateFile = join(config.delivery.outboxDir, STATE_FILE_NAME);
    const tick = async (k: number) => {
      answers.prepare(k);
      const nowMs = t0 + k * INTERVAL_MS;
      const r = await source!.read(nowMs);
      const result = pipeline!.step(r.frame);
      history!.record(result);
      metrics!.recordTick(result, 0, r.errors, r.problems.length, r.duplicates ?? 0);
      // As `stormwatch run` does: the frame's columns go back to the source for the next read.
      source!.recycle(r.frame);
      if (save && (k + 1) % 4 === 0) saveState(stateFile, (section) => pipeline!.snapshot(nowMs, section));
    };
    for (let k = 0; k < ticks; k++) await tick(k);
    answers.release();
    const steady = read();
    if (snapshotAt > 0) writeHeapSnapshot(process.argv[snapshotAt + 1]);
    const rows: [string, Reading][] = [];
    let last = steady;
    const release = (name: string, drop: () => void) => {
      drop();
      const now = read();
      rows.push([name, { heap: last.heap - now.heap, committed: last.committed - now.committed, buffers: last.buffers - now.buffers, rss: last.rss - now.rss }]);
      last = now;
    };
    release('UI: latest tick (history.latest)', () => {
      history!.latest.record(new Map());
    });
    release('UI: history rings and the rest of the store', () => {
      history = undefined;
    });
    release('telemetry (prom-client registry)', () => {
      metrics = undefined;
    });
    release('pipeline (detectors, ramps, decider)', () => {
      pipeline = undefined;
    });
    release('source (Prometheus split series, caches)', () => {
      source = undefined;
    });
    const kb = (b: number) => (b / n / 1024).toFixed(3);
    const total = { heap: steady.heap - start.heap, committed: steady.committed - start.committed, buffers: steady.buffers - start.buffers, rss: steady.rss - start.rss };
    console.log(`${n} series; KB per series: heap used (JS objects) / heap committed / array buffers / resident`);
    console.log(`all, steady state vs before: ${kb(total.heap)} / ${kb(total.committed)} / ${kb(total.buffers)} / ${kb(total.rss)}`);
    for (const [name, r] of rows) console.log(`  ${name}: ${kb(r.heap)} / ${kb(r.committed)} / ${kb(r.buffers)} / ${kb(r.rss)}`);
    console.log(`left after all released: ${kb(last.heap - start.heap)} / ${kb(last.committed - start.committed)} / ${kb(last.buffers - start.buffers)} / ${kb(last.rss - start.rss)}`);
    console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
