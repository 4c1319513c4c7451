import { describe, expect, it } from 'vitest';
import type { SignalConfig } from '../../src/config/load.js';
import type { Frame } from '../../src/core/types.js';
import { PrometheusClient } from '../../src/source/prometheus-client.js';
import { PrometheusSource, labelsPresentQuery } from '../../src/source/prometheus-source.js';
import { targetsDownQuery, targetsLeftQuery } from '../../src/source/counter-query.js';
import { parseSelector } from '../../src/core/selector.js';
import { mulberry32 } from '../../scripts/sim/random.js';

/** A fetch that answers every instant query with the vector of the current step (a small fake of the API). */
function answering(vectors: Record<string, string>[][]): { fetch: typeof fetch; step: () => void } {
  let k = 0;
  const fetchFn = (async () => {
    const result = vectors[k]!.map((metric, i) => ({ metric, value: [0, String(i + 1)] }));
    return new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }), { status: 200 });
  }) as typeof fetch;
  return { fetch: fetchFn, step: () => k++ };
}

const signal = { name: 'api', labels: {}, by: ['route', 'code'], clients: [], inputs: { requests: { selector: parseSelector('r'), query: 'q' } } } as unknown as SignalConfig;

describe('PrometheusSource, a split signal', () => {
  it('names each label set by its `by` values, keeps ids across ticks, and forgets sets gone for two hours', async () => {
    const api = answering([
      [{ route: '/a', code: '2', pod: 'x' }, { route: '/a', code: '2', pod: 'y' }, { route: 'a|1:', code: '' }],
      [{ route: '/a', code: '2' }],
      [{ route: '/a', code: '2' }],
    ]);
    const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: api.fetch }), [signal]);
    const first = (await source.read(0)).frame;
    // Two pods of one route are summed; a value that looks like a separator does not collide.
    expect([...first.signals]).toEqual([
      ['api{code="2",route="/a"}', { requests: 3, errors: Number.NaN, downstream: Number.NaN }],
      ['api{code="",route="a|1:"}', { requests: 3, errors: Number.NaN, downstream: Number.NaN }],
    ]);
    api.step();
    const second = (await source.read(15_000)).frame;
    expect(second.signals.get('api{code="",route="a|1:"}')!.requests).toBeNaN();
    api.step();
    const later = (await source.read(15_000 + 2 * 3_600_000 + 1)).frame;
    expect([...later.signals.keys()]).toEqual(['api{code="2",route="/a"}']);
    expect(later.series!.get('api{code="2",route="/a"}')).toEqual({ signal: 'api', labels: { route: '/a', code: '2' } });
  });
});

describe('PrometheusSource, frames handed back', () => {
  it('fills a handed-back frame\'s columns again, never one that was not handed back, and new columns when the series change', async () => {
    const ticks = [
      [{ route: '/a', code: '2' }, { route: '/b', code: '5' }],
      [{ route: '/a', code: '2' }, { route: '/b', code: '5' }],
      [{ route: '/b', code: '5' }, { route: '/a', code: '2' }],
      [{ route: '/c', code: '2' }],
    ];
    const sourceOf = () => {
      let k = 0;
      const fetchFn = (async () => {
        const result = ticks[k]!.map((metric, i) => ({ metric, value: [k, String((i + 1) * (k + 1))] }));
        return new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }), { status: 200 });
      }) as typeof fetch;
      return { source: new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [signal]), next: () => k++ };
    };
    const recycling = sourceOf();
    const plain = sourceOf();
    const read = async (s: ReturnType<typeof sourceOf>, t: number) => {
      const frame = (await s.source.read(t)).frame;
      s.next();
      return frame;
    };
    const f0 = await read(recycling, 0);
    expect([...f0.signals]).toEqual([...(await read(plain, 0)).signals]);
    recycling.source.recycle(f0);
    const f1 = await read(recycling, 15_000);
    expect(f1.signals).toBe(f0.signals);
    expect([...f1.signals]).toEqual([...(await read(plain, 15_000)).signals]);
    // f1 is not handed back: the next read leaves it as it was.
    const kept = [...f1.signals];
    const f2 = await read(recycling, 30_000);
    expect(f2.signals).not.toBe(f1.signals);
    expect([...f1.signals]).toEqual(kept);
    expect([...f2.signals]).toEqual([...(await read(plain, 30_000)).signals]);
    // Handed back, but the next frame has other series (a new index): new columns.
    recycling.source.recycle(f2);
    const f3 = await read(recycling, 3 * 3_600_000);
    expect(f3.signals).not.toBe(f2.signals);
    expect([...f3.signals]).toEqual([...(await read(plain, 3 * 3_600_000)).signals]);
  });
});

