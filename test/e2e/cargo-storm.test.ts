// Real cargo, end to end, at 1 s ticks: `cargo fetch` clients against a loopback registry whose
// download endpoint answers 302 to a static path, a real Prometheus scraping it every second, and
// stormwatch (the built CLI) polling that Prometheus every second. Faults are switched on at once
// in each batch (see test/helpers/cargo-storm-bench.ts):
//
//   broken redirect   302 to an unresolvable host: `.onion` for cargo whose libcurl refuses it
//                     before any lookup (rustup's), a 70-character label for the others (Debian's
//                     libcurl 7.88 would ask DNS for .onion); no DNS query leaves the machine
//   refused target    302 to a closed loopback port
//   static 503        the static host answers 503
//   closed pool       4 runners, each job a fetch then 1 s of work; the redirect breaks
//   organic doubling  the arrival rate doubles (2 to 4 builds/s), nothing fails: nobody critical may be paged
//
// Load: open loop at 3 builds/s of 4 crates (about 12 download requests/s), one storm of them at a
// time: what a 2-core machine sustains alongside Prometheus and stormwatch (a cargo 1.95 fetch
// costs about 0.12 CPU seconds, cargo 1.65 about 0.25; a failing cargo 1.95 build waits about 11 s
// on its retries, so ~33 are in flight). Five batches, one to two minutes each.
//
// Warm-up: stormwatch starts shortly before the onset and reads the healthy history from Prometheus
// (source.prometheus.warmup), so the shortest healthy period is what its baselines need: irate has
// a value from the second scrape on, then five 5 s buckets and `minBaselinePoints` (10) ticks, plus
// margin: 35 s at 1 s ticks (timingFor in the bench).
//
// Two kinds of assertions: `harness:` ones check that the clients and the registry behave as cargo
// does (docs in ../shared/research/cargo-retries.md: a failing 4-crate build sends 13 download
// requests with cargo >= 1.70, at most 3 attempts per crate with cargo <= 1.69; a closed pool's
// rate falls); the others are what stormwatch promises (a page of the right kind within 6 s of the
// onset, data time; for the open-loop storms, the client named and an interval of attempts per
// request that holds the registry's own count).
//
// A cargo that is absent is skipped with its reason printed; with CI=true at least one must exist.
// Optional: as root, `unshare -n sh -c 'ip link set lo up && npx vitest run test/e2e/cargo-storm.test.ts'`
// runs everything in a network namespace with nothing but lo (cargo-registry.ts allows its
// `redirect-invalid` fault, a real lookup of a .invalid name, only there).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CargoBinary, CargoRunner, detectCargo } from '../helpers/cargo-clients.js';
import { inIsolatedNetwork, startCargoRegistry } from '../helpers/cargo-registry.js';
import { type BatchResult, ORGANIC_LOOP, type ScenarioResult, type ScenarioSpec, describeResult, expectedClient, expectedPage, mean, runBatch, scenario, tickTrace, timingFor } from '../helpers/cargo-storm-bench.js';

const detection = await detectCargo();
const current = detection.found.find((c) => c.retryPolicy === 'current');
const legacy = detection.found.find((c) => c.retryPolicy === 'legacy');
for (const c of detection.found) console.log(`cargo-storm: found ${c.label} (${c.version}, ${c.origin}, ${c.retryPolicy} retry policy, ${c.sparse ? 'sparse' : 'git'} index, libcurl ${c.libcurl}) at ${c.path}`);
for (const m of detection.missing) console.log(`cargo-storm: skipping ${m.origin} cargo: ${m.reason}`);

// The fault stays on until each storm's messages have named the same client for 15 s, at most
// 60 s after the onset (issue 15: named by 60 s): its page comes in the first seconds, its client
// when the retry chains have filled and the plateau is read.
const TIMING = { ...timingFor(1), nameWithinMs: 60_000 };
const BATCH_TIMEOUT = TIMING.warmMs + TIMING.nameWithinMs + 150_000;
const MAX_DELAY_MS = 6000;
const summary: string[] = [];

const OPEN_RATE = 3;

