// Random shapes of production traffic for the shape scripts (`quiet-shapes`, `failure-shapes`): a
// run's tick, routes, rate, overdispersion, demand wobble, error ratio and late completions, and
// optionally what healthy data also does (drift, gaps, a monitoring outage, a route that starts
// late). One seed is one run; the nuisances and any failure draw from streams of their own, so a
// seed's traffic is the same with or without them.

import { loadBundledClientModels, loadBundledModels } from '../../src/config/load.js';
import { parseSelector } from '../../src/core/selector.js';
import type { SeriesInfo, SignalSample } from '../../src/core/types.js';
import type { PipelineConfig } from '../../src/pipeline.js';
import { gamma, mulberry32, normal, poisson } from './random.js';

export interface Shape {
  stepS: number;
  routes: number;
  rate: number;
  /** Gamma shape of each tick's mean (Infinity: plain Poisson). */
  dispersion: number;
  memoryS: number;
  wobble: number;
  errorRatio: number;
  /** Up to twice this share of a tick's completions is counted in the next tick. */
  lateShare: number;
}

/** What healthy production data does besides its shape. */
export interface Nuisance {
  /** Natural log of the demand's change over the run, along a half cosine. */
  drift: number;
  /** Chance a tick starts a gap, and the longest such gap in ticks. */
  gapChance: number;
  gapTicks: number;
  /** Whether such gaps miss one route (else every route). */
  gapOneRoute: boolean;
  /** A monitoring outage: its first tick and length in ticks (length 0: none). */
  outageAt: number;
  outageTicks: number;
  /** The tick a route (the last) first appears at (0: from the start). */
  lateRouteAt: number;
}

/**
 * What fails, from which tick, on which routes: the share of requests answered with an error, the
 * share of the served ones that never completes downstream (with no error the server sees), and
 * what the failure does to the request rate (retrying clients multiply it; a pool of clients that
 * each wait for their build, or a name that no longer resolves, divide it).
 */
export interface Failure {
  name: string;
  atTick: number;
  /** -1: every route; else the one route that fails. */
  route: number;
  errorShare: number;
  lostShare: number;
  rateFactor: number;
}

export function describeShape(s: Shape): string {
  const counts = Number.isFinite(s.dispersion) ? `gamma-Poisson k=${s.dispersion}` : 'Poisson';
  return `${s.stepS} s ticks, ${s.routes} route${s.routes > 1 ? 's' : ''}, ${s.rate.toFixed(2)} req/s in all, ${counts}, wobble ${s.wobble} over ${s.memoryS} s, errors ${s.errorRatio * 100} %, late ${s.lateShare}`;
}

export function describeNuisance(n: Nuisance, stepS: number): string {
  const parts = [`drift x${Math.exp(n.drift).toFixed(2)}`];
  if (n.gapChance > 0) parts.push(`gaps 1-${n.gapTicks} ticks at ${n.gapChance} a tick${n.gapOneRoute ? ' (one route)' : ''}`);
  if (n.outageTicks > 0) parts.push(`outage ${((n.outageTicks * stepS) / 60).toFixed(0)} min at ${((n.outageAt * stepS) / 60).toFixed(0)} min`);
  if (n.lateRouteAt > 0) parts.push(`a route from ${((n.lateRouteAt * stepS) / 60).toFixed(0)} min`);
  return parts.join(', ');
}

const { presets, definitions } = loadBundledModels();
const clients = loadBundledClientModels();
const inputs = { requests: { selector: parseSelector('r'), query: '' }, errors: { selector: parseSelector('e'), query: '' }, downstream: { selector: parseSelector('d'), query: '' } };

/** One run of a random shape: its pipeline config and its frames, tick by tick. */
export class ShapeRun {
  readonly shape: Shape;
  readonly ticks: number;
  readonly nuisance: Nuisance | undefined;
  readonly config: PipelineConfig;
  private readonly random: () => number;
  private readonly gaps: () => number;
  private readonly phi: number;
  private readonly innovation: number;
  private readonly own: number[];
  private readonly carried: number[];
  private gapLeft = 0;
  private gapRoute = -1;

  constructor(seed: number, withNuisance: boolean, hours = 6) {
    const random = (this.random = mulberry32(seed * 104_729));
    const pick = <T>(a: T[]): T => a[Math.floor(random() * a.length)]!;
    const shape: Shape = (this.shape = {
      stepS: pick([1, 5, 15, 15, 60]),
      routes: pick([1, 1, 3, 8]),
      rate: Math.exp(Math.log(0.5) + random() * Math.log(5000 / 0.5)),
      dispersion: pick([Number.POSITIVE_INFINITY, 50, 10, 3]),
      memoryS: pick([10, 60, 300, 1800]),
      wobble: pick([0, 0.05, 0.15, 0.3]),
      errorRatio: pick([0.0005, 0.005, 0.02, 0.05]),
      lateShare: pick([0, 0, 0.2]),
    });
    this.config = {
      intervalMs: shape.stepS * 1000,
      detector: presets.default!,
      definitions,
      alerting: { forMs: 15_000, keepFiringForMs: 60_000, labels: {}, externalURL: 'http://x', receiver: 'r' },
      signals: [{ name: 'api', labels: {}, by: shape.routes > 1 ? ['route'] : [], clients, inputs }],
    };
    this.ticks = Math.min(Math.round((hours * 3600) / shape.stepS), 2000 * hours);
    this.phi = Math.exp(-shape.stepS / shape.memoryS);
    this.innovation = Math.sqrt(1 - this.phi * this.phi);
    this.own = new Array<number>(shape.routes).fill(0);
    this.carried = new Array<number>(shape.routes).fill(0);
    this.nuisance = withNuisance ? drawNuisance(seed, shape.stepS, this.ticks, shape.routes) : undefined;
    this.gaps = mulberry32(seed * 31 + 7);
  }

