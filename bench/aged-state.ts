// The saved state of a stormwatch that has watched every series for two weeks: what a long-running
// `stormwatch run` restarts into and ticks on. A young state (full baselines, nothing else) leaves
// out the work a real process does every tick once the weekly profile reads (the level against the
// profile, refreshed every minute), once the anomaly score's tail records are full and once the slow
// drift view is warm; a bench on it times a process that is not the one users run.
//
// Two weeks of ticks through the real pipeline for a few template routes (spread over the profiles'
// range of rates, with the bench's own tick noise), then each route takes the template nearest its
// rate, moved to its own level: log-rates shifted, ratios scaled, and every window value nudged so
// no two series hold the same numbers. Tail records, drift and dispersion are on scales of
// surprise, not of rate, and are taken as they are.

import type { EvidenceSnapshot } from '../src/detectors/evidence-detector.js';
import { Pipeline, type PipelineConfig, type PipelineSnapshot } from '../src/pipeline.js';
import type { Frame, SeriesInfo, SignalSample } from '../src/core/types.js';
import { seriesIdOf } from '../src/series/series-key.js';
import { mulberry32 } from '../scripts/sim/random.js';
import { type RouteProfile, tickCounts } from './pages.js';

/** Days of ticks behind the state: the tail records' fifteen days, so every record is full. */
export const AGED_DAYS = 15;
/** Template routes, log-uniform over the profiles' rates (about five a decade). */
const TEMPLATES = 16;
const ERROR_RATIO = 0.005;
const COMPLETION_RATIO = 0.985;

/** The templates' snapshots after `days` of ticks ending one interval before `nowMs`, with their rates. */
function templates(config: PipelineConfig, signal: string, minRate: number, maxRate: number, nowMs: number, days: number): { rate: number; state: EvidenceSnapshot }[] {
  const rates = Array.from({ length: TEMPLATES }, (_, i) => Math.exp(Math.log(minRate) + ((i + 0.5) / TEMPLATES) * Math.log(maxRate / minRate)));
  const ids = rates.map((_, i) => seriesIdOf(signal, { route: `/template/${i}` }));
  const series = new Map<string, SeriesInfo>(ids.map((id, i) => [id, { signal, labels: { route: `/template/${i}` } }]));
  const pipeline = new Pipeline(config);
  const random = mulberry32(4242);
  const ticks = Math.round((days * 86_400_000) / config.intervalMs);
  const samples = new Map<string, SignalSample>(ids.map((id) => [id, { requests: 0, errors: 0, downstream: 0 }]));
  const profiles: RouteProfile[] = rates.map((rate, i) => ({ route: `/template/${i}`, rate, errorRatio: ERROR_RATIO, completionRatio: COMPLETION_RATIO }));
  const counts = new Float64Array(3);
  const seconds = config.intervalMs / 1000;
  for (let k = ticks; k >= 1; k--) {
    // The bench's ticks (pages.ts tickCounts): whole counts, demand ±5 %, errors ±20 %, completions ±1 %.
    for (let i = 0; i < ids.length; i++) {
      tickCounts(profiles[i]!, seconds, random, counts);
      const s = samples.get(ids[i]!)!;
      s.requests = counts[0]! / seconds;
      s.errors = counts[1]! / seconds;
      s.downstream = counts[2]! / seconds;
    }
    const frame: Frame = { timeMs: nowMs - k * config.intervalMs, signals: samples, series };
    pipeline.step(frame);
  }
  const saved = pipeline.snapshot(nowMs - config.intervalMs);
  return ids.map((id, i) => ({ rate: rates[i]!, state: saved.detectors[id] as EvidenceSnapshot }));
}

/** Probation's per-tick fields (evidence-detector.ts P_*): counts first, then residuals and flags. */
const P_FIELDS = 8;
const P_COUNTS = [0, 1, 2, 7];

