// One live tick as `stormwatch run` does it, all in: the source read over loopback HTTP with the
// fetch `stormwatch run` uses (three Prometheus instant-query answers, or one /metrics page, served
// by answer-server.ts in a process of its own), counter rates, detection, decisions, the UI history
// and own metrics, the every-minute state save (state.bin with fsync), amortised over its four
// 15 s ticks, and the UI history's write every ten minutes, over its forty. Every series has its own history, as after two weeks of ticks (aged-state.ts). Run in a process of its
// own, so resident memory is this tick's alone.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type SignalConfig, loadConfig } from '../src/config/load.js';
import { Pipeline, type PipelineConfig } from '../src/pipeline.js';
import { STATE_FILE_NAME, saveStateAsync } from '../src/runner/state-file.js';
import { UI_HISTORY_SAVE_INTERVAL_MS, writeUiHistory } from '../src/runner/ui-history-file.js';
import { fetchWith } from '../src/source/http-options.js';
import { PrometheusClient } from '../src/source/prometheus-client.js';
import { PrometheusSource } from '../src/source/prometheus-source.js';
import { ScrapeSource } from '../src/source/scrape-source.js';
import type { LiveSource } from '../src/source/source.js';
import { StormwatchMetrics } from '../src/telemetry/metrics.js';
import { BAND_SIGMAS } from '../src/ui/band.js';
import { COLUMN_COUNT } from '../src/ui/chart-point.js';
import { HistoryStore } from '../src/ui/history-store.js';
import { liveHistory } from '../src/ui/history-sizes.js';
import { agedState } from './aged-state.js';
import { startChildServer } from './child-server.js';
import { cpuSecondsSince, gc, mean, median, settledRss } from './measure.js';
import { type RouteProfile, type TickAnswers, answerFor, routeProfiles, tickAnswers } from './pages.js';

export type TickSourceKind = 'prometheus' | 'scrape';

export interface TickFigures {
  series: number;
  source: TickSourceKind;
  /** `detector.baselineResolution` when the bench set it (the default preset's otherwise: 1m). */
  resolution?: string;
  /** The source's `compression` when the bench set it (the default otherwise: none, answers uncompressed). */
  compression?: 'gzip';
  /** Node's flags the process was started with beyond the bench's own (the young generation's size: README "Scale"). */
  nodeFlags?: string;
  /**
   * Mean CPU seconds of a tick over whole minutes (a baseline bucket completes once a minute, and
   * that tick costs more: a median of ticks would leave it out), save excluded; the save's CPU
   * seconds; their amortised sum.
   */
  tickCpuS: number;
  readCpuS: number;
  stepCpuS: number;
  saveCpuS: number;
  /** Wall seconds a save holds the event loop (encoding and writing; its syncs are off it), mean. */
  saveHeldS: number;
  /** One write of the UI history with every ring full (as after three hours), made every UI_HISTORY_SAVE_INTERVAL_MS. */
  uiSaveCpuS: number;
  allInCpuS: number;
  tickWallS: number;
  /** Ticks measured (whole minutes of them). */
  ticks: number;
  /** Full collections of the heap (mark-compact) that started during the measured ticks. */
  fullCollections: number;
  /** Alert transitions over the measured ticks: 0 in a steady state (any other number is a different workload). */
  transitions: number;
  stateBytes: number;
  /** Resident bytes per series in steady state (after collection), and the JS heap's share. */
  rssPerSeries: number;
  heapPerSeries: number;
  peakRssBytes: number;
}

const INTERVAL_MS = 15_000;
/** The every-minute save at 15 s ticks. */
const TICKS_PER_SAVE = 4;
/**
 * Six whole minutes. At 100k series a full collection of the heap comes every few minutes (set off
 * by the heap's growth or by memory outside it, as the save's buffers were): two minutes held none
 * or one of them, and a run's figure swung by a few tenths of a second with where it fell.
 */
const MEASURED_TICKS = 6 * TICKS_PER_SAVE;

/**
 * The bench's config; `resolution` (a duration such as 2m) sets `detector.baselineResolution`,
 * `compression` the source's (answers asked for gzipped).
 */
export function configFor(dir: string, source: TickSourceKind, resolution?: string, compression?: 'gzip') {
  const file = join(dir, 'stormwatch.yaml');
  const src = (source === 'prometheus' ? 'prometheus:\n    url: http://127.0.0.1:9\n    timeout: 60s' : 'scrape:\n    url: http://127.0.0.1:9/metrics\n    timeout: 60s\n    maxBytes: 1073741824') + (compression ? `\n    compression: ${compression}` : '');
  writeFileSync(
    file,
    `interval: 15s\n${resolution ? `detector:\n  baselineResolution: ${resolution}\n` : ''}source:\n  ${src}\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: api\n    by: [route]\n    requests: 'app_requests_total'\n    errors: 'app_requests_total{code=~"5.."}'\n    downstream: 'app_completions_total'\n`,
  );
  return loadConfig(file);
}

