// A second-by-second simulation of a crates.io-like download path: clients ask the API for a
// download, the API answers 302 to a static host, the client fetches the file there. Faults at any
// hop make clients fail, and a client retry policy turns failures into more API requests.
// Pure and seeded: the generator writes its output as OpenMetrics fixtures.

import { retriesAtOnce } from '../../src/detectors/plateau-prior.js';
import { mulberry32, normal, poisson } from './random.js';

/**
 * Where a fault sits: the API's redirect target is malformed, the static host's DNS record is gone,
 * the static host answers 503 or 404 to some requests, the API answers 500, or the API itself is
 * unreachable (its DNS record or load balancer gone: the server sees nothing).
 */
export type FaultKind = 'broken-redirect' | 'dns-gone' | 'static-503' | 'static-404' | 'api-500' | 'api-down';

export interface Fault {
  kind: FaultKind;
  startMs: number;
  endMs: number;
  /** Fraction of attempts that fail while the fault lasts (1 = all). */
  failFraction: number;
}

export interface DelayRange {
  min: number;
  max: number;
}

export interface RetryPolicy {
  name: string;
  maxRetries: number;
  /** Sleep before retry k (index k-1), seconds, uniform in [min, max]. */
  delaysSeconds: DelayRange[];
}

/**
 * Share of its retries a failing build sends before aborting, for a client that retries at once:
 * its first chain runs out within a few round trips, while a large build's other requests have not
 * started. Measured on loopback with real cargo 1.65 (2 retries; requests per crate 3.0, 3.0, 2.79,
 * 2.10, 1.58, 1.58, 1.29 at 1, 2, 4, 10, 20, 50, 100 crates), interpolated in log N.
 */
const AT_ONCE_RETRIES_SENT: readonly [crates: number, share: number][] = [[1, 1], [2, 1], [4, 0.895], [10, 0.55], [20, 0.29], [50, 0.29], [100, 0.145]];

export function atOnceRetriesSent(crates: number): number {
  const t = AT_ONCE_RETRIES_SENT;
  if (crates <= t[0]![0]) return t[0]![1];
  for (let i = 1; i < t.length; i++) {
    const [n1, s1] = t[i]!;
    if (crates <= n1) {
      const [n0, s0] = t[i - 1]!;
      return s0 + ((s1 - s0) * Math.log(crates / n0)) / Math.log(n1 / n0);
    }
  }
  return t.at(-1)![1];
}

/**
 * Of round k's failed attempts, the share retried in round k + 1, for builds of `crates` that abort
 * at their first exhausted crate. Retries that wait: every round but the last, which sends one per
 * build (N·R + 1 requests). At once: the rounds fill in order until the share sent is spent.
 */
export function abortContinuation(policy: RetryPolicy, crates: number, atOnceShare?: number): number[] {
  const r = policy.maxRetries;
  if (!retriesAtOnce(policy.delaysSeconds)) return Array.from({ length: r }, (_, k) => (k + 1 === r ? 1 / crates : 1));
  let left = r * (atOnceShare ?? atOnceRetriesSent(crates));
  let reached = 1;
  const out: number[] = [];
  for (let k = 0; k < r; k++) {
    const next = Math.min(reached, Math.max(left, 0));
    out.push(reached > 0 ? next / reached : 0);
    left -= next;
    reached = next;
  }
  return out;
}

