// Seeded inputs for the bench, as a user's stormwatch reads them: /metrics pages of many label shapes,
// Prometheus instant-query answers for a split signal, and replay files with one timestamp a tick.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mulberry32 } from '../scripts/sim/random.js';

/**
 * The label shapes of a page, cycled family by family: no labels, five labels, escapes (`\"`, `\\`,
 * `\n`), non-ASCII values, timestamps, eight labels with float and negative values. Only what both
 * peers parse like Prometheus does: no `:` in names (prom2javascript reads `\w+`), no `}` in values,
 * no `\\` before an `n` or a `"` (prom2javascript unescapes in a fixed order), no NaN or ±Inf values
 * (stormwatch reports them as problems: a counter that is not finite is a broken exporter).
 */
const SHAPES = ['plain', 'five', 'escapes', 'unicode', 'timestamps', 'eight'] as const;

/** A text-format (0.0.4) page of about `bytes` bytes; `samples` is how many sample lines it has. */
export function expositionPage(bytes: number, seed = 42): { text: string; samples: number } {
  const random = mulberry32(seed);
  const parts: string[] = [];
  let size = 0;
  let samples = 0;
  const push = (line: string) => {
    parts.push(line);
    size += line.length + 1;
  };
  for (let family = 0; size < bytes; family++) {
    const shape = SHAPES[family % SHAPES.length]!;
    const name = `app_${shape}_${family}_total`;
    push(`# HELP ${name} Requests handled (${shape} labels).`);
    push(`# TYPE ${name} ${shape === 'eight' ? 'gauge' : 'counter'}`);
    const lines = shape === 'plain' ? 1 : 200;
    for (let i = 0; i < lines && size < bytes; i++) {
      const count = Math.floor(random() * 1e9);
      let line: string;
      switch (shape) {
        case 'plain':
          line = `${name} ${count}`;
          break;
        case 'five':
          line = `${name}{service="svc-${i % 17}",route="/api/v1/items/${i}",method="${i % 3 ? 'GET' : 'POST'}",code="${[200, 302, 404, 500][i % 4]}",pod="web-${i % 9}-7d9c5"} ${count}`;
          break;
        case 'escapes':
          line = `${name}{path="C:\\\\DIR\\\\FILE${i}.TXT",error="Cannot find file:\\n\\"FILE${i}.TXT\\""} ${count}`;
          break;
        case 'unicode':
          line = `${name}{city="Zürich-${i}",region="東京",note="naïve café ${i % 7}"} ${count}.5`;
          break;
        case 'timestamps':
          line = `${name}{route="/t/${i}",code="200"} ${count} ${1_689_855_450_000 + i * 15_000}`;
          break;
        case 'eight':
          line = `${name}{a="${i}",b="b${i % 3}",c="c",d="${i % 11}",e="eeeeeeee",f="${i * 7}",g="gg",h="${i % 5}"} ${((random() - 0.5) * 1e6).toExponential(6)}`;
          break;
      }
      push(line);
      samples++;
    }
  }
  return { text: `${parts.join('\n')}\n`, samples };
}

/** One series of a split signal: its own request rate, error and completion ratios. */
export interface RouteProfile {
  route: string;
  /** Requests per second around which this route's traffic wobbles. */
  rate: number;
  errorRatio: number;
  completionRatio: number;
}

/** `n` routes with distinct levels: rates log-uniform from 0.5 to 2,000 per second. */
export function routeProfiles(n: number, seed = 7): RouteProfile[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ({
    route: `/api/v1/r${i}`,
    rate: Math.exp(Math.log(0.5) + random() * Math.log(4000)),
    errorRatio: 0.0005 + random() * 0.01,
    completionRatio: 0.97 + random() * 0.029,
  }));
}

/** Seconds a bench tick spans. */
const TICK_SECONDS = 15;

/**
 * One tick's (`seconds`) whole counts of one route, as its counters' increments are: demand ±5 %, errors
 * ±20 % of their ratio, completions ±1 % of theirs, each rounded to a neighbouring whole number
 * with the odds of its fraction (so the mean stays). Rates with smooth noise made a route at 0.5
 * requests a second fail 0.04 requests a tick; a real route fails none, or one, and its ratio
 * checks' evidence leaves zero and comes back, which costs work a smooth bench never showed.
 */