/**
 * Restores every route's saved state as after two weeks of ticks (aged-state.ts): full baselines,
 * a weekly profile that reads, full tail records and a warm drift view, each route its own numbers.
 * In a scope of its own, so the saved form is not kept alive by the caller.
 */
export function restoreSteadyState(pipeline: Pipeline, config: PipelineConfig, profiles: readonly RouteProfile[], nowMs: number): void {
  pipeline.restore(agedState(config, 'api', profiles, nowMs));
}

export function fakeFetch(answer: (body: string) => Buffer): typeof fetch {
  return (async (_url: unknown, init?: RequestInit) => new Response(new Uint8Array(answer(String(init?.body ?? ''))), { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4' } })) as typeof fetch;
}

/**
 * Tick k's three instant-query answers for `profiles` (made before the tick is timed; only one
 * tick's bytes exist at a time), served to a Prometheus source through a fake fetch.
 */
export class FakePrometheusAnswers {
  private bodies: TickAnswers | undefined;

  constructor(
    private readonly profiles: readonly RouteProfile[],
    private readonly t0: number,
  ) {}

  prepare(k: number): void {
    this.bodies = tickAnswers(this.profiles, k, this.t0, INTERVAL_MS);
  }

  /** Lets the last answers go (before memory is read). */
  release(): void {
    this.bodies = undefined;
  }

  source(signals: readonly SignalConfig[]): PrometheusSource {
    const fetchFn = fakeFetch((body) => answerFor(new URLSearchParams(body).get('query') ?? '', this.bodies!));
    return new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 60_000, fetch: fetchFn }), signals);
  }
}

/** answer-server.ts in a child process: the bench's upstream on a loopback port. */
export async function startAnswerServer(n: number, source: TickSourceKind, t0: number): Promise<{ url: string; prepare: (k: number) => Promise<void>; stop: () => void }> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'answer-server.js');
  const { url, stop } = await startChildServer(script, [String(n), source, String(t0)], ['--expose-gc', '--max-old-space-size=8192']);
  return {
    url,
    prepare: async (k) => {
      const r = await fetch(`${url}/prepare?k=${k}`, { method: 'POST' });
      if (!r.ok) throw new Error(`answer server: prepare ${k} answered ${r.status}`);
      await r.arrayBuffer();
    },
    stop,
  };
}

/** The median of whole-process runs of one tick bench and their range. */
export interface MedianTick extends TickFigures {
  runs: number;
  /** The least and the most all-in CPU seconds among the runs. */
  allInRangeS: [number, number];
}

/**
 * The run whose all-in CPU is the median of `runs` (the lower middle of an even count), with the
 * range: one process can land on a slow stretch of the machine, and the range says how far apart
 * the processes were.
 */
export function medianTick(runs: readonly TickFigures[]): MedianTick {
  if (runs.length === 0) throw new RangeError('medianTick: no runs');
  const sorted = [...runs].sort((a, b) => a.allInCpuS - b.allInCpuS);
  return { ...sorted[(sorted.length - 1) >> 1]!, runs: sorted.length, allInRangeS: [sorted[0]!.allInCpuS, sorted.at(-1)!.allInCpuS] };
}