export interface ScenarioSpec {
  seed: number;
  startMs: number;
  endMs: number;
  stepMs: number;
  /** Mean logical downloads per second at the daily mean. */
  logicalRatePerSecond: number;
  /** Daily cycle: rate × (1 + amplitude·cos(2π(h − peakHour)/24)). */
  seasonAmplitude: number;
  peakHourUtc: number;
  /** Stationary σ of the slow log-normal demand wobble (AR(1), ~2 min memory). */
  noiseSigma: number;
  /** Demand on Saturdays and Sundays (UTC) relative to weekdays (default 1). */
  weekendFactor?: number;
  /** Recurring jobs: every day at `hourUtc` demand is multiplied by `factor` for `minutes`. */
  dailyBursts?: { hourUtc: number; minutes: number; factor: number }[];
  /** Extra demand (an organic surge): `factor` reached over `rampMs` from startMs, held until endMs, then ramping down. */
  surges: { startMs: number; endMs: number; factor: number; rampMs: number }[];
  /**
   * Closed-loop clients instead of independent arrivals: a fixed pool of CI runners, each running
   * one build after another. A build fetches `cratesPerBuild` crates at once and takes
   * `cycleSeconds` when healthy; a failing build keeps its runner through cargo's retry chain and
   * aborts when its first crate runs out of retries (the other crates' chains are dropped).
   */
  pool?: { clients: number; cratesPerBuild: number; cycleSeconds: number };
  /**
   * Open-loop clients that download crates in builds of this many (cargo): a build aborts on its
   * first crate out of retries, so of the last round of retries only one per build is sent
   * (N·retries + 1 requests for N crates at a total outage). Without it every chain runs to its end.
   */
  cratesPerBuild?: number;
  /**
   * Open-loop demand that arrives a build at a time (lumpy at short ticks): builds arrive as a
   * Poisson process, each of a whole number of crates uniform in [cratesMin, cratesMax], its
   * downloads spread at random over its first `spreadSeconds`. Without it each download arrives
   * on its own (Poisson per second).
   */
  buildArrivals?: { cratesMin: number; cratesMax: number; spreadSeconds: number };
  /**
   * For a client retrying at once (no sleep: cargo ≤ 1.69), the share of a failing build's
   * retries sent before it aborts; default atOnceRetriesSent(cratesPerBuild), as measured.
   */
  atOnceRetriesSent?: number;
  apiPods: number;
  /** Deploy times: every API pod restarts (its counters reset), one after another. */
  deploysMs: number[];
  /** Static host pods (default 1: one series without a pod label). */
  staticPods?: number;
  /** Rolling restarts of the static host: each pod restarts in turn, `staticStaggerMs` apart. */
  staticRestartsMs?: number[];
  staticStaggerMs?: number;
  /**
   * Scrapes that go wrong: `scrape` drops whole snapshots (a missed scrape, a gap), `requests`
   * drops the API's request series from them (lines unreadable or absent on the page).
   */
  gaps?: { startMs: number; endMs: number; what: 'scrape' | 'requests' }[];
  faults: Fault[];
  client: RetryPolicy;
}

export interface SeriesSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Snapshot {
  timeMs: number;
  samples: SeriesSample[];
}

export interface FaultTruth {
  kind: FaultKind;
  startMs: number;
  endMs: number;
  /** API attempts per logical download first sent inside the fault window (its retries counted also after the window ends). */
  attemptsPerLogicalRequest: number;
  logicalRatePerSecond: number;
  apiRatePerSecond: number;
}

export interface SimulationResult {
  snapshots: Snapshot[];
  truths: FaultTruth[];
}

// Background failure rates of a healthy system (rare 5xx at each hop).
const API_BASE_ERROR = 0.0005;
const STATIC_BASE_ERROR = 0.0002;
const RESTART_STAGGER_MS = 20_000;
/** How long demand's wobble remembers itself: an AR(1) in log demand, one step a second. */
export const NOISE_MEMORY_S = 120;
const RETRY_HORIZON_S = 32;

/**
 * How a sleep uniform in [min, max] seconds spreads over whole-second offsets, for an attempt sent
 * at a uniform point inside its second: the offset is floor(phase + sleep). So the mean offset is
 * the mean sleep, and a fixed 3.5 s sleep lands 3 or 4 seconds later, half and half. (The phase was
 * once left out of ranged sleeps: cargo's first retry, 0.5-1.5 s, then came half a second early.)
 */
export function delayWeights(range: DelayRange): Map<number, number> {
  const weights = new Map<number, number>();
  const width = range.max - range.min;
  // P(phase + sleep < w): the phase's CDF clamp(x, 0, 1) averaged over the sleep, via its integral.
  const integral = (x: number) => (x <= 0 ? 0 : x <= 1 ? (x * x) / 2 : x - 0.5);
  const below = (w: number) => (width <= 0 ? Math.min(1, Math.max(0, w - range.min)) : (integral(w - range.min) - integral(w - range.max)) / width);
  for (let o = Math.floor(range.min); o <= Math.ceil(range.max); o++) {
    const weight = below(o + 1) - below(o);
    if (weight > 1e-12) weights.set(o, weight);
  }
  return weights;
}

