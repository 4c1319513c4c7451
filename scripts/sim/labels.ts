// The labels written beside a simulated scenario: its incident windows, the simulated truth and
// what stormwatch must say. The fixture generator writes them; the scorecard scores against them.

import type { ScenarioLabels } from '../scorecard/score.js';
import type { Scenario } from './scenarios.js';
import type { SimulationResult } from './simulate.js';

export function scenarioLabelsOf(scenario: Scenario, result: SimulationResult, file: string): ScenarioLabels & Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    name: scenario.name,
    description: scenario.description,
    file,
    stepSeconds: scenario.spec.stepMs / 1000,
    startsAt: iso(scenario.spec.startMs),
    endsAt: iso(scenario.spec.endMs),
    seed: scenario.spec.seed,
    client: scenario.spec.client.name,
    arrivals: scenario.spec.pool ? { kind: 'pool', ...scenario.spec.pool } : { kind: 'independent', logicalRatePerSecond: scenario.spec.logicalRatePerSecond, ...(scenario.spec.cratesPerBuild !== undefined ? { cratesPerBuild: scenario.spec.cratesPerBuild } : {}) },
    deploys: scenario.spec.deploysMs.map(iso),
    faults: result.truths.map((t) => ({
      kind: t.kind,
      startsAt: iso(t.startMs),
      endsAt: iso(t.endMs),
      attemptsPerLogicalRequest: Number(t.attemptsPerLogicalRequest.toFixed(3)),
      logicalRatePerSecond: Math.round(t.logicalRatePerSecond),
      apiRatePerSecond: Math.round(t.apiRatePerSecond),
    })),
    expect: scenario.expect,
  };
}