// STORMWATCH_CARGO_E2E=0 skips them (they take about six minutes).
const ENABLED = process.env.STORMWATCH_CARGO_E2E !== '0';
if (!ENABLED) console.log('cargo storms skipped: STORMWATCH_CARGO_E2E=0');

it('finds a cargo (required in CI)', () => {
  if (detection.found.length === 0 && process.env.CI === 'true') {
    throw new Error(`no cargo found: ${detection.missing.map((m) => m.reason).join('; ')}. Run scripts/install-test-deps.sh.`);
  }
  expect(detection.found.length + detection.missing.length).toBeGreaterThan(0);
});

afterAll(() => {
  if (summary.length) console.log(`cargo-storm results (1 s ticks):\n  ${summary.join('\n  ')}`);
});

/** Runs one batch in beforeAll and hands out its scenarios by name. */
function batch(specs: ScenarioSpec[]): (name: string) => ScenarioResult {
  let result: BatchResult | undefined;
  beforeAll(async () => {
    result = await runBatch(specs, TIMING, (line) => console.log(`cargo-storm: ${line}`));
    for (const r of result.results) summary.push(describeResult(r));
    // Real clients on a shared 2-core machine: a batch whose machine fell behind can miss a page
    // by a second, and a storm of 3 builds a second read at 1 s ticks is thin evidence (its
    // demand level, 30 s of ~90 builds, is known to ±11 %): its ~95 % interval of attempts per
    // request missed the registry's count for cargo 1.65 in 1 of 4 runs. A batch with a missed or
    // late page, or a reading that misses, runs once more, and both runs are printed (the summary
    // at the end); the second decides. A detector that misses twice fails.
    const met = (r: ScenarioResult) => pageMet(r) && readingMet(r);
    if (result.results.some((r) => !met(r))) {
      console.log(`cargo-storm: a page or a reading missed (${result.results.filter((r) => !met(r)).map((r) => r.spec.name).join(', ')}); running the batch once more`);
      // What stormwatch read, tick by tick, up to the late page: a CI run nobody can repeat says why.
      for (const r of result.results.filter((x) => !met(x))) console.log(`cargo-storm: ticks of ${r.spec.cargo.label} ${r.spec.name} (first run), from the onset:\n  ${tickTrace(result, r).join('\n  ')}`);
      result = await runBatch(specs, TIMING, (line) => console.log(`cargo-storm: ${line}`));
      for (const r of result.results) summary.push(`(second run) ${describeResult(r)}`);
    }
  }, 2 * BATCH_TIMEOUT);
  return (name) => {
    const r = result?.results.find((x) => x.spec.name === name);
    if (!r) throw new Error(`scenario ${name} did not run`);
    return r;
  };
}

/**
 * What a receiver held when the fault ended: the client expectedClient names, and attempts per
 * request whose interval holds what the registry's own request log says (requests per failing
 * build over its crates: 3.25 for cargo's 13 per 4 crates).
 */
function expectClientNamed(r: ScenarioResult, checkName = true): void {
  const text = describeResult(r);
  const reading = r.clientReading;
  expect(reading, `no firing message: ${text}`).toBeDefined();
  if (checkName) expect(reading!.clientModel, text).toBe(expectedClient(r.spec));
  expect(Number.isFinite(r.truthAttemptsPerRequest), text).toBe(true);
  expect(reading!.attemptsLow, text).toBeLessThanOrEqual(r.truthAttemptsPerRequest);
  expect(reading!.attemptsHigh, text).toBeGreaterThanOrEqual(r.truthAttemptsPerRequest);
}

/**
 * Whether an open-loop storm's last message held what expectClientNamed asks: the interval holding
 * the registry's count and, for cargo 1.95, cargo named. True where no client is expected.
 */
function readingMet(r: ScenarioResult): boolean {
  const expected = expectedClient(r.spec);
  const reading = r.clientReading;
  if (expected === undefined) return true;
  if (!reading || !Number.isFinite(r.truthAttemptsPerRequest)) return false;
  if (r.spec.cargo.retryPolicy === 'current' && reading.clientModel !== expected) return false;
  return reading.attemptsLow <= r.truthAttemptsPerRequest && reading.attemptsHigh >= r.truthAttemptsPerRequest;
}

