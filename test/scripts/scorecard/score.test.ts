import { describe, expect, it } from 'vitest';
import type { DeployRecord } from '../../../src/deploys/types.js';
import { type ScenarioLabels, type ScoredTick, anomalySeparation, scoreScenario } from '../../../scripts/scorecard/score.js';

/** A scenario with one deploy at 12:01:10 that must pass, and no fault. */
function labels(stepSeconds?: number): ScenarioLabels {
  return {
    name: 'quiet-deploy',
    file: 'quiet-deploy.om',
    ...(stepSeconds === undefined ? {} : { stepSeconds }),
    faults: [],
    deploys: ['2023-07-18T12:01:10.000Z'],
    expect: { mustFire: [], deployVerdicts: { '2023-07-18T12:01:10.000Z': { verdict: 'pass' } }, pageFreeOutsideFaultsSeconds: 0 },
  };
}

/** A tick holding the deploy as the watcher records it: started at the first tick at or after it. */
function tickWithDeploy(startedAtMs: number): ScoredTick {
  const record = { id: 'd1', service: 'api', version: 'v2', startedAtMs, verdict: 'pass', decidedAtMs: startedAtMs + 600_000, windowEndsAtMs: startedAtMs + 600_000, reasons: [], evidence: [] } as unknown as DeployRecord;
  return { timeMs: startedAtMs + 600_000, deploys: [record], estimates: [], anomaly: Number.NaN };
}

describe('scoreScenario: deploy verdicts', () => {
  const deployMs = Date.parse('2023-07-18T12:01:10.000Z');
  const check = (score: ReturnType<typeof scoreScenario>) => score.checks.find((c) => c.what.startsWith('deploy at'))!;

  it('finds a deploy seen at the first tick after it, within one step of the data', () => {
    // At 30 s ticks the deploy at 12:01:10 is first seen at 12:01:30, 20 s later.
    const score = scoreScenario(labels(30), [], [tickWithDeploy(deployMs + 20_000)]);
    expect(check(score)).toEqual({ what: 'deploy at 2023-07-18T12:01:10.000Z: pass', ok: true, detail: 'pass after 600s' });
  });

  it('does not take a deploy seen more than a step later for it', () => {
    const score = scoreScenario(labels(15), [], [tickWithDeploy(deployMs + 20_000)]);
    expect(check(score)).toMatchObject({ ok: false, detail: 'no such deploy seen' });
    // Labels without a step are the bundled scenarios': 15 s.
    expect(check(scoreScenario(labels(), [], [tickWithDeploy(deployMs + 20_000)]))).toMatchObject({ ok: false });
    expect(check(scoreScenario(labels(), [], [tickWithDeploy(deployMs + 5_000)]))).toMatchObject({ ok: true });
  });
});

describe('anomalySeparation', () => {
  it('reads each fault\'s peak in its first minute, its median from its start to its end, and the healthy ticks\' highest', () => {
    const start = Date.parse('2023-07-20T12:00:00.000Z');
    const fault: ScenarioLabels = { ...labels(), deploys: [], expect: { mustFire: [], pageFreeOutsideFaultsSeconds: 0 }, faults: [{ startsAt: new Date(start).toISOString(), endsAt: new Date(start + 300_000).toISOString() }] as ScenarioLabels['faults'] };
    const at = (s: number, anomaly: number): ScoredTick => ({ timeMs: start + s * 1000, deploys: [], estimates: [], anomaly });
    // Healthy before; the fault: 0.9 at its onset, then 0.2 a minute in and 0.6 to its end (NaN: not scored, skipped); recovery inside the 10 minutes after.
    const ticks = [at(-60, 0.3), at(-15, 0.1), at(0, 0.9), at(15, 0.4), at(60, 0.2), at(120, 0.6), at(180, Number.NaN), at(240, 0.6), at(300, 0.05), at(600, 0.8), at(1000, 0.35)];
    const sep = anomalySeparation(fault, ticks);
    expect(sep.incidentPeaks).toEqual([0.9]);
    // Ticks from the start to before the end: 0.9, 0.4, 0.2, 0.6, 0.6.
    expect(sep.incidentMedians).toEqual([0.6]);
    // The healthy ticks: those before the fault and after its 10 minutes (0.8 at +600 s is inside them).
    expect(sep.healthyMax).toBe(0.35);
  });
});
