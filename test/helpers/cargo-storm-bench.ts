// Runs real cargo storms end to end and measures what stormwatch says about them: one loopback
// registry per scenario (cargo-registry.ts), real `cargo fetch` load against each
// (cargo-clients.ts), one real Prometheus scraping every registry's /metrics, one stormwatch per
// scenario (the built CLI, a service's sidecar) polling that Prometheus for its registry's signal,
// and a webhook receiver. After a
// healthy warm-up every scenario's fault is switched on at once (the onset, a wall-clock time,
// which is the data time Prometheus stamps its samples with); the pages that arrive within the
// observation window are recorded with their data times, together with what the registries saw
// (attempts per build, request rates), which checks the harness itself.
//
// Used by test/e2e/cargo-storm.test.ts (1 s ticks) and scripts/cargo-storms.ts (1 s, 5 s, 15 s).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CargoRegistry, type RegistryFault, startCargoRegistry } from './cargo-registry.js';
import { type BuildRecord, type CargoBinary, type LoadHandle, closedPool, openLoop } from './cargo-clients.js';
import { type CliProcess, spawnCli } from './cli.js';
import { type RunningPrometheus, startPrometheus, stopChild } from './prometheus.js';
import { type ReceivedRequest, type Receiver, startReceiver } from './receiver.js';

export type LoadShape =
  | { kind: 'open'; buildsPerSecond: number; /** Arrival rate from the onset on (organic growth). */ buildsPerSecondAfterOnset?: number }
  | { kind: 'pool'; runners: number; /** A job's work after a successful fetch (its compile step); a failed fetch ends the job at once. */ thinkMs: number };

export interface ScenarioSpec {
  /** Short name: `onion`, `refused`, `static-503`, `pool-onion`, `organic-2x`. */
  name: string;
  cargo: CargoBinary;
  /** Switched on at the onset (`none`: no fault; an organic change of the load instead). */
  fault: RegistryFault;
  shape: LoadShape;
  seed?: number;
}

export type ScenarioName = 'broken-redirect' | 'refused' | 'static-503' | 'closed-pool' | 'organic-2x';
export const SCENARIOS: readonly ScenarioName[] = ['broken-redirect', 'refused', 'static-503', 'closed-pool', 'organic-2x'];

/** Open loop: 3 builds/s of 4 crates, about 12 download requests/s. */
export const OPEN_LOOP: LoadShape = { kind: 'open', buildsPerSecond: 3 };
/**
 * Organic growth from 2 to 4 builds/s: a doubling the machine can serve. From 3 to 6 the cargo
 * processes starved 2 cores next to Prometheus and stormwatch (builds of 1.7-3.5 s instead of 0.6 s,
 * requests up 0.65-1.56x instead of 2x in the runs of 2026-11-29/30), so the test saw no doubling.
 */
export const ORGANIC_LOOP = { kind: 'open', buildsPerSecond: 2, buildsPerSecondAfterOnset: 4 } as const satisfies LoadShape;
/**
 * Closed pool: 4 runners; a job is a fetch, then 1 s of work when it succeeded: about 3.5 builds/s
 * (14 requests/s) on an idle machine, 2.7 (11/s) when a busy one makes fetches take 0.5 s. The work
 * step keeps the rate steady; a failing fetch holds its runner about 11 s, so the rate falls to
 * about 0.35-0.45x (a shorter step would fall further but follow the machine's load).
 */
export const CLOSED_POOL: LoadShape = { kind: 'pool', runners: 4, thinkMs: 1000 };

/** The unresolvable-redirect fault a cargo can take without any DNS query leaving the machine. */
export function brokenRedirectFault(cargo: CargoBinary): RegistryFault {
  // Debian's libcurl 7.88 would look a .onion name up: it gets the 70-character label instead.
  return cargo.refusesOnion ? 'redirect-onion' : 'redirect-unresolvable';
}

/** The suite's scenarios, by name, for one cargo. */
export function scenario(name: ScenarioName, cargo: CargoBinary, seed?: number): ScenarioSpec {
  const s = seed === undefined ? {} : { seed };
  switch (name) {
    case 'broken-redirect':
      return { name, cargo, fault: brokenRedirectFault(cargo), shape: OPEN_LOOP, ...s };
    case 'refused':
      return { name, cargo, fault: 'redirect-refused', shape: OPEN_LOOP, ...s };
    case 'static-503':
      return { name, cargo, fault: 'static-503', shape: OPEN_LOOP, ...s };
    case 'closed-pool':
      return { name, cargo, fault: brokenRedirectFault(cargo), shape: CLOSED_POOL, ...s };
    case 'organic-2x':
      return { name, cargo, fault: 'none', shape: ORGANIC_LOOP, ...s };
  }
}

