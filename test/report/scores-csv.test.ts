import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import type { SignalSample } from '../../src/core/types.js';
import type { TickResult } from '../../src/pipeline.js';
import { SCORES_CSV_HEADER, scoreRows } from '../../src/report/scores-csv.js';
import { runBacktest } from '../../src/runner/backtest.js';
import { replayConfig } from '../helpers/scenarios.js';

describe('scores CSV', () => {
  it('has the columns NAB and notebooks read', () => {
    expect(SCORES_CSV_HEADER.split(',').slice(0, 3)).toEqual(['timestamp', 'series', 'anomaly_score']);
  });

  it('writes one row per series per tick of the 2023-07-20 replay: quiet before the fault, past 0.5 on its first tick', async () => {
    const rows: string[] = [];
    await runBacktest(replayConfig('crates-2023-07-20-broken-redirect'), { logger: silentLogger, onTransition: () => {}, onTick: (t) => rows.push(...scoreRows(t).split('\n').filter(Boolean)) });
    const parsed = rows.map((r) => r.split(','));
    // 7.5 h of 15 s ticks, both ends included.
    expect(parsed).toHaveLength(1801);
    expect(parsed.every((r) => r.length === SCORES_CSV_HEADER.split(',').length && r[1] === 'crate-downloads')).toBe(true);
    expect(parsed.every((r) => new Date(r[0]!).toISOString() === r[0])).toBe(true);
    // The first tick has no rate yet: no score, not a zero.
    expect(parsed[0]![2]).toBe('');
    const fault = Date.parse('2023-07-20T12:17:04Z');
    const before = parsed.filter((r) => Date.parse(r[0]!) < fault && r[2] !== '').map((r) => Number(r[2]));
    expect(before.length).toBeGreaterThan(1450);
    expect(Math.max(...before)).toBeLessThan(0.5);
    const first = parsed.find((r) => Date.parse(r[0]!) > fault)!;
    expect(Number(first[2])).toBeGreaterThanOrEqual(0.5);
    // The band is the seasonal expectation ± 3σ, around the expectation.
    const [expected, lower, upper] = [4, 5, 6].map((i) => Number(first[i]));
    expect(lower).toBeLessThan(expected!);
    expect(upper).toBeGreaterThan(expected!);
  });

  it('quotes series ids with commas or quotes (split signals)', () => {
    const sample: SignalSample = { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN };
    const result = { timeMs: 0, transitions: [], deploys: [], signals: new Map([['api{route="a,b"}', { sample, evaluations: [], assessment: {} }]]) } as unknown as TickResult;
    expect(scoreRows(result)).toBe('1970-01-01T00:00:00.000Z,"api{route=""a,b""}",,,,,,0\n');
  });
});
