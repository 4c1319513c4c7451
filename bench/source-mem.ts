// A live source's own memory a series, apart from the pipeline: N routes' answers (three Prometheus
// instant queries, or one /metrics page of counters) served from a process of its own, read four
// times by a ScrapeSource or a PrometheusSource as `stormwatch run` makes them, frames handed back,
// then the JS heap's and array buffers' growth after two full collections. `--snapshot FILE` writes
// a heap snapshot afterwards (for heap-summary.js).
//
//   node --expose-gc dist/bench/source-mem.js N scrape|prometheus [--snapshot FILE]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { PrometheusClient } from '../src/source/prometheus-client.js';
import { PrometheusSource } from '../src/source/prometheus-source.js';
import { ScrapeSource } from '../src/source/scrape-source.js';
import { gc } from './measure.js';
import { type TickSourceKind, configFor, startAnswerServer } from './tick-bench.js';

const args = process.argv.slice(2);
const n = Number(args[0] ?? 10_000);
const kind = (args[1] ?? 'scrape') as TickSourceKind;
const snapshotAt = args.indexOf('--snapshot');
const dir = mkdtempSync(join(tmpdir(), 'source-mem-'));
const t0 = 1_700_000_000_000;
const upstream = await startAnswerServer(n, kind, t0);
try {
  const config = configFor(dir, kind);
  await upstream.prepare(0);
  gc();
  gc();
  const before = process.memoryUsage();
  const source =
    config.source.kind === 'scrape'
      ? new ScrapeSource({ url: `${upstream.url}/metrics`, timeoutMs: 60_000, maxBytes: config.source.maxBytes }, config.signals)
      : new PrometheusSource(new PrometheusClient({ url: upstream.url, timeoutMs: 60_000 }), config.signals);
  for (let k = 0; k < 4; k++) {
    if (k > 0) await upstream.prepare(k);
    const read = await source.read(t0 + k * 15_000);
    source.recycle?.(read.frame);
  }
  gc();
  gc();
  const after = process.memoryUsage();
  console.log(`${kind} source alone, ${n} series: JS heap ${((after.heapUsed - before.heapUsed) / n).toFixed(0)} B a series, array buffers ${((after.arrayBuffers - before.arrayBuffers) / n).toFixed(0)} B a series`);
  if (snapshotAt >= 0) writeHeapSnapshot(args[snapshotAt + 1]!);
} finally {
  upstream.stop();
  rmSync(dir, { recursive: true, force: true });
}