describe('PrometheusSource, answers in another layout', () => {
  it('reads the same frames from an answer it scans and from one it parses as JSON (whitespace, infos)', async () => {
    const ticks = [
      [{ route: '/a', code: '2', pod: 'x' }, { route: '/a', code: '2', pod: 'y' }, { route: '/b', code: '5' }],
      [{ route: '/b', code: '5' }, { route: '/a', code: '2', pod: 'x' }],
      [{ route: '/c', code: '2' }],
    ];
    const frames = async (layout: (body: object) => string) => {
      let k = 0;
      const fetchFn = (async () => {
        const result = ticks[k]!.map((metric, i) => ({ metric, value: [k, String((i + 1) * (k + 1) + 0.5)] }));
        return new Response(layout({ status: 'success', data: { resultType: 'vector', result } }), { status: 200 });
      }) as typeof fetch;
      const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [signal]);
      const out = [];
      for (; k < ticks.length; k++) out.push((await source.read(k * 15_000 + (k === 2 ? 3 * 3_600_000 : 0))).frame);
      return out;
    };
    const scanned = await frames((body) => JSON.stringify(body));
    expect(await frames((body) => JSON.stringify(body, null, 2))).toEqual(scanned);
    expect(await frames((body) => `${JSON.stringify(body).slice(0, -1)},"infos":["i"]}`)).toEqual(scanned);
    // With warnings (a store that did not answer), an input is no data, never the sum of what did.
    const fetchPartial = (async () => new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: ticks[0]![0], value: [0, '3'] }] }, warnings: ['partial response'] }), { status: 200 })) as typeof fetch;
    const partial = await new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchPartial }), [signal]).read(0);
    expect(partial.errors.map((e) => e.reason)).toEqual(['partial_answer']);
    expect([...partial.frame.signals.values()].filter((v) => v.requests >= 0)).toEqual([]);
    // Series gone for hours are forgotten and a new one appears, whichever way the answer was read.
    expect([...scanned[2]!.signals.keys()]).toEqual(['api{code="2",route="/c"}']);
  });
});