/** What stormwatch must page for a scenario (issue 9): undefined means no critical page at all. */
export function expectedPage(spec: ScenarioSpec): string | undefined {
  if (spec.fault === 'none') return undefined;
  // A closed pool stalls (its rate falls) when cargo sleeps between retries; with the legacy
  // policy's immediate retries each runner fails fast and starts again: its rate rises, a storm.
  if (spec.shape.kind === 'pool') return spec.cargo.retryPolicy === 'current' ? 'StormwatchOutage' : 'StormwatchRetryStorm';
  return 'StormwatchRetryStorm';
}

/**
 * The client a storm's messages must name (issue 15), or undefined where none is estimable: an open
 * loop of one cargo meeting a fault it retries. A closed pool's demand is not independent of the
 * failure, and without a fault there is no storm.
 */
export function expectedClient(spec: ScenarioSpec): string | undefined {
  if (spec.fault === 'none' || spec.shape.kind !== 'open') return undefined;
  return spec.cargo.retryPolicy === 'current' ? 'cargo' : 'cargo-legacy';
}

export interface BenchTiming {
  /** Tick interval of stormwatch and scrape interval of Prometheus, seconds: 1, 5 or 15. */
  intervalSeconds: number;
  /** Healthy time from Prometheus's first scrape of every registry to the onset. */
  warmMs: number;
  /** How long after the onset pages are waited for (the fault stays on). */
  observeMs: number;
  /**
   * If set, the fault stays on past observeMs until every scenario with an expectedClient has a
   * firing message naming a client (its page or an update), at most this long after the onset.
   */
  nameWithinMs?: number;
  /** Detector `minBaselinePoints` (baseline points before it judges). */
  minBaselinePoints: number;
  /** Detector `baselineResolution`, seconds. */
  baselineResolutionSeconds: number;
  /** `alerting.for`, seconds. */
  forSeconds: number;
  /** irate window, seconds (must hold at least two scrapes). */
  rateWindowSeconds: number;
  /**
   * The static host's completions on a scrape target of their own, scraped at its own phase
   * (Prometheus spreads its targets over the interval), as in a real deployment of two services;
   * otherwise one target serves both counters and both are read at the same instant.
   */
  separateStaticTarget?: boolean;
}

/** The settings the suite uses at each tick size; see the test's header for why. */
export function timingFor(intervalSeconds: number): BenchTiming {
  const minBaselinePoints = 10;
  // Buckets of at least 5 s: a 1 s tick of builds fetching 4 crates each is 0, 4, 8... requests,
  // and the median of such single ticks sits well below their mean; 5 s pools about 60.
  const baselineResolutionSeconds = Math.max(5, intervalSeconds);
  return {
    intervalSeconds,
    // From the first scrape: a second scrape before irate has a value, minBaselinePoints ticks of
    // history, and about two ticks stormwatch loses at start-up (history ends a tick before it
    // starts; live ticks begin at the next tick boundary), plus one of margin.
    // At 1 s, five buckets of five seconds too (see baselineResolutionSeconds).
    warmMs: Math.max((minBaselinePoints + 5) * intervalSeconds, 5 * baselineResolutionSeconds + 10) * 1000,
    baselineResolutionSeconds,
    // Long enough to see a late page too, rather than cut the measurement off: 15 s at 1 s ticks,
    // 6 ticks at coarser ones.
    observeMs: Math.max(15_000, 6 * intervalSeconds * 1000),
    minBaselinePoints,
    // The default: evidence decides, with no extra hold.
    forSeconds: 0,
    rateWindowSeconds: Math.max(5, 3 * intervalSeconds),
  };
}

export interface Page {
  alertname: string;
  severity: string;
  status: 'firing' | 'resolved';
  /** Data time the condition began (the payload's startsAt). */
  startsAtMs: number;
  /** Data time of the tick that sent it: the tick boundary at or before its arrival. */
  firedAtMs: number;
  receivedAtMs: number;
  summary: string;
  /** What the message said about the clients: the model named, and attempts per request with its interval. */
  clientModel: string;
  /** Every client model the message says fits (client_models_fitting), the named one included. */
  clientModelsFitting: string[];
  /** The named client's share of the likelihood of those that fit (client_model_share; NaN when absent). */
  clientModelShare: number;
  attemptsPerRequest: number;
  attemptsLow: number;
  attemptsHigh: number;
}

