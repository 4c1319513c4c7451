// What a daylight-saving change does to a signal whose traffic follows local clocks, read in UTC
// hours and in the zone's (`detector.timeZone`): a weekly cycle (5x day/night peaking at 15:00 on
// the zone's clocks, weekends there at half, a wandering demand, Poisson counts) for three weeks
// before a change and four days after it, through the pipeline. Prints, per seed and reading, the
// minutes (ticks) with a rate check alarmed, the ticks scored 0.5 or more, the anomaly score's 99th
// percentile in the four days before and after the change, and the alerts raised after it.
// Run: node dist/scripts/time-zones.js [--zone Europe/Berlin] [--change 2023-10-29T01:00:00Z]
//        [--seeds 1,2,3,4,5] [--tick 60] [--no-weekends]

import { loadBundledClientModels, loadBundledModels } from '../src/config/load.js';
import { parseSelector } from '../src/core/selector.js';
import { WallClock } from '../src/core/wall-clock.js';
import type { DetectorParams } from '../src/detectors/evidence-detector.js';
import { Pipeline } from '../src/pipeline.js';
import { mulberry32, normal, poisson } from './sim/random.js';

const DAY_MS = 86_400_000;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

interface Window {
  ticks: number;
  rateAlarmed: number;
  high: number;
  scores: number[];
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
}

function run(seed: number, world: WallClock, reading: string | undefined, changeMs: number, tickMs: number, weekends: boolean) {
  const { presets, definitions } = loadBundledModels();
  const detector: DetectorParams = { ...presets.default!, ...(reading ? { timeZone: reading } : {}) };
  const selector = parseSelector('requests_total');
  const pipeline = new Pipeline({
    intervalMs: tickMs,
    detector,
    alerting: { forMs: 0, keepFiringForMs: 60_000, labels: {}, externalURL: 'http://127.0.0.1:9464', receiver: 'stormwatch' },
    definitions,
    signals: [{ name: 'web', labels: {}, by: [], clients: loadBundledClientModels(), inputs: { requests: { selector, query: '' }, errors: { selector, query: '' }, downstream: { selector, query: '' } } }],
  });
  const random = mulberry32(seed);
  const rho = Math.exp(-tickMs / 120_000);
  let wobble = 0;
  const before: Window = { ticks: 0, rateAlarmed: 0, high: 0, scores: [] };
  const after: Window = { ticks: 0, rateAlarmed: 0, high: 0, scores: [] };
  const raised: string[] = [];
  for (let t = changeMs - 20 * DAY_MS; t < changeMs + 4 * DAY_MS; t += tickMs) {
    const wall = world.wallMs(t);
    const day = (((Math.floor(wall / DAY_MS) % 7) + 7) % 7);
    // 1970-01-01 was a Thursday: days 2 and 3 are Saturday and Sunday.
    const weekend = weekends && (day === 2 || day === 3) ? 0.5 : 1;
    wobble = rho * wobble + Math.sqrt(1 - rho * rho) * 0.07 * normal(random);
    const cycle = 1 + (2 / 3) * Math.cos((2 * Math.PI * ((wall / 3_600_000) % 24 - 15)) / 24);
    const requests = poisson(random, (50 * cycle * weekend * Math.exp(wobble) * tickMs) / 1000);
    const errors = poisson(random, requests * 0.005);
    const result = pipeline.step({ timeMs: t, signals: new Map([['web', { requests, errors, downstream: requests - poisson(random, requests * 0.005) }]]) });
    if (t >= changeMs) for (const tr of result.transitions) if (tr.status === 'firing') raised.push(`${new Date(t).toISOString().slice(5, 16)} ${tr.labels.alertname}`);
    const w = t >= changeMs ? after : t >= changeMs - 4 * DAY_MS ? before : undefined;
    const report = result.signals.get('web');
    if (!w || !report) continue;
    w.ticks++;
    const score = report.anomalyScore ?? Number.NaN;
    if (score >= 0.5) w.high++;
    if (Number.isFinite(score)) w.scores.push(score);
    if (report.evaluations.some((e) => (e.kind === 'rate_spike' || e.kind === 'rate_drop') && e.status === 'anomalous')) w.rateAlarmed++;
  }
  return { before, after, raised };
}

function main(): void {
  const zone = option('zone', 'Europe/Berlin');
  const changeMs = Date.parse(option('change', '2023-10-29T01:00:00Z'));
  const seeds = option('seeds', '1,2,3,4,5').split(',').map(Number);
  const tickMs = Number(option('tick', '60')) * 1000;
  const weekends = !process.argv.includes('--no-weekends');
  const world = new WallClock(zone);
  console.log(`traffic on ${zone}'s clocks, change at ${new Date(changeMs).toISOString()}, ${tickMs / 1000} s ticks${weekends ? '' : ', no weekends'}`);
  console.log('seed | read in | rate-alarmed ticks before / after | ticks scored ≥ 0.5 before / after | score p99 before / after | alerts after the change');
  for (const seed of seeds) {
    for (const reading of [undefined, zone]) {
      const r = run(seed, world, reading, changeMs, tickMs, weekends);
      const p99 = (w: Window) => quantile(w.scores, 0.99).toFixed(3);
      console.log(`${seed} | ${reading ?? 'UTC'} | ${r.before.rateAlarmed} / ${r.after.rateAlarmed} | ${r.before.high} / ${r.after.high} | ${p99(r.before)} / ${p99(r.after)} | ${r.raised.join('; ') || 'none'}`);
    }
  }
}

main();