export function tickCounts(profile: RouteProfile, seconds: number, random: () => number, out: Float64Array): void {
  const requests = wholeNear(profile.rate * seconds * (1 + 0.1 * (random() - 0.5)), random());
  out[0] = requests;
  out[1] = wholeNear(requests * profile.errorRatio * (0.8 + 0.4 * random()), random());
  out[2] = wholeNear(requests * profile.completionRatio * (0.99 + 0.02 * random()), random());
}

/** `x` rounded down, or up with the odds of its fraction (`u` uniform in [0, 1)). */
function wholeNear(x: number, u: number): number {
  const floor = Math.floor(x);
  return u < x - floor ? floor + 1 : floor;
}

/**
 * One tick's rates of every route (requests, errors, downstream) per second: its whole counts
 * (tickCounts) over the tick, what `rate()` of integer counters reads.
 */
export function tickRates(profiles: readonly RouteProfile[], tick: number): { requests: Float64Array; errors: Float64Array; downstream: Float64Array } {
  const random = mulberry32(1_000_003 * (tick + 1));
  const n = profiles.length;
  const requests = new Float64Array(n);
  const errors = new Float64Array(n);
  const downstream = new Float64Array(n);
  const counts = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    tickCounts(profiles[i]!, TICK_SECONDS, random, counts);
    requests[i] = counts[0]! / TICK_SECONDS;
    errors[i] = counts[1]! / TICK_SECONDS;
    downstream[i] = counts[2]! / TICK_SECONDS;
  }
  return { requests, errors, downstream };
}

/** What Prometheus answers to `sum by (route) (...)` at `timeMs`: the JSON body, as bytes. */
export function vectorAnswer(profiles: readonly RouteProfile[], values: Float64Array, timeMs: number): Buffer {
  const t = (timeMs / 1000).toFixed(3);
  const parts: string[] = [];
  for (let i = 0; i < profiles.length; i++) parts.push(`{"metric":{"route":"${profiles[i]!.route}"},"value":[${t},"${values[i]}"]}`);
  return Buffer.from(`{"status":"success","data":{"resultType":"vector","result":[${parts.join(',')}]}}`);
}

/** A tick's three instant-query answers: requests, errors (code 5..) and completions, per route. */
export interface TickAnswers {
  requests: Buffer;
  errors: Buffer;
  downstream: Buffer;
}

/** Tick k's answers (k ticks of `intervalMs` after `t0Ms`) for the bench's routes. */
export function tickAnswers(profiles: readonly RouteProfile[], k: number, t0Ms: number, intervalMs: number): TickAnswers {
  const rates = tickRates(profiles, k);
  const at = t0Ms + k * intervalMs;
  return { requests: vectorAnswer(profiles, rates.requests, at), errors: vectorAnswer(profiles, rates.errors, at), downstream: vectorAnswer(profiles, rates.downstream, at) };
}

/** The answer a query of the bench's signal gets: by what its PromQL selects. */
export function answerFor(query: string, answers: TickAnswers): Buffer {
  // No target is down: the probe (targetsDownQuery) finds none, so no missed series' query is asked.
  if (query.includes('min_over_time(up[')) return NOTHING;
  return query.includes('5..') ? answers.errors : query.includes('completions') ? answers.downstream : answers.requests;
}

const NOTHING = Buffer.from('{"status":"success","data":{"resultType":"vector","result":[]}}');

/** Cumulative counters of every route at a tick: what a /metrics page of the service shows. */
export function counterPage(profiles: readonly RouteProfile[], totals: { requests: Float64Array; errors: Float64Array; downstream: Float64Array }): Buffer {
  const parts: string[] = ['# HELP app_requests_total Requests by route and code.', '# TYPE app_requests_total counter'];
  for (let i = 0; i < profiles.length; i++) {
    const route = profiles[i]!.route;
    const errors = Math.floor(totals.errors[i]!);
    parts.push(`app_requests_total{route="${route}",code="200"} ${Math.floor(totals.requests[i]!) - errors}`, `app_requests_total{route="${route}",code="500"} ${errors}`);
  }
  parts.push('# HELP app_completions_total Downloads completed downstream.', '# TYPE app_completions_total counter');
  for (let i = 0; i < profiles.length; i++) parts.push(`app_completions_total{route="${profiles[i]!.route}"} ${Math.floor(totals.downstream[i]!)}`);
  return Buffer.from(`${parts.join('\n')}\n`);
}