describe('PrometheusSource, answers resolved by their predicted order', () => {
  it('builds the frames a plain reading of every answer builds, as series come, go, reorder and repeat', async () => {
    const random = mulberry32(5);
    const three = { ...signal, by: ['route'], inputs: { requests: { query: 'r' }, errors: { query: 'e' }, downstream: { query: 'd' } } } as unknown as SignalConfig;
    const routes = Array.from({ length: 40 }, (_, i) => `/r${i}${i % 7 === 0 ? '/"é\\' : ''}`);
    let answers = new Map<string, { metric: Record<string, string>; value: [number, string] }[]>();
    let failing = '';
    const fetchFn = (async (_url: unknown, init?: RequestInit) => {
      const query = new URLSearchParams(String(init?.body)).get('query')!;
      if (query === failing) return new Response('{"status":"error","errorType":"execution","error":"boom"}', { status: 422 });
      return new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: answers.get(query) } }), { status: 200 });
    }) as typeof fetch;
    const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [three]);
    // The reference: every known route (seen within two hours) in the frame, values summed per route from JSON.
    const lastSeen = new Map<string, number>();
    const order: string[] = [];
    let base = routes.slice(0, 20);
    for (let k = 0; k < 60; k++) {
      const nowMs = k * 15_000 + (k === 40 ? 3 * 3_600_000 : 0) + (k > 40 ? 3 * 3_600_000 : 0);
      // Mostly the same order; sometimes a route comes or goes, or the order shuffles.
      if (random() < 0.3) base = base.filter(() => random() > 0.1);
      if (random() < 0.3) base.splice(Math.floor(random() * base.length), 0, routes[Math.floor(random() * routes.length)]!);
      if (random() < 0.1) base.sort(() => random() - 0.5);
      base = [...new Set(base)];
      failing = random() < 0.1 ? 'e' : '';
      answers = new Map();
      for (const q of ['r', 'e', 'd']) {
        const present = q === 'e' ? base.filter(() => random() < 0.7) : base;
        // Two series (pods) of some routes: summed.
        answers.set(q, present.flatMap((route) => (route.endsWith('3') ? ['a', 'b'] : ['a']).map((pod) => ({ metric: { route, pod }, value: [nowMs / 1000, random() < 0.05 ? '+Inf' : String(Math.round(random() * 1e4) / 100)] as [number, string] }))));
      }
      const frame = (await source.read(nowMs)).frame;
      for (const route of [...lastSeen.keys()]) {
        if (nowMs - lastSeen.get(route)! > 2 * 3_600_000) {
          lastSeen.delete(route);
          order.splice(order.indexOf(route), 1);
        }
      }
      const sums = new Map<string, Partial<Record<string, number>>>();
      for (const q of ['r', 'e', 'd']) {
        if (q === failing) continue;
        for (const s of answers.get(q)!) {
          if (!lastSeen.has(s.metric.route!)) order.push(s.metric.route!);
          lastSeen.set(s.metric.route!, nowMs);
          const v = s.value[1] === '+Inf' ? Number.NaN : Number(s.value[1]);
          const sum = sums.get(s.metric.route!) ?? {};
          sum[q] = (sum[q] ?? 0) + v;
          sums.set(s.metric.route!, sum);
        }
      }
      const expected = order.map((route) => {
        const sum = sums.get(route) ?? {};
        const requests = sum.r ?? Number.NaN;
        // No errors are read without requests (a route gone stale reads no 0 errors either).
        return [`api{route=${JSON.stringify(route)}}`, { requests, errors: failing === 'e' || Number.isNaN(requests) ? Number.NaN : (sum.e ?? 0), downstream: sum.d ?? Number.NaN }];
      });
      expect([...frame.signals], `tick ${k}`).toEqual(expected);
      expect([...frame.series!.values()].map((i) => i.labels.route)).toEqual(order);
    }
  });
});

/**
 * A fake of query_range for `series` routes: each answer's matrix over the steps asked for, a value
 * that differs by route and time; with `coming`, route r only from t ≥ r·step (series come during
 * the read). `refuseOver` answers 422 as Prometheus does past `--query.max-samples`. Records each
 * answer's size (points) and steps.
 */
