// `node dist/scripts/funnel-lag.js [--step-seconds 1] [--rate 12] [--seeds 20]`: how many ticks the
// funnel check takes to alarm on a total break when the downstream is scraped a fraction q of a tick
// after the requests (two targets at their own phases: each completion counted at the next scrape
// with probability q). Poisson requests, 600 healthy ticks of history, one detector per seed, the
// default detector parameters; prints p50 / p90 / max per q (99: not within 60 ticks).

import { parseArgs } from 'node:util';
import { EvidenceDetector } from '../src/detectors/evidence-detector.js';
import type { SignalSample } from '../src/core/types.js';
import { lateCompletions } from './sim/late-completions.js';
import { mulberry32, poisson } from './sim/random.js';

const { values } = parseArgs({ options: { 'step-seconds': { type: 'string' }, rate: { type: 'string' }, seeds: { type: 'string' } } });
const stepS = Number(values['step-seconds'] ?? 1);
const rate = Number(values.rate ?? 12);
const seeds = Number(values.seeds ?? 20);
if (!(stepS > 0 && rate > 0 && Number.isInteger(seeds) && seeds >= 1 && seeds <= 1000)) throw new Error('--step-seconds and --rate: positive numbers; --seeds: 1 to 1000');
const params = { baselineWindowMs: 3_600_000, baselineResolutionMs: 60_000, minBaselinePoints: 20, spikeFactor: 1.5, collapseFactor: 0.2, minErrorRatioIncrease: 0.02, funnelDropFraction: 0.03, minRequestsPerTick: 20, relearnAfterMs: 3_600_000, falseAlarmsPerYear: 0.1 };

for (const lag of [0, 0.1, 0.3, 0.5, 0.7]) {
  const ticks: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const random = mulberry32(seed);
    const detector = new EvidenceDetector(params, { intervalMs: stepS * 1000, inputs: new Set(['requests', 'errors', 'downstream']) });
    const counted = lateCompletions(random, lag);
    const next = (lost: number): SignalSample => {
      const n = poisson(random, rate * stepS);
      let completed = 0;
      for (let i = 0; i < n; i++) if (random() >= lost) completed++;
      return { requests: n / stepS, errors: 0, downstream: counted(completed) / stepS };
    };
    let t = 0;
    for (let i = 0; i < 600; i++, t += stepS * 1000) detector.observe(next(0), t);
    let at = 99;
    for (let i = 1; i <= 60 && at === 99; i++, t += stepS * 1000) if (detector.observe(next(1), t).find((e) => e.kind === 'funnel_drop')?.status === 'anomalous') at = i;
    ticks.push(at);
  }
  ticks.sort((a, b) => a - b);
  const q = (p: number) => ticks[Math.floor(p * (ticks.length - 1))];
  console.log(`q ${lag}: ticks until the funnel alarms, p50 / p90 / max ${q(0.5)} / ${q(0.9)} / ${q(1)} (${seeds} seeds, ${stepS} s ticks, ${rate}/s)`);
}
