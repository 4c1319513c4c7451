// `node dist/scripts/failure-shapes.js [--runs 300] [--first 1] [--clean]`: a failure in traffic of
// a random shape (`sim/shapes.ts`: tick, routes, rate, overdispersion, wobble, error ratio, late
// completions; with drift, data gaps, a monitoring outage and a late route unless `--clean`). Each
// run is healthy for a third to five sixths of its six hours (of 12,000 ticks at 1 s), then one of
// the failures below starts on every route or on one; it runs on for 30 minutes. Prints the runs
// that paged before the failure, and per failure and by the failing traffic's rate: how many runs
// paged within 30 minutes and the seconds to the first page (pages, not info alerts) as quantiles. SHAPES_VERBOSE=1 prints every run's outcome;
// SHAPES_TRACE=N prints run N's evaluations tick by tick from SHAPES_TRACE_BEFORE (3) ticks before
// its failure.

import { parseArgs } from 'node:util';
import { Pipeline } from '../src/pipeline.js';
import { mulberry32 } from './sim/random.js';
import { describeNuisance, describeShape, type Failure, ShapeRun } from './sim/shapes.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, first: { type: 'string' }, clean: { type: 'boolean' } } });
const runs = Number(values.runs ?? 300);
const first = Number(values.first ?? 1);
if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100_000 && Number.isInteger(first) && first >= 0)) throw new Error('--runs: 1 to 100000; --first: a whole number');

/** The failures (the 2023-07-20 shapes from research/cargo-retries.md among them). */
const FAILURES: Omit<Failure, 'atTick' | 'route'>[] = [
  { name: 'errors 10 %', errorShare: 0.1, lostShare: 0, rateFactor: 1 },
  { name: 'errors 100 %', errorShare: 1, lostShare: 0, rateFactor: 1 },
  { name: '5xx, retried x3', errorShare: 1, lostShare: 0, rateFactor: 3 },
  { name: 'redirect target gone, retried x3', errorShare: 0, lostShare: 1, rateFactor: 3 },
  { name: 'redirect target gone, runner pool x0.1', errorShare: 0, lostShare: 1, rateFactor: 0.1 },
  { name: 'half lost downstream', errorShare: 0, lostShare: 0.5, rateFactor: 1 },
  { name: 'name gone, x0.02 arrive', errorShare: 0, lostShare: 0, rateFactor: 0.02 },
];
const AFTER_S = 1800;

interface Outcome {
  failure: string;
  /** The failing routes' healthy rate, requests a second. */
  rate: number;
  falsePages: string[];
  /** Seconds from the failure's first tick to its first page (NaN: none within 30 minutes). */
  delayS: number;
}

function run(seed: number): Outcome {
  const traffic = new ShapeRun(seed, values.clean !== true);
  const { shape } = traffic;
  const random = mulberry32(seed * 65_537 + 3);
  const kind = FAILURES[Math.floor(random() * FAILURES.length)]!;
  // From a third to five sixths of the run (six hours, or 12,000 ticks at 1 s): at least an hour warm.
  const atTick = Math.round(traffic.ticks * (1 / 3 + random() * 0.5));
  const route = shape.routes > 1 && random() < 0.5 ? 0 : -1;
  const failure: Failure = { ...kind, atTick, route };
  const pipeline = new Pipeline(traffic.config);
  const falsePages: string[] = [];
  let delayS = Number.NaN;
  let firstPage = '';
  const end = Math.min(traffic.ticks, atTick + Math.ceil(AFTER_S / shape.stepS));
  const trace = Number(process.env.SHAPES_TRACE) === seed;
  for (let k = 0; k < end && Number.isNaN(delayS); k++) {
    const result = pipeline.step({ timeMs: traffic.timeMs(k), ...traffic.frame(k, failure, random) });
    if (trace && k >= atTick - Number(process.env.SHAPES_TRACE_BEFORE ?? 3)) {
      for (const [id, s] of result.signals) {
        const evs = s.evaluations.map((e) => `${e.kind} ${e.status[0]} ${e.observed.toFixed(3)}/${e.baseline.toFixed(3)} ev ${e.evidence?.toFixed(1)}/${e.threshold?.toFixed(1)} σ ${e.sigma.toPrecision(3)}${e.reason ? ` (${e.reason})` : ''}`);
        console.log(`k ${k - atTick} ${id} ${s.sample.requests.toFixed(2)} req/s: ${evs.join('; ')} | ${s.assessment.kind ?? ''}`);
      }
    }
    for (const t of result.transitions) {
      if (t.status !== 'firing' || t.labels.severity === 'info') continue;
      const page = `${t.labels.alertname} ${t.labels.route ?? ''} at ${((k * shape.stepS) / 60).toFixed(1)} min`;
      if (k < atTick) falsePages.push(page);
      else if (Number.isNaN(delayS)) {
        delayS = (k - atTick + 1) * shape.stepS;
        firstPage = page;
      }
    }
  }
  const rate = (shape.rate / shape.routes) * (route < 0 ? shape.routes : 1);
  if (falsePages.length > 0) console.log(`run ${seed} paged before the failure: ${describeShape(shape)}; ${traffic.nuisance ? describeNuisance(traffic.nuisance, shape.stepS) : 'clean'}\n  ${falsePages.slice(0, 3).join('\n  ')}`);
  if (process.env.SHAPES_VERBOSE) console.log(`run ${seed}: ${kind.name} on ${route < 0 ? 'every route' : 'one route'} at ${((atTick * shape.stepS) / 60).toFixed(0)} min, ${rate.toFixed(2)} req/s failing; ${describeShape(shape)}; ${traffic.nuisance ? describeNuisance(traffic.nuisance, shape.stepS) : 'clean'}: ${Number.isNaN(delayS) ? 'no page' : `${delayS} s, ${firstPage}`}`);
  return { failure: kind.name, rate, falsePages, delayS };
}

const outcomes: Outcome[] = [];
for (let seed = first; seed < first + runs; seed++) outcomes.push(run(seed));

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const RATE_CLASSES: [string, number, number][] = [
  ['< 1 req/s', 0, 1],
  ['1-30 req/s', 1, 30],
  ['>= 30 req/s', 30, Number.POSITIVE_INFINITY],
];
console.log(`\n${outcomes.filter((o) => o.falsePages.length > 0).length} of ${runs} runs paged before the failure (runs ${first}-${first + runs - 1}${values.clean ? ', clean' : ', with nuisances'})`);
console.log('failure | failing rate | paged within 30 min | seconds to the page: median, 90th percentile, most');
for (const f of FAILURES) {
  for (const [label, low, high] of RATE_CLASSES) {
    const these = outcomes.filter((o) => o.failure === f.name && o.rate >= low && o.rate < high);
    if (these.length === 0) continue;
    const delays = these.map((o) => o.delayS).filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
    const spread = delays.length === 0 ? '-' : `${quantile(delays, 0.5)}, ${quantile(delays, 0.9)}, ${delays.at(-1)}`;
    console.log(`${f.name} | ${label} | ${delays.length}/${these.length} | ${spread}`);
  }
}
