// The seasonal warm-up: its step (bounded in points at any fleet size) and its read (bounded in
// time, taken up again after a failed answer from where it stopped).

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StormwatchConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { parseSelector } from '../../src/core/selector.js';
import { Pipeline } from '../../src/pipeline.js';
import { MAX_SEASONAL_POINTS, seasonalStepMs, warmProfilesFromHistory } from '../../src/runner/seasonal-warm.js';
import { PrometheusClient } from '../../src/source/prometheus-client.js';
import { PrometheusSource } from '../../src/source/prometheus-source.js';
import { replayConfig } from '../helpers/scenarios.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('the seasonal warm-up\'s step', () => {
  const day = 86_400_000;
  const minute = 60_000;
  it('is 5 minutes up to the point budget, then the finest divisor of an hour under it, an hour at most', () => {
    expect(seasonalStepMs(8 * day, 15_000, 0)).toBe(5 * minute);
    expect(seasonalStepMs(8 * day, 15_000, 10_000)).toBe(5 * minute);
    // 8 days of 20k series at 5 minutes would be 46M points.
    expect(seasonalStepMs(8 * day, 15_000, 20_000)).toBe(10 * minute);
    expect(seasonalStepMs(8 * day, 15_000, 100_000)).toBe(60 * minute);
    expect(seasonalStepMs(8 * day, 15_000, 1_000_000)).toBe(60 * minute);
    for (const series of [1, 5_000, 13_000, 30_000, 50_000, 90_000]) {
      const step = seasonalStepMs(8 * day, 15_000, series);
      expect(((8 * day) / step) * series).toBeLessThanOrEqual(MAX_SEASONAL_POINTS);
      expect(3_600_000 % step).toBe(0);
    }
  });
  it('is never finer than the interval, nor than 11,000 points a series allow', () => {
    expect(seasonalStepMs(8 * day, 7 * minute, 10)).toBe(7 * minute);
    expect(seasonalStepMs(60 * day, 15_000, 10)).toBe(Math.ceil((60 * day) / 11_000 / 1000) * 1000);
    expect(seasonalStepMs(8 * day, 2 * 3_600_000, 100_000)).toBe(2 * 3_600_000);
  });
});

describe('the seasonal warm-up\'s read', () => {
  it('takes a failed read up again from where it stopped, and learns the whole history', async () => {
    // A Prometheus whose second range query (the first piece after the one-step count) fails with a 503.
    let ranges = 0;
    const asked: number[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => answer(req.url ?? '', new URLSearchParams(req.method === 'POST' ? body : (req.url ?? '').split('?')[1] ?? ''), res));
    });
    const answer = (path: string, params: URLSearchParams, res: import('node:http').ServerResponse) => {
      res.setHeader('content-type', 'application/json');
      if (!path.includes('query_range')) {
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Number(params.get('time')), '1'] }] } }));
        return;
      }
      if (++ranges === 2) {
        res.writeHead(503);
        res.end('{"status":"error","errorType":"unavailable","error":"busy"}');
        return;
      }
      const [start, end, step] = ['start', 'end', 'step'].map((k) => Number(params.get(k)));
      asked.push(start!);
      const values: [number, string][] = [];
      // Bounded whatever was asked.
      for (let t = start!, k = 0; t <= end! && step! > 0 && k < 20_000; t += step!, k++) values.push([t, '20']);
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values }] } }));
    };
    const { config, source, lines } = await servedDay(server);
    const untilMs = Date.parse('2023-07-12T12:00:00Z');
    const read = await warmProfilesFromHistory(source, new Pipeline(config), config, untilMs, createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)), ['downloads']);
    expect(lines.map((l) => l.msg)).toEqual(['seasonal history read failed; trying again from where it stopped', 'seasonal profiles warmed from history']);
    // Said to the caller (stormwatch_seasonal_history_seconds): 289 five-minute steps read.
    expect(read).toEqual({ outcome: 'complete', seconds: 289 * 300 });
    const done = lines[1]!;
    // A day at 5-minute steps, both ends, each once: 289 frames, ending a step before the warm-up window.
    expect(done).toMatchObject({ frames: 289, retries: 1, stepMs: 300_000 });
    expect(done.toMs).toBe(untilMs - 300_000);
    // The retry started after the last frame learnt, not at the beginning.
    expect(asked[0]).toBe((untilMs - 300_000 - 86_400_000) / 1000);
    expect(asked[1]).toBe(asked[0]! + 300);
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('says a read that fails every time as failed, with what it read', async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (!(req.url ?? '').includes('query_range')) res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '1'] }] } }));
        else res.writeHead(503).end('{"status":"error","errorType":"unavailable","error":"busy"}');
      });
    });
    const { config, source, lines } = await servedDay(server);
    const read = await warmProfilesFromHistory(source, new Pipeline(config), config, Date.parse('2023-07-12T12:00:00Z'), createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)), ['downloads']);
    expect(read).toEqual({ outcome: 'failed', seconds: 0 });
    expect(lines.at(-1)!.msg).toBe('could not read seasonal history; profiles learn live instead');
  });
});

/** A day of seasonal history to read from `server` (listened on here): the config, its source and a log's lines. */
async function servedDay(on: Server): Promise<{ config: StormwatchConfig; source: PrometheusSource; lines: Record<string, unknown>[] }> {
  await new Promise<void>((resolve) => on.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(on.address() as AddressInfo).port}`;
  const { deploys: _deploys, ...base } = replayConfig('quiet-deploys');
  const config: StormwatchConfig = {
    ...base,
    intervalMs: 15_000,
    source: { kind: 'prometheus', url, timeoutMs: 2000, warmupMs: 3_600_000, seasonalHistoryMs: 86_400_000, http: { headers: {} } },
    signals: [{ name: 'downloads', labels: {}, inputs: { requests: { selector: parseSelector('x_total'), query: 'sum(rate(x_total[1m]))' } }, clients: [], by: [] }],
  };
  return { config, source: new PrometheusSource(new PrometheusClient({ url, timeoutMs: 2000 }), config.signals, []), lines: [] };
}
