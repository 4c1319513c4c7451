import { describe, expect, it } from 'vitest';
import type { SignalConfig } from '../../src/config/load.js';
import { PrometheusClient } from '../../src/source/prometheus-client.js';
import { PrometheusSource } from '../../src/source/prometheus-source.js';
import { parseSelector } from '../../src/core/selector.js';

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

describe('PrometheusSource, answers in another layout', () => {
  it('reads the same frames from an answer it scans and from one it parses as JSON (whitespace, warnings)', async () => {
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
    expect(await frames((body) => `${JSON.stringify(body).slice(0, -1)},"warnings":["w"]}`)).toEqual(scanned);
    // Series gone for hours are forgotten and a new one appears, whichever way the answer was read.
    expect([...scanned[2]!.signals.keys()]).toEqual(['api{code="2",route="/c"}']);
  });
});