/**
 * A template's state moved to a route's level: log-rates shifted by ln(c), counts scaled by c (the
 * partial buckets, the dispersion's blocks, probation), ratios scaled; every window value nudged by
 * `nudge()`.
 */
function moved(state: EvidenceSnapshot, c: number, errorScale: number, funnelScale: number, nudge: () => number): EvidenceSnapshot {
  const copy = structuredClone(state);
  const logShift = Math.log(c);
  copy.rate.values = copy.rate.values.map((v) => v + logShift + 0.01 * nudge());
  copy.errorRatio.values = copy.errorRatio.values.map((v) => v * errorScale * (1 + 0.05 * nudge()));
  copy.funnel.values = copy.funnel.values.map((v) => Math.min(1, v * funnelScale * (1 + 0.001 * nudge())));
  const partial = (p: [number, number, number] | undefined, num: number, den: number) => (p ? ([p[0] * num, p[1] * den, p[2]] as [number, number, number]) : undefined);
  copy.rate.partial = partial(copy.rate.partial, c, 1);
  copy.errorRatio.partial = partial(copy.errorRatio.partial, c * errorScale, c);
  copy.funnel.partial = partial(copy.funnel.partial, c * funnelScale, c);
  for (const b of [copy.rate, copy.errorRatio, copy.funnel]) if (!b.partial) delete b.partial;
  const d = copy.dispersion;
  if (d) {
    // Sums of lost × Δn and Δn² (late-share.ts): both scale by c², their ratio not at all.
    d.lateDen *= c * c;
    d.lateNum *= c * c;
    if (d.latePrevN >= 0) d.latePrevN *= c;
    if (d.ratePrevN !== undefined && d.ratePrevN >= 0) d.ratePrevN *= c;
    if (d.blockN !== undefined) d.blockN *= c;
    if (d.blockExpected !== undefined) d.blockExpected *= c;
  }
  if (copy.probation) {
    const p = copy.probation;
    for (let at = 0; at < p.length; at += P_FIELDS) {
      for (const f of P_COUNTS) if (p[at + f] !== null && p[at + f] !== undefined) p[at + f] = p[at + f]! * (f === 1 ? c * errorScale : f === 2 ? c * funnelScale : c);
    }
  }
  if (copy.profile) copy.profile.slots = copy.profile.slots.map((v) => (v === null ? null : v + logShift));
  return copy;
}

/**
 * The saved state of every route of `profiles` (signal `signal` split by route) as after `days` of
 * ticks ending one interval before `nowMs`. Checks that the templates' weekly profiles read.
 */
export function agedState(config: PipelineConfig, signal: string, profiles: readonly RouteProfile[], nowMs: number, days = AGED_DAYS): PipelineSnapshot {
  let minRate = Number.POSITIVE_INFINITY;
  let maxRate = 0;
  for (const p of profiles) {
    minRate = Math.min(minRate, p.rate);
    maxRate = Math.max(maxRate, p.rate);
  }
  const made = templates(config, signal, minRate, maxRate, nowMs, days);
  for (const t of made) if (!t.state.profile || t.state.profile.slots.every((v) => v === null)) throw new Error('aged state: a template has no weekly profile');
  const step = Math.log(maxRate / minRate) / TEMPLATES;
  // The nearest template in log-rate: c within e^±0.26 at the profiles' 0.5-2,000 per second.
  const random = mulberry32(99);
  const nudge = () => random() - 0.5;
  const detectors: Record<string, EvidenceSnapshot> = {};
  for (const p of profiles) {
    const j = Math.min(TEMPLATES - 1, Math.max(0, Math.floor(Math.log(p.rate / minRate) / step)));
    const t = made[j]!;
    detectors[seriesIdOf(signal, { route: p.route })] = moved(t.state, p.rate / t.rate, p.errorRatio / ERROR_RATIO, p.completionRatio / COMPLETION_RATIO, nudge);
  }
  return { version: 1, savedAtMs: nowMs - config.intervalMs, detectors, alerts: [], deploys: [], markers: {}, probes: [] };
}
