import { describe, expect, it } from 'vitest';
import { NAB_COUNTER, NAB_DETAIL_HEADER, isPage, nabDetailRow, nabReplayData, nabResultCsv, parseNabCsv } from '../../../scripts/scorecard/nab.js';
import type { Evaluation } from '../../../src/core/types.js';

const CSV = 'timestamp,value\n2015-02-26 21:42:53,104\n2015-02-26 21:47:53,100\n2015-02-26 21:57:53,7\n';

describe('NAB series', () => {
  it('reads rows, and the most common gap as the period', () => {
    const s = parseNabCsv(CSV, 'x.csv');
    expect(s.timesMs).toEqual([Date.parse('2015-02-26T21:42:53Z'), Date.parse('2015-02-26T21:47:53Z'), Date.parse('2015-02-26T21:57:53Z')]);
    expect(s.values).toEqual([104, 100, 7]);
    // Gaps of 5 and 10 minutes: the first most common wins ties by being shorter.
    expect(s.stepMs).toBe(300_000);
  });

  it.each([
    ['time,value\n', 'x.csv:1: expected the header "timestamp,value", got "time,value"', 'another header'],
    ['timestamp,value\n2015-02-26 21:42:53,abc\n2015-02-26 21:47:53,1\n', 'x.csv:2: expected "YYYY-MM-DD HH:MM:SS,number", got "2015-02-26 21:42:53,abc"', 'a value that is no number'],
    ['timestamp,value\n2015-02-26 21:42:53,-1\n2015-02-26 21:47:53,1\n', 'x.csv:2: a count cannot be negative, got -1', 'a negative count'],
    ['timestamp,value\n2015-02-26 21:42:53,1\n2015-02-26 21:42:53,1\n', 'x.csv:3: timestamps must increase', 'a repeated time'],
  ])('rejects %j naming the place (%s)', (text, message) => {
    expect(() => parseNabCsv(text, 'x.csv')).toThrow(message);
  });

  it('replays the values as a counter, and keeps missing rows missing', () => {
    const data = nabReplayData(parseNabCsv(CSV, 'x.csv'));
    expect(data.snapshots.map(([t, s]) => [t, s[0]!.name, s[0]!.value])).toEqual([
      [Date.parse('2015-02-26T21:42:53Z'), NAB_COUNTER, 104],
      [Date.parse('2015-02-26T21:47:53Z'), NAB_COUNTER, 204],
      [Date.parse('2015-02-26T21:57:53Z'), NAB_COUNTER, 211],
    ]);
  });

  it('writes one result row per data row, 0 where nothing could be scored (NAB needs a number)', () => {
    const s = parseNabCsv(CSV, 'x.csv');
    const csv = nabResultCsv(s, new Map([[s.timesMs[1]!, 0.25], [s.timesMs[2]!, Number.NaN]]));
    expect(csv).toBe('timestamp,value,anomaly_score\n2015-02-26 21:42:53,104,0\n2015-02-26 21:47:53,100,0.25\n2015-02-26 21:57:53,7,0\n');
  });

  it('counts a critical alert starting to fire as a page, not its updates, resolutions or info alerts', () => {
    const critical = { severity: 'critical' };
    expect(isPage({ status: 'firing', labels: critical })).toBe(true);
    expect(isPage({ status: 'firing', labels: critical, update: 1 })).toBe(false);
    expect(isPage({ status: 'resolved', labels: critical })).toBe(false);
    expect(isPage({ status: 'firing', labels: { severity: 'info' } })).toBe(false);
  });

  it('writes a detail row per tick with the rate checks, and empty cells where the tick has no value', () => {
    const t = Date.parse('2015-03-16T02:52:53Z');
    const rate = (kind: 'rate_spike' | 'rate_drop', status: Evaluation['status']): Evaluation => ({ kind, status, score: 3.7, observed: 21.31, baseline: 0.179, sigma: 1.29 });
    const row = nabDetailRow(t, 300_000, 21.31, [rate('rate_spike', 'anomalous'), rate('rate_drop', 'normal')], 0.143);
    expect(row).toBe('2015-03-16T02:52:53.000Z,6393,21.31,0.179,1.29,3.7,anomalous,normal,0.143\n');
    expect(row.split(',').length).toBe(NAB_DETAIL_HEADER.split(',').length);
    const warming: Evaluation = { kind: 'rate_spike', status: 'unknown', score: Number.NaN, observed: 1, baseline: Number.NaN, sigma: Number.NaN, reason: 'warming up' };
    expect(nabDetailRow(t, 300_000, 1, [warming], Number.NaN)).toBe('2015-03-16T02:52:53.000Z,300,1,,,,unknown,,\n');
  });
});
