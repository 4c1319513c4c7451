// `node dist/scripts/sparse-ratios.js [--seeds 20] [--preset default]`: one thin route's error and funnel checks where
// a minute holds few errors or lost requests. Per case: six hours at a steady ratio (the runs that
// alarmed falsely, and the baseline each ended on), then the failure, and the seconds to its first
// alarm per seed (NaN: none within the hour). The detector alone, as the pipeline runs it.

import { parseArgs } from 'node:util';
import type { Evaluation, SignalSample } from '../src/core/types.js';
import { EvidenceDetector } from '../src/detectors/evidence-detector.js';
import { mulberry32, poisson } from './sim/random.js';
import { presetParams } from './sim/preset.js';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, preset: { type: 'string' } } });
const seeds = Number(values.seeds ?? 20);
if (!(Number.isInteger(seeds) && seeds >= 1 && seeds <= 1000)) throw new Error('--seeds: 1 to 1000');

const PARAMS = presetParams(values.preset);
interface Case {
  check: 'error_ratio' | 'funnel_drop';
  perSecond: number;
  before: number;
  after: number;
  stepS: number;
}

const CASES: Case[] = [
  { check: 'error_ratio', perSecond: 0.3, before: 0.02, after: 0.2, stepS: 15 },
  { check: 'error_ratio', perSecond: 0.3, before: 0.02, after: 0.2, stepS: 5 },
  { check: 'error_ratio', perSecond: 0.3, before: 0.02, after: 0.2, stepS: 60 },
  { check: 'error_ratio', perSecond: 0.3, before: 0.005, after: 0.1, stepS: 15 },
  { check: 'error_ratio', perSecond: 1, before: 0.01, after: 0.1, stepS: 15 },
  { check: 'error_ratio', perSecond: 0.1, before: 0.05, after: 0.5, stepS: 15 },
  { check: 'funnel_drop', perSecond: 0.3, before: 0.03, after: 0.2, stepS: 15 },
  { check: 'funnel_drop', perSecond: 0.3, before: 0.05, after: 0.2, stepS: 15 },
  { check: 'funnel_drop', perSecond: 0.3, before: 0.03, after: 0.5, stepS: 15 },
  { check: 'funnel_drop', perSecond: 1, before: 0, after: 0.1, stepS: 15 },
];

function runCase(c: Case, seed: number): { falseAlarm: boolean; baseline: number; delay: number } {
  const random = mulberry32(seed);
  const d = new EvidenceDetector(PARAMS, { intervalMs: c.stepS * 1000, inputs: new Set(['requests', 'errors', 'downstream']) });
  const tick = (share: number): SignalSample => {
    const n = poisson(random, c.perSecond * c.stepS);
    let failed = 0;
    for (let i = 0; i < n; i++) if (random() < share) failed++;
    // Errors are failed requests that do not complete; a funnel's losses fail past the entry point unseen.
    const errors = c.check === 'error_ratio' ? failed : 0;
    return { requests: n / c.stepS, errors: errors / c.stepS, downstream: (n - failed) / c.stepS };
  };
  const checkOf = (evals: Evaluation[]) => evals.find((e) => e.kind === c.check)!;
  let t = 0;
  let falseAlarm = false;
  let baseline = Number.NaN;
  for (let i = 0; i < (6 * 3600) / c.stepS; i++, t += c.stepS * 1000) {
    const e = checkOf(d.observe(tick(c.before), t));
    if (e.status === 'anomalous') falseAlarm = true;
    baseline = e.baseline;
  }
  let delay = Number.NaN;
  for (let i = 1; i <= 3600 / c.stepS && Number.isNaN(delay); i++, t += c.stepS * 1000) {
    if (checkOf(d.observe(tick(c.after), t)).status === 'anomalous') delay = i * c.stepS;
  }
  return { falseAlarm, baseline, delay };
}

for (const c of CASES) {
  const runs = Array.from({ length: seeds }, (_, k) => runCase(c, k + 1));
  const delays = runs.map((r) => r.delay).sort((a, b) => a - b);
  const baselines = runs.map((r) => r.baseline);
  const median = delays[Math.floor((delays.length - 1) / 2)];
  const what = c.check === 'error_ratio' ? 'errors' : 'lost';
  console.log(
    `${c.perSecond}/s ${what} ${c.before * 100} % -> ${c.after * 100} % at ${c.stepS} s: false alarms in ${runs.filter((r) => r.falseAlarm).length}/${seeds} runs; ` +
      `baselines ${Math.min(...baselines).toFixed(4)}-${Math.max(...baselines).toFixed(4)}; seconds to the alarm ${delays[0]}-${delays.at(-1)} (median ${median})`,
  );
}