function rangeApi(series: number, stepMs: number, refuseOver = Number.POSITIVE_INFINITY, coming = false) {
  const answers: { steps: number; points: number; refused: boolean }[] = [];
  const fetchFn = (async (_url: string, init: RequestInit) => {
    const form = new URLSearchParams(String(init.body));
    const start = Number(form.get('start')) * 1000;
    const end = Number(form.get('end')) * 1000;
    const steps = Math.round((end - start) / stepMs) + 1;
    const result: { metric: Record<string, string>; values: [number, string][] }[] = [];
    let points = 0;
    for (let r = 0; r < series; r++) {
      const values: [number, string][] = [];
      for (let t = start; t <= end; t += stepMs) if (!coming || t >= r * stepMs) values.push([t / 1000, String(r * 1000 + t / stepMs)]);
      if (values.length > 0) result.push({ metric: { route: `/r${r}`, code: '2' }, values });
      points += values.length;
    }
    const refused = series * steps > refuseOver;
    answers.push({ steps, points, refused });
    if (refused) return new Response(JSON.stringify({ status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution' }), { status: 422 });
    return new Response(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }), { status: 200 });
  }) as typeof fetch;
  return { fetch: fetchFn, answers };
}

describe('PrometheusSource.history, read in pieces', () => {
  const step = 15_000;
  const from = 0;
  const to = 99 * step;
  const read = async (fetchFn: typeof fetch, maxPoints?: number) => {
    const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [signal], [], maxPoints);
    const frames: [number, [string, number][]][] = [];
    for await (const f of source.history(from, to, step)) frames.push([f.timeMs, [...f.signals].map(([id, s]) => [id, s.requests])]);
    return frames;
  };

  it('gives the frames of one whole read, while no answer after the first step holds more points than asked', async () => {
    const whole = rangeApi(20, step);
    const expected = await read(whole.fetch, 1e9);
    const pieces = rangeApi(20, step);
    const got = await read(pieces.fetch, 50);
    expect(got).toEqual(expected);
    expect(got.map(([t]) => t)).toEqual(Array.from({ length: 100 }, (_, i) => i * step));
    // The first piece is one step (its answer counts the series); then pieces of 50 / 20 = 2 steps.
    expect(pieces.answers[0]!.steps).toBe(1);
    expect(pieces.answers.slice(1).every((a) => a.points <= 50)).toBe(true);
    expect(pieces.answers.length).toBe(1 + Math.ceil(99 / 2));
  });

  it('reads series that come during the read from their first step, as one whole read does', async () => {
    const expected = await read(rangeApi(20, step, Number.POSITIVE_INFINITY, true).fetch, 1e9);
    const got = await read(rangeApi(20, step, Number.POSITIVE_INFINITY, true).fetch, 50);
    expect(got).toEqual(expected);
    expect(got[19]![1].find(([id]) => id.includes('/r19'))![1]).toBe(19_019);
    expect(got[18]![1].find(([id]) => id.includes('/r19'))).toBeUndefined();
  });

  it('asks again in halves when Prometheus refuses a piece for too many samples, and keeps to what it allowed', async () => {
    const expected = await read(rangeApi(20, step).fetch, 1e9);
    const api = rangeApi(20, step, 70);
    expect(await read(api.fetch, 200)).toEqual(expected);
    // 10 steps (200 points) refused, then 5 (100), then 3 (60) read, and never more than 3 after.
    expect(api.answers.filter((a) => a.refused).map((a) => a.steps)).toEqual([10, 5]);
    const read3 = api.answers.filter((a) => !a.refused).slice(1);
    expect(Math.max(...read3.map((a) => a.steps))).toBe(3);
  });

  it('keeps each series its own values when series gone for two hours are forgotten and the rest renumbered mid-read', async () => {
    // 1,100 routes answer the first two steps only; three answer all 40 (5-minute steps, 3 h 15 min).
    // Two hours on, the 1,100 are forgotten and the three renumbered (SplitSeries.compact), inside one piece.
    const stepMs = 300_000;
    const fetchFn = (async (_url: string, init: RequestInit) => {
      const form = new URLSearchParams(String(init.body));
      const start = Number(form.get('start')) * 1000;
      const end = Number(form.get('end')) * 1000;
      const result: { metric: Record<string, string>; values: [number, string][] }[] = [];
      for (let r = 0; r < 1_103; r++) {
        const values: [number, string][] = [];
        for (let t = start; t <= end; t += stepMs) if (r >= 1_100 || t < 2 * stepMs) values.push([t / 1000, String(r * 1000 + t / stepMs)]);
        if (values.length > 0) result.push({ metric: { route: `/r${r}`, code: '2' }, values });
      }
      return new Response(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }), { status: 200 });
    }) as typeof fetch;
    const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [signal], [], 1e9);
    const frames: Frame[] = [];
    for await (const f of source.history(0, 39 * stepMs, stepMs)) frames.push(f);
    expect(frames).toHaveLength(40);
    expect(frames[0]!.signals.size).toBe(1_103);
    const last = frames[39]!;
    expect(last.signals.size).toBe(3);
    for (const r of [1_100, 1_101, 1_102]) expect(last.signals.get(`api{code="2",route="/r${r}"}`)!.requests).toBe(r * 1000 + 39);
  });

  it('passes any other refusal on', async () => {
    const failing = (async () => new Response(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }), { status: 400 })) as typeof fetch;
    await expect(read(failing, 50)).rejects.toThrow(/parse error/);
  });
});