  /** The data time of tick `k`. */
  timeMs(k: number): number {
    return Date.UTC(2024, 0, 8) + k * this.shape.stepS * 1000;
  }

  /** Tick `k`'s frame (ticks are drawn in order, each once), with `failure` from its tick on. */
  frame(k: number, failure?: Failure, failRandom?: () => number): { signals: Map<string, SignalSample>; series: Map<string, SeriesInfo> } {
    const { shape, nuisance, random } = this;
    const signals = new Map<string, SignalSample>();
    const series = new Map<string, SeriesInfo>();
    const level = nuisance ? Math.exp((nuisance.drift * (1 - Math.cos((Math.PI * k) / this.ticks))) / 2) : 1;
    if (nuisance && this.gapLeft === 0 && this.gaps() < nuisance.gapChance) {
      this.gapLeft = 1 + Math.floor(this.gaps() * nuisance.gapTicks);
      this.gapRoute = nuisance.gapOneRoute ? Math.floor(this.gaps() * shape.routes) : -1;
    }
    const outage = nuisance !== undefined && k >= nuisance.outageAt && k < nuisance.outageAt + nuisance.outageTicks;
    for (let i = 0; i < shape.routes; i++) {
      this.own[i] = this.phi * this.own[i]! + this.innovation * shape.wobble * normal(random);
      let mean = level * (shape.rate / shape.routes) * Math.exp(this.own[i]! - (shape.wobble * shape.wobble) / 2) * shape.stepS;
      if (Number.isFinite(shape.dispersion)) mean = (mean * gamma(random, shape.dispersion)) / shape.dispersion;
      let n = poisson(random, mean);
      let errors = Math.min(n, poisson(random, n * shape.errorRatio));
      let served = n - errors;
      let late = Math.min(served, Math.round(served * shape.lateShare * random() * 2));
      const failing = failure !== undefined && failRandom !== undefined && k >= failure.atTick && (failure.route < 0 || failure.route === i);
      if (failing) {
        // Drawn from the failure's own stream: the healthy draws above stay as they were.
        const part = (of: number, share: number) => (share >= 1 ? of : Math.min(of, poisson(failRandom, of * share)));
        if (failure.rateFactor !== 1) {
          n = poisson(failRandom, n * failure.rateFactor);
          errors = part(n, shape.errorRatio);
        }
        errors = Math.max(errors, part(n, failure.errorShare));
        served = n - errors - part(n - errors, failure.lostShare);
        late = Math.min(served, late);
      }
      const downstream = served - late + this.carried[i]!;
      this.carried[i] = late;
      const id = shape.routes > 1 ? `api{route="/r/${i}"}` : 'api';
      // Missing data: the draws above still happen, so a run's traffic is the same with or without it.
      if (outage || (this.gapLeft > 0 && (this.gapRoute < 0 || this.gapRoute === i))) continue;
      if (nuisance && i === shape.routes - 1 && k < nuisance.lateRouteAt) continue;
      signals.set(id, { requests: n / shape.stepS, errors: errors / shape.stepS, downstream: downstream / shape.stepS });
      series.set(id, { signal: 'api', labels: shape.routes > 1 ? { route: `/r/${i}` } : {} });
    }
    if (this.gapLeft > 0) this.gapLeft--;
    return { signals, series };
  }
}

function drawNuisance(seed: number, stepS: number, ticks: number, routes: number): Nuisance {
  const random = mulberry32(seed * 7_919 + 1);
  const pick = <T>(a: T[]): T => a[Math.floor(random() * a.length)]!;
  const outage = random() < 0.3;
  const outageTicks = outage ? Math.round((300 + random() * 1500) / stepS) : 0;
  return {
    drift: pick([0, 0, Math.log(2), -Math.log(2), Math.log(5), -Math.log(5)]),
    gapChance: pick([0, 0.001, 0.01]),
    gapTicks: pick([1, 4, 40]),
    gapOneRoute: random() < 0.5,
    outageAt: outage ? Math.round(3600 / stepS + random() * (ticks - 3600 / stepS - outageTicks)) : 0,
    outageTicks,
    lateRouteAt: routes > 1 && random() < 0.5 ? Math.floor(random() * ticks * 0.8) : 0,
  };
}
