// `node dist/scripts/moved-traffic.js [--seeds 10] [--step-seconds 15]`: what pages when one route
// of a split signal collapses, over a grid of traffic shapes: its traffic moved at once to a new
// route (whose counter has a rate from its second tick), spread over the other routes (a pod out of
// its load balancer), moved over ten minutes, or lost (an outage: it must page, as fast as before).
// Routes' demand wobbles on its own (an AR(1) of each route) and together (one shared AR(1)), with
// Poisson counts; two hours of history, then three hours after the collapse. Prints, per shape and
// case, the runs that paged an Outage on the collapsed route, the median delay of the first page,
// and how many of those Outages resolved before the end (an outage's must not).

import { parseArgs } from 'node:util';
import { loadBundledClientModels, loadBundledModels } from '../src/config/load.js';
import { parseSelector } from '../src/core/selector.js';
import type { Frame, SeriesInfo, SignalSample } from '../src/core/types.js';
import { Pipeline, type PipelineConfig } from '../src/pipeline.js';
import { mulberry32, normal, poisson } from './sim/random.js';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, 'step-seconds': { type: 'string' } } });
const seeds = Number(values.seeds ?? 10);
const stepS = Number(values['step-seconds'] ?? 15);
if (!(Number.isInteger(seeds) && seeds >= 1 && seeds <= 200 && stepS > 0 && stepS <= 60)) throw new Error('--seeds: 1 to 200; --step-seconds: up to 60');

const { presets, definitions } = loadBundledModels();
const inputs = { requests: { selector: parseSelector('r'), query: '' }, errors: { selector: parseSelector('e'), query: '' }, downstream: { selector: parseSelector('d'), query: '' } };
const config: PipelineConfig = {
  intervalMs: stepS * 1000,
  detector: presets.default!,
  definitions,
  alerting: { forMs: 15_000, keepFiringForMs: 60_000, labels: {}, externalURL: 'http://x', receiver: 'r' },
  signals: [{ name: 'api', labels: {}, by: ['route'], clients: loadBundledClientModels(), inputs }],
};

type Case = 'moved to a new route' | 'spread over the others' | 'moved over 10 min' | 'lost (outage)' | 'lost over 10 min';
interface Shape {
  name: string;
  routes: number;
  /** Mean requests a second of the other routes, and of the one that collapses. */
  rate: number;
  moverRate: number;
  /** Stationary σ of each route's own log demand and of the shared one. */
  ownWobble: number;
  sharedWobble: number;
}

const SHAPES: Shape[] = [
  { name: '10 routes of 20/s, own wobble 12 %', routes: 10, rate: 20, moverRate: 20, ownWobble: 0.12, sharedWobble: 0 },
  { name: '10 routes of 20/s, shared wobble 12 %, own 3 %', routes: 10, rate: 20, moverRate: 20, ownWobble: 0.03, sharedWobble: 0.12 },
  { name: '4 routes of 200/s, own wobble 5 %', routes: 4, rate: 200, moverRate: 200, ownWobble: 0.05, sharedWobble: 0.05 },
  { name: '30 routes of 50/s, the route 5/s', routes: 30, rate: 50, moverRate: 5, ownWobble: 0.05, sharedWobble: 0.05 },
  { name: '6 pods of 2/s', routes: 6, rate: 2, moverRate: 2, ownWobble: 0.05, sharedWobble: 0.05 },
  { name: '8 pods of 50/s, wobble 3 % each, 5 % shared', routes: 8, rate: 50, moverRate: 50, ownWobble: 0.03, sharedWobble: 0.05 },
  { name: '20 routes of 100/s, wobble 5 % each, 10 % shared', routes: 20, rate: 100, moverRate: 100, ownWobble: 0.05, sharedWobble: 0.1 },
];
const CASES: Case[] = ['moved to a new route', 'spread over the others', 'moved over 10 min', 'lost (outage)', 'lost over 10 min'];

