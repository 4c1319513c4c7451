// The restart-aware PromQL a counter selector becomes, checked by Prometheus's own parser (promtool)
// and evaluated by a real Prometheus over a pod restart; and what the series of targets whose
// scrapes fail add to it, evaluated over failing scrapes, a crash loop and a pod that ended.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterQuery, missedQuery } from '../../src/source/counter-query.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';

const T0 = Date.parse('2023-07-20T10:00:00Z');

describe('restart-aware counter queries', () => {
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    // Three pods serving 10/s each, 15 s scrapes; pod b restarts at 10:10:05; load doubles at 10:20.
    const lines: string[] = ['# TYPE req counter'];
    const counts = { a: 0, b: 0, c: 0 };
    for (let t = 0; t <= 1800; t += 15) {
      const rate = t >= 1200 ? 20 : 10;
      for (const pod of ['a', 'b', 'c'] as const) {
        counts[pod] += 15 * rate;
        if (pod === 'b' && t === 615) counts.b = 10 * rate; // restarted 10 s ago
        lines.push(`req_total{pod="${pod}"} ${counts[pod]} ${(T0 + t * 1000) / 1000}`);
      }
    }
    // Targets of job "app": pods a-f serve 10/s each throughout; from 10:10 the scrapes of b-f fail
    // (up 0, no samples). Job "crash": pods a-c at 10/s; from 10:10 c crash-loops (up 0) and a and b
    // take its load (15/s each). Job "ended": pods a-c at 10/s; c ends at 10:10 (no samples, no up).
    // Job "young": pods a-c at 10/s from 10:08 (nothing five minutes old); b and c fail from 10:10.
    const served = { app: 'abcdef', crash: 'abc', ended: 'abc', young: 'abc' } as const;
    const count: Record<string, number> = {};
    const servedLines: Record<string, string[]> = {};
    const ups: Record<string, string[]> = {};
    for (let t = 0; t <= 1800; t += 15) {
      for (const [job, pods] of Object.entries(served)) {
        for (const pod of pods) {
          if (job === 'young' && t < 480) continue;
          const failing = t >= 600 && ((job === 'app' && pod !== 'a') || pod === 'c' || (job === 'young' && pod === 'b'));
          const at = (T0 + t * 1000) / 1000;
          if (failing && job === 'ended') continue;
          (ups[`${job}/${pod}`] ??= []).push(`up{job="${job}",instance="${pod}"} ${failing ? 0 : 1} ${at}`);
          if (failing) continue;
          const key = `${job}/${pod}`;
          count[key] = (count[key] ?? 0) + 15 * (job === 'crash' && t >= 600 ? 15 : 10);
          (servedLines[key] ??= []).push(`served_total{job="${job}",instance="${pod}"} ${count[key]} ${at}`);
        }
      }
    }
    // OpenMetrics: each family's lines together, each series' samples in time order.
    lines.push('# TYPE served counter', ...Object.values(servedLines).flat(), '# TYPE up gauge', ...Object.values(ups).flat());
    lines.push('# EOF');
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-cq-')), 'restart.om');
    writeFileSync(file, `${lines.join('\n')}\n`);
    prometheus = await startPrometheus({ backfill: file });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('is valid PromQL for promtool, with and without grouping', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cq-'));
    const rules = join(dir, 'rules.yml');
    const exprs = [counterQuery('req_total{pod!=""}', 'irate', 60_000, 15_000), counterQuery('req_total', 'rate', 120_000, 15_000, ['route', 'service']), missedQuery('req_total{pod!=""}', 'irate', 60_000), missedQuery('req_total', 'rate', 120_000, ['route', 'service'])];
    writeFileSync(rules, `groups:\n  - name: q\n    rules:\n${exprs.map((e, i) => `      - record: q${i}\n        expr: '${e.replace(/'/g, "''")}'\n`).join('')}`);
    expect(execFileSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' })).toContain('SUCCESS');
  });

  async function at(query: string, iso: string): Promise<number> {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.parse(iso) / 1000}`;
    const body = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0]?.value[1] ?? Number.NaN);
  }

  async function series(query: string, iso: string): Promise<number> {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.parse(iso) / 1000}`;
    return ((await (await fetch(url)).json()) as { data: { result: unknown[] } }).data.result.length;
  }

  it('reads the restarted pod at its rate before the restart, where irate undercounts', async () => {
    const smart = counterQuery('req_total', 'irate', 60_000, 15_000);
    expect(await at(smart, '2023-07-20T10:10:15Z')).toBeCloseTo(30, 6);
    expect(await at('sum(irate(req_total[60s]))', '2023-07-20T10:10:15Z')).toBeLessThan(27);
    // Away from restarts it is plain sum(irate()), and it follows a change of load at once.
    expect(await at(smart, '2023-07-20T10:05:00Z')).toBeCloseTo(30, 6);
    expect(await at(smart, '2023-07-20T10:20:15Z')).toBeCloseTo(60, 6);
  });

  it("adds the last rate of series whose scrapes fail while the pods serve, for Prometheus's lookback", async () => {
    const app = 'served_total{job="app"}';
    const whole = counterQuery(app, 'irate', 60_000, 15_000);
    const missed = missedQuery(app, 'irate', 60_000);
    // Within the rate window the failing series still count their last two samples, and nothing is added.
    expect(await at(whole, '2023-07-20T10:10:30Z')).toBeCloseTo(60, 6);
    expect(await series(missed, '2023-07-20T10:10:30Z')).toBe(0);
    // Past it, the sum alone reads a sixth of the traffic; the missed series' query adds the rest.
    expect(await at(whole, '2023-07-20T10:12:00Z')).toBeCloseTo(10, 6);
    expect(await at(missed, '2023-07-20T10:12:00Z')).toBeCloseTo(50, 6);
    expect(await at(missedQuery(app, 'rate', 60_000, ['job']), '2023-07-20T10:14:00Z')).toBeCloseTo(50, 6);
    // With no rate five minutes old, the failing pods are taken to have carried what the scraped one does.
    expect(await at(missedQuery('served_total{job="young"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBeCloseTo(20, 6);
    // Five minutes after their last samples they are gone (Prometheus's own lookback).
    expect(await series(missed, '2023-07-20T10:15:00Z')).toBe(0);
  });

  it('adds nothing for a crash-looping pod whose load moved to its neighbours, nor for a pod that ended', async () => {
    expect(await at(counterQuery('served_total{job="crash"}', 'irate', 60_000, 15_000), '2023-07-20T10:12:00Z')).toBeCloseTo(30, 6);
    expect(await series(missedQuery('served_total{job="crash"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBe(0);
    expect(await series(missedQuery('served_total{job="ended"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBe(0);
  });
});
