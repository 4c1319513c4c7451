// Two builds' Pipeline.step side by side in one process: the tick bench's steady state at N series
// for each build (its own source, pipeline, UI history and own metrics), their ticks alternating,
// the step's CPU seconds each (their mean, and the ratio of medians). Other work on the machine
// then slows both alike, which whole processes run one after another do not promise. Two
// pipelines share one heap here, so its seconds run above a process of one: read the ratio.
// A development tool for changes to the step.
//
//   node --expose-gc --max-old-space-size=16384 dist/bench/step-ab.js BASE_DIST NEW_DIST [N] [TICKS]
//
// BASE_DIST and NEW_DIST are `dist` directories of two checkouts (`npx tsc -p .` in each).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuSecondsSince, gc, mean, median } from './measure.js';

const INTERVAL_MS = 15_000;

interface Side {
  name: string;
  /** Reads tick k (not timed) and returns the step's CPU seconds. */
  step: (k: number) => Promise<number>;
}

async function side(name: string, dist: string, n: number, t0: number): Promise<Side> {
  const load = (path: string) => import(pathToFileURL(join(resolve(dist), path)).href);
  const [tick, pages, pipelineModule, history, sizes, metricsModule, band] = await Promise.all([
    load('bench/tick-bench.js'),
    load('bench/pages.js'),
    load('src/pipeline.js'),
    load('src/ui/history-store.js'),
    load('src/ui/history-sizes.js'),
    load('src/telemetry/metrics.js'),
    load('src/ui/band.js'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), `stormwatch-step-ab-${name}-`));
  const config = tick.configFor(dir, 'prometheus');
  const profiles = pages.routeProfiles(n);
  const answers = new tick.FakePrometheusAnswers(profiles, t0);
  const live = answers.source(config.signals);
  const pipeline = new pipelineModule.Pipeline(config);
  tick.restoreSteadyState(pipeline, config, profiles, t0);
  const store = new history.HistoryStore(sizes.liveHistory(config));
  const metrics = new metricsModule.StormwatchMetrics(true, band.BAND_SIGMAS);
  rmSync(dir, { recursive: true, force: true });
  return {
    name,
    step: async (k: number) => {
      answers.prepare(k);
      const read = await live.read(t0 + k * INTERVAL_MS);
      answers.release();
      gc();
      const c1 = process.cpuUsage();
      const result = pipeline.step(read.frame);
      store.record(result);
      metrics.recordTick(result, 0, read.errors, read.problems.length, read.duplicates ?? 0);
      const stepS = cpuSecondsSince(c1);
      if (result.signals.size !== n) throw new Error(`${name}: expected ${n} series, got ${result.signals.size}`);
      return stepS;
    },
  };
}

const [baseDist, newDist, nArg, ticksArg] = process.argv.slice(2);
if (!baseDist || !newDist) throw new Error('usage: step-ab.js BASE_DIST NEW_DIST [N] [TICKS]');
const n = Number(nArg ?? 100_000);
const ticks = Number(ticksArg ?? 12);
const t0 = 1_700_000_000_000;
const sides = [await side('base', baseDist, n, t0), await side('new', newDist, n, t0)];
const steps = new Map<string, number[]>(sides.map((s) => [s.name, []]));
// Four warm ticks each, then alternate which goes first.
for (let k = 0; k < 4 + ticks; k++) {
  const order = k % 2 === 0 ? sides : [...sides].reverse();
  for (const s of order) {
    const stepS = await s.step(k);
    if (k >= 4) steps.get(s.name)!.push(stepS);
  }
}
// The mean is what a process pays (the minute's heavy tick included); the median says whether the light ticks moved.
const avg = (name: string) => mean(steps.get(name)!);
const med = (name: string) => median(steps.get(name)!);
console.log(JSON.stringify({ series: n, ticks, baseStepS: avg('base'), newStepS: avg('new'), ratio: avg('new') / avg('base'), medianRatio: med('new') / med('base'), base: steps.get('base'), new: steps.get('new') }));