/** Measures `measured` ticks after `warm` unmeasured ones, `n` series, in this process. */
export async function benchTick(n: number, source: TickSourceKind, warm = TICKS_PER_SAVE, measured = MEASURED_TICKS, resolution?: string, compression?: 'gzip'): Promise<TickFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-tick-'));
  const t0 = 1_700_000_000_000;
  // Each tick's answer is made by the server before the tick is timed, in its process, not this one.
  const upstream = await startAnswerServer(n, source, t0);
  try {
    const config = configFor(dir, source, resolution, compression);
    const profiles = routeProfiles(n);
    await upstream.prepare(0);
    const rss0 = settledRss();
    const heap0 = process.memoryUsage();
    // The fetch `stormwatch run` makes of the source's settings (its compression among them).
    let live: LiveSource;
    if (config.source.kind === 'prometheus') live = new PrometheusSource(new PrometheusClient({ url: upstream.url, timeoutMs: 60_000, fetch: fetchWith(config.source.http) }), config.signals);
    else {
      if (config.source.kind !== 'scrape') throw new Error('scrape config expected');
      live = new ScrapeSource({ url: `${upstream.url}/metrics`, timeoutMs: 60_000, maxBytes: config.source.maxBytes, fetch: fetchWith(config.source.http) }, config.signals);
    }
    const pipeline = new Pipeline(config);
    restoreSteadyState(pipeline, config, profiles, t0);
    const history = new HistoryStore(liveHistory(config));
    const metrics = new StormwatchMetrics(true, BAND_SIGMAS);
    const stateFile = join(config.delivery.outboxDir, STATE_FILE_NAME);
    const tickCpu: number[] = [];
    const readCpu: number[] = [];
    const stepCpu: number[] = [];
    const saveCpu: number[] = [];
    const saveHeld: number[] = [];
    const wall: number[] = [];
    let stateBytes = 0;
    let transitions = 0;
    // One tick in a function of its own: nothing of it (the frame, the result) stays on the stack.
    const runTick = async (k: number) => {
      const nowMs = t0 + k * INTERVAL_MS;
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const read = await live.read(nowMs);
      const readS = cpuSecondsSince(c0);
      const c1 = process.cpuUsage();
      const result = pipeline.step(read.frame);
      history.record(result);
      metrics.recordTick(result, 0, read.errors, read.problems.length, read.duplicates ?? 0);
      // As runner/live.ts does once a tick is stepped and recorded.
      live.recycle?.(read.frame);
      const stepS = cpuSecondsSince(c1);
      const tickS = cpuSecondsSince(c0);
      const tickWall = (performance.now() - w0) / 1000;
      if (read.errors.length > 0) throw new Error(`source read failed: ${read.errors[0]!.message}`);
      if (result.signals.size !== n) throw new Error(`expected ${n} series in the tick, got ${result.signals.size}`);
      let saveS = Number.NaN;
      let saveHeldS = Number.NaN;
      if ((k + 1) % TICKS_PER_SAVE === 0) {
        const c2 = process.cpuUsage();
        const w2 = performance.now();
        // As runner/live.ts saves: each series' state encoded and written as it is made; the
        // syncs on libuv's threads (whose CPU the process's counts too).
        const saving = saveStateAsync(stateFile, (section) => pipeline.snapshot(nowMs, section));
        saveHeldS = (performance.now() - w2) / 1000;
        stateBytes = await saving;
        saveS = cpuSecondsSince(c2);
      }
      return { readS, stepS, tickS, tickWall, saveS, saveHeldS, transitions: result.transitions.length };
    };
    // Full collections (mark-compact) started while measuring: a reader can tell whether the
    // window held its share of them.
    const fullCollections: number[] = [];
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullCollections.push(e.startTime);
    });
    gcObserver.observe({ entryTypes: ['gc'] });
    let measuredFrom = Number.POSITIVE_INFINITY;
    for (let k = 0; k < warm + measured; k++) {
      if (k > 0) await upstream.prepare(k);
      if (k === warm) measuredFrom = performance.now();
      const f = await runTick(k);
      if (k >= warm) {
        tickCpu.push(f.tickS);
        readCpu.push(f.readS);
        stepCpu.push(f.stepS);
        wall.push(f.tickWall);
        if (!Number.isNaN(f.saveS)) saveCpu.push(f.saveS);
        if (!Number.isNaN(f.saveHeldS)) saveHeld.push(f.saveHeldS);
        transitions += f.transitions;
      }
    }
    const measuredTo = performance.now();
    // The observer hears of a collection a turn of the event loop later.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gcObserver.disconnect();
    const fullCollectionsMeasured = fullCollections.filter((t) => t >= measuredFrom && t < measuredTo).length;
    gc();
    const rss1 = settledRss();
    const heap1 = process.memoryUsage();
    const tickCpuS = mean(tickCpu);
    const saveCpuS = mean(saveCpu);
    // The UI history's write (runner/live.ts, every ten minutes), with the rings as full as three
    // hours of ticks leave them: the measured minutes filled a few dozen of each ring's points.
    history.rings.forEach((ring) => {
      const last = new Float32Array(COLUMN_COUNT);
      const { columns } = ring.range(ring.lastMs, ring.lastMs);
      columns.forEach((c, i) => (last[i] = c[0]!));
      for (let t = ring.lastMs + INTERVAL_MS; ring.length < ring.capacity; t += INTERVAL_MS) ring.push(t, last);
    });
    const c3 = process.cpuUsage();
    writeUiHistory(join(config.delivery.outboxDir, 'ui-history.bin'), history, t0);
    const uiSaveCpuS = cpuSecondsSince(c3);
    // Keep everything alive up to the reading above.
    if (pipeline.seriesCount !== n || !history) throw new Error('series lost');
    return {
      series: n,
      source,
      ...(resolution ? { resolution } : {}),
      ...(compression ? { compression } : {}),
      tickCpuS,
      readCpuS: mean(readCpu),
      stepCpuS: mean(stepCpu),
      saveCpuS,
      saveHeldS: mean(saveHeld),
      uiSaveCpuS,
      allInCpuS: tickCpuS + saveCpuS / TICKS_PER_SAVE + uiSaveCpuS / (UI_HISTORY_SAVE_INTERVAL_MS / INTERVAL_MS),
      tickWallS: median(wall),
      ticks: tickCpu.length,
      fullCollections: fullCollectionsMeasured,
      transitions,
      stateBytes,
      rssPerSeries: (rss1 - rss0) / n,
      heapPerSeries: (heap1.heapUsed - heap0.heapUsed + heap1.arrayBuffers - heap0.arrayBuffers) / n,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