/** Seconds from the collapse to the first Outage on the collapsed route (NaN: none; −∞: a page before it), and whether that Outage resolved before the end. */
function run(shape: Shape, kind: Case, seed: number): { delay: number; resolved: boolean } {
  let delay = Number.NaN;
  let resolved = false;
  const random = mulberry32(seed);
  const pipeline = new Pipeline(config);
  const ticks = Math.round((5 * 3600) / stepS);
  const at = Math.round((2 * 3600) / stepS);
  const mover = 0;
  const own = new Array<number>(shape.routes).fill(0);
  let shared = 0;
  // AR(1) with a 2-minute memory: innovations scaled to the stationary σ.
  const phi = Math.exp(-stepS / 120);
  const innovation = Math.sqrt(1 - phi * phi);
  const levels = Array.from({ length: shape.routes }, (_, i) => (i === mover ? shape.moverRate : shape.rate * (0.6 + (0.8 * i) / shape.routes)));
  for (let k = 0; k < ticks; k++) {
    shared = phi * shared + innovation * shape.sharedWobble * normal(random);
    const share = k < at ? 0 : kind.endsWith('over 10 min') ? Math.min(1, ((k - at) * stepS) / 600) : 1;
    const signals = new Map<string, SignalSample>();
    const series = new Map<string, SeriesInfo>();
    const add = (route: string, rate: number) => {
      const n = poisson(random, rate * stepS);
      const errors = poisson(random, n * 0.001);
      const id = `api{route="${route}"}`;
      signals.set(id, { requests: n / stepS, errors: Math.min(errors, n) / stepS, downstream: (n - Math.min(errors, n)) / stepS });
      series.set(id, { signal: 'api', labels: { route } });
    };
    let movedRate = 0;
    for (let i = 0; i < shape.routes; i++) {
      own[i] = phi * own[i]! + innovation * shape.ownWobble * normal(random);
      const level = levels[i]! * Math.exp(own[i]! + shared);
      if (i === mover) {
        movedRate = level * share;
        add(`/r/${i}`, level - movedRate);
      } else add(`/r/${i}`, level + (kind === 'spread over the others' ? (levels[mover]! * Math.exp(shared) * share) / (shape.routes - 1) : 0));
    }
    // A new counter has a rate from its second scrape on.
    if ((kind === 'moved to a new route' || kind === 'moved over 10 min') && k > at) add('/new', movedRate);
    const frame: Frame = { timeMs: Date.UTC(2024, 0, 8) + k * stepS * 1000, signals, series };
    for (const t of pipeline.step(frame).transitions) {
      // Info alerts (an organic surge) are context, not pages.
      if (k < at && t.status === 'firing' && t.labels.severity !== 'info') return { delay: Number.NEGATIVE_INFINITY, resolved };
      if (t.labels.alertname !== 'StormwatchOutage' || t.labels.route !== `/r/${mover}`) continue;
      if (t.status === 'firing' && Number.isNaN(delay)) delay = (k - at) * stepS;
      if (t.status === 'resolved') resolved = true;
    }
  }
  return { delay, resolved };
}

console.log(`${seeds} seeds each, ${stepS} s ticks: runs that paged an Outage on the collapsed route (median seconds to it)`);
for (const shape of SHAPES) {
  const cells = CASES.map((kind) => {
    const delays: number[] = [];
    let early = 0;
    let resolved = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = run(shape, kind, seed * 7919);
      if (r.delay === Number.NEGATIVE_INFINITY) early++;
      else if (Number.isFinite(r.delay)) delays.push(r.delay);
      if (r.resolved) resolved++;
    }
    delays.sort((a, b) => a - b);
    const median = delays.length > 0 ? ` (${delays[Math.floor((delays.length - 1) / 2)]} s)` : '';
    return `${kind}: ${delays.length}/${seeds}${median}${resolved > 0 ? `, ${resolved} resolved before the end` : ''}${early > 0 ? `, ${early} paged before` : ''}`;
  });
  console.log(`${shape.name}\n  ${cells.join('\n  ')}`);
}
