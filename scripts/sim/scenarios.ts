// The bundled scenarios: each a simulation spec plus what stormwatch is expected to say about it.

import type { Fault, RetryPolicy, ScenarioSpec } from './simulate.js';

export interface ExpectedAlert {
  alertname: string;
  /** Must fire within this many seconds of the first fault's start. */
  withinSeconds: number;
  /** The estimated attempts per logical request must be within this fraction of the truth. */
  attemptsTolerance?: number;
  /** The client model the alert must name first. */
  clientModel?: string;
  /** Must keep firing at least this long after it fires (a long incident is not forgotten). */
  holdsSeconds?: number;
}

/** The incident must say its storm outlived its cause within this many seconds of the fault's end. */
export interface ExpectedAftermath {
  withinSeconds: number;
}

export interface ScenarioExpectation {
  mustFire: ExpectedAlert[];
  /** Verdicts the deploy watcher must give, by deploy time (ISO); a fail within `withinSeconds` of the deploy. */
  deployVerdicts?: Record<string, { verdict: 'pass' | 'fail'; withinSeconds?: number }>;
  /** No critical or warning alert may fire outside the fault windows (plus this grace after them). */
  pageFreeOutsideFaultsSeconds: number;
  /** Set when requests stay amplified after the fault: the storm outlived its cause. Never raised otherwise. */
  outlivesCause?: ExpectedAftermath;
}

export interface Scenario {
  name: string;
  description: string;
  spec: ScenarioSpec;
  expect: ScenarioExpectation;
  /** Write the fixture gzipped (large files). */
  gzip?: boolean;
}

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;

function crates(cargo: RetryPolicy, seed: number, startIso: string, endIso: string): ScenarioSpec {
  return {
    seed,
    startMs: at(startIso),
    endMs: at(endIso),
    stepMs: 15_000,
    // Daily mean 960 downloads/s: near 1.2K/s at 12:17 UTC, about 4.7K/s once every download is tried 4 times.
    logicalRatePerSecond: 960,
    seasonAmplitude: 0.3,
    peakHourUtc: 15,
    noiseSigma: 0.05,
    surges: [],
    apiPods: 3,
    deploysMs: [],
    faults: [],
    client: cargo,
  };
}

function partial(cargo: RetryPolicy, percent: number, seed: number): Scenario {
  const start = at('2023-07-21T10:00:00Z');
  const fault: Fault = { kind: 'static-503', startMs: start + 3 * 60 * MIN + 7_000, endMs: start + 3 * 60 * MIN + 30 * MIN, failFraction: percent / 100 };
  const storm = percent >= 30;
  return {
    name: `partial-static-503-${String(percent).padStart(2, '0')}pct`,
    description: `The static host answers 503 to ${percent}% of downloads for 30 minutes after a deploy; cargo retries each 503 (up to 3 times).`,
    spec: { ...crates(cargo, seed, '2023-07-21T10:00:00Z', '2023-07-21T14:00:00Z'), deploysMs: [fault.startMs - 7_000], faults: [fault] },
    expect: {
      mustFire: storm
        ? // Which client is retrying is not asked: at 30 % failing, 3 retries (1.42x) and 5 (1.43x) look alike.
          [{ alertname: 'StormwatchRetryStorm', withinSeconds: 120, attemptsTolerance: 0.2 }]
        : [{ alertname: 'StormwatchErrorRegression', withinSeconds: 300, attemptsTolerance: 0.2 }],
      pageFreeOutsideFaultsSeconds: 120,
    },
  };
}

/**
 * Builds of 20 crates (cargo aborts a build at its first crate out of retries: 3 + 1/20 attempts
 * per download at a total outage) meet the 2023-07-20 broken redirect for 10 minutes.
 */
function builds(client: RetryPolicy, name: string, seed: number, description: string, clientModel: string, attempts: string): Scenario {
  const start = at('2023-07-24T09:00:00Z');
  const fault: Fault = { kind: 'broken-redirect', startMs: start + 2 * 60 * MIN + 4_000, endMs: start + 2 * 60 * MIN + 10 * MIN + 4_000, failFraction: 1 };
  return {
    name,
    description: `${description} Every download fails for 10 minutes; ${attempts}.`,
    spec: { ...crates(client, seed, '2023-07-24T09:00:00Z', '2023-07-24T11:30:00Z'), cratesPerBuild: 20, faults: [fault] },
    expect: { mustFire: [{ alertname: 'StormwatchRetryStorm', withinSeconds: 60, attemptsTolerance: 0.1, clientModel }], pageFreeOutsideFaultsSeconds: 120 },
  };
}

