// The bundled scenarios: each a simulation spec plus what stormwatch is expected to say about it.

import type { RetryPolicy, ScenarioSpec } from './simulate.js';

export interface ScenarioExpectation {
  /** Alerts (by alertname) that must fire, and how soon after the fault starts. */
  mustFire: { alertname: string; withinSeconds: number }[];
  /** No critical or warning alert may fire outside the fault windows (plus this grace after them). */
  pageFreeOutsideFaultsSeconds: number;
}

export interface Scenario {
  name: string;
  description: string;
  spec: ScenarioSpec;
  expect: ScenarioExpectation;
}

const at = (iso: string) => Date.parse(iso);

const crates = (cargo: RetryPolicy): Omit<ScenarioSpec, 'seed' | 'startMs' | 'endMs' | 'deploysMs' | 'faults'> => ({
  stepMs: 15_000,
  // Daily mean 960 downloads/s: near 1.2K/s at 12:17 UTC, about 4.7K/s once every download is tried 4 times.
  logicalRatePerSecond: 960,
  seasonAmplitude: 0.3,
  peakHourUtc: 15,
  noiseSigma: 0.05,
  surges: [],
  apiPods: 3,
  client: cargo,
});

export function bundledScenarios(cargo: RetryPolicy): Scenario[] {
  return [
    {
      name: 'crates-2023-07-20-broken-redirect',
      description:
        'A deploy at 12:17 UTC makes the download API redirect to a malformed host (a missing "/"). The API keeps answering 302, nothing reaches the static host, cargo retries every download 3 times: about 4.7K/s for 13 minutes. One earlier quiet deploy restarts the pods.',
      spec: {
        ...crates(cargo),
        seed: 20230720,
        startMs: at('2023-07-20T06:00:00Z'),
        endMs: at('2023-07-20T13:30:00Z'),
        deploysMs: [at('2023-07-20T08:40:00Z'), at('2023-07-20T12:17:00Z'), at('2023-07-20T12:30:00Z')],
        faults: [{ kind: 'broken-redirect', startMs: at('2023-07-20T12:17:04Z'), endMs: at('2023-07-20T12:30:04Z'), failFraction: 1 }],
      },
      expect: { mustFire: [{ alertname: 'StormwatchFunnelBroken', withinSeconds: 60 }], pageFreeOutsideFaultsSeconds: 120 },
    },
    {
      name: 'crates-2023-01-25-dns-outage',
      description:
        'A deploy at 09:15 UTC removes the DNS record of the static host for about 15 minutes; some resolvers keep failing until 09:40 as their caches expire. The API keeps redirecting.',
      spec: {
        ...crates(cargo),
        seed: 20230125,
        startMs: at('2023-01-25T03:00:00Z'),
        endMs: at('2023-01-25T10:30:00Z'),
        deploysMs: [at('2023-01-25T09:15:00Z')],
        faults: [
          { kind: 'dns-gone', startMs: at('2023-01-25T09:15:20Z'), endMs: at('2023-01-25T09:30:00Z'), failFraction: 1 },
          { kind: 'dns-gone', startMs: at('2023-01-25T09:30:00Z'), endMs: at('2023-01-25T09:35:00Z'), failFraction: 0.4 },
          { kind: 'dns-gone', startMs: at('2023-01-25T09:35:00Z'), endMs: at('2023-01-25T09:40:00Z'), failFraction: 0.1 },
        ],
      },
      expect: { mustFire: [{ alertname: 'StormwatchFunnelBroken', withinSeconds: 60 }], pageFreeOutsideFaultsSeconds: 120 },
    },
    {
      name: 'quiet-deploys',
      description: 'Six hours with four deploys that restart every API pod (counter resets) and change nothing else. Nothing may page.',
      spec: {
        ...crates(cargo),
        seed: 424242,
        startMs: at('2023-07-18T08:00:00Z'),
        endMs: at('2023-07-18T14:00:00Z'),
        deploysMs: [at('2023-07-18T09:05:00Z'), at('2023-07-18T10:47:30Z'), at('2023-07-18T12:01:10Z'), at('2023-07-18T13:20:00Z')],
        faults: [],
      },
      expect: { mustFire: [], pageFreeOutsideFaultsSeconds: 0 },
    },
  ];
}


