import { describe, expect, it } from 'vitest';
import type { DeployRecord, SignalEvidence } from '../../src/deploys/types.js';
import { COLUMNS } from '../../src/ui/chart-point.js';
import { seriesChartData } from '../../src/ui/series-model.js';

const evidence = (signal: string, regressed: boolean, metric: SignalEvidence['metric'] = 'completion_ratio'): SignalEvidence => ({ signal, metric, preMedian: 1, postMedian: regressed ? 0.5 : 1, pValue: regressed ? 0.001 : 0.5, nPre: 20, nPost: 20, regressed, detail: `completion ${regressed ? 'fell' : 'held'}` });

describe('seriesChartData, a deploy of many series', () => {
  it("keeps the series' own evidence and reasons and the deploy's, and counts the other series' instead of copying them", () => {
    const series = Array.from({ length: 500 }, (_, i) => `api{route="/r${i}"}`);
    const deploy: DeployRecord = {
      id: 'd1', service: 'api', version: '2', environment: 'prod', source: 'api', startedAtMs: 0, windowEndsAtMs: 1_800_000, verdict: 'fail',
      evidence: [evidence('', true, 'probe'), ...series.map((s, i) => evidence(s, i % 2 === 0))],
      reasons: ['smoke probe failed: completion fell', ...series.filter((_, i) => i % 2 === 0).map((s) => `${s}: completion fell`)],
    };
    const times = Float64Array.from([0, 15_000]);
    const chart = (id: string) => seriesChartData({ id, signal: 'api', labels: {}, points: { times, columns: COLUMNS.map(() => new Float32Array(2)) }, alerts: [], deploys: [deploy], width: 100 });
    const regressed = chart('api{route="/r2"}').deploys[0]!;
    expect(regressed.evidence.map((e) => e.signal)).toEqual(['', 'api{route="/r2"}']);
    expect(regressed.reasons).toEqual(['smoke probe failed: completion fell', 'api{route="/r2"}: completion fell', 'and 249 on other series']);
    const held = chart('api{route="/r3"}').deploys[0]!;
    expect(held.evidence.map((e) => e.signal)).toEqual(['', 'api{route="/r3"}']);
    expect(held.reasons).toEqual(['smoke probe failed: completion fell', 'and 250 on other series']);
    expect(JSON.stringify(chart('api{route="/r2"}')).length).toBeLessThan(JSON.stringify(deploy).length / 20);
  });
});
