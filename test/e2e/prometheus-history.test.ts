// End to end with a real Prometheus: a history read of 40 series split by route, read in pieces.
// One Prometheus refuses queries that hold more than 3,000 samples (`--query.max-samples`), as a
// guarded production Prometheus does; the source asks again in halves and gives, frame for frame,
// what a Prometheus without the limit gives in the same pieces.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Frame } from '../../src/core/types.js';
import { PrometheusClient } from '../../src/source/prometheus-client.js';
import { PrometheusSource } from '../../src/source/prometheus-source.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';

const MIN = 60_000;
const ROUTES = 40;
const STEP = 15_000;

/** Six hours of a counter per route at one-minute samples, ending a minute ago; route r at (r + 1) requests a second. */
function history(nowMs: number): string {
  const end = Math.floor(nowMs / MIN) * MIN - MIN;
  let out = '# HELP app_requests Requests served.\n# TYPE app_requests counter\n';
  for (let r = 0; r < ROUTES; r++) {
    for (let t = end - 6 * 60 * MIN, total = 0; t <= end; t += MIN) {
      total += (r + 1) * 60;
      out += `app_requests_total{route="/r${r}"} ${total} ${t / 1000}\n`;
    }
  }
  return `${out}# EOF\n`;
}

describe('history read in pieces from a real Prometheus', () => {
  let plain: RunningPrometheus;
  let guarded: RunningPrometheus;
  let dir: string;
  let nowMs: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stormwatch-history-'));
    nowMs = Date.now();
    const file = join(dir, 'history.om');
    writeFileSync(file, history(nowMs));
    [plain, guarded] = await Promise.all([startPrometheus({ backfill: file }), startPrometheus({ backfill: file, maxSamples: 3_000 })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([plain?.stop(), guarded?.stop()]);
  });

  /** Reads five hours of the split signal from `url`; counts the answers Prometheus refused (HTTP 422). */
  async function read(url: string, maxPoints?: number): Promise<{ frames: [number, [string, number][]][]; refused: number; answers: number }> {
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(file, `interval: 15s\nsource:\n  prometheus:\n    url: ${url}\n    rateWindow: 5m\nsignals:\n  - name: api\n    by: [route]\n    requests: 'app_requests_total'\n`);
    const config = loadConfig(file);
    let refused = 0;
    let answers = 0;
    // The real fetch, counted: what Prometheus answered is not touched.
    const counted = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const response = await fetch(input, init);
      answers++;
      if (response.status === 422) refused++;
      return response;
    }) as typeof fetch;
    const source = new PrometheusSource(new PrometheusClient({ url, timeoutMs: 30_000, fetch: counted }), config.signals, [], maxPoints);
    const toMs = Math.floor(nowMs / STEP) * STEP - 10 * MIN;
    const frames: [number, [string, number][]][] = [];
    for await (const f of source.history(toMs - 5 * 60 * MIN, toMs, STEP) as AsyncIterable<Frame>) frames.push([f.timeMs, [...f.signals].map(([id, s]) => [id, s.requests])]);
    return { frames, refused, answers };
  }

  it('asks a piece Prometheus refuses for too many samples again in halves, and reads the same frames', async () => {
    const whole = await read(plain.url);
    const halved = await read(guarded.url);
    expect(whole.refused).toBe(0);
    expect(halved.refused).toBeGreaterThan(0);
    expect(halved.frames).toEqual(whole.frames);
    expect(whole.frames).toHaveLength(5 * 4 * 60 + 1);
    // Every route, at its own rate, in every frame.
    for (const [, series] of whole.frames) {
      expect(series).toHaveLength(ROUTES);
      for (const [id, requests] of series) expect(requests).toBeCloseTo(Number(/r(\d+)/.exec(id)![1]) + 1, 6);
    }
    // Small pieces (at most 100 points an answer: 2 steps of 40 series) read the same frames.
    const small = await read(plain.url, 100);
    expect(small.frames).toEqual(whole.frames);
    expect(small.answers).toBeGreaterThan(5 * 2 * 60);
  }, 60_000);
});