/** Whether a scenario got the page stormwatch promises (or, without a fault, no critical page). */
function pageMet(r: ScenarioResult): boolean {
  const expected = expectedPage(r.spec);
  if (expected === undefined) return !r.pages.some((p) => p.severity === 'critical');
  return r.firstCritical?.alertname === expected && r.delayMs !== undefined && r.delayMs <= MAX_DELAY_MS;
}

function expectHealthy(r: ScenarioResult, buildsPerSecond?: number): void {
  const h = r.harness;
  expect(h.healthyBuilds, describeResult(r)).toBeGreaterThanOrEqual(8);
  expect(h.healthyOk, describeResult(r)).toBe(h.healthyBuilds);
  // Every build really downloads every crate (4 of them) from the static host.
  for (const n of h.healthyStaticPerBuild) expect(n, describeResult(r)).toBe(4);
  expect(h.healthyRequestsPerBuild, describeResult(r)).toBeLessThan(4.2);
  // Arrivals dropped (a process stalled for over a second, or 100 cargo processes running): rare.
  expect(h.skipped, describeResult(r)).toBeLessThanOrEqual(Math.max(2, 0.05 * (h.healthyBuilds + h.faultBuilds)));
  // The machine kept up with the arrivals (a starved machine would lower the load itself).
  if (buildsPerSecond !== undefined) expect(h.buildsPerSecondBefore, describeResult(r)).toBeGreaterThan(0.6 * buildsPerSecond);
}

/** What the research doc says a failing 4-crate build sends to the download endpoint. */
function expectRetries(r: ScenarioResult, cargo: CargoBinary, reachesStatic: boolean): void {
  const h = r.harness;
  const text = `${describeResult(r)}; per build ${h.faultRequestsPerBuild.join(',')}`;
  expect(h.faultBuilds, text).toBeGreaterThanOrEqual(3);
  expect(h.faultOk, text).toBe(0);
  if (cargo.retryPolicy === 'current') {
    // Aborts on the first crate out of retries: 4 crates x 3 retries + 1 = 13, i.e. 3.25 per crate.
    // Only the first retry has jitter, so crates whose first retries came within a few
    // milliseconds send their last attempts together before the abort: 14 and once (a CI run,
    // 1 build in 65) 15. No crate makes more than its 4 attempts.
    for (const n of h.faultRequestsPerBuild) {
      expect(n, text).toBeGreaterThanOrEqual(12);
      expect(n, text).toBeLessThanOrEqual(4 * (3 + 1));
    }
    expect(mean(h.faultRequestsPerBuild) / 4, text).toBeCloseTo(3.25, 0);
    // About 11 s per failing build (sleeps 0.5-1.5 s, 3.5 s, 6.5 s).
    expect(h.faultBuildMs, text).toBeGreaterThan(9000);
  } else {
    // Legacy: 3 attempts per download, no delay; the first crate out of attempts ends the build.
    // Every crate starts at once, so at least one attempt each besides the crate's three (a build
    // whose other crates were still on their first attempt: 8 requests, seen once in CI).
    for (const n of h.faultRequestsPerBuild) {
      expect(n, text).toBeGreaterThanOrEqual(3 + h.cratesPerBuild - 1);
      expect(n, text).toBeLessThanOrEqual(12);
    }
    // At once: a build's requests span well under the 4 s cargo >= 1.70 needs for its second retry
    // (0.0-0.1 s measured). Not the build's duration: on a busy machine cargo 1.65 took 5-10 s to
    // start and exit around the same instant burst of requests (a CI run failed on 5.4 s).
    expect(h.faultRequestSpanMs, text).toBeLessThan(3000);
  }
  // Every retry re-requests the ORIGINAL URL: the static host sees them only when it is reachable
  // (then each redirect is followed, except those cut short when the build aborts).
  for (const [i, n] of h.faultStaticPerBuild.entries()) {
    const api = h.faultRequestsPerBuild[i]!;
    if (!reachesStatic) expect(n, text).toBe(0);
    else {
      expect(n, text).toBeLessThanOrEqual(api);
      expect(n, text).toBeGreaterThanOrEqual(api - 4);
    }
  }
}