describe('PrometheusSource.subset, the history a start reads', () => {
  it("builds the series its parent's live ticks go on with, its ticks counted with the parent's", async () => {
    // History at one step (t = 0): routes /r0, /r1 and /r2, 10 + r each. The live tick at 15 s:
    // /r0 and /r1 only, 100 + r each.
    const fetchFn = (async (url: string) => {
      if (String(url).includes('query_range')) {
        const result = [0, 1, 2].map((r) => ({ metric: { route: `/r${r}`, code: '2' }, values: [[0, String(10 + r)]] }));
        return new Response(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }), { status: 200 });
      }
      const result = [0, 1].map((r) => ({ metric: { route: `/r${r}`, code: '2' }, value: [15, String(100 + r)] }));
      return new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }), { status: 200 });
    }) as typeof fetch;
    const parent = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [signal]);
    const history: Frame[] = [];
    for await (const f of parent.subset([signal], []).history(0, 0, 15_000)) history.push(f);
    expect(history).toHaveLength(1);
    const live = (await parent.read(15_000)).frame;
    const id = (r: number) => `api{code="2",route="/r${r}"}`;
    // Each series' identity is the one the history read made, not made again.
    for (const r of [0, 1, 2]) expect(live.series!.get(id(r)), id(r)).toBe(history[0]!.series!.get(id(r)));
    // The live tick's values alone (a tick numbered as the history's would add them up); a series
    // the live answer lacks reads as no data.
    expect(live.signals.get(id(0))!.requests).toBe(100);
    expect(live.signals.get(id(1))!.requests).toBe(101);
    expect(live.signals.get(id(2))!.requests).toBeNaN();
  });
});

