// `npm run bench`: stormwatch's speed and memory, side by side with a peer where one exists, in one
// run (ratios hold across machines; absolute times drift). Prints a table; asserts nothing.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadBundledClientModels, loadBundledModels, loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { FIXTURES_DIR } from '../src/core/paths.js';
import type { Frame, SeriesInfo, SignalSample } from '../src/core/types.js';
import { EvidenceDetector } from '../src/detectors/evidence-detector.js';
import { Pipeline, type PipelineConfig } from '../src/pipeline.js';
import { runBacktest } from '../src/runner/backtest.js';
import { mulberry32 } from '../src/sim/random.js';
import { parseExposition } from '../src/source/exposition.js';
import { PrometheusClient } from '../src/source/prometheus-client.js';
import { readReplayFile } from '../src/source/replay-source.js';
import { parseSelector } from '../src/source/selector.js';

const require = createRequire(import.meta.url);
const parsePeer = require('parse-prometheus-text-format') as (text: string) => { name: string; metrics: { value: string; labels?: Record<string, string> }[] }[];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rows: string[][] = [];
const row = (...cells: string[]) => rows.push(cells);
const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toLocaleString('en-US') : 'n/a');

/** Best wall time of `runs` calls, in ms. */
function time(fn: () => void, runs: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/** A realistic /metrics page: request counters by service, route, method, code and pod, with help and type lines. */
function page(bytes: number): { text: string; samples: number } {
  const random = mulberry32(42);
  const lines: string[] = [];
  let size = 0;
  let samples = 0;
  for (let family = 0; size < bytes; family++) {
    const name = `app_http_requests_${family}_total`;
    lines.push(`# HELP ${name} Requests handled, by route and status.`, `# TYPE ${name} counter`);
    for (let i = 0; i < 200 && size < bytes; i++) {
      const line = `${name}{service="svc-${i % 17}",route="/api/v1/items/${i % 50}",method="${i % 3 ? 'GET' : 'POST'}",code="${[200, 302, 404, 500][i % 4]}",pod="web-${i % 9}-7d9c5"} ${Math.floor(random() * 1e9)}`;
      lines.push(line);
      size += line.length + 1;
      samples++;
    }
  }
  return { text: `${lines.join('\n')}\n`, samples };
}

function benchParser(): void {
  for (const mb of [1, 10, 100]) {
    const { text, samples } = page(mb * 1024 * 1024);
    gc();
    const runs = mb >= 100 ? 1 : 3;
    let ours = 0;
    const oursMs = time(() => {
      ours = parseExposition(text, { format: 'text', onSample: () => {} }).samples;
    }, runs);
    gc();
    let peerMs = Number.NaN;
    let peerSamples = 0;
    try {
      peerMs = time(() => {
        peerSamples = parsePeer(text).reduce((n, f) => n + f.metrics.length, 0);
      }, runs);
    } catch (error) {
      row(`parser ${mb} MB`, `peer failed: ${(error as Error).message}`);
    }
    if (ours !== samples || (peerSamples !== 0 && peerSamples !== samples)) throw new Error(`sample counts differ: page ${samples}, ours ${ours}, peer ${peerSamples}`);
    const mbps = (t: number) => (text.length / 1024 / 1024 / (t / 1000));
    row(`parse ${mb} MB page (${fmt(samples)} samples)`, `${fmt(mbps(oursMs))} MB/s, ${fmt(samples / (oursMs / 1000))} samples/s`, `${fmt(mbps(peerMs))} MB/s`, `${fmt(peerMs / oursMs, 2)}x`);
    gc();
  }
  // How stormwatch scrapes: labels are built only for the metrics its signals select (here 1 family in 50).
  {
    const { text, samples } = page(100 * 1024 * 1024);
    gc();
    let seen = 0;
    const ms = time(() => {
      seen = parseExposition(text, { format: 'text', wants: (name) => name.endsWith('_7_total'), onSample: () => {} }).samples;
    }, 1);
    if (seen !== samples) throw new Error('sample count differs');
    row('parse 100 MB page, scrape mode (labels built for watched metrics only)', `${fmt(text.length / 1024 / 1024 / (ms / 1000))} MB/s, ${fmt(samples / (ms / 1000))} samples/s`, '', '');
  }
  // Identical results on the same input: every sample's name, labels and value.
  const { text } = page(1024 * 1024);
  const ours: string[] = [];
  parseExposition(text, { format: 'text', onSample: (name, labels, value) => ours.push(`${name}${JSON.stringify(labels)}=${value}`) });
  const peer = parsePeer(text).flatMap((f) => f.metrics.map((m) => `${f.name}${JSON.stringify(m.labels ?? {})}=${Number(m.value)}`));
  row('parse: same samples as the peer (1 MB page)', ours.length === peer.length && ours.every((x, i) => x === peer[i]) ? 'identical' : 'DIFFERENT', '', '');
}

async function benchPromDecode(): Promise<void> {
  const result = Array.from({ length: 100_000 }, (_, i) => ({ metric: { service: `svc-${i % 100}`, route: `/r/${i}` }, value: [1689855450, String(i * 1.5)] }));
  const body = JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
  const client = new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: async () => new Response(body, { status: 200 }) });
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await client.vector('q', 0);
    best = Math.min(best, performance.now() - t);
  }
  row(`decode a 100k-series instant vector (${fmt(body.length / 1024 / 1024)} MB JSON)`, `${fmt(best)} ms`, '', '');
}

const { presets, definitions } = loadBundledModels();

