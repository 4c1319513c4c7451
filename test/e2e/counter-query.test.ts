// The restart-aware PromQL a counter selector becomes, checked by Prometheus's own parser (promtool)
// and evaluated by a real Prometheus over a pod restart; and what the series of targets whose
// scrapes fail add to it, evaluated over failing scrapes, a crash loop and a pod that ended, and
// what series that left a page still scraped add (a label set no longer written, a relabel).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSelector } from '../../src/core/selector.js';
import { labelsPresentQuery, metricsPresentQuery } from '../../src/source/prometheus-source.js';
import { type DownTarget, counterQuery, missedQuery, missedQueryFor, targetsDownQuery, targetsLeftQuery } from '../../src/source/counter-query.js';
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
    // Pods serving 10/s each (and 1 error/s on served_errors_total), scrapes every 15 s:
    // - "app": a-f; from 10:10 the scrapes of b and c fail (up 0, no samples) while they serve;
    // - "most": a-f; from 10:10 the scrapes of b-f fail (most of the group);
    // - "collapse": a-d; from 10:10 the scrapes of c and d fail, and from 10:11 nobody is served;
    // - "crash": a-c; from 10:10 c crash-loops (up 0) and a and b take its load (15/s each);
    // - "ended": a-c; c ends at 10:10 (no samples, no up);
    // - "young": a-d from 10:08 only (nothing five minutes old); d's scrapes fail from 10:10;
    // - "big": pods g-z, whose scrapes never fail;
    // - "back": a-f; the scrapes of b-f fail from 10:10 to 10:13, when they come back;
    // - "half": a-d; from 10:10 the scrapes of c and d fail, and they serve 11/s (a little more
    //   than a and b: half the group, its noise either way);
    // - "heavy": a-c; c serves 40/s, and its scrapes fail from 10:10 (one pod of three carrying most).
    const served: Record<string, string> = { app: 'abcdef', most: 'abcdef', collapse: 'abcd', crash: 'abc', ended: 'abc', young: 'abcd', big: 'ghijklmnopqrstuvwxyz', back: 'abcdef', half: 'abcd', heavy: 'abc' };
    const failingFrom10: Record<string, string> = { app: 'bc', most: 'bcdef', collapse: 'cd', crash: 'c', ended: 'c', young: 'd', big: '', back: 'bcdef', half: 'cd', heavy: 'c' };
    const podRate: Record<string, number> = { 'half/c': 11, 'half/d': 11, 'heavy/c': 40 };
    const count: Record<string, number> = {};
    const servedLines: Record<string, string[]> = {};
    const errorLines: Record<string, string[]> = {};
    const ups: Record<string, string[]> = {};
    for (let t = 0; t <= 1800; t += 15) {
      for (const [job, pods] of Object.entries(served)) {
        for (const pod of pods) {
          if (job === 'young' && t < 480) continue;
          const failing = t >= 600 && (job !== 'back' || t < 780) && failingFrom10[job]!.includes(pod);
          const at = (T0 + t * 1000) / 1000;
          if (failing && job === 'ended') continue;
          const key = `${job}/${pod}`;
          (ups[key] ??= []).push(`up{job="${job}",instance="${pod}"} ${failing ? 0 : 1} ${at}`);
          // A pod whose scrapes fail still serves and counts; nobody reads it.
          const rate = job === 'crash' && t >= 600 ? 15 : job === 'collapse' && t > 660 ? 0 : (podRate[key] ?? 10);
          count[key] = (count[key] ?? 0) + 15 * rate;
          count[`${key}/errors`] = (count[`${key}/errors`] ?? 0) + 15 * (rate / 10);
          if (failing) continue;
          (servedLines[key] ??= []).push(`served_total{job="${job}",instance="${pod}"} ${count[key]} ${at}`);
          (errorLines[key] ??= []).push(`served_errors_total{job="${job}",instance="${pod}"} ${count[`${key}/errors`]} ${at}`);
        }
      }
    }
    // "alone": one sparse target (sparse_total), nothing served in its last 15 s before its scrapes fail from 10:10.
    const sparseLines: string[] = [];
    let sparse = 0;
    for (let t = 0; t <= 1800; t += 15) {
      const at = (T0 + t * 1000) / 1000;
      (ups['alone/a'] ??= []).push(`up{job="alone",instance="a"} ${t >= 600 ? 0 : 1} ${at}`);
      sparse += t === 585 ? 0 : 15;
      if (t < 600) sparseLines.push(`sparse_total{job="alone",instance="a"} ${sparse} ${at}`);
    }
    // Jobs whose targets stay up, two series a pod (workers 1 and 2, 5/s and 0.5 errors/s each):
    // - "left": a-d; from 10:10 b's worker 2 series are no longer written (an exporter that stopped
    //   writing one label set);
    // - "moved": a-c; from 10:10 b's worker 2 series are written as worker 3 (a relabel: the load moved);
    // - "leftyoung": a-c from 10:08 only; from 10:10 c's worker 2 series are no longer written.
    const workers: Record<string, { pods: string; from: number; pod: string; to?: string }> = {
      left: { pods: 'abcd', from: 0, pod: 'b' },
      moved: { pods: 'abc', from: 0, pod: 'b', to: '3' },
      leftyoung: { pods: 'abc', from: 480, pod: 'c' },
    };
    for (const [job, { pods, from, pod: leaving, to }] of Object.entries(workers)) {
      for (const pod of pods) {
        for (let t = from; t <= 1800; t += 15) {
          const at = (T0 + t * 1000) / 1000;
          (ups[`${job}/${pod}`] ??= []).push(`up{job="${job}",instance="${pod}"} 1 ${at}`);
          for (const worker of ['1', '2']) {
            const key = `${job}/${pod}/${worker}`;
            count[key] = (count[key] ?? 0) + 15 * 5;
            count[`${key}/errors`] = (count[`${key}/errors`] ?? 0) + 15 * 0.5;
            const gone = pod === leaving && worker === '2' && t >= 600;
            if (gone && to === undefined) continue;
            const labels = `job="${job}",instance="${pod}",worker="${gone ? to : worker}"`;
            (servedLines[`${key}/${gone}`] ??= []).push(`served_total{${labels}} ${count[key]} ${at}`);
            (errorLines[`${key}/${gone}`] ??= []).push(`served_errors_total{${labels}} ${count[`${key}/errors`]} ${at}`);
          }
        }
      }
    }
    // "noisy": a-d serving 5/s each, scrapes every 15 s; b's counter steps 90 and 60 in turn (a
    // busy and a quiet scrape), and from 10:10 it is no longer written, after a quiet step.
    // "drained": a-d serving 5/s each; b serves nothing from 10:09:15 (drained), and from 10:10
    // it is no longer written.
    for (const job of ['noisy', 'drained']) {
      for (const pod of 'abcd') {
        let total = 0;
        for (let t = 0, k = 0; t <= 1800; t += 15, k++) {
          const at = (T0 + t * 1000) / 1000;
          (ups[`${job}/${pod}`] ??= []).push(`up{job="${job}",instance="${pod}"} 1 ${at}`);
          total += pod !== 'b' ? 75 : job === 'noisy' ? (k % 2 === 1 ? 60 : 90) : t >= 555 ? 0 : 75;
          if (pod === 'b' && t >= 600) continue;
          (servedLines[`${job}/${pod}`] ??= []).push(`served_total{job="${job}",instance="${pod}"} ${total} ${at}`);
        }
      }
    }
    // OpenMetrics: each family's lines together, each series' samples in time order.
    lines.push('# TYPE sparse counter', ...sparseLines, '# TYPE served counter', ...Object.values(servedLines).flat(), '# TYPE served_errors counter', ...Object.values(errorLines).flat(), '# TYPE up gauge', ...Object.values(ups).flat());
    lines.push('# EOF');
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-cq-')), 'restart.om');
    writeFileSync(file, `${lines.join('\n')}\n`);
    prometheus = await startPrometheus({ backfill: file });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('is valid PromQL for promtool, with and without grouping, and with windows and ticks of part of a second', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cq-'));
    const rules = join(dir, 'rules.yml');
    const exprs = [counterQuery('req_total{pod!=""}', 'irate', 60_000, 15_000), counterQuery('req_total', 'rate', 120_000, 15_000, ['route', 'service']), missedQuery('req_total{pod!=""}', 'irate', 60_000), missedQuery('req_total', 'rate', 120_000, ['route', 'service'])];
    // A rateWindow of 7500ms read "[7.5s]", which Prometheus refuses.
    exprs.push(counterQuery('req_total', 'rate', 7_500, 2_500), missedQuery('req_total', 'irate', 7_500), targetsDownQuery(7_500));
    expect(exprs.at(-3)).toContain('[7s500ms]');
    const narrowed = missedQueryFor({ selector: parseSelector('req_total{pod!=""}'), gate: parseSelector('req{job="x"}'), fn: 'irate', windowMs: 60_000, by: ['route'] }, [{ job: 'x', instance: '10.0.0.1:80' }, { job: 'y\\"z', instance: '[::1]:80' }]);
    exprs.push(narrowed!, targetsLeftQuery([{ selector: 'req_total{pod!=""}', windowMs: 60_000 }, { selector: 'req', windowMs: 120_000 }]));
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
    // From their first failed scrape the failing series are left out of the sum (within the rate
    // window their last two samples would hold a frozen rate: a sparse counter's often 0), and the
    // missed series' query adds what they carried.
    expect(await at(whole, '2023-07-20T10:10:30Z')).toBeCloseTo(40, 6);
    expect(await at(missed, '2023-07-20T10:10:30Z')).toBeCloseTo(20, 6);
    // Past it, the sum alone reads four sixths of the traffic; the missed series' query adds the rest.
    expect(await at(whole, '2023-07-20T10:12:00Z')).toBeCloseTo(40, 6);
    expect(await at(missed, '2023-07-20T10:12:00Z')).toBeCloseTo(20, 6);
    expect(await at(missedQuery(app, 'rate', 60_000, ['job']), '2023-07-20T10:14:00Z')).toBeCloseTo(20, 6);
    // Their errors too, judged on the requests' series: the error ratio stays what it was.
    expect(await at(missedQuery('served_errors_total{job="app"}', 'irate', 60_000, [], app), '2023-07-20T10:12:00Z')).toBeCloseTo(2, 6);
    // With no rate five minutes old, the failing pods are taken to have carried what the scraped ones do.
    expect(await at(missedQuery('served_total{job="young"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBeCloseTo(10, 6);
    // Five minutes after their last samples they are gone (Prometheus's own lookback).
    expect(await series(missed, '2023-07-20T10:15:00Z')).toBe(0);
  });

  it("reads a signal whose only target's scrapes fail as no data at once, not its frozen last rate (a sparse counter's 0)", async () => {
    const alone = 'sparse_total{job="alone"}';
    // Within the window the last two samples are still there, 0/s apart: Prometheus's own irate.
    expect(await at(`irate(${alone}[60s])`, '2023-07-20T10:10:30Z')).toBe(0);
    expect(await series(counterQuery(alone, 'irate', 60_000, 15_000), '2023-07-20T10:10:30Z')).toBe(0);
    // Nothing is held for it: no target of the group is still scraped to scale it by.
    expect(await series(missedQuery(alone, 'irate', 60_000), '2023-07-20T10:10:30Z')).toBe(0);
  });

  it('reads a group most of whose traffic it would estimate as no data, and a collapse of the scraped pods as one of the failing too', async () => {
    expect(await at(missedQuery('served_total{job="most"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBeNaN();
    expect(await series(missedQuery('served_total{job="most"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBe(1);
    const collapse = 'served_total{job="collapse"}';
    expect(await at(counterQuery(collapse, 'irate', 60_000, 15_000), '2023-07-20T10:12:30Z')).toBe(0);
    expect(await at(missedQuery(collapse, 'irate', 60_000), '2023-07-20T10:12:30Z')).toBe(0);
  });

  it('holds half a group of like pods, whose noise either way must not read it as no data; reads one pod carrying most of its group as no data', async () => {
    for (const iso of ['2023-07-20T10:12:00Z', '2023-07-20T10:14:00Z']) {
      // c and d carried 22/s against a and b's 20/s: held, and the sum reads the four pods.
      expect(await at(missedQuery('served_total{job="half"}', 'irate', 60_000), iso), iso).toBeCloseTo(22, 0);
      expect(await at(missedQuery('served_total{job="heavy"}', 'irate', 60_000), iso), iso).toBeNaN();
    }
  });

  it('reads targets back from failing scrapes at their rate over the gap until their second scrape', async () => {
    const back = 'served_total{job="back"}';
    // Their first sample back is alone in the rate window: the sum alone reads one pod of six.
    expect(await at(counterQuery(back, 'irate', 60_000, 15_000), '2023-07-20T10:13:00Z')).toBeCloseTo(10, 6);
    expect(await at(missedQuery(back, 'irate', 60_000), '2023-07-20T10:13:00Z')).toBeCloseTo(50, 6);
    // Beside the share held of targets still failing, each group its own (split by job).
    const byJob = (await answer(missedQuery('served_total{job=~"back|app"}', 'irate', 60_000, ['job']), '2023-07-20T10:13:00Z')).result;
    expect(Object.fromEntries(byJob.map((r) => [r.metric.job, Number(r.value[1])]))).toEqual({ app: 20, back: 50 });
    // At their second scrape the rate window has two samples: nothing is added.
    expect(await at(counterQuery(back, 'irate', 60_000, 15_000), '2023-07-20T10:13:15Z')).toBeCloseTo(60, 6);
    expect(await series(missedQuery(back, 'irate', 60_000), '2023-07-20T10:13:15Z')).toBe(0);
  });

  it('adds nothing for a crash-looping pod whose load moved to its neighbours, nor for a pod that ended', async () => {
    expect(await at(counterQuery('served_total{job="crash"}', 'irate', 60_000, 15_000), '2023-07-20T10:12:00Z')).toBeCloseTo(30, 6);
    expect(await series(missedQuery('served_total{job="crash"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBe(0);
    expect(await series(missedQuery('served_total{job="ended"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBe(0);
  });

  it('adds the last rate of series that left the page of a target still scraped, as the scrape source does', async () => {
    const left = 'served_total{job="left"}';
    // b's worker 2 left at 10:10: its last two samples (10:09:30 and :45) hold a frozen rate in the
    // window (Prometheus 2's range includes its start) until 10:10:30; from then the sum lacks it
    // and the missed series' query adds it.
    expect(await at(counterQuery(left, 'irate', 60_000, 15_000), '2023-07-20T10:10:30Z')).toBeCloseTo(40, 6);
    expect(await series(missedQuery(left, 'irate', 60_000), '2023-07-20T10:10:30Z')).toBe(0);
    for (const iso of ['2023-07-20T10:10:45Z', '2023-07-20T10:12:00Z', '2023-07-20T10:14:00Z']) {
      expect(await at(counterQuery(left, 'irate', 60_000, 15_000), iso)).toBeCloseTo(35, 6);
      expect(await at(missedQuery(left, 'irate', 60_000), iso)).toBeCloseTo(5, 6);
    }
    // Its errors, judged on the requests' series: the error ratio stays what it was.
    expect(await at(missedQuery('served_errors_total{job="left"}', 'irate', 60_000, [], left), '2023-07-20T10:12:00Z')).toBeCloseTo(0.5, 6);
    // Split: only the group it left.
    const byWorker = (await answer(missedQuery(left, 'irate', 60_000, ['worker']), '2023-07-20T10:12:00Z')).result;
    expect(Object.fromEntries(byWorker.map((r) => [r.metric.worker, Number(r.value[1])]))).toEqual({ '2': 5 });
    // Five minutes after its last samples it is gone, as a series of a failing target is.
    expect(await series(missedQuery(left, 'irate', 60_000), '2023-07-20T10:15:00Z')).toBe(0);
    // With no rate five minutes old (pods of 10:08), the series still there are taken as unchanged.
    expect(await at(missedQuery('served_total{job="leftyoung"}', 'irate', 60_000), '2023-07-20T10:12:00Z')).toBeCloseTo(5, 6);
  });

  it('holds a series that left at its mean rate of its last five minutes, not its last scrape\'s', async () => {
    const noisy = 'served_total{job="noisy"}';
    // b's last two samples are a quiet step apart (4/s); it served 5/s.
    expect(await at('irate(served_total{job="noisy",instance="b"}[5m])', '2023-07-20T10:12:00Z')).toBeCloseTo(4, 6);
    expect(await at(counterQuery(noisy, 'irate', 60_000, 15_000), '2023-07-20T10:12:00Z')).toBeCloseTo(15, 6);
    for (const iso of ['2023-07-20T10:11:00Z', '2023-07-20T10:12:00Z', '2023-07-20T10:14:00Z']) {
      expect(await at(missedQuery(noisy, 'irate', 60_000), iso), iso).toBeCloseTo(5, 1);
    }
  });

  it('holds a series that served nothing before it left at nothing, not at its mean (a pod drained before it went)', async () => {
    const drained = 'served_total{job="drained"}';
    expect(await at(counterQuery(drained, 'irate', 60_000, 15_000), '2023-07-20T10:12:00Z')).toBeCloseTo(15, 6);
    // Its mean over ten minutes is over 4/s; its last rate 0.
    expect(await at('deriv(served_total{job="drained",instance="b"}[10m])', '2023-07-20T10:12:00Z')).toBeGreaterThan(4);
    // Nothing is added (no series: what it carried, 0, is no more than its neighbours gained).
    for (const iso of ['2023-07-20T10:11:00Z', '2023-07-20T10:12:00Z', '2023-07-20T10:14:00Z']) {
      expect(await series(missedQuery(drained, 'irate', 60_000), iso), iso).toBe(0);
    }
  });

  it('adds nothing for a series that left while another took its place (a relabel: the load moved)', async () => {
    const moved = 'served_total{job="moved"}';
    expect(await at(counterQuery(moved, 'irate', 60_000, 15_000), '2023-07-20T10:12:00Z')).toBeCloseTo(30, 6);
    for (const iso of ['2023-07-20T10:10:45Z', '2023-07-20T10:12:00Z']) expect(await series(missedQuery(moved, 'irate', 60_000), iso)).toBe(0);
  });

  async function answer(query: string, iso: string, stats = false): Promise<{ result: { metric: Record<string, string>; value: [number, string] }[]; samples: number }> {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.parse(iso) / 1000}${stats ? '&stats=all' : ''}`;
    const body = (await (await fetch(url)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[]; stats?: { samples: { totalQueryableSamples: number } } } };
    return { result: body.data.result, samples: body.data.stats?.samples.totalQueryableSamples ?? Number.NaN };
  }

  // About two hundred queries one after another: 18 s on a loaded 2-core CI runner, 20.0 s once (the
  // project's 20 s limit): its own limit, as a bound on a hang, not on speed.
  it('reads the same narrowed to the targets the probe finds down, touching a fraction of the samples', async () => {
    const cases: [string, string, string[]][] = [
      ...['app', 'most', 'collapse', 'crash', 'ended', 'young', 'big', 'back', 'left', 'moved', 'leftyoung'].map((job): [string, string, string[]] => [`served_total{job="${job}"}`, `served_total{job="${job}"}`, []]),
      ['served_errors_total{job="app"}', 'served_total{job="app"}', []],
      ['served_errors_total{job="left"}', 'served_total{job="left"}', []],
      ['served_total', 'served_total', ['job']],
    ];
    let asked = 0;
    for (const iso of ['2023-07-20T10:05:00Z', '2023-07-20T10:10:30Z', '2023-07-20T10:12:00Z', '2023-07-20T10:12:30Z', '2023-07-20T10:13:00Z', '2023-07-20T10:14:00Z', '2023-07-20T10:15:00Z']) {
      const probes = [targetsDownQuery(60_000), targetsLeftQuery([...new Set(cases.flatMap(([s, g]) => [s, g]))].map((selector) => ({ selector, windowMs: 60_000 })))];
      const down: DownTarget[] = [];
      for (const probe of probes) down.push(...(await answer(probe, iso)).result.map(({ metric }) => ({ job: metric.job!, instance: metric.instance! })));
      for (const [selector, gate, by] of cases) {
        const whole = await answer(missedQuery(selector, 'irate', 60_000, by, gate), iso);
        const query = missedQueryFor({ selector: parseSelector(selector), gate: parseSelector(gate), fn: 'irate', windowMs: 60_000, by }, down);
        // Not asked: the whole query finds nothing to add either.
        if (query === undefined) {
          expect(whole.result, `${selector} at ${iso}`).toEqual([]);
          continue;
        }
        asked++;
        expect((await answer(query, iso)).result, `${selector} at ${iso}`).toEqual(whole.result);
      }
    }
    // Not before anything failed or left (14), nor for the job none of whose targets fail (6), nor
    // for the pod that ended (no `up` in the window: six times), nor for "back" once its pods have
    // been back a rate window (two times), nor for the four cases of series that left at 10:10:30
    // (their last two samples are still in the window).
    expect(asked).toBe(7 * 14 - 14 - 6 - 6 - 2 - 4);
    // Every job's series but those of the targets failing or left (20 pods of "big" among them):
    // read for five minutes by the whole query only. (The jobs of series that left are not read
    // here: their pods' instances, a-d, are every job's, which narrowing matches apart from jobs.)
    const selector = 'served_total{job!~"left|moved|leftyoung|noisy|drained"}';
    const down: DownTarget[] = [];
    for (const probe of [targetsDownQuery(60_000), targetsLeftQuery([{ selector, windowMs: 60_000 }])]) {
      down.push(...(await answer(probe, '2023-07-20T10:12:00Z')).result.map(({ metric }) => ({ job: metric.job!, instance: metric.instance! })));
    }
    const all = { selector: parseSelector(selector), gate: parseSelector(selector), fn: 'irate' as const, windowMs: 60_000, by: ['job'] };
    const whole = await answer(missedQuery(selector, 'irate', 60_000, ['job']), '2023-07-20T10:12:00Z', true);
    const narrowed = await answer(missedQueryFor(all, down)!, '2023-07-20T10:12:00Z', true);
    expect(narrowed.result).toEqual(whole.result);
    // The rest is what every such query reads of all series: their rates in the window, the
    // targets' `up` (0.60 of the whole before series that left were read, 0.62 since: `up` over the
    // window, for the targets scraped throughout it).
    expect(narrowed.samples).toBeLessThan(whole.samples * 0.65);
  }, 60_000);

  it("finds which errors metrics have series (the check for a misspelt errors selector)", async () => {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(metricsPresentQuery(['served_errors_total', 'served_error_total', 'up']))}&time=${Date.parse('2023-07-20T10:12:00Z') / 1000}`;
    const body = (await (await fetch(url)).json()) as { data: { result: { metric: Record<string, string> }[] } };
    expect(body.data.result.map((r) => r.metric.__name__).sort()).toEqual(['served_errors_total', 'up']);
  });

  it('finds which labels an errors metric has (the check for a misspelt errors label)', async () => {
    const query = labelsPresentQuery([
      { metric: 'served_errors_total', label: 'instance' },
      { metric: 'served_errors_total', label: 'code' },
      { metric: 'up', label: 'job' },
    ]);
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.parse('2023-07-20T10:12:00Z') / 1000}`;
    const body = (await (await fetch(url)).json()) as { status: string; data: { result: { metric: Record<string, string> }[] } };
    expect(body.status).toBe('success');
    expect(body.data.result.map((r) => `${r.metric.__name__}/${r.metric.stormwatch_label}`).sort()).toEqual(['served_errors_total/instance', 'up/job']);
  });
});
