// `node dist/scripts/funnel-lumpy.js [--seeds 40] [--preset default]`: the funnel check on lumpy
// demand (Poisson of a gamma-mixed mean, shape k: ticks vary by ±1/√k) whose downstream is scraped
// a share q of a tick after the requests (each completion counted at the next scrape with
// probability q; completions conserved). Two tables, one detector per seed, four healthy hours first:
// - a failure: ticks to the first funnel or rate-drop alarm (p50, p90, most; "-": none within an
//   hour), and the seeds that alarmed in the healthy hours;
// - q moving (the downstream's scrape phase moved: a target replaced) on healthy traffic: the seeds
//   that alarmed in the four hours after, and their alarmed ticks.
// The detector alone, as the pipeline runs it. docs/how-it-decides.md, "Requests in flight, taken off".

import { parseArgs } from 'node:util';
import type { Evaluation, SignalSample } from '../src/core/types.js';
import { EvidenceDetector } from '../src/detectors/evidence-detector.js';
import { gamma, mulberry32, poisson } from './sim/random.js';
import { presetParams } from './sim/preset.js';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, preset: { type: 'string' } } });
const seeds = Number(values.seeds ?? 40);
if (!(Number.isInteger(seeds) && seeds >= 1 && seeds <= 1000)) throw new Error('--seeds: 1 to 1000');
const PARAMS = presetParams(values.preset);
const LOST_AT_BASELINE = 0.005;

/** One route's ticks: requests of a gamma-mixed mean (k 0: Poisson), a share lost, completions held a tick with probability q. */
class Route {
  q: number;
  private held = 0;
  constructor(
    private readonly random: () => number,
    private readonly stepS: number,
    private readonly perSecond: number,
    private readonly k: number,
    q: number,
  ) {
    this.q = q;
  }
  next(rateFactor: number, lostShare: number): SignalSample {
    const mean = this.perSecond * this.stepS * rateFactor;
    const n = poisson(this.random, this.k > 0 ? (mean * gamma(this.random, this.k)) / this.k : mean);
    let completed = 0;
    let held = 0;
    for (let i = 0; i < n; i++) {
      if (this.random() < lostShare) continue;
      completed++;
      if (this.random() < this.q) held++;
    }
    const counted = completed - held + this.held;
    this.held = held;
    return { requests: n / this.stepS, errors: 0, downstream: counted / this.stepS };
  }
}

const alarmed = (evals: Evaluation[], kinds: readonly string[]) => evals.some((e) => e.status === 'anomalous' && kinds.includes(e.kind));
const detectorFor = (stepS: number) => new EvidenceDetector(PARAMS, { intervalMs: stepS * 1000, inputs: new Set(['requests', 'errors', 'downstream']) });
const demand = (k: number) => (k > 0 ? `gamma ${k}` : 'Poisson');

console.log('failure | tick, requests/s, demand, q | healthy seeds alarmed | ticks to the alarm: p50, p90, most');
const FAILURES = [
  { name: 'half lost', stepS: 15, perSecond: 110, k: 3, q: 0.2, rateFactor: 1, lostShare: 0.5 },
  { name: 'half lost', stepS: 15, perSecond: 110, k: 0, q: 0.2, rateFactor: 1, lostShare: 0.5 },
  { name: 'half lost', stepS: 5, perSecond: 30, k: 3, q: 0.3, rateFactor: 1, lostShare: 0.5 },
  { name: 'half lost', stepS: 60, perSecond: 50, k: 3, q: 0.2, rateFactor: 1, lostShare: 0.5 },
  { name: '20 % lost', stepS: 15, perSecond: 300, k: 10, q: 0.2, rateFactor: 1, lostShare: 0.2 },
  { name: 'pool x0.1, all lost', stepS: 15, perSecond: 110, k: 3, q: 0.2, rateFactor: 0.1, lostShare: 1 },
];
for (const f of FAILURES) {
  let falseSeeds = 0;
  const delays: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const route = new Route(mulberry32(seed * 31_337), f.stepS, f.perSecond, f.k, f.q);
    const d = detectorFor(f.stepS);
    let t = 0;
    let falseAlarm = false;
    for (let i = 0; i < (4 * 3600) / f.stepS; i++, t += f.stepS * 1000) if (alarmed(d.observe(route.next(1, LOST_AT_BASELINE), t), ['rate_drop', 'rate_spike', 'funnel_drop'])) falseAlarm = true;
    if (falseAlarm) falseSeeds++;
    let fired = Number.POSITIVE_INFINITY;
    for (let i = 1; i <= 3600 / f.stepS && fired === Number.POSITIVE_INFINITY; i++, t += f.stepS * 1000) if (alarmed(d.observe(route.next(f.rateFactor, f.lostShare), t), ['funnel_drop', 'rate_drop'])) fired = i;
    delays.push(fired);
  }
  delays.sort((a, b) => a - b);
  const at = (p: number) => {
    const x = delays[Math.min(delays.length - 1, Math.floor(p * delays.length))]!;
    return Number.isFinite(x) ? String(x) : '-';
  };
  console.log(`${f.name} | ${f.stepS} s, ${f.perSecond}/s, ${demand(f.k)}, q ${f.q} | ${falseSeeds}/${seeds} | ${at(0.5)}, ${at(0.9)}, ${at(1)}`);
}

console.log('\nq moving | tick, requests/s, demand | seeds alarmed in the four hours after (alarmed ticks)');
const MOVES = [
  { stepS: 15, perSecond: 110, k: 1000, q0: 0.05, q1: 0.45 },
  { stepS: 15, perSecond: 110, k: 3, q0: 0.05, q1: 0.45 },
  { stepS: 15, perSecond: 30, k: 2, q0: 0, q1: 0.5 },
  { stepS: 5, perSecond: 300, k: 3, q0: 0.4, q1: 0 },
  { stepS: 1, perSecond: 50, k: 3, q0: 0.1, q1: 0.6 },
  { stepS: 60, perSecond: 50, k: 3, q0: 0.05, q1: 0.45 },
];
for (const m of MOVES) {
  let seedsAlarmed = 0;
  let ticksAlarmed = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const route = new Route(mulberry32(seed * 7717), m.stepS, m.perSecond, m.k, m.q0);
    const d = detectorFor(m.stepS);
    let any = false;
    const hours = (4 * 3600) / m.stepS;
    for (let i = 0, t = 0; i < 2 * hours; i++, t += m.stepS * 1000) {
      if (i === hours) route.q = m.q1;
      if (alarmed(d.observe(route.next(1, LOST_AT_BASELINE), t), ['funnel_drop', 'rate_drop', 'rate_spike']) && i >= hours) {
        any = true;
        ticksAlarmed++;
      }
    }
    if (any) seedsAlarmed++;
  }
  console.log(`${m.q0} -> ${m.q1} | ${m.stepS} s, ${m.perSecond}/s, ${m.k >= 1000 ? 'gamma 1000 (near Poisson)' : demand(m.k)} | ${seedsAlarmed}/${seeds} (${ticksAlarmed})`);
}