function expectPage(r: ScenarioResult, alertname: string): void {
  const text = `${describeResult(r)}\n  pages: ${JSON.stringify(r.pages)}`;
  expect(r.firstCritical, `no critical page within ${TIMING.observeMs / 1000} s of the onset: ${text}`).toBeDefined();
  expect(r.firstCritical!.alertname, text).toBe(alertname);
  expect(r.delayMs!, text).toBeLessThanOrEqual(MAX_DELAY_MS);
  // Data time: the condition began at or after the onset (nothing paged before the fault).
  expect(r.firstCritical!.startsAtMs, text).toBeGreaterThanOrEqual(r.onsetMs - 1000 * TIMING.intervalSeconds);
}

describe.skipIf(!ENABLED || !current)(`${current?.label ?? 'rustup cargo'}: current retry policy`, () => {
  const cargo = current!;

  // One open-loop storm per batch: failing cargo 1.95 builds stay in flight about 11 s, so a load of
  // 3 builds/s keeps ~33 processes waiting on retries; two such loads at once (seen in CI) slowed
  // every build to 18-24 s on 2 cores and stretched cargo's schedule out of its own shape. The
  // closed pool (4 runners) rides along with the broken redirect.
  describe('broken redirect (.onion); closed runner pool with a broken redirect', () => {
    const get = batch([scenario('broken-redirect', cargo), scenario('closed-pool', cargo)]);

    it("harness: healthy builds download every crate; failing builds retry as cargo does; open-loop requests rise; the closed pool's rate falls", () => {
      const r = get('broken-redirect');
      expectHealthy(r, OPEN_RATE);
      expectRetries(r, cargo, false);
      expect(r.harness.rateDuring / r.harness.rateBefore, describeResult(r)).toBeGreaterThan(1.6);
      const pool = get('closed-pool');
      expectHealthy(pool);
      // The faulted rate is fixed by cargo's schedule (4 runners, 13 requests in about 11 s each:
      // ~4.6 req/s); the healthy one by how fast cargo fetches on this machine (1.5-2.4 builds/s
      // measured, 6-9 req/s). A fall by a quarter or more is the closed loop's signature.
      expect(pool.harness.rateDuring / pool.harness.rateBefore, describeResult(pool)).toBeLessThan(0.75);
    });

    it('broken redirect (.onion): StormwatchRetryStorm within 6 s', () => expectPage(get('broken-redirect'), 'StormwatchRetryStorm'));
    it('closed pool, broken redirect: StormwatchOutage within 6 s', () => expectPage(get('closed-pool'), 'StormwatchOutage'));
    it("broken redirect: names cargo, its interval holding the registry's attempts per request", () => expectClientNamed(get('broken-redirect')));
  });

  describe('refused target', () => {
    const get = batch([scenario('refused', cargo)]);

    it('harness: healthy builds download every crate; failing builds retry as cargo does; open-loop requests rise', () => {
      const r = get('refused');
      expectHealthy(r, OPEN_RATE);
      expectRetries(r, cargo, false);
      expect(r.harness.rateDuring / r.harness.rateBefore, describeResult(r)).toBeGreaterThan(1.6);
    });

    it('refused target: StormwatchRetryStorm within 6 s', () => expectPage(get('refused'), 'StormwatchRetryStorm'));
    it("refused target: names cargo, its interval holding the registry's attempts per request", () => expectClientNamed(get('refused')));
  });

  describe('static 503', () => {
    const get = batch([scenario('static-503', cargo)]);

    it('harness: 503s are retried through the redirect', () => {
      const r = get('static-503');
      expectHealthy(r, OPEN_RATE);
      expectRetries(r, cargo, true);
    });

    it('static 503: StormwatchRetryStorm within 6 s', () => expectPage(get('static-503'), 'StormwatchRetryStorm'));
    it("static 503: names cargo, its interval holding the registry's attempts per request", () => expectClientNamed(get('static-503')));
  });
});