describe('PrometheusSource, targets whose scrapes fail', () => {
  /**
   * A fake API: the probe answers the targets in `down` (or a 500 when 'fail'), the missed series'
   * query `missed` (or a 500), any other query `whole`.
   */
  function api(signalOf: 'split' | 'unsplit') {
    const state = {
      down: [] as { job: string; instance: string }[] | 'fail',
      left: [] as { job: string; instance: string }[] | 'fail',
      whole: [] as [Record<string, string>, number][],
      missed: [] as [Record<string, string>, number][] | 'fail',
      asked: [] as string[],
    };
    const answer = (result: unknown[]) => new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }), { status: 200 });
    const boom = () => new Response('{"status":"error","errorType":"internal","error":"boom"}', { status: 500 });
    const fetchFn = (async (_url: string, init: RequestInit) => {
      const query = new URLSearchParams(String(init.body)).get('query')!;
      state.asked.push(query);
      if (query === targetsDownQuery(60_000)) return state.down === 'fail' ? boom() : answer(state.down.map((metric) => ({ metric, value: [0, '1'] })));
      if (query === LEFT_PROBE) return state.left === 'fail' ? boom() : answer(state.left.map((metric) => ({ metric, value: [0, '1'] })));
      const vector = isMissed(query) ? state.missed : state.whole;
      if (vector === 'fail') return boom();
      return answer(vector.map(([metric, v]) => ({ metric, value: [0, String(v)] })));
    }) as typeof fetch;
    const selector = parseSelector('r{job="api"}');
    const base = { name: 'api', labels: {}, clients: [], inputs: { requests: { selector, query: 'q', missed: { selector, gate: selector, fn: 'irate', windowMs: 60_000, by: [] } } } };
    const config = (signalOf === 'split' ? { ...base, by: ['route'] } : { ...base, by: [] }) as unknown as SignalConfig;
    return { state, source: new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [config]) };
  }
  const LEFT_PROBE = targetsLeftQuery([{ selector: 'r{job="api"}', windowMs: 60_000 }]);
  const isMissed = (query: string) => query !== targetsDownQuery(60_000) && query !== LEFT_PROBE && query.includes('up == 0');

  it('asks for the missed series only while a target of theirs is down, after the probe finds it, and adds them', async () => {
    const { state, source } = api('unsplit');
    state.whole = [[{ pod: 'a' }, 50]];
    state.missed = [[{}, 150]];
    expect((await source.read(0)).frame.signals.get('api')!.requests).toBe(50);
    expect(state.asked.filter(isMissed)).toEqual([]);
    // A target of another job is down: none of the watched series can be its, nothing is asked.
    state.down = [{ job: 'batch', instance: '10.0.0.9:8080' }];
    state.asked.length = 0;
    expect((await source.read(1000)).frame.signals.get('api')!.requests).toBe(50);
    expect(state.asked.filter(isMissed)).toEqual([]);
    // One of its own: asked in the same tick, its five-minute reads narrowed to that target.
    state.down.push({ job: 'api', instance: '10.0.0.1:8080' });
    state.asked.length = 0;
    const held = await source.read(2000);
    expect(held.frame.signals.get('api')!.requests).toBe(200);
    const missed = state.asked.filter(isMissed);
    expect(missed).toHaveLength(1);
    expect(missed[0]).toContain('irate(r{job="api", job="api", instance="10.0.0.1:8080"}[300s])');
    expect(missed[0]).not.toContain('irate(r{job="api"}[300s])');
    // Said, so that an estimate is not taken for a reading.
    expect(held.held).toEqual([{ signal: 'api', input: 'requests', rate: 150 }]);
    state.missed = [];
    expect((await source.read(3000)).frame.signals.get('api')!.requests).toBe(50);
  });

  it('asks for the missed series of a target up whose series left its page, and keeps asking for five minutes', async () => {
    const { state, source } = api('unsplit');
    state.whole = [[{ pod: 'a' }, 35]];
    state.missed = [[{}, 5]];
    state.left = [{ job: 'api', instance: '10.0.0.2:8080' }];
    const read = await source.read(0);
    expect(read.frame.signals.get('api')!.requests).toBe(40);
    expect(state.asked).toContain(LEFT_PROBE);
    const missed = state.asked.filter(isMissed);
    expect(missed).toHaveLength(1);
    expect(missed[0]).toContain('irate(r{job="api", job="api", instance="10.0.0.2:8080"}[300s])');
    expect(read.held).toEqual([{ signal: 'api', input: 'requests', rate: 5 }]);
    // A series younger than five minutes is listed only in the window after it left: the target is
    // asked for until five minutes after the probe last listed it.
    state.left = [];
    for (const nowMs of [60_000, 300_000]) {
      state.asked.length = 0;
      expect((await source.read(nowMs)).frame.signals.get('api')!.requests).toBe(40);
      expect(state.asked.filter(isMissed)).toHaveLength(1);
    }
    state.asked.length = 0;
    expect((await source.read(300_001)).frame.signals.get('api')!.requests).toBe(35);
    expect(state.asked.filter(isMissed)).toEqual([]);
  });

  it('says nothing is held for an input that reads no data anyway', async () => {
    const { state, source } = api('unsplit');
    state.down = [{ job: 'api', instance: 'a' }];
    // The only target back after a restart: nothing in the window yet, its reset value over the gap held.
    state.whole = [];
    state.missed = [[{}, 0.59]];
    const read = await source.read(0);
    expect(read.frame.signals.get('api')!.requests).toBeNaN();
    expect(read.held).toBeUndefined();
  });

  it.each(['down', 'left'] as const)('asks for every watched series when the probe for targets %s fails', async (probe) => {
    const { state, source } = api('unsplit');
    state[probe] = 'fail';
    state.whole = [[{ pod: 'a' }, 50]];
    state.missed = [[{}, 10]];
    const read = await source.read(0);
    expect(read.frame.signals.get('api')!.requests).toBe(60);
    expect(state.asked.filter(isMissed).map((q) => q.includes('irate(r{job="api"}[300s])'))).toEqual([true]);
    // Said, so the loop can log it; not an error of the read (the frame is whole).
    expect(read.downProbeFailure).toMatch(/boom/);
    expect(read.errors).toEqual([]);
    state[probe] = [];
    expect((await source.read(1000)).downProbeFailure).toBeUndefined();
  });

  it('reads an input as no data when its missed series could not be asked for, never as the rest alone', async () => {
    const { state, source } = api('unsplit');
    state.down = [{ job: 'api', instance: 'a' }];
    state.whole = [[{ pod: 'a' }, 50]];
    state.missed = 'fail';
    const read = await source.read(0);
    expect(read.frame.signals.get('api')!.requests).toBeNaN();
    expect(read.errors).toHaveLength(1);
    // Prometheus answered (the input is no data by its own rule): the next read is read, not left
    // unread as after a Prometheus that answered nothing.
    state.missed = [[{}, 10]];
    const next = await source.read(1000);
    expect([next.frame.signals.get('api')!.requests, next.unjudged]).toEqual([60, undefined]);
  });

  it('adds each split series its own missed rate', async () => {
    const { state, source } = api('split');
    state.down = [{ job: 'api', instance: 'a' }];
    state.whole = [[{ route: '/a' }, 10], [{ route: '/b' }, 20]];
    state.missed = [[{ route: '/b' }, 5]];
    const read = await source.read(0);
    expect(read.frame.signals.get('api{route="/a"}')!.requests).toBe(10);
    expect(read.frame.signals.get('api{route="/b"}')!.requests).toBe(25);
    expect(read.held).toEqual([{ signal: 'api', input: 'requests', rate: 5 }]);
    state.missed = [];
    const next = await source.read(1000);
    expect(next.frame.signals.get('api{route="/b"}')!.requests).toBe(20);
    expect(next.held).toBeUndefined();
  });
});

