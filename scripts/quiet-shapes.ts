// `node dist/scripts/quiet-shapes.js [--runs 300] [--first 1]`: healthy traffic of random shapes
// through the pipeline, where every page is a false one. Each run draws its tick (1 to 60 s), routes
// (1 to 8, split by `route`), total rate (0.5 to 5,000 requests a second, log-uniform), the counts'
// overdispersion (Poisson, or Poisson of a gamma-mixed mean), the demand's wobble (an AR(1) of each
// route, 10 s to 30 min of memory), a steady error ratio (0.05 % to 5 %) and completions counted a
// tick late; six hours from a cold start (at most 12,000 ticks). Prints each run that paged, with
// its first pages, and the count of runs that paged.

import { parseArgs } from 'node:util';
import { loadBundledClientModels, loadBundledModels } from '../src/config/load.js';
import { parseSelector } from '../src/core/selector.js';
import type { SeriesInfo, SignalSample } from '../src/core/types.js';
import { Pipeline, type PipelineConfig } from '../src/pipeline.js';
import { gamma, mulberry32, normal, poisson } from './sim/random.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, first: { type: 'string' } } });
const runs = Number(values.runs ?? 300);
const first = Number(values.first ?? 1);
if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100_000 && Number.isInteger(first) && first >= 0)) throw new Error('--runs: 1 to 100000; --first: a whole number');

const { presets, definitions } = loadBundledModels();
const inputs = { requests: { selector: parseSelector('r'), query: '' }, errors: { selector: parseSelector('e'), query: '' }, downstream: { selector: parseSelector('d'), query: '' } };
const clients = loadBundledClientModels();

interface Shape {
  stepS: number;
  routes: number;
  rate: number;
  /** Gamma shape of each tick's mean (Infinity: plain Poisson). */
  dispersion: number;
  memoryS: number;
  wobble: number;
  errorRatio: number;
  /** Up to twice this share of a tick's completions is counted in the next tick. */
  lateShare: number;
}

function describe(s: Shape): string {
  const counts = Number.isFinite(s.dispersion) ? `gamma-Poisson k=${s.dispersion}` : 'Poisson';
  return `${s.stepS} s ticks, ${s.routes} route${s.routes > 1 ? 's' : ''}, ${s.rate.toFixed(2)} req/s in all, ${counts}, wobble ${s.wobble} over ${s.memoryS} s, errors ${s.errorRatio * 100} %, late ${s.lateShare}`;
}

/** The pages (not info alerts) a run of healthy traffic sent: alert name, route, minutes in, summary. */
function run(seed: number): { shape: Shape; pages: string[] } {
  const random = mulberry32(seed * 104_729);
  const pick = <T>(a: T[]): T => a[Math.floor(random() * a.length)]!;
  const shape: Shape = {
    stepS: pick([1, 5, 15, 15, 60]),
    routes: pick([1, 1, 3, 8]),
    rate: Math.exp(Math.log(0.5) + random() * Math.log(5000 / 0.5)),
    dispersion: pick([Number.POSITIVE_INFINITY, 50, 10, 3]),
    memoryS: pick([10, 60, 300, 1800]),
    wobble: pick([0, 0.05, 0.15, 0.3]),
    errorRatio: pick([0.0005, 0.005, 0.02, 0.05]),
    lateShare: pick([0, 0, 0.2]),
  };
  const config: PipelineConfig = {
    intervalMs: shape.stepS * 1000,
    detector: presets.default!,
    definitions,
    alerting: { forMs: 15_000, keepFiringForMs: 60_000, labels: {}, externalURL: 'http://x', receiver: 'r' },
    signals: [{ name: 'api', labels: {}, by: shape.routes > 1 ? ['route'] : [], clients, inputs }],
  };
  const pipeline = new Pipeline(config);
  const ticks = Math.min(Math.round((6 * 3600) / shape.stepS), 12_000);
  const phi = Math.exp(-shape.stepS / shape.memoryS);
  const innovation = Math.sqrt(1 - phi * phi);
  const own = new Array<number>(shape.routes).fill(0);
  const carried = new Array<number>(shape.routes).fill(0);
  const pages: string[] = [];
  for (let k = 0; k < ticks; k++) {
    const signals = new Map<string, SignalSample>();
    const series = new Map<string, SeriesInfo>();
    for (let i = 0; i < shape.routes; i++) {
      own[i] = phi * own[i]! + innovation * shape.wobble * normal(random);
      let mean = (shape.rate / shape.routes) * Math.exp(own[i]! - (shape.wobble * shape.wobble) / 2) * shape.stepS;
      if (Number.isFinite(shape.dispersion)) mean = (mean * gamma(random, shape.dispersion)) / shape.dispersion;
      const n = poisson(random, mean);
      const errors = Math.min(n, poisson(random, n * shape.errorRatio));
      const served = n - errors;
      const late = Math.min(served, Math.round(served * shape.lateShare * random() * 2));
      const downstream = served - late + carried[i]!;
      carried[i] = late;
      const id = shape.routes > 1 ? `api{route="/r/${i}"}` : 'api';
      signals.set(id, { requests: n / shape.stepS, errors: errors / shape.stepS, downstream: downstream / shape.stepS });
      series.set(id, { signal: 'api', labels: shape.routes > 1 ? { route: `/r/${i}` } : {} });
    }
    for (const t of pipeline.step({ timeMs: Date.UTC(2024, 0, 8) + k * shape.stepS * 1000, signals, series }).transitions) {
      if (t.status !== 'firing' || t.labels.severity === 'info') continue;
      pages.push(`${t.labels.alertname} ${t.labels.route ?? ''} at ${((k * shape.stepS) / 60).toFixed(1)} min: ${t.annotations.summary}`);
    }
  }
  return { shape, pages };
}

let paged = 0;
for (let seed = first; seed < first + runs; seed++) {
  const { shape, pages } = run(seed);
  if (pages.length === 0) continue;
  paged++;
  console.log(`run ${seed}: ${describe(shape)}: ${pages.length} firing notifications\n  ${pages.slice(0, 3).join('\n  ')}`);
}
console.log(`${paged} of ${runs} runs paged (runs ${first}-${first + runs - 1}; every page is false)`);
