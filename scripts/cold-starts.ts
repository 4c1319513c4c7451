// `node dist/scripts/cold-starts.js [--starts 100] [--hours 4] [--preset default]`: healthy routes
// from a cold start, where every alarm is a false one. Per case (a tick size, a rate, how lumpy the
// counts are), the starts whose rate checks (drop, spike) or error check alarmed in each hour: the
// first hour is judged on what the warm-up taught, the later ones on a learnt window. Lumpy counts
// are Poisson of a gamma-mixed mean (shape k: ticks vary by ±1/√k); bursty errors are a share
// gamma-mixed the same way, tick by tick. The detector alone, as the pipeline runs it.

import { parseArgs } from 'node:util';
import type { Evaluation } from '../src/core/types.js';
import { EvidenceDetector } from '../src/detectors/evidence-detector.js';
import { gamma, mulberry32, poisson } from './sim/random.js';
import { presetParams } from './sim/preset.js';

const { values } = parseArgs({ options: { starts: { type: 'string' }, hours: { type: 'string' }, preset: { type: 'string' } } });
const starts = Number(values.starts ?? 100);
const hours = Number(values.hours ?? 4);
if (!(Number.isInteger(starts) && starts >= 1 && starts <= 10_000)) throw new Error('--starts: 1 to 10000');
if (!(Number.isInteger(hours) && hours >= 1 && hours <= 48)) throw new Error('--hours: 1 to 48');

const PARAMS = presetParams(values.preset);

interface Case {
  stepS: number;
  perSecond: number;
  /** The gamma shape of the requests' mean, tick by tick; 0: Poisson. */
  countShape: number;
  errorShare: number;
  /** The gamma shape of the error share, tick by tick; 0: binomial. */
  errorShape: number;
}

const CASES: Case[] = [
  { stepS: 15, perSecond: 300, countShape: 3, errorShare: 0.005, errorShape: 0 },
  { stepS: 5, perSecond: 300, countShape: 3, errorShare: 0.005, errorShape: 0 },
  { stepS: 1, perSecond: 300, countShape: 3, errorShare: 0.005, errorShape: 0 },
  { stepS: 60, perSecond: 300, countShape: 3, errorShare: 0.005, errorShape: 0 },
  { stepS: 15, perSecond: 30, countShape: 1.5, errorShare: 0.005, errorShape: 0 },
  { stepS: 15, perSecond: 100, countShape: 0, errorShare: 0.02, errorShape: 2 },
  { stepS: 5, perSecond: 300, countShape: 0, errorShare: 0.01, errorShape: 3 },
  { stepS: 15, perSecond: 300, countShape: 10, errorShare: 0.01, errorShape: 2 },
];

/** The hours (from 0) in which a start's rate and error checks alarmed. */
function runStart(c: Case, seed: number): { rate: Set<number>; errors: Set<number> } {
  const random = mulberry32(seed);
  const d = new EvidenceDetector(PARAMS, { intervalMs: c.stepS * 1000, inputs: new Set(['requests', 'errors']) });
  const mixed = (mean: number, shape: number) => (shape > 0 ? (mean * gamma(random, shape)) / shape : mean);
  const alarmed = (evals: Evaluation[], kinds: string[]) => evals.some((e) => e.status === 'anomalous' && kinds.includes(e.kind));
  const out = { rate: new Set<number>(), errors: new Set<number>() };
  const ticks = (hours * 3600) / c.stepS;
  for (let i = 0, t = 0; i < ticks; i++, t += c.stepS * 1000) {
    const n = poisson(random, mixed(c.perSecond * c.stepS, c.countShape));
    const errors = Math.min(n, poisson(random, mixed(n * c.errorShare, c.errorShape)));
    const evals = d.observe({ requests: n / c.stepS, errors: errors / c.stepS, downstream: n / c.stepS }, t);
    const hour = Math.floor((i * c.stepS) / 3600);
    if (alarmed(evals, ['rate_drop', 'rate_spike'])) out.rate.add(hour);
    if (alarmed(evals, ['error_ratio'])) out.errors.add(hour);
  }
  return out;
}

const describe = (c: Case) =>
  `${c.stepS} s, ${c.perSecond}/s ${c.countShape > 0 ? `gamma ${c.countShape}` : 'Poisson'}, errors ${c.errorShare * 100} % ${c.errorShape > 0 ? `gamma ${c.errorShape}` : 'binomial'}`;
console.log(`starts (of ${starts}) whose checks alarmed, by hour from the cold start (rate: drop or spike)`);
console.log(`case | rate: ${Array.from({ length: hours }, (_, h) => `h${h + 1}`).join(' ')} | errors: ${Array.from({ length: hours }, (_, h) => `h${h + 1}`).join(' ')}`);
CASES.forEach((c, i) => {
  const rate = new Array<number>(hours).fill(0);
  const errors = new Array<number>(hours).fill(0);
  for (let s = 1; s <= starts; s++) {
    const r = runStart(c, (i + 1) * 100_003 + s);
    for (const h of r.rate) rate[h]!++;
    for (const h of r.errors) errors[h]!++;
  }
  console.log(`${describe(c)} | ${rate.join(' ')} | ${errors.join(' ')}`);
});