describe('PrometheusSource, errors metrics without series', () => {
  it('asks once for every errors metric name and names the signals whose metric has no series; undefined when the query fails', async () => {
    const asked: string[] = [];
    let fail = false;
    const fetchFn = (async (_url: string, init: RequestInit) => {
      const query = new URLSearchParams(String(init.body)).get('query')!;
      asked.push(query);
      if (fail) return new Response('{"status":"error","errorType":"internal","error":"boom"}', { status: 500 });
      const metric = query.startsWith('label_replace') ? { __name__: 'http_requests_total', stormwatch_label: 'code' } : { __name__: 'http_requests_total' };
      return new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric, value: [0, '1'] }] } }), { status: 200 });
    }) as typeof fetch;
    const signal = (name: string, errors: string) => ({ name, labels: {}, clients: [], by: [], inputs: { requests: { selector: parseSelector('http_requests_total'), query: 'q' }, errors: { selector: parseSelector(errors), query: 'e' } } }) as unknown as SignalConfig;
    const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [
      signal('api', 'http_requests_total{code=~"5.."}'),
      signal('web', 'http_request_total{code=~"5.."}'),
      signal('edge', 'http_request_total{job="edge"}'),
    ]);
    expect(await source.absentErrorMetrics(0)).toEqual([
      { signal: 'web', metric: 'http_request_total', selector: 'http_request_total{code=~"5.."}' },
      { signal: 'edge', metric: 'http_request_total', selector: 'http_request_total{job="edge"}' },
    ]);
    expect(asked).toEqual([
      'group by (__name__) ({__name__=~"http_requests_total|http_request_total"})',
      labelsPresentQuery([{ metric: 'http_requests_total', label: 'code' }]),
    ]);
    fail = true;
    expect(await source.absentErrorMetrics(0)).toBeUndefined();
  });

  it('names the signals whose errors selector requires a label no series of the metric has, with one series\' labels', async () => {
    const asked: string[] = [];
    const vector = (result: { metric: Record<string, string> }[]) => new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: result.map((r) => ({ ...r, value: [0, '1'] })) } }), { status: 200 });
    const fetchFn = (async (_url: string, init: RequestInit) => {
      const query = new URLSearchParams(String(init.body)).get('query')!;
      asked.push(query);
      if (query.startsWith('group by (__name__) ({__name__=~')) return vector([{ metric: { __name__: 'http_requests_total' } }]);
      if (query.startsWith('label_replace')) return vector([{ metric: { __name__: 'http_requests_total', stormwatch_label: 'code' } }]);
      return vector([{ metric: { __name__: 'http_requests_total', code: '200', route: '/a' } }]);
    }) as typeof fetch;
    const signal = (name: string, errors: string) => ({ name, labels: {}, clients: [], by: [], inputs: { requests: { selector: parseSelector('http_requests_total'), query: 'q' }, errors: { selector: parseSelector(errors), query: 'e' } } }) as unknown as SignalConfig;
    const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [
      signal('api', 'http_requests_total{code=~"5.."}'),
      signal('web', 'http_requests_total{status=~"5..", code!~"2.."}'),
    ]);
    expect(await source.absentErrorMetrics(0)).toEqual([
      { signal: 'web', metric: 'http_requests_total', selector: 'http_requests_total{status=~"5..", code!~"2.."}', missingLabels: ['status'], labelsSeen: ['code', 'route'] },
    ]);
    // The label matchers that a missing label passes (code!~"2..") require nothing.
    expect(asked[1]).toBe(labelsPresentQuery([{ metric: 'http_requests_total', label: 'code' }, { metric: 'http_requests_total', label: 'status' }]));
    expect(asked[2]).toBe('topk(1, {__name__="http_requests_total"})');
  });
});

