// Scenario tests: every bundled scenario replayed through the real pipeline, its alerts checked
// against the scenario's labelled incident windows.

import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../src/core/types.js';
import { SCENARIO_NAMES, replayConfig, replayTransitions, scenarioLabels } from '../helpers/scenarios.js';

const PAGING = new Set(['critical', 'warning']);

describe.each(SCENARIO_NAMES)('scenario %s', (name) => {
  const labels = scenarioLabels(name);
  const faults = labels.faults.map((f) => ({ start: Date.parse(f.startsAt), end: Date.parse(f.endsAt) }));
  let transitions: AlertTransition[];

  it('replays', async () => {
    transitions = await replayTransitions(replayConfig(name));
  });

  it.each(labels.expect.mustFire)('fires $alertname within $withinSeconds s of the fault start', ({ alertname, withinSeconds }) => {
    const start = faults[0]!.start;
    const fired = transitions.find((t) => t.status === 'firing' && t.labels.alertname === alertname && t.evaluatedAtMs >= start);
    expect(fired, `${alertname} never fired`).toBeDefined();
    expect((fired!.evaluatedAtMs - start) / 1000).toBeLessThanOrEqual(withinSeconds);
    const resolved = transitions.find((t) => t.status === 'resolved' && t.fingerprint === fired!.fingerprint && t.evaluatedAtMs > fired!.evaluatedAtMs);
    expect(resolved, `${alertname} never resolved`).toBeDefined();
    expect(resolved!.evaluatedAtMs).toBeGreaterThanOrEqual(faults[0]!.start);
  });

  it('pages nobody outside its fault windows', () => {
    const graceMs = labels.expect.pageFreeOutsideFaultsSeconds * 1000;
    const outside = transitions.filter(
      (t) => t.status === 'firing' && PAGING.has(t.labels.severity ?? '') && !faults.some((f) => t.evaluatedAtMs >= f.start && t.evaluatedAtMs <= f.end + graceMs),
    );
    expect(outside).toEqual([]);
  });
});
