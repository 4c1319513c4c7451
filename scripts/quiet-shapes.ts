// `node dist/scripts/quiet-shapes.js [--runs 300] [--first 1] [--nuisance]`: healthy traffic of random shapes
// through the pipeline, where every page is a false one. Each run draws its tick (1 to 60 s), routes
// (1 to 8, split by `route`), total rate (0.5 to 5,000 requests a second, log-uniform), the counts'
// overdispersion (Poisson, or Poisson of a gamma-mixed mean), the demand's wobble (an AR(1) of each
// route, 10 s to 30 min of memory), a steady error ratio (0.05 % to 5 %) and completions counted a
// tick late; six hours from a cold start (at most 12,000 ticks). Prints each run that paged, with
// its first pages, and the count of runs that paged.
//
// `--nuisance` adds what healthy production data also does, drawn from a stream of its own (the
// shapes above stay as they were; sim/shapes.ts): a slow drift of demand over the run (up to five
// times up or down, as a day's evening or morning), data gaps (ticks missing for every route or for
// one, and a monitoring outage of 5 to 30 minutes), and a route that starts part-way through.

import { parseArgs } from 'node:util';
import { Pipeline } from '../src/pipeline.js';
import { describeNuisance, describeShape, type Nuisance, type Shape, ShapeRun } from './sim/shapes.js';

const { values } = parseArgs({ options: { runs: { type: 'string' }, first: { type: 'string' }, nuisance: { type: 'boolean' } } });
const runs = Number(values.runs ?? 300);
const first = Number(values.first ?? 1);
if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100_000 && Number.isInteger(first) && first >= 0)) throw new Error('--runs: 1 to 100000; --first: a whole number');

/** The pages (not info alerts) a run of healthy traffic sent: alert name, route, minutes in, summary. */
function run(seed: number): { shape: Shape; nuisance?: Nuisance; pages: string[] } {
  const traffic = new ShapeRun(seed, values.nuisance === true);
  const pipeline = new Pipeline(traffic.config);
  const pages: string[] = [];
  for (let k = 0; k < traffic.ticks; k++) {
    for (const t of pipeline.step({ timeMs: traffic.timeMs(k), ...traffic.frame(k) }).transitions) {
      if (t.status !== 'firing' || t.labels.severity === 'info') continue;
      pages.push(`${t.labels.alertname} ${t.labels.route ?? ''} at ${((k * traffic.shape.stepS) / 60).toFixed(1)} min: ${t.annotations.summary}`);
    }
  }
  return { shape: traffic.shape, nuisance: traffic.nuisance, pages };
}

let paged = 0;
for (let seed = first; seed < first + runs; seed++) {
  const { shape, nuisance, pages } = run(seed);
  if (pages.length === 0) continue;
  paged++;
  console.log(`run ${seed}: ${describeShape(shape)}${nuisance ? `; ${describeNuisance(nuisance, shape.stepS)}` : ''}: ${pages.length} firing notifications\n  ${pages.slice(0, 3).join('\n  ')}`);
}
console.log(`${paged} of ${runs} runs paged (runs ${first}-${first + runs - 1}${values.nuisance ? ', with nuisances' : ''}; every page is false)`);