/** The bundled scenarios; `legacy` (cargo <= 1.69) adds the scenarios of its traffic. */
export function bundledScenarios(cargo: RetryPolicy, legacy?: RetryPolicy): Scenario[] {
  const fixed = at('2023-07-25T11:10:04Z');
  return [
    builds(cargo, 'cargo-builds-broken-redirect', 2195, 'cargo 1.95 clients building 20 crates each.', 'cargo', 'cargo retries each download 3 times and aborts the build at its first exhausted crate: 3.05 attempts per download'),
    ...(legacy
      ? [builds(legacy, 'cargo-legacy-builds-broken-redirect', 2169, 'cargo <= 1.69 clients (no delay between retries) building 20 crates each.', 'cargo-legacy', 'cargo <= 1.69 retries each download twice at once and aborts the build within a few round trips, before most of its 20 crates have retried: 1.58 attempts per download')]
      : []),
    {
      name: 'storm-outlives-fix',
      description:
        'cargo builds meet a broken redirect for 10 minutes; at the fix the failed builds are re-run all at once and keep the download rate at about 2x for 5 more minutes. The incident must say its storm outlived its cause, and resolve when the rate returns.',
      spec: {
        ...crates(cargo, 2025, '2023-07-25T09:00:00Z', '2023-07-25T11:40:00Z'),
        cratesPerBuild: 20,
        faults: [{ kind: 'broken-redirect', startMs: fixed - 10 * MIN, endMs: fixed, failFraction: 1 }],
        surges: [{ startMs: fixed, endMs: fixed + 5 * MIN, factor: 2, rampMs: 1_000 }],
      },
      expect: { mustFire: [{ alertname: 'StormwatchRetryStorm', withinSeconds: 60, clientModel: 'cargo' }], pageFreeOutsideFaultsSeconds: 420, outlivesCause: { withinSeconds: 60 } },
    },
    {
      name: 'crates-2023-07-20-broken-redirect',
      description:
        'A deploy at 12:17 UTC makes the download API redirect to a malformed host (a missing "/"). The API keeps answering 302, nothing reaches the static host, cargo retries every download 3 times: about 4.7K/s for 13 minutes. An earlier quiet deploy restarts the pods.',
      spec: {
        ...crates(cargo, 20230720, '2023-07-20T06:00:00Z', '2023-07-20T13:30:00Z'),
        deploysMs: [at('2023-07-20T08:40:00Z'), at('2023-07-20T12:17:00Z'), at('2023-07-20T12:30:00Z')],
        faults: [{ kind: 'broken-redirect', startMs: at('2023-07-20T12:17:04Z'), endMs: at('2023-07-20T12:30:04Z'), failFraction: 1 }],
      },
      expect: {
        mustFire: [{ alertname: 'StormwatchRetryStorm', withinSeconds: 60, attemptsTolerance: 0.15, clientModel: 'cargo' }],
        deployVerdicts: {
          '2023-07-20T08:40:00.000Z': { verdict: 'pass' },
          '2023-07-20T12:17:00.000Z': { verdict: 'fail', withinSeconds: 60 },
          '2023-07-20T12:30:00.000Z': { verdict: 'pass' },
        },
        pageFreeOutsideFaultsSeconds: 120,
      },
    },
    {
      name: 'crates-2023-01-25-dns-outage',
      description:
        'A deploy at 09:15 UTC removes the DNS record of the static host for about 15 minutes; some resolvers keep failing until 09:40 as their caches expire. The API keeps redirecting.',
      spec: {
        ...crates(cargo, 20230125, '2023-01-25T03:00:00Z', '2023-01-25T10:30:00Z'),
        deploysMs: [at('2023-01-25T09:15:00Z')],
        faults: [
          { kind: 'dns-gone', startMs: at('2023-01-25T09:15:20Z'), endMs: at('2023-01-25T09:30:00Z'), failFraction: 1 },
          { kind: 'dns-gone', startMs: at('2023-01-25T09:30:00Z'), endMs: at('2023-01-25T09:35:00Z'), failFraction: 0.4 },
          { kind: 'dns-gone', startMs: at('2023-01-25T09:35:00Z'), endMs: at('2023-01-25T09:40:00Z'), failFraction: 0.1 },
        ],
      },
      expect: {
        mustFire: [{ alertname: 'StormwatchRetryStorm', withinSeconds: 60, attemptsTolerance: 0.15, clientModel: 'cargo' }],
        deployVerdicts: { '2023-01-25T09:15:00.000Z': { verdict: 'fail', withinSeconds: 60 } },
        pageFreeOutsideFaultsSeconds: 120,
      },
    },
    partial(cargo, 5, 5005),
    partial(cargo, 30, 3030),
    partial(cargo, 70, 7070),
    {
      name: 'ci-pool-broken-redirect',
      description:
        'The 2023-07-20 fault seen by a fixed pool of 1,200 CI runners building 4 crates a second each: a failing build holds its runner through cargo\'s 11 s retry chain, so the request rate falls instead of rising while nothing reaches the static host.',
      spec: {
        ...crates(cargo, 777, '2023-07-20T09:00:00Z', '2023-07-20T13:30:00Z'),
        pool: { clients: 300, cratesPerBuild: 4, cycleSeconds: 1 },
        deploysMs: [at('2023-07-20T12:17:00Z')],
        faults: [{ kind: 'broken-redirect', startMs: at('2023-07-20T12:17:04Z'), endMs: at('2023-07-20T12:30:04Z'), failFraction: 1 }],
      },
      expect: { mustFire: [{ alertname: 'StormwatchOutage', withinSeconds: 60 }], pageFreeOutsideFaultsSeconds: 120 },
    },
    {
      name: 'static-404-after-deploy',
      description:
        'A deploy at 11:00 UTC makes the static host answer 404 to every download for 10 minutes (the files were not published). cargo does not retry a 404: nothing completes, the request rate stays where demand puts it. An outage, with no retries to count: the message must not invent attempts.',
      spec: {
        ...crates(cargo, 404, '2023-07-23T08:00:00Z', '2023-07-23T12:00:00Z'),
        deploysMs: [at('2023-07-23T11:00:00Z')],
        faults: [{ kind: 'static-404', startMs: at('2023-07-23T11:00:06Z'), endMs: at('2023-07-23T11:10:06Z'), failFraction: 1 }],
      },
      expect: { mustFire: [{ alertname: 'StormwatchOutage', withinSeconds: 60 }], pageFreeOutsideFaultsSeconds: 120 },
    },
    {
      name: 'entry-outage-api-down',
      description: 'The API itself becomes unreachable for 10 minutes (its DNS record removed): the server sees its traffic vanish.',
      spec: {
        ...crates(cargo, 4040, '2023-07-22T08:00:00Z', '2023-07-22T12:00:00Z'),
        faults: [{ kind: 'api-down', startMs: at('2023-07-22T11:00:10Z'), endMs: at('2023-07-22T11:10:10Z'), failFraction: 1 }],
      },
      expect: { mustFire: [{ alertname: 'StormwatchOutage', withinSeconds: 60 }], pageFreeOutsideFaultsSeconds: 120 },
    },
    {
      name: 'organic-surge-release-day',
      description: 'A toolchain release at 15:00 UTC: within 15 minutes downloads grow to 2.5x and stay there for three hours, all served fine. Nothing may page.',
      spec: {
        ...crates(cargo, 1700, '2023-07-13T10:00:00Z', '2023-07-13T19:00:00Z'),
        surges: [{ startMs: at('2023-07-13T15:00:00Z'), endMs: at('2023-07-13T18:00:00Z'), factor: 2.5, rampMs: 15 * MIN }],
        deploysMs: [at('2023-07-13T16:30:00Z')],
      },
      expect: { mustFire: [], pageFreeOutsideFaultsSeconds: 0 },
    },
    {
      name: 'quiet-deploys',
      description: 'Six hours with four deploys that restart every API pod (counter resets) and change nothing else. Nothing may page.',
      spec: {
        ...crates(cargo, 424242, '2023-07-18T08:00:00Z', '2023-07-18T14:00:00Z'),
        deploysMs: [at('2023-07-18T09:05:00Z'), at('2023-07-18T10:47:30Z'), at('2023-07-18T12:01:10Z'), at('2023-07-18T13:20:00Z')],
      },
      expect: {
        mustFire: [],
        deployVerdicts: Object.fromEntries(
          ['2023-07-18T09:05:00.000Z', '2023-07-18T10:47:30.000Z', '2023-07-18T12:01:10.000Z', '2023-07-18T13:20:00.000Z'].map((t) => [t, { verdict: 'pass' as const }]),
        ),
        pageFreeOutsideFaultsSeconds: 0,
      },
    },
    {
      name: 'rolling-restart-static',
      description:
        'Four rolling updates of the static host: its three pods restart one after another, 15 s apart, each losing what it counted since the last scrape. The API and every download are fine. Nothing may page.',
      spec: {
        ...crates(cargo, 1515, '2023-07-19T08:00:00Z', '2023-07-19T12:00:00Z'),
        staticPods: 3,
        staticRestartsMs: [at('2023-07-19T09:10:07Z'), at('2023-07-19T10:00:00Z'), at('2023-07-19T10:41:53Z'), at('2023-07-19T11:30:30Z')],
      },
      expect: { mustFire: [], pageFreeOutsideFaultsSeconds: 0 },
    },
    {
      name: 'low-traffic-1rps',
      description:
        'A quiet endpoint: 1 download a second on average (from 0.5 at night to 1.5 at the peak), a day of it, with six deploys restarting both API pods and three rolling restarts of the two static pods. Nothing may page.',
      spec: {
        ...crates(cargo, 1001, '2023-07-24T00:00:00Z', '2023-07-25T00:00:00Z'),
        logicalRatePerSecond: 1,
        seasonAmplitude: 0.5,
        noiseSigma: 0.1,
        apiPods: 2,
        staticPods: 2,
        deploysMs: [2, 6, 9, 13, 17, 21].map((h) => at('2023-07-24T00:00:00Z') + h * 60 * MIN + 7_000),
        staticRestartsMs: [4, 11, 19].map((h) => at('2023-07-24T00:00:00Z') + h * 60 * MIN + 3_000),
      },
      expect: { mustFire: [], pageFreeOutsideFaultsSeconds: 0 },
      gzip: true,
    },
    {
      name: 'scrape-gaps',
      description:
        'Scrapes go wrong: a missed scrape, a 3-scrape gap, a page whose request lines are unreadable, and two such pages in a row. Missing data is not zero traffic. Nothing may page.',
      spec: {
        ...crates(cargo, 909, '2023-07-26T08:00:00Z', '2023-07-26T11:00:00Z'),
        deploysMs: [at('2023-07-26T09:58:00Z')],
        gaps: [
          { startMs: at('2023-07-26T09:30:00Z'), endMs: at('2023-07-26T09:30:01Z'), what: 'scrape' },
          { startMs: at('2023-07-26T10:00:00Z'), endMs: at('2023-07-26T10:00:31Z'), what: 'scrape' },
          { startMs: at('2023-07-26T10:20:00Z'), endMs: at('2023-07-26T10:20:01Z'), what: 'requests' },
          { startMs: at('2023-07-26T10:40:00Z'), endMs: at('2023-07-26T10:40:16Z'), what: 'requests' },
        ],
      },
      expect: { mustFire: [], deployVerdicts: { '2023-07-26T09:58:00.000Z': { verdict: 'pass' } }, pageFreeOutsideFaultsSeconds: 0 },
    },
    {
      name: 'long-outage-2h',
      description: 'The 2023-07-20 fault, left broken for two hours: the page must fire at once and keep firing until the fix, never learning the broken funnel as normal.',
      spec: {
        ...crates(cargo, 7200, '2023-07-27T06:00:00Z', '2023-07-27T12:00:00Z'),
        faults: [{ kind: 'broken-redirect', startMs: at('2023-07-27T09:00:04Z'), endMs: at('2023-07-27T11:00:04Z'), failFraction: 1 }],
      },
      expect: { mustFire: [{ alertname: 'StormwatchRetryStorm', withinSeconds: 30, holdsSeconds: 7170 }], pageFreeOutsideFaultsSeconds: 120 },
    },
    {
      name: 'seasonal-swing-9d',
      description:
        'Nine days of 15 s data with a 5x day/night swing (peak 15:00 UTC, trough 03:00), weekends at half traffic, a batch job tripling downloads for 10 minutes every day at 02:00, daily deploys, and a release day on the second Tuesday (2.5x for three hours from 16:00). None of that may page. On the last night the 2023-07-20 fault strikes at the trough (03:00, a third of the mean demand): it must page as fast as by day.',
      spec: {
        ...crates(cargo, 5150, '2023-07-03T00:00:00Z', '2023-07-12T03:30:00Z'),
        // (1 + a)/(1 − a) = 5.
        seasonAmplitude: 2 / 3,
        noiseSigma: 0.07,
        weekendFactor: 0.5,
        dailyBursts: [{ hourUtc: 2, minutes: 10, factor: 3 }],
        surges: [{ startMs: at('2023-07-11T16:00:00Z'), endMs: at('2023-07-11T19:00:00Z'), factor: 2.5, rampMs: 15 * MIN }],
        deploysMs: Array.from({ length: 9 }, (_, i) => at('2023-07-03T10:30:00Z') + i * 24 * 60 * MIN),
        faults: [{ kind: 'broken-redirect', startMs: at('2023-07-12T03:00:04Z'), endMs: at('2023-07-12T03:13:04Z'), failFraction: 1 }],
      },
      expect: { mustFire: [{ alertname: 'StormwatchRetryStorm', withinSeconds: 60, attemptsTolerance: 0.15 }], pageFreeOutsideFaultsSeconds: 120 },
      gzip: true,
    },
    {
      name: 'seasonal-week',
      description: 'A week of 15 s data with the daily cycle, slow demand wobble and two deploys a day. Nothing may page.',
      spec: {
        ...crates(cargo, 2023, '2023-07-03T00:00:00Z', '2023-07-10T00:00:00Z'),
        noiseSigma: 0.07,
        deploysMs: Array.from({ length: 14 }, (_, i) => at('2023-07-03T09:30:00Z') + i * 12 * 60 * MIN),
      },
      expect: { mustFire: [], pageFreeOutsideFaultsSeconds: 0 },
      gzip: true,
    },
  ];
}