describe.skipIf(!ENABLED || (!current && !legacy))('organic doubling of arrivals', () => {
  const get = batch(current ?? legacy ? [scenario('organic-2x', (current ?? legacy)!)] : []);

  it('harness: organic growth succeeds and doubles requests', () => {
    const r = get('organic-2x');
    expectHealthy(r, ORGANIC_LOOP.buildsPerSecond);
    expect(r.harness.faultOk, describeResult(r)).toBe(r.harness.faultBuilds);
    expect(r.harness.rateDuring / r.harness.rateBefore, describeResult(r)).toBeGreaterThan(1.4);
  });

  it('nobody critical paged', () => {
    const r = get('organic-2x');
    // A negative means something only if the detector was judging: it had a baseline at the onset.
    expect(r.harness.stormwatchWarm, describeResult(r)).toBe(true);
    expect(r.pages.filter((p) => p.severity === 'critical'), describeResult(r)).toEqual([]);
  });
});

// Debian's cargo costs about twice the CPU per build: it runs alone. Its libcurl 7.88 would look
// a .onion name up, so its broken redirect is the unresolvable 70-character label.
describe.skipIf(!ENABLED || !legacy)(`${legacy?.label ?? 'Debian cargo'}: legacy retry policy (2 retries, no delay)`, () => {
  const get = batch(legacy ? [scenario('broken-redirect', legacy)] : []);

  it('harness: failing builds make at most 3 attempts per crate, at once; requests rise', () => {
    const r = get('broken-redirect');
    expectHealthy(r, OPEN_RATE);
    expectRetries(r, legacy!, false);
    expect(r.harness.rateDuring / r.harness.rateBefore, describeResult(r)).toBeGreaterThan(1.6);
  });

  it('broken redirect: StormwatchRetryStorm within 6 s', () => expectPage(get('broken-redirect'), 'StormwatchRetryStorm'));
  // Its 4-crate builds storm at 2.35-2.85 per crate, inside what 1 s ticks of this thin traffic read
  // for cargo 1.95 (3.25) when demand during the fault runs 15 % over the 30 s before it. This
  // batch's arrivals (seed 1) do that for onsets 38-53 s after the load starts, where Prometheus's
  // discovery usually puts it: the last message named cargo-legacy in 6 of 12 fresh-clone CI runs.
  // Over other seeds and 20 recordings, replays named it in 115 of 160 (docs/detection-investigations.md,
  // "Naming cargo 1.65"). Where the data cannot tell the two apart the message must say so: cargo-legacy named,
  // or listed as fitting too.
  it("broken redirect: cargo-legacy named or fitting, its interval holding the registry's count", () => {
    const r = get('broken-redirect');
    expectClientNamed(r, false);
    expect([r.clientReading!.clientModel, ...r.clientReading!.clientModelsFitting], describeResult(r)).toContain('cargo-legacy');
  });
});

// A real DNS lookup (the 2023-01-25 class): only where nothing can leave the machine.
const isolated = inIsolatedNetwork();
if (!isolated) console.log("cargo-storm: skipping redirect-invalid (a real lookup of a .invalid name): run as root inside `unshare -n sh -c 'ip link set lo up && npx vitest run test/e2e/cargo-storm.test.ts'` to include it");
describe.skipIf(!ENABLED || !isolated || detection.found.length === 0)('redirect to a .invalid name (isolated network namespace only)', () => {
  it('harness: every cargo found fails to resolve it and retries as its policy says', async () => {
    const registry = await startCargoRegistry();
    try {
      registry.setFault('redirect-invalid');
      const records = await Promise.all(
        detection.found.map(async (cargo) => {
          const runner = new CargoRunner({ cargo, registry, idPrefix: `${cargo.label}-` });
          const record = await runner.build();
          runner.dispose();
          return { cargo, record };
        }),
      );
      for (const { cargo, record } of records) {
        const attempts = registry.requests.filter((r) => r.kind === 'download' && r.client === record.id);
        expect(record.ok, record.tail).toBe(false);
        expect(record.tail).toMatch(/resolve/i);
        expect(attempts.every((a) => a.location?.includes('.invalid/'))).toBe(true);
        if (cargo.retryPolicy === 'current') expect(attempts.length).toBe(13);
        else expect(attempts.length).toBeGreaterThanOrEqual(9);
      }
    } finally {
      await registry.close();
    }
  }, 40_000);
});