/**
 * How a replay file orders its samples: every series at one timestamp, then the next timestamp (a
 * recorder appending snapshots), or every sample of one series, then the next series, family by
 * family (as OpenMetrics requires: a series' samples are not interleaved with another's).
 */
export type ReplayLayout = 'snapshots' | 'series';

/**
 * Writes an OpenMetrics replay file: `routes` routes, three counter series each (code 200, code 500,
 * completions), one sample every `intervalMs` for `ticks` ticks. Returns the samples written. Both
 * layouts hold the same samples.
 */
export async function writeReplayFile(file: string, routes: number, ticks: number, intervalMs: number, seed = 11, layout: ReplayLayout = 'snapshots'): Promise<number> {
  const profiles = routeProfiles(routes, seed);
  const totals = { requests: new Float64Array(routes), errors: new Float64Array(routes), downstream: new Float64Array(routes) };
  const out = createWriteStream(file);
  const startS = 1_689_811_200;
  const timestamp = (k: number) => startS + (k * intervalMs) / 1000;
  // The series layout writes each series' whole day at once: the counters of every tick kept (8 bytes a sample).
  const kept = layout === 'series' ? { ok: new Float64Array(routes * ticks), errors: new Float64Array(routes * ticks), completions: new Float64Array(routes * ticks) } : undefined;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (!kept) await write('# TYPE app_requests counter\n# TYPE app_completions counter\n');
  for (let k = 0; k < ticks; k++) {
    const rates = tickRates(profiles, k);
    const lines: string[] = [];
    for (let i = 0; i < routes; i++) {
      const s = intervalMs / 1000;
      // At the ticks' own 15 s, the rates are whole counts over the tick (tickCounts), added whole.
      const whole = (x: number) => (s === TICK_SECONDS ? Math.round(x) : x);
      totals.requests[i]! += whole(rates.requests[i]! * s);
      totals.errors[i]! += whole(rates.errors[i]! * s);
      totals.downstream[i]! += whole(rates.downstream[i]! * s);
      const errors = Math.floor(totals.errors[i]!);
      const ok = Math.floor(totals.requests[i]!) - errors;
      const completions = Math.floor(totals.downstream[i]!);
      if (kept) {
        kept.ok[i * ticks + k] = ok;
        kept.errors[i * ticks + k] = errors;
        kept.completions[i * ticks + k] = completions;
        continue;
      }
      const route = profiles[i]!.route;
      const ts = timestamp(k);
      lines.push(`app_requests_total{code="200",route="${route}"} ${ok} ${ts}`, `app_requests_total{code="500",route="${route}"} ${errors} ${ts}`, `app_completions_total{route="${route}"} ${completions} ${ts}`);
    }
    if (!kept) await write(`${lines.join('\n')}\n`);
  }
  if (kept) {
    const series = async (name: string, labels: string, values: Float64Array, i: number) => {
      const lines: string[] = [];
      for (let k = 0; k < ticks; k++) lines.push(`${name}{${labels}} ${values[i * ticks + k]!} ${timestamp(k)}`);
      await write(`${lines.join('\n')}\n`);
    };
    await write('# TYPE app_requests counter\n');
    for (let i = 0; i < routes; i++) {
      await series('app_requests_total', `code="200",route="${profiles[i]!.route}"`, kept.ok, i);
      await series('app_requests_total', `code="500",route="${profiles[i]!.route}"`, kept.errors, i);
    }
    await write('# TYPE app_completions counter\n');
    for (let i = 0; i < routes; i++) await series('app_completions_total', `route="${profiles[i]!.route}"`, kept.completions, i);
  }
  out.end('# EOF\n');
  await once(out, 'finish');
  return 3 * routes * ticks;
}