export interface HarnessFacts {
  /** Builds that started and finished before the onset, and how many of them succeeded. */
  healthyBuilds: number;
  healthyOk: number;
  /** Download requests per healthy build (4 with 4 crates; more if a request was retried). */
  healthyRequestsPerBuild: number;
  /** Files the static host served per healthy build, each build's count (4 with 4 crates). */
  healthyStaticPerBuild: number[];
  /** Builds that started after the onset and finished before the fault ended. */
  faultBuilds: number;
  faultOk: number;
  /** Download requests (API endpoint) per such build: the attempts a failing build makes. */
  faultRequestsPerBuild: number[];
  /** Requests that reached the static host per such build. */
  faultStaticPerBuild: number[];
  /** Mean duration of such builds, ms. */
  faultBuildMs: number;
  /**
   * Mean span from a failing build's first download request to its last, ms: how far apart its
   * retries came (about 11 s for cargo >= 1.70; well under a second when they come at once), apart
   * from how long the process took to start and exit on a busy machine.
   */
  faultRequestSpanMs: number;
  /** Crates each build fetches: a failing build's logical downloads. */
  cratesPerBuild: number;
  /** Download requests/s over the 8 s before the onset, and from onset+5 s to the end. */
  rateBefore: number;
  rateDuring: number;
  /**
   * Builds/s that started in the 30 s before the onset (the demand level stormwatch divides a
   * storm's rate by) and from the onset to the fault's end: Poisson arrivals of a few builds a
   * second differ by 10-30 % between the two, and attempts per request is read through their ratio.
   */
  demandBefore: number;
  demandDuring: number;
  /** Builds/s that arrived (open loop) or ran (pool) before the onset. */
  buildsPerSecondBefore: number;
  /** Open loop: arrivals dropped because too many cargo processes ran. */
  skipped: number;
  /** Stormwatch had a baseline (stormwatch_signal_baseline) for this signal before the onset. */
  stormwatchWarm: boolean;
}

export interface ScenarioResult {
  spec: ScenarioSpec;
  /** The open loop's arrival seed (spec.seed, or the scenario's place in its batch + 1): the same seed, the same arrivals. */
  seed: number;
  signal: string;
  onsetMs: number;
  pages: Page[];
  /** The first critical firing page, if any. */
  firstCritical: Page | undefined;
  /** firstCritical.firedAtMs - onsetMs (data time), if it paged. */
  delayMs: number | undefined;
  /**
   * When Prometheus first scraped the registry after the onset (its /metrics request: the first
   * sample that can show the fault). A page less than an interval after it came on the first tick
   * that could read the fault; the rest of delayMs is where the onset fell between scrapes.
   */
  firstFaultScrapeMs: number | undefined;
  /** When the fault was switched off (wall clock). */
  faultEndMs: number;
  /** The latest firing critical message (page or update) when the fault ended: what a receiver held. */
  clientReading: Page | undefined;
  /** Attempts per logical download, from the registry's own log: requests per failing build / its crates. */
  truthAttemptsPerRequest: number;
  harness: HarnessFacts;
}

export interface BatchResult {
  timing: BenchTiming;
  results: ScenarioResult[];
  /** Stormwatch's stderr (JSON log lines), for a failing test's message. */
  stormwatchLog: string;
  /** Stormwatch's /metrics just before the onset. */
  metricsBeforeOnset: string;
}