function benchDetector(): void {
  const params = presets.default!;
  for (const n of [1_000, 10_000, 100_000]) {
    const random = mulberry32(n);
    const detectors: EvidenceDetector[] = [];
    const warm = Array.from({ length: 240 }, () => 1 + random() * 0.05);
    for (let i = 0; i < n; i++) {
      const d = new EvidenceDetector(params, { intervalMs: 15_000, inputs: new Set(['requests', 'errors', 'downstream']) });
      d.restore({ rate: { values: warm.map((v) => Math.log(100 * v)), anomalousSinceMs: null }, errorRatio: { values: warm.map((v) => 0.001 * v), anomalousSinceMs: null }, funnel: { values: warm.map((v) => 0.999 / v), anomalousSinceMs: null } });
      detectors.push(d);
    }
    const sample: SignalSample = { requests: 101, errors: 0.1, downstream: 100.8 };
    const ms = time(() => {
      for (const d of detectors) d.observe(sample, 0);
    }, 3);
    row(`detector update, all checks, ${fmt(n)} series`, `${fmt((ms * 1000) / n)} µs/series/tick`, '', '');
  }
}

function splitConfig(): PipelineConfig {
  return {
    intervalMs: 15_000,
    detector: presets.default!,
    alerting: { forMs: 15_000, keepFiringForMs: 60_000, labels: {}, externalURL: 'http://x', receiver: 'r' },
    definitions,
    signals: [{ name: 'api', labels: {}, by: ['route'], clients: loadBundledClientModels(), inputs: { requests: { selector: parseSelector('r'), query: '' }, errors: { selector: parseSelector('e'), query: '' }, downstream: { selector: parseSelector('d'), query: '' } } }],
  };
}

function benchTick(): void {
  for (const n of [1_000, 10_000, 100_000]) {
    const random = mulberry32(n + 1);
    const frame = (t: number): Frame => {
      const signals = new Map<string, SignalSample>();
      const series = new Map<string, SeriesInfo>();
      for (let i = 0; i < n; i++) {
        const id = `api{route="/r/${i}"}`;
        const requests = 100 * (1 + random() * 0.05);
        signals.set(id, { requests, errors: requests * 0.001, downstream: requests * 0.999 });
        series.set(id, { signal: 'api', labels: { route: `/r/${i}` } });
      }
      return { timeMs: t, signals, series };
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    const pipeline = new Pipeline(splitConfig());
    // Fill every baseline window (240 ticks) through the real step path would take long at 100k: warm 25 ticks.
    const frames = Array.from({ length: 3 }, (_, k) => frame(k * 15_000));
    for (let k = 0; k < 25; k++) pipeline.step({ ...frames[k % 3]!, timeMs: k * 15_000 });
    gc();
    const perSeries = (process.memoryUsage().heapUsed - before) / n;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const ticks = 3;
    for (let k = 25; k < 25 + ticks; k++) pipeline.step({ ...frames[k % 3]!, timeMs: k * 15_000 });
    const wallMs = (performance.now() - t0) / ticks;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / ticks;
    row(`whole tick (detect + decide), ${fmt(n)} series`, `${fmt(wallMs)} ms wall, ${fmt(cpuMs)} ms CPU; ${fmt(perSeries / 1024)} KB/series (25-point baselines)`, '', `${fmt((cpuMs / 15_000) * 100)}% of a core at 15 s`);
  }
}

/** Steady-state memory of one series: full 1 h baselines for all three checks. Run first, on a clean heap. */
function benchMemory(): void {
  const full = Array.from({ length: 240 }, (_, i) => 1 + i / 1000);
  gc();
  gc();
  const before = process.memoryUsage();
  const ds: EvidenceDetector[] = [];
  for (let i = 0; i < 20_000; i++) {
    const d = new EvidenceDetector(presets.default!, { intervalMs: 15_000, inputs: new Set(['requests', 'errors', 'downstream']) });
    d.restore({ rate: { values: full, anomalousSinceMs: null }, errorRatio: { values: full, anomalousSinceMs: null }, funnel: { values: full, anomalousSinceMs: null } });
    ds.push(d);
  }
  gc();
  gc();
  const after = process.memoryUsage();
  // Typed arrays live outside the JS heap: count both.
  const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  row('detector memory, full 1 h baselines (default preset: 3 checks x 60 one-minute values)', `${fmt(bytes / ds.length / 1024)} KB/series`, '', 'target < 2 KB');
}

async function benchBacktest(): Promise<void> {
  const config = loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
  const file = join(FIXTURES_DIR, 'scenarios', 'seasonal-week.om.gz');
  const t0 = performance.now();
  const data = readReplayFile(file);
  const readMs = performance.now() - t0;
  const samples = data.snapshots.reduce((n, [, s]) => n + s.length, 0);
  const t1 = performance.now();
  const summary = await runBacktest({ ...config, source: { kind: 'replay', file } }, { logger: silentLogger, onTransition: () => {} });
  const totalMs = performance.now() - t1;
  row(`backtest a week of 15 s data (${fmt(samples)} samples, ${fmt(summary.frames)} ticks)`, `${fmt(samples / (totalMs / 1000))} samples/s end to end`, '', `read+parse ${fmt(readMs)} ms of ${fmt(totalMs)} ms`);
}

benchMemory();
benchParser();
await benchPromDecode();
benchDetector();
benchTick();
await benchBacktest();

const header = ['benchmark', 'stormwatch', 'peer (parse-prometheus-text-format)', 'ratio / note'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd();
process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
process.stdout.write(`node ${process.version}, ${process.arch}; peak RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MB\n`);