/** Demand multiplier of a surge at tMs: ramps up over rampMs from startMs and down over rampMs after endMs. */
export function surgeFactor(x: { startMs: number; endMs: number; factor: number; rampMs: number }, tMs: number): number {
  const ramp = Math.max(x.rampMs, 1);
  const up = Math.min(1, Math.max(0, (tMs - x.startMs) / ramp));
  const down = Math.min(1, Math.max(0, (x.endMs + ramp - tMs) / ramp));
  return 1 + (x.factor - 1) * Math.min(up, down);
}

/** Demand multiplier of the day of the week and the daily jobs at tMs. */
export function weeklyFactor(spec: Pick<ScenarioSpec, 'weekendFactor' | 'dailyBursts'>, tMs: number): number {
  // 1970-01-01 was a Thursday: day 2 and 3 after it (mod 7) are Saturday and Sunday.
  const day = Math.floor(tMs / 86_400_000);
  const weekend = ((day % 7) + 7) % 7 === 2 || ((day % 7) + 7) % 7 === 3;
  let f = weekend ? (spec.weekendFactor ?? 1) : 1;
  const minuteOfDay = (tMs - day * 86_400_000) / 60_000;
  for (const b of spec.dailyBursts ?? []) if (minuteOfDay >= b.hourUtc * 60 && minuteOfDay < b.hourUtc * 60 + b.minutes) f *= b.factor;
  return f;
}

function activeFault(faults: readonly Fault[], tMs: number): Fault | undefined {
  return faults.find((f) => tMs >= f.startMs && tMs < f.endMs);
}