describe('PrometheusSource, back from no answer at all', () => {
  it('leaves the first answer after reads that got none unread, and says why; a read that got some answers is read', async () => {
    // Prometheus stalled (SIGSTOP) then caught up: its first scrapes after it are a fraction of an
    // interval apart, and irate over two of them read a counter that moves once a second as 0.
    let down = false;
    const fetchFn = (async () => {
      if (down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      return new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '42'] }] } }), { status: 200 });
    }) as typeof fetch;
    const plain = { name: 'api', labels: {}, by: [], clients: [], inputs: { requests: { selector: parseSelector('r'), query: 'q' } } } as unknown as SignalConfig;
    const source = new PrometheusSource(new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn }), [plain]);
    const requests = (r: { frame: Frame }) => r.frame.signals.get('api')!.requests;
    const first = await source.read(0);
    expect([requests(first), first.unjudged]).toEqual([42, undefined]);
    down = true;
    for (const t of [2000, 4000]) {
      const failed = await source.read(t);
      expect(failed.errors.length).toBeGreaterThan(0);
      expect(requests(failed)).toBeNaN();
    }
    down = false;
    const back = await source.read(6000);
    expect(back.errors).toEqual([]);
    expect(requests(back)).toBeNaN();
    expect(back.unjudged).toContain('the first read after Prometheus answered nothing');
    const next = await source.read(8000);
    expect([requests(next), next.unjudged]).toEqual([42, undefined]);
  });
});