/** Runs the scenarios side by side (same onset) and tears everything down, also on failure. */
export async function runBatch(specs: ScenarioSpec[], timing: BenchTiming, log: (line: string) => void = () => {}): Promise<BatchResult> {
  const registries: CargoRegistry[] = [];
  const loads: LoadHandle[] = [];
  let prometheus: RunningPrometheus | undefined;
  let receiver: Receiver | undefined;
  // One stormwatch per scenario, as each service would run its own sidecar: each learns its own
  // target's scrape phase (one process ticks at one offset, and a second target scraped at
  // another phase would be read up to an interval late: at 15 s, a whole tick of delay).
  const stormwatches: CliProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cargo-storm-'));
  const intervalMs = timing.intervalSeconds * 1000;
  const tickOffsetsMs: number[] = [];
  try {
    for (let i = 0; i < specs.length; i++) registries.push(await startCargoRegistry({ separateStaticMetrics: timing.separateStaticTarget === true }));
    const targets = registries.flatMap((r) => (r.staticAddress === r.address ? [r.address] : [r.address, r.staticAddress]));
    prometheus = await startPrometheus({ scrapeTargets: targets, scrapeInterval: `${timing.intervalSeconds}s` });
    receiver = await startReceiver();
    const startedMs = Date.now();
    const signals = specs.map((s, i) => `${s.cargo.label.replace('.', '_')}-${s.name}-${i}`);

    // Load first: the registries are healthy and Prometheus scrapes them from now on.
    const budgetMs = timing.warmMs + Math.max(timing.observeMs, timing.nameWithinMs ?? 0) + 60_000;
    specs.forEach((spec, i) => {
      const common = { cargo: spec.cargo, registry: registries[i]!, idPrefix: `${i}-`, maxDurationMs: budgetMs };
      loads.push(
        spec.shape.kind === 'open'
          ? openLoop({ ...common, buildsPerSecond: spec.shape.buildsPerSecond, maxBuilds: Math.ceil((budgetMs / 1000) * spec.shape.buildsPerSecond * 3), seed: seedOf(spec, i) })
          : closedPool({ ...common, runners: spec.shape.runners, thinkMs: spec.shape.thinkMs, maxBuilds: 5000 }),
      );
    });

    const status = process.env.STORMWATCH_BENCH_DEBUG
      ? setInterval(() => log(`status: ${loads.map((l, i) => `[${i}] in flight ${l.runner.inFlight}, done ${l.runner.records.length}, skipped ${l.skipped()}, requests ${registries[i]!.requests.length}`).join('; ')}`), 2000)
      : undefined;
    // Prometheus applies new targets a few seconds after it starts (its discovery updates are
    // throttled to every 5 s): the warm-up counts from its first scrape of every registry.
    const firstScrapeMs = await waitForScrapes(prometheus.url, registries.length, 60_000);
    log(`first scrape ${((firstScrapeMs - startedMs) / 1000).toFixed(1)} s after Prometheus started`);
    const onsetPlanMs = firstScrapeMs + timing.warmMs;

    // Stormwatch starts well before the onset and reads the healthy history from Prometheus
    // (source.prometheus.warmup), so its baselines are warm at once; live ticks follow. Not in the
    // last seconds before the onset: on 2 cores, starting node and reading the history slowed the
    // cargo clients there (requests at 0.6-0.8x the arrivals in the 8 s before the onset, seen in
    // CI), a dip in demand that the real world would not put right before every storm.
    const leadMs = Math.max(20_000, 2 * intervalMs + 4000);
    await sleepUntil(onsetPlanMs - leadMs);
    const warmupSeconds = Math.ceil((Date.now() - startedMs) / 1000) + 60;
    for (let i = 0; i < specs.length; i++) {
      const own = join(dir, `stormwatch-${i}`);
      const configFile = join(dir, `stormwatch-${i}.yaml`);
      writeFileSync(configFile, stormwatchConfig(prometheus.url, receiver.url, timing, warmupSeconds, signals[i]!, registries[i]!, own));
      // Every tick's evidence in stormwatch's log (kept in the result, read by tickTrace): why a
      // page came when it did, also in a CI run nobody can repeat.
      stormwatches.push(spawnCli(['run', '--config', configFile, '--log-level', 'debug']));
    }
    // Generous: on a busy machine reading the history and starting node take a while.
    const ownUrls: string[] = [];
    for (const stormwatch of stormwatches) {
      ownUrls.push(String((await stormwatch.waitForLog('http server listening', 60_000)).url));
      // Ticks fall this far after each multiple of the interval (aligned to its target's scrapes).
      tickOffsetsMs.push(Number((await stormwatch.waitForLog('stormwatch running', 60_000)).tickOffsetSeconds ?? 0) * 1000);
    }
    log(`tick offsets ${tickOffsetsMs.map((o) => `${(o / 1000).toFixed(1)} s`).join(', ')}`);
    // The onset waits (a few ticks at most) until every stormwatch has a baseline for its signal.
    const warmRe = signals.map((sig) => new RegExp(`stormwatch_signal_baseline\\{signal="${sig}",check="[^"]+"\\} [0-9.e+-]+`));
    let metricsText = '';
    let warm = signals.map(() => false);
    await sleepUntil(onsetPlanMs - 2 * intervalMs);
    for (;;) {
      const texts = await Promise.all(ownUrls.map((url) => fetch(`${url}/metrics`).then((r) => r.text(), () => '')));
      metricsText = texts.join('\n');
      warm = warmRe.map((re, i) => re.test(texts[i]!));
      if ((warm.every(Boolean) && Date.now() >= onsetPlanMs) || Date.now() >= onsetPlanMs + 5 * intervalMs) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!warm.every(Boolean)) log(`not warm at the onset: ${signals.filter((_, i) => !warm[i]).join(', ')}`);
    if (process.env.STORMWATCH_BENCH_DEBUG) log(metricsText.split('\n').filter((l) => l.startsWith('stormwatch_signal') || l.startsWith('stormwatch_ticks')).join('\n'));

    // The onset: every fault at once.
    const onsets = specs.map((spec, i) => {
      const at = registries[i]!.setFault(spec.fault);
      if (spec.shape.kind === 'open' && spec.shape.buildsPerSecondAfterOnset !== undefined) loads[i]!.setRate(spec.shape.buildsPerSecondAfterOnset);
      return at;
    });
    log(`onset at ${new Date(onsets[0]!).toISOString()}: ${specs.map((s) => `${s.cargo.label} ${s.name}`).join(', ')}`);
    await sleepUntil(onsets[0]! + timing.observeMs);
    if (timing.nameWithinMs !== undefined) {
      const naming = specs.map((spec, i) => (expectedClient(spec) === undefined ? undefined : signals[i]!)).filter((x) => x !== undefined);
      // Settled: the same client named for NAME_SETTLED_MS (no look at the truth).
      const named = () => naming.every((sig) => (namedSinceMs(pagesOf(receiver!.received, intervalMs, tickOffsetsMs[signals.indexOf(sig)]!).filter((p) => p.signal === sig).map((p) => p.page)) ?? Number.POSITIVE_INFINITY) <= Date.now() - NAME_SETTLED_MS);
      while (!named() && Date.now() < onsets[0]! + timing.nameWithinMs) await new Promise((r) => setTimeout(r, 250));
      log(`clients named and settled ${((Date.now() - onsets[0]!) / 1000).toFixed(1)} s after the onset: ${named()}`);
    }
    const faultEndMs = Date.now();
    for (const r of registries) r.setFault('none');

    // Stop the load at once (failing chains are killed, not waited for), then stormwatch.
    const records = await Promise.all(loads.map((l) => l.stop(0)));
    for (const stormwatch of stormwatches) await stopChild(stormwatch.child);

    const results = specs.map((spec, i): ScenarioResult => {
      const own = pagesOf(receiver!.received, intervalMs, tickOffsetsMs[i]!).filter((p) => p.signal === signals[i]).map((p) => p.page);
      const harness = harnessFacts(registries[i]!, records[i]!, onsets[i]!, faultEndMs, loads[i]!.skipped(), warm[i]!);
      const firstCritical = own.filter((p) => p.status === 'firing' && p.severity === 'critical').sort((a, b) => a.firedAtMs - b.firedAtMs)[0];
      return {
        spec,
        seed: seedOf(spec, i),
        signal: signals[i]!,
        onsetMs: onsets[i]!,
        pages: own,
        firstCritical,
        delayMs: firstCritical ? firstCritical.firedAtMs - onsets[i]! : undefined,
        firstFaultScrapeMs: registries[i]!.requests.find((q) => q.kind === 'metrics' && q.atMs >= onsets[i]!)?.atMs,
        faultEndMs,
        clientReading: latestMessage(own),
        truthAttemptsPerRequest: mean(harness.faultRequestsPerBuild) / harness.cratesPerBuild,
        harness,
      };
    });
    clearInterval(status);
    const recordDir = process.env.STORMWATCH_CARGO_RECORD;
    if (recordDir) for (const [i, r] of results.entries()) await recordScenario(recordDir, prometheus.url, registries[i]!, r, timing, startedMs);
    return { timing, results, stormwatchLog: stormwatches.map((sw, i) => `# ${signals[i]}\n${sw.stderr()}`).join('\n'), metricsBeforeOnset: metricsText };
  } finally {
    for (const l of loads) await l.stop(0).catch(() => []);
    for (const stormwatch of stormwatches) if (stormwatch.child.exitCode === null) await stopChild(stormwatch.child);
    await prometheus?.stop();
    await receiver?.close();
    for (const r of registries) await r.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The configuration of the stormwatch that watches one scenario's registry. */
function stormwatchConfig(promUrl: string, receiverUrl: string, t: BenchTiming, warmupSeconds: number, signal: string, registry: CargoRegistry, dir: string): string {
  const signalYaml = `  - name: ${signal}
    requests: 'registry_download_requests_total{instance="${registry.address}"}'
    downstream: 'static_requests_total{code="200",instance="${registry.staticAddress}"}'
    # What a crate registry's operator declares (README, Configuration): its clients are cargo.
    clients: [cargo, cargo-legacy]`;
  return `interval: ${t.intervalSeconds}s
source:
  prometheus:
    url: ${promUrl}
    warmup: ${warmupSeconds}s
    rateFunction: irate
    rateWindow: ${t.rateWindowSeconds}s
server:
  listen: 127.0.0.1:0
detector:
  # Short buckets (the default one-minute ones would need five minutes of history before the
  # onset) and judge after minBaselinePoints ticks.
  baselineResolution: ${t.baselineResolutionSeconds}s
  minBaselinePoints: ${t.minBaselinePoints}
alerting:
  for: ${t.forSeconds}s
  keepFiringFor: ${Math.max(3, 2 * t.intervalSeconds)}s
  # Refreshed estimates inside the observation window (the default is 30 s).
  updateInterval: ${Math.max(5, t.intervalSeconds)}s
sinks:
  - name: receiver
    webhook:
      url: ${receiverUrl}/alerts
routes:
  - groupInterval: 1s
delivery:
  outboxDir: ${join(dir, 'outbox')}
signals:
${signalYaml}
`;
}

function harnessFacts(registry: CargoRegistry, builds: BuildRecord[], onsetMs: number, faultEndMs: number, skipped: number, warm: boolean): HarnessFacts {
  const downloads = registry.requests.filter((r) => r.kind === 'download');
  const perClient = (kind: 'download' | 'static', status?: number) => {
    const counts = new Map<string, number>();
    for (const r of registry.requests) if (r.kind === kind && r.client && (status === undefined || r.status === status)) counts.set(r.client, (counts.get(r.client) ?? 0) + 1);
    return counts;
  };
  const dl = perClient('download');
  const downloadTimes = new Map<string, number[]>();
  for (const r of downloads) if (r.client) downloadTimes.set(r.client, [...(downloadTimes.get(r.client) ?? []), r.atMs]);
  const st = perClient('static');
  const staticOk = perClient('static', 200);
  const completed = builds.filter((b) => !b.killed);
  const healthy = completed.filter((b) => b.endMs < onsetMs);
  const faulted = completed.filter((b) => b.startMs >= onsetMs && b.endMs <= faultEndMs);
  const rate = (from: number, to: number) => downloads.filter((r) => r.atMs >= from && r.atMs < to).length / Math.max((to - from) / 1000, 1e-9);
  const before = builds.filter((b) => b.startMs >= onsetMs - 8000 && b.startMs < onsetMs).length / 8;
  return {
    healthyBuilds: healthy.length,
    healthyOk: healthy.filter((b) => b.ok).length,
    healthyRequestsPerBuild: mean(healthy.map((b) => dl.get(b.id) ?? 0)),
    healthyStaticPerBuild: healthy.map((b) => staticOk.get(b.id) ?? 0),
    faultBuilds: faulted.length,
    faultOk: faulted.filter((b) => b.ok).length,
    faultRequestsPerBuild: faulted.map((b) => dl.get(b.id) ?? 0),
    faultStaticPerBuild: faulted.map((b) => st.get(b.id) ?? 0),
    faultBuildMs: mean(faulted.map((b) => b.endMs - b.startMs)),
    faultRequestSpanMs: mean(faulted.map((b) => {
      const times = downloadTimes.get(b.id) ?? [];
      return times.length > 0 ? Math.max(...times) - Math.min(...times) : Number.NaN;
    })),
    cratesPerBuild: registry.crates.length,
    rateBefore: rate(onsetMs - 8000, onsetMs),
    rateDuring: rate(onsetMs + 5000, faultEndMs),
    buildsPerSecondBefore: before,
    demandBefore: builds.filter((b) => b.startMs >= onsetMs - 30_000 && b.startMs < onsetMs).length / 30,
    demandDuring: builds.filter((b) => b.startMs >= onsetMs && b.startMs < faultEndMs).length / Math.max((faultEndMs - onsetMs) / 1000, 1e-9),
    skipped,
    stormwatchWarm: warm,
  };
}

/**
 * STORMWATCH_CARGO_RECORD=DIR: the samples Prometheus scraped from a scenario's registry, as an
 * OpenMetrics file with timestamps (what `stormwatch backtest --input` and promtool read), and
 * what the registry and the clients did, as JSON: a real-cargo storm kept for replay.
 */
async function recordScenario(dir: string, promUrl: string, registry: CargoRegistry, r: ScenarioResult, timing: BenchTiming, startedMs: number): Promise<void> {
  const seconds = Math.ceil((Date.now() - startedMs) / 1000) + 5;
  const query = encodeURIComponent(`{__name__=~"registry_download_requests_total|static_requests_total",instance=~"${registry.address}|${registry.staticAddress}"}[${seconds}s]`);
  const body = (await fetch(`${promUrl}/api/v1/query?query=${query}&time=${Date.now() / 1000}`).then((res) => res.json())) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  const lines: { t: number; text: string }[] = [];
  for (const series of body.data.result) {
    const { __name__: name, instance: _i, job: _j, ...labels } = series.metric;
    const labelText = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
    for (const [t, v] of series.values) lines.push({ t, text: `${name}${labelText ? `{${labelText}}` : ''} ${v} ${t}` });
  }
  lines.sort((a, b) => a.t - b.t);
  const help = [
    '# HELP registry_download_requests Download requests at the API endpoint, whatever the answer.',
    '# TYPE registry_download_requests counter',
    '# HELP static_requests Requests the static host answered, by status.',
    '# TYPE static_requests counter',
  ];
  const base = join(dir, `${r.spec.cargo.label}-${r.spec.name}-${new Date(r.onsetMs).toISOString().replace(/[:.]/g, '')}`);
  writeFileSync(`${base}.om`, `${[...help, ...lines.map((l) => l.text), '# EOF'].join('\n')}\n`);
  const { spec, ...rest } = r;
  writeFileSync(`${base}.json`, `${JSON.stringify({ cargo: { label: spec.cargo.label, version: spec.cargo.version, retryPolicy: spec.cargo.retryPolicy }, scenario: spec.name, fault: spec.fault, shape: spec.shape, timing, onset: new Date(r.onsetMs).toISOString(), faultEnd: new Date(r.faultEndMs).toISOString(), ...rest }, null, 2)}\n`);
}

export function mean(xs: number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Waits until Prometheus holds a sample of `targets` registries; returns when. */
async function waitForScrapes(url: string, targets: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const query = encodeURIComponent('count(registry_download_requests_total)');
  for (;;) {
    try {
      const body = (await fetch(`${url}/api/v1/query?query=${query}`).then((r) => r.json())) as { data?: { result?: { value: [number, string] }[] } };
      if (Number(body.data?.result?.[0]?.value[1] ?? 0) >= targets) return Date.now();
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`Prometheus did not scrape ${targets} registries within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every alert the receiver got, by signal, with the data time of the tick that sent it. */
function pagesOf(received: readonly ReceivedRequest[], intervalMs: number, tickOffsetMs: number): { signal: string; page: Page }[] {
  return received.flatMap((r) => {
    const payload = r.json as { alerts?: { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string }[] } | undefined;
    return (payload?.alerts ?? []).map((a) => ({
      signal: a.labels.signal ?? '',
      page: {
        alertname: a.labels.alertname ?? '',
        severity: a.labels.severity ?? '',
        status: a.status,
        startsAtMs: Date.parse(a.startsAt),
        firedAtMs: Math.floor((r.receivedAtMs - tickOffsetMs) / intervalMs) * intervalMs + tickOffsetMs,
        receivedAtMs: r.receivedAtMs,
        summary: a.annotations.summary ?? '',
        clientModel: a.annotations.client_model ?? '',
        clientModelsFitting: (a.annotations.client_models_fitting ?? '').split(',').filter(Boolean),
        clientModelShare: Number(a.annotations.client_model_share || Number.NaN),
        attemptsPerRequest: Number(a.annotations.attempts_per_request || Number.NaN),
        attemptsLow: Number(a.annotations.attempts_per_request_low || Number.NaN),
        attemptsHigh: Number(a.annotations.attempts_per_request_high || Number.NaN),
      } satisfies Page,
    }));
  });
}

/** How long the same client must have been named before a naming wait ends. */
const NAME_SETTLED_MS = 15_000;

/** The firing critical messages (pages and updates), oldest first. */
function criticalMessages(pages: readonly Page[]): Page[] {
  return pages.filter((p) => p.status === 'firing' && p.severity === 'critical').sort((a, b) => a.receivedAtMs - b.receivedAtMs);
}

/**
 * The ticks stormwatch evaluated for a scenario, from `beforeMs` before its onset to its first
 * critical page (or `afterMs` after the onset), one line each, read from the batch's debug log: the
 * counts, the kind, and the rate's σ and multipliers the kind was read from.
 */
export function tickTrace(batch: BatchResult, r: ScenarioResult, beforeMs = 3000, afterMs = 10_000): string[] {
  const untilMs = r.firstCritical ? r.firstCritical.firedAtMs : r.onsetMs + afterMs;
  const fmt = (x: unknown, digits = 2) => (typeof x === 'number' ? x.toFixed(digits) : String(x));
  const lines: string[] = [];
  for (const line of batch.stormwatchLog.split('\n')) {
    if (!line.includes('"tick evaluated"')) continue;
    let entry: { dataTime?: string; signals?: Record<string, TickDebug> };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const tick = entry.signals?.[r.signal];
    const atMs = Date.parse(entry.dataTime ?? '');
    if (!tick || !(atMs >= r.onsetMs - beforeMs && atMs <= untilMs)) continue;
    const spike = tick.checks.find((c) => c.check === 'rate_spike');
    const ratio = tick.checks.find((c) => c.check === 'funnel_drop' || c.check === 'error_ratio');
    const run = spike?.run;
    const window = (m: unknown, s: unknown) => (m === undefined ? '-' : `${fmt(m)}±${fmt(s)}`);
    lines.push(
      `${fmt((atMs - r.onsetMs) / 1000, 1).padStart(5)} s  req ${fmt(tick.requests, 1)} down ${fmt(tick.downstream, 1)}  ${tick.kind}${tick.settled ? '' : ' (unsettled)'}` +
        `  | rate ${spike?.status ?? '-'} base ${fmt(spike?.baseline, 1)} σ ${fmt(spike?.sigma)}` +
        (run ? `  run ${window(run.multiplier, run.logSigma)} (${fmt(run.seconds, 0)} s) recent ${window(run.recent, run.recentLogSigma)} failure ${window(run.failure, run.failureLogSigma)}` : '') +
        (ratio ? `  | ${ratio.check} ${ratio.status} ${fmt(ratio.observed)}/${fmt(ratio.baseline)} E ${fmt(ratio.evidence, 1)}/${fmt(ratio.threshold, 1)}` : ''),
    );
  }
  return lines;
}

/** A signal's entry in stormwatch's `tick evaluated` debug line (src/runner/tick-debug.ts). */
interface TickDebug {
  requests: unknown;
  downstream: unknown;
  kind: string;
  settled: boolean;
  checks: { check: string; status: string; observed: unknown; baseline: unknown; sigma: unknown; evidence?: unknown; threshold?: unknown; run?: { multiplier: unknown; logSigma: unknown; seconds: unknown; recent?: unknown; recentLogSigma?: unknown; failure?: unknown; failureLogSigma?: unknown } }[];
}

/** Since when the messages have named the client the latest names (undefined: it names none). */
function namedSinceMs(pages: readonly Page[]): number | undefined {
  const messages = criticalMessages(pages);
  const latest = messages.at(-1);
  if (!latest || latest.clientModel === '') return undefined;
  let since = latest.receivedAtMs;
  for (let i = messages.length - 1; i >= 0 && messages[i]!.clientModel === latest.clientModel; i--) since = messages[i]!.receivedAtMs;
  return since;
}

/** What a receiver held last: the latest firing critical message, whether or not it named a client. */
function latestMessage(pages: readonly Page[]): Page | undefined {
  return criticalMessages(pages).at(-1);
}

async function sleepUntil(ms: number): Promise<void> {
  const wait = ms - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** The arrival seed of the i-th scenario of a batch. */
function seedOf(spec: ScenarioSpec, i: number): number {
  return spec.seed ?? i + 1;
}

/** One line per scenario: what the registry saw and what stormwatch paged. */
export function describeResult(r: ScenarioResult): string {
  const h = r.harness;
  const pages = r.pages
    .filter((p) => p.status === 'firing')
    .map((p) => `${p.alertname}(${p.severity}) +${((p.firedAtMs - r.onsetMs) / 1000).toFixed(1)}s${p.clientModel ? ` ${p.clientModel} ${p.attemptsPerRequest.toFixed(2)} (${p.attemptsLow.toFixed(2)}-${p.attemptsHigh.toFixed(2)})` : ''}`)
    .join(', ');
  return [
    `${r.spec.cargo.label} ${r.spec.name} (seed ${r.seed}):`,
    `healthy ${h.healthyOk}/${h.healthyBuilds} ok, ${h.healthyRequestsPerBuild.toFixed(2)} req/build, ${h.buildsPerSecondBefore.toFixed(2)} builds/s;`,
    `fault ${h.faultOk}/${h.faultBuilds} ok, ${mean(h.faultRequestsPerBuild).toFixed(2)} req/build (${(mean(h.faultRequestsPerBuild) / h.cratesPerBuild).toFixed(2)} per crate), static ${mean(h.faultStaticPerBuild).toFixed(2)}/build, ${(h.faultBuildMs / 1000).toFixed(1)} s/build, requests over ${(h.faultRequestSpanMs / 1000).toFixed(1)} s;`,
    `rate ${h.rateBefore.toFixed(1)} -> ${h.rateDuring.toFixed(1)} req/s (${(h.rateDuring / h.rateBefore).toFixed(2)}x);`,
    `demand ${h.demandBefore.toFixed(2)} -> ${h.demandDuring.toFixed(2)} builds/s (${(h.demandDuring / h.demandBefore).toFixed(2)}x);`,
    `warm ${h.stormwatchWarm}; skipped ${h.skipped};`,
    `pages: ${pages || 'none'};`,
    ...(r.firstFaultScrapeMs !== undefined ? [`first scrape after the onset +${((r.firstFaultScrapeMs - r.onsetMs) / 1000).toFixed(1)}s${r.firstCritical ? `, first page ${((r.firstCritical.firedAtMs - r.firstFaultScrapeMs) / 1000).toFixed(1)} s after it` : ''};`] : []),
    `held at the end: ${r.clientReading ? `${r.clientReading.clientModel || 'no client'}${Number.isFinite(r.clientReading.clientModelShare) ? ` (${Math.round(r.clientReading.clientModelShare * 100)} %)` : ''}${r.clientReading.clientModelsFitting.length > 1 ? ` [fitting: ${r.clientReading.clientModelsFitting.join(', ')}]` : ''} ${r.clientReading.attemptsPerRequest.toFixed(2)} (${r.clientReading.attemptsLow.toFixed(2)}-${r.clientReading.attemptsHigh.toFixed(2)})` : 'nothing'} +${((r.faultEndMs - r.onsetMs) / 1000).toFixed(0)}s, truth ${r.truthAttemptsPerRequest.toFixed(2)}`,
  ].join(' ');
}