export function simulate(spec: ScenarioSpec): SimulationResult {
  const random = mulberry32(spec.seed);
  const retries = spec.client.maxRetries;
  const crates = spec.pool?.cratesPerBuild ?? spec.cratesPerBuild;
  const continuation = crates === undefined ? undefined : abortContinuation(spec.client, crates, spec.atOnceRetriesSent);
  const delays = spec.client.delaysSeconds.map(delayWeights);
  // due[k][s % H]: attempts number k (0 = first try) due at second s.
  const due = Array.from({ length: retries + 1 }, () => new Float64Array(RETRY_HORIZON_S));
  const pods = Array.from({ length: spec.apiPods }, (_, i) => `web.${i + 1}`);
  const api302 = new Float64Array(spec.apiPods);
  const api500 = new Float64Array(spec.apiPods);
  const staticPods = spec.staticPods ?? 1;
  const staticNames = Array.from({ length: staticPods }, (_, i) => `static.${i + 1}`);
  const statics = { '200': new Float64Array(staticPods), '404': new Float64Array(staticPods), '503': new Float64Array(staticPods) };
  // Every static pod serves an equal share.
  const serve = (code: '200' | '404' | '503', n: number) => {
    for (let p = 0; p < staticPods; p++) statics[code][p]! += n / staticPods;
  };
  const staticRestarts = (spec.staticRestartsMs ?? []).flatMap((d) => staticNames.map((_, i) => ({ pod: i, atMs: d + i * (spec.staticStaggerMs ?? 15_000) }))).sort((a, b) => a.atMs - b.atMs);
  let nextStaticRestart = 0;
  // Each pod reports the version it runs; a deploy moves each pod to the next version as it restarts.
  const podVersion = pods.map(() => 100);
  const restarts = spec.deploysMs.flatMap((d) => pods.map((_, i) => ({ pod: i, atMs: d + i * RESTART_STAGGER_MS }))).sort((a, b) => a.atMs - b.atMs);
  let nextRestart = 0;
  // Each fault's truth follows the requests first sent inside its window through their whole
  // retry chain, also the retries due after it ends: cut at the window's end, a chain begun in its
  // last seconds would lose its retries and the truth would read low (cargo: 0.3 % over 10 min).
  // dueIn[k][s % H]: the part of due[k] that belongs to those chains.
  const truths = spec.faults.map((f) => ({ fault: f, logical: 0, attempts: 0, dueIn: Array.from({ length: retries + 1 }, () => new Float64Array(RETRY_HORIZON_S)) }));

  const pool = spec.pool
    ? {
        starts: new Float64Array(RETRY_HORIZON_S),
        // The retry chain's length: the sum of the mean sleeps, rounded to whole seconds.
        failingBuildSeconds: Math.max(1, Math.round(spec.client.delaysSeconds.reduce((t, d) => t + (d.min + d.max) / 2, 0))),
      }
    : undefined;
  if (pool) {
    // Steady state: runners spread evenly over one healthy cycle.
    for (let i = 0; i < spec.pool!.cycleSeconds; i++) pool.starts[(Math.floor(spec.startMs / 1000) + i) % RETRY_HORIZON_S] = spec.pool!.clients / spec.pool!.cycleSeconds;
  }
  // Downloads of builds that arrived already, due at second s (buildArrivals).
  const buildDownloads = new Float64Array(RETRY_HORIZON_S);
  const rho = Math.exp(-1 / NOISE_MEMORY_S);
  let wobble = normal(random) * spec.noiseSigma;
  const snapshots: Snapshot[] = [];
  const startS = Math.floor(spec.startMs / 1000);
  const endS = Math.floor(spec.endMs / 1000);

  for (let s = startS; s <= endS; s++) {
    const tMs = s * 1000;
    while (nextRestart < restarts.length && restarts[nextRestart]!.atMs <= tMs) {
      const { pod } = restarts[nextRestart++]!;
      api302[pod] = 0;
      api500[pod] = 0;
      podVersion[pod]!++;
    }
    while (nextStaticRestart < staticRestarts.length && staticRestarts[nextStaticRestart]!.atMs <= tMs) {
      const { pod } = staticRestarts[nextStaticRestart++]!;
      for (const code of ['200', '404', '503'] as const) statics[code][pod] = 0;
    }
    wobble = rho * wobble + Math.sqrt(1 - rho * rho) * spec.noiseSigma * normal(random);
    const hour = ((tMs / 3_600_000) % 24 + 24) % 24;
    const season = 1 + spec.seasonAmplitude * Math.cos((2 * Math.PI * (hour - spec.peakHourUtc)) / 24);
    const surge = spec.surges.reduce((m, x) => m * surgeFactor(x, tMs), 1) * weeklyFactor(spec, tMs);
    const fault = activeFault(spec.faults, tMs);
    const q = fault?.failFraction ?? 0;
    const slot = s % RETRY_HORIZON_S;
    let logical: number;
    if (pool) {
      // Runners starting a build now; a failing build holds its runner for the whole retry chain.
      const starting = pool.starts[slot]!;
      pool.starts[slot] = 0;
      logical = starting * spec.pool!.cratesPerBuild;
      const busyS = q >= 0.5 ? pool.failingBuildSeconds : spec.pool!.cycleSeconds;
      pool.starts[(s + busyS) % RETRY_HORIZON_S]! += starting;
    } else if (spec.buildArrivals) {
      const b = spec.buildArrivals;
      const builds = poisson(random, (spec.logicalRatePerSecond * season * surge * Math.exp(wobble)) / ((b.cratesMin + b.cratesMax) / 2));
      for (let i = 0; i < builds; i++) {
        const n = b.cratesMin + Math.floor(random() * (b.cratesMax - b.cratesMin + 1));
        for (let c = 0; c < n; c++) buildDownloads[(s + Math.floor(random() * b.spreadSeconds)) % RETRY_HORIZON_S]! += 1;
      }
      logical = buildDownloads[slot]!;
      buildDownloads[slot] = 0;
    } else {
      logical = poisson(random, spec.logicalRatePerSecond * season * surge * Math.exp(wobble));
    }

    for (let k = 0; k <= retries; k++) {
      const attempts = k === 0 ? logical : due[k]![slot]!;
      due[k]![slot] = 0;
      // The share of these attempts that belongs to each fault's chains.
      const shares = truths.map((t) => {
        const inWindow = k === 0 ? (tMs >= t.fault.startMs && tMs < t.fault.endMs ? attempts : 0) : t.dueIn[k]![slot]!;
        t.dueIn[k]![slot] = 0;
        t.attempts += inWindow;
        return attempts > 0 ? inWindow / attempts : 0;
      });
      if (attempts <= 0) continue;
      let failed: number;
      let apiErrors = attempts * API_BASE_ERROR;
      let reachStatic = attempts - apiErrors;
      switch (fault?.kind) {
        case 'broken-redirect':
        case 'dns-gone':
          // The API still answers 302; the client never reaches the static host.
          failed = reachStatic * q;
          reachStatic -= failed;
          serve('200', reachStatic * (1 - STATIC_BASE_ERROR));
          serve('503', reachStatic * STATIC_BASE_ERROR);
          failed += reachStatic * STATIC_BASE_ERROR + apiErrors;
          break;
        case 'static-503':
        case 'static-404': {
          const code = fault.kind === 'static-503' ? '503' : '404';
          serve(code, reachStatic * q);
          serve('200', reachStatic * (1 - q) * (1 - STATIC_BASE_ERROR));
          serve('503', reachStatic * (1 - q) * STATIC_BASE_ERROR);
          // A 404 is final: cargo does not retry it.
          failed = (fault.kind === 'static-503' ? reachStatic * q : 0) + reachStatic * (1 - q) * STATIC_BASE_ERROR + apiErrors;
          break;
        }
        case 'api-down':
          // Attempts never reach the server: no counter moves for them.
          failed = attempts * q;
          apiErrors *= 1 - q;
          reachStatic = (attempts - failed) * (1 - API_BASE_ERROR);
          serve('200', reachStatic * (1 - STATIC_BASE_ERROR));
          serve('503', reachStatic * STATIC_BASE_ERROR);
          failed += apiErrors + reachStatic * STATIC_BASE_ERROR;
          break;
        case 'api-500':
          apiErrors += reachStatic * q;
          reachStatic -= reachStatic * q;
          serve('200', reachStatic * (1 - STATIC_BASE_ERROR));
          serve('503', reachStatic * STATIC_BASE_ERROR);
          failed = apiErrors + reachStatic * STATIC_BASE_ERROR;
          break;
        default:
          serve('200', reachStatic * (1 - STATIC_BASE_ERROR));
          serve('503', reachStatic * STATIC_BASE_ERROR);
          failed = apiErrors + reachStatic * STATIC_BASE_ERROR;
      }
      const served = fault?.kind === 'api-down' ? attempts * (1 - q) : attempts;
      for (let p = 0; p < spec.apiPods; p++) {
        api302[p]! += (served - apiErrors) / spec.apiPods;
        api500[p]! += apiErrors / spec.apiPods;
      }
      if (k < retries && failed > 0) {
        // A build aborts when its first crate runs out of retries (abortContinuation).
        const abort = continuation ? continuation[k]! : 1;
        for (const [offset, weight] of delays[k]!) {
          const at = (s + offset) % RETRY_HORIZON_S;
          due[k + 1]![at]! += failed * weight * abort;
          truths.forEach((t, i) => {
            t.dueIn[k + 1]![at]! += failed * weight * abort * shares[i]!;
          });
        }
      }
    }
    for (const t of truths) {
      if (tMs >= t.fault.startMs && tMs < t.fault.endMs) t.logical += logical;
    }
    const gap = spec.gaps?.find((g) => tMs >= g.startMs && tMs < g.endMs)?.what;
    if (tMs % spec.stepMs === 0 && tMs >= spec.startMs && gap !== 'scrape') {
      const samples: SeriesSample[] = [];
      for (let p = 0; p < spec.apiPods && gap !== 'requests'; p++) {
        samples.push({ name: 'crates_api_requests_total', labels: { code: '302', pod: pods[p]!, route: 'download' }, value: Math.floor(api302[p]!) });
        samples.push({ name: 'crates_api_requests_total', labels: { code: '500', pod: pods[p]!, route: 'download' }, value: Math.floor(api500[p]!) });
      }
      for (const code of ['200', '404', '503'] as const) {
        for (let p = 0; p < staticPods; p++) {
          const labels: Record<string, string> = staticPods === 1 ? { code, host: 'static' } : { code, host: 'static', pod: staticNames[p]! };
          samples.push({ name: 'static_requests_total', labels, value: Math.floor(statics[code][p]!) });
        }
      }
      for (let p = 0; p < spec.apiPods; p++) {
        samples.push({ name: 'crates_build_info', labels: { pod: pods[p]!, version: `1.${podVersion[p]}.0` }, value: 1 });
      }
      snapshots.push({ timeMs: tMs, samples });
    }
  }
  return {
    snapshots,
    truths: truths.map((t) => {
      const seconds = (t.fault.endMs - t.fault.startMs) / 1000;
      return {
        kind: t.fault.kind,
        startMs: t.fault.startMs,
        endMs: t.fault.endMs,
        attemptsPerLogicalRequest: t.attempts / Math.max(t.logical, 1),
        logicalRatePerSecond: t.logical / seconds,
        apiRatePerSecond: t.attempts / seconds,
      };
    }),
  };
}
