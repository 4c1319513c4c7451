// The live loop under failure: Prometheus down, slow, or answering errors. The loop must go on,
// say so in its own metrics, and never throw. And when it ticks: at a start it takes the offset that
// reads the targets' newest scrapes soonest, even where ticking on the epoch's multiples would be
// only a little later (the gain a later realignment needs is there so that running ticks do not hop).

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type StormwatchConfig, loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';
import { STATE_FILE_NAME } from '../../src/runner/state-file.js';
import { parseSelector } from '../../src/core/selector.js';
import { replayConfig } from '../helpers/scenarios.js';
import { freePort } from '../helpers/ports.js';
import { LARGE_FLEET_SERIES } from '../../src/core/young-generation.js';

let handle: LiveHandle | undefined;
let server: Server | undefined;
afterEach(async () => {
  await handle?.stop(1000);
  handle = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function prometheusConfig(url: string): StormwatchConfig {
  const { deploys: _deploys, ...base } = replayConfig('quiet-deploys');
  return {
    ...base,
    delivery: { ...base.delivery, outboxDir: mkdtempSync(join(tmpdir(), 'stormwatch-live-')) },
    // Hourly cron: only the test's own tick() calls run.
    intervalMs: 3_600_000,
    cron: '0 0 */1 * * *',
    listen: '127.0.0.1:0',
    source: { kind: 'prometheus', url, timeoutMs: 300, warmupMs: 60_000, http: { headers: {} } },
    signals: [{ name: 'downloads', labels: {}, inputs: { requests: { selector: parseSelector('x_total'), query: 'sum(irate(x_total[1m]))' } }, clients: [], by: [] }],
  };
}

async function metricValue(h: LiveHandle, name: string, labels: string): Promise<number> {
  const text = await h.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : 0;
}

function logCollector() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) };
}

describe('live loop', () => {
  it('goes on when Prometheus is down, counting connection errors and logging once per change', async () => {
    const { lines, logger } = logCollector();
    handle = await startLive(prometheusConfig(`http://127.0.0.1:${await freePort()}`), { logger });
    for (let i = 0; i < 3; i++) await handle.tick();
    expect(await metricValue(handle, 'stormwatch_source_errors_total', 'reason="connection"')).toBe(3);
    expect(await metricValue(handle, 'stormwatch_ticks_total', 'outcome="degraded"')).toBe(3);
    expect(lines.filter((l) => l.msg === 'source read failed; the loop goes on')).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'could not warm baselines from history; learning live instead')).toBe(true);
  });

  it('logs a failure whose message changes each read only in what it counts once a minute, not once a tick', async () => {
    let k = 0;
    server = createServer((_, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(`{"status":"error","errorType":"bad_data","error":"parse error at char ${k++}"}`));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    let clock = Date.parse('2026-12-04T12:00:00Z');
    const { lines, logger } = logCollector();
    handle = await startLive(prometheusConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), { logger, now: () => clock });
    const logged = () => lines.filter((l) => l.msg === 'source read failed; the loop goes on').length;
    for (let i = 0; i < 4; i++) {
      clock += 15_000;
      await handle.tick();
    }
    expect(logged()).toBe(1);
    clock += 60_000;
    await handle.tick();
    expect(logged()).toBe(2);
  });

  it('skips, and counts, a tick at or before the last one read (the wall clock stepped back): those instants are judged already', async () => {
    let queries = 0;
    server = createServer((_, res) => {
      queries++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"12"]}]}}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    let clock = Date.parse('2026-12-04T12:00:00Z');
    handle = await startLive(prometheusConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), { logger: logCollector().logger, now: () => clock });
    await handle.tick();
    const asked = queries;
    const skipped = await metricValue(handle, 'stormwatch_ticks_skipped_total', '');
    clock -= 120_000;
    await handle.tick();
    expect(queries).toBe(asked);
    expect(await metricValue(handle, 'stormwatch_ticks_skipped_total', '')).toBe(skipped + 1);
    clock += 240_000;
    await handle.tick();
    expect(queries).toBeGreaterThan(asked);
  });

  it('names the source when its read recovers, as its failure did', async () => {
    let failing = true;
    server = createServer((_, res) => {
      if (failing) res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"unavailable","error":"starting up"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[]}}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { lines, logger } = logCollector();
    handle = await startLive(prometheusConfig(url), { logger });
    await handle.tick();
    failing = false;
    await handle.tick();
    expect(lines.find((l) => l.msg === 'source read recovered')).toMatchObject({ source: `prometheus ${url}` });
  });

  it.each([
    ['slow', { delayMs: 1000, status: 200, body: '{}' }, 'timeout'],
    ['answering 503', { delayMs: 0, status: 503, body: '{"status":"error","errorType":"unavailable","error":"starting up"}' }, 'http_status'],
    ['answering garbage', { delayMs: 0, status: 200, body: '<html>proxy error</html>' }, 'bad_response'],
    ['rejecting the query', { delayMs: 0, status: 400, body: '{"status":"error","errorType":"bad_data","error":"parse error"}' }, 'query_error'],
  ])('counts a Prometheus %s by reason', async (_, answer, reason) => {
    server = createServer((_, res) => {
      setTimeout(() => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body), answer.delayMs);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    handle = await startLive(prometheusConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), { logger: logCollector().logger });
    await handle.tick();
    expect(await metricValue(handle, 'stormwatch_source_errors_total', `reason="${reason}"`)).toBe(1);
  });

  it('skips a tick that would overlap a running one, and counts it', async () => {
    server = createServer((_, res) => {
      setTimeout(() => res.writeHead(200).end('{"status":"success","data":{"resultType":"vector","result":[]}}'), 200);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    handle = await startLive({ ...prometheusConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), source: { kind: 'prometheus', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 2000, warmupMs: 0, http: { headers: {} } } }, { logger: logCollector().logger });
    await Promise.all([handle.tick(), handle.tick()]);
    expect(await metricValue(handle, 'stormwatch_ticks_skipped_total', '')).toBe(1);
    expect(await metricValue(handle, 'stormwatch_ticks_total', 'outcome="ok"')).toBe(1);
  });

  it('abandons a source read in flight at stop: a Prometheus that never answers does not hold the stop for its timeout', async () => {
    let abandoned = 0;
    let hang = false;
    const asked: (() => void)[] = [];
    // Answers (nothing) until told to hang; then takes each query and never answers.
    server = createServer((req, res) => {
      if (!hang) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[]}}');
      req.on('close', () => abandoned++);
      for (const f of asked.splice(0)) f();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { lines, logger } = logCollector();
    const h = await startLive({ ...prometheusConfig(url), source: { kind: 'prometheus', url, timeoutMs: 120_000, warmupMs: 0, http: { headers: {} } } }, { logger });
    handle = undefined;
    hang = true;
    const tick = h.tick();
    await new Promise<void>((resolve) => asked.push(resolve));
    // Stopped within the test's own timeout, far under the read's two minutes.
    await h.stop(1000);
    await tick;
    expect(abandoned).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).toContain('not waited for: stormwatch is stopping');
  });

  it('saves its state at shutdown and waits until it is in place, timing the save on the event loop and until in place', async () => {
    const config = prometheusConfig(`http://127.0.0.1:${await freePort()}`);
    const h = await startLive(config, { logger: logCollector().logger });
    handle = undefined;
    await h.tick();
    await h.stop(1000);
    expect(existsSync(join(config.delivery.outboxDir, STATE_FILE_NAME))).toBe(true);
    expect(existsSync(join(config.delivery.outboxDir, `${STATE_FILE_NAME}.tmp`))).toBe(false);
    expect(await metricValue(h, 'stormwatch_state_save_seconds_count', 'part="event_loop"')).toBeGreaterThanOrEqual(1);
    expect(await metricValue(h, 'stormwatch_state_save_seconds_count', 'part="in_place"')).toBe(await metricValue(h, 'stormwatch_state_save_seconds_count', 'part="event_loop"'));
    expect(await metricValue(h, 'stormwatch_state_writes_total', '')).toBe(await metricValue(h, 'stormwatch_state_save_seconds_count', 'part="in_place"'));
  });

  it('saves its state once every delivery.stateSaveInterval while nothing changes, not at every tick', async () => {
    const writesAfterTicks = async (stateSaveIntervalMs: number): Promise<number> => {
      const config = prometheusConfig(`http://127.0.0.1:${await freePort()}`);
      const h = await startLive({ ...config, delivery: { ...config.delivery, stateSaveIntervalMs } }, { logger: logCollector().logger });
      handle = h;
      const writes = () => metricValue(h, 'stormwatch_state_writes_total', '');
      // A save asked for is written within 250 ms (the saver's least spacing): wait for the one
      // expected, or that long for one not expected.
      const settled = async (expected: number) => {
        for (let i = 0; i < 100 && (await writes()) < expected; i++) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 300));
      };
      // The first tick saves (nothing was saved yet); each later one 1.2 s after the one before.
      await h.tick();
      await settled(1);
      for (let i = 0; i < 2; i++) {
        await new Promise((r) => setTimeout(r, 1200));
        await h.tick();
        await settled(stateSaveIntervalMs <= 1000 ? i + 2 : 1);
      }
      return writes();
    };
    // Every second: each of the three ticks saved. Every hour: only the first.
    expect(await writesAfterTicks(1000)).toBe(3);
    await handle?.stop(1000);
    expect(await writesAfterTicks(3_600_000)).toBe(1);
  });

  it("drops a signal's gauges when a reload removes it: its last rate is not exported as if still read", async () => {
    // Every signal at 12/s; no target down (the probe and the missed series' queries find nothing).
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const query = new URLSearchParams(body).get('query') ?? '';
        const result = query.startsWith('count by (job, instance)') || query.includes('stormwatch_part') ? [] : [{ metric: {}, value: [0, '12'] }];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-live-'));
    const file = join(dir, 'stormwatch.yaml');
    const text = (signals: string[]) => `interval: 1h\nsource:\n  prometheus:\n    url: http://127.0.0.1:${(server!.address() as AddressInfo).port}\n    warmup: 0s\n    seasonalHistory: 0s\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n${signals.map((n) => `  - name: ${n}\n    requests: '${n}_total'\n`).join('')}`;
    writeFileSync(file, text(['kept', 'gone']));
    handle = await startLive(loadConfig(file), { logger: logCollector().logger, loadConfig: () => loadConfig(file) });
    await handle.tick();
    expect(await metricValue(handle, 'stormwatch_signal_value', 'signal="gone",input="requests"')).toBe(12);
    writeFileSync(file, text(['kept']));
    const reloaded = await handle.reload();
    expect(reloaded, JSON.stringify(reloaded)).toMatchObject({ ok: true });
    expect((await handle.metrics.registry.metrics()).split('\n').filter((l) => l.includes('signal="gone"'))).toEqual([]);
    await handle.tick();
    expect(await metricValue(handle, 'stormwatch_signal_value', 'signal="kept",input="requests"')).toBe(12);
  });

  it('says once when the query for targets whose scrapes fail fails, reads on, and says when it answers again', async () => {
    let probeFails = true;
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const query = new URLSearchParams(body).get('query') ?? '';
        if (query.startsWith('count by (job, instance)') && probeFails) {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"error","errorType":"unavailable","error":"too many queries"}');
          return;
        }
        const result = query.startsWith('count by (job, instance)') || query.includes('stormwatch_part') ? [] : [{ metric: {}, value: [0, '12'] }];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-live-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(file, `interval: 1h\nsource:\n  prometheus:\n    url: http://127.0.0.1:${(server!.address() as AddressInfo).port}\n    warmup: 0s\n    seasonalHistory: 0s\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: api\n    requests: 'api_total'\n`);
    const { lines, logger } = logCollector();
    handle = await startLive(loadConfig(file), { logger });
    const said = (msg: RegExp) => lines.filter((l) => msg.test(String(l.msg)));
    await handle.tick();
    await handle.tick();
    expect(said(/targets whose scrapes fail, or whose series left their page, failed/)).toHaveLength(1);
    expect(String(said(/targets whose scrapes fail, or whose series left their page, failed/)[0]!.error)).toContain('too many queries');
    // The read itself is whole: the signal reads its rate, and no read failure is logged.
    expect(await metricValue(handle, 'stormwatch_signal_value', 'signal="api",input="requests"')).toBe(12);
    expect(said(/source read failed/)).toEqual([]);
    probeFails = false;
    await handle.tick();
    await handle.tick();
    expect(said(/targets whose scrapes fail, or whose series left their page, answers again/)).toHaveLength(1);
  });

  it('reads a Prometheus that takes OAuth2 access tokens, and its log never holds the client secret or a token', async () => {
    let issued = 0;
    const idp = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const ok = req.headers.authorization === `Basic ${Buffer.from('stormwatch:CLIENT-secret-4711').toString('base64')}`;
        if (!ok) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `ACCESS-token-${++issued}`, expires_in: 3600 }));
      });
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        if (req.headers.authorization !== 'Bearer ACCESS-token-1') return void res.writeHead(401).end(`token ${req.headers.authorization} refused`);
        const query = new URLSearchParams(body).get('query') ?? '';
        const result = query.startsWith('count by (job, instance)') || query.includes('stormwatch_part') ? [] : [{ metric: {}, value: [0, '12'] }];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'stormwatch-live-'));
      const file = join(dir, 'stormwatch.yaml');
      const config = (secret: string) =>
        `interval: 1h\nsource:\n  prometheus:\n    url: http://127.0.0.1:${(server!.address() as AddressInfo).port}\n    warmup: 0s\n    seasonalHistory: 0s\n` +
        `    oauth2:\n      clientId: stormwatch\n      clientSecret: ${secret}\n      tokenUrl: http://127.0.0.1:${(idp.address() as AddressInfo).port}/token\n` +
        `delivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: api\n    requests: 'api_total'\n`;
      writeFileSync(file, config('CLIENT-secret-4711'));
      const { lines, logger } = logCollector();
      handle = await startLive(loadConfig(file), { logger, loadConfig: () => loadConfig(file) });
      await handle.tick();
      expect(await metricValue(handle, 'stormwatch_signal_value', 'signal="api",input="requests"')).toBe(12);
      expect(issued).toBe(1);
      // A wrong secret: the token URL's refusal is said, not the secret.
      writeFileSync(file, config('WRONG-secret-0815'));
      expect(await handle.reload()).toMatchObject({ ok: true });
      await handle.tick();
      const failed = lines.find((l) => l.msg === 'source read failed; the loop goes on');
      expect(JSON.stringify(failed)).toContain('OAuth2 token from');
      expect(JSON.stringify(failed)).toContain('invalid_client');
      const all = JSON.stringify(lines);
      for (const secret of ['CLIENT-secret-4711', 'WRONG-secret-0815', 'ACCESS-token-1']) expect(all).not.toContain(secret);
    } finally {
      await new Promise<void>((resolve) => idp.close(() => resolve()));
    }
  });

  it('refuses a second start on the state directory of a running one, and lets it go when stopped', async () => {
    const config = prometheusConfig(`http://127.0.0.1:${await freePort()}`);
    handle = await startLive(config, { logger: logCollector().logger });
    await expect(startLive({ ...config, listen: '127.0.0.1:0' }, { logger: logCollector().logger })).rejects.toThrow(`state directory ${config.delivery.outboxDir} (delivery.outboxDir) is in use by process ${process.pid}`);
    await handle.stop(1000);
    handle = await startLive(config, { logger: logCollector().logger });
  });

  it('serves /healthz and /metrics on its own HTTP server', async () => {
    handle = await startLive(prometheusConfig(`http://127.0.0.1:${await freePort()}`), { logger: logCollector().logger });
    const health = await fetch(`${handle.server!.url}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${handle.server!.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE stormwatch_ticks_total counter');
    expect((await fetch(`${handle.server!.url}/nope`)).status).toBe(404);
  });

  it('says once when a signal has read no data for a minute, lists it in /readyz and its metric, and says when data is back', async () => {
    let value: string | undefined;
    server = createServer((_, res) => {
      const result = value === undefined ? [] : [{ metric: {}, value: [0, value] }];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    let clock = Date.parse('2026-12-04T12:00:00Z');
    const { lines, logger } = logCollector();
    // Hourly ticks (a notice after four of them, as after a minute of 15 s ticks); the hourly cron
    // leaves the ticking to the test (a 15 s one ticked too, and a tick of the test's was skipped).
    handle = await startLive(prometheusConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), { logger, now: () => clock });
    const said = (msg: string) => lines.filter((l) => l.msg === msg);
    const ready = async () => (await (await fetch(`${handle!.server!.url}/readyz`)).json()) as { status: string; signalsWithoutData?: unknown[] };
    for (let i = 0; i < 4; i++) {
      await handle.tick();
      clock += 3_600_000;
    }
    expect(said('signal reads no data: nothing is judged on it')).toHaveLength(0);
    expect((await ready()).signalsWithoutData).toBeUndefined();
    await handle.tick();
    await handle.tick();
    expect(said('signal reads no data: nothing is judged on it')).toEqual([expect.objectContaining({ signal: 'downloads', input: 'requests', since: '2026-12-04T12:00:00.000Z', reads: 'x_total' })]);
    // Informative: stormwatch itself is ready; the signal is named.
    expect(await ready()).toMatchObject({ status: 'ready', signalsWithoutData: [{ signal: 'downloads', input: 'requests', since: '2026-12-04T12:00:00.000Z' }] });
    expect(await metricValue(handle, 'stormwatch_signal_no_data', 'signal="downloads",input="requests"')).toBe(1);
    value = '12';
    clock += 3_600_000;
    await handle.tick();
    expect(said('signal reads data again')).toHaveLength(1);
    expect((await ready()).signalsWithoutData).toBeUndefined();
    expect(await metricValue(handle, 'stormwatch_signal_no_data', 'signal="downloads",input="requests"')).toBe(0);
  });

  it("says when an errors selector's metric has no series (errors would read 0 for ever), and when it has", async () => {
    // The errors selector's metric is misspelt: http_request_total.
    const { page, said, ready, tick } = await scrapedLoop('http_requests_total{code="200"} 1\n', 'http_request_total{code=~"5.."}');
    await tick(0);
    expect(said(/errors selector's metric/)).toEqual([]);
    // A minute on (asked again that soon while a signal could not be judged), the requests read.
    await tick(60_000);
    expect(said(/errors selector's metric has no series/)).toEqual([expect.objectContaining({ level: 'warn', signal: 'api', metric: 'http_request_total' })]);
    expect((await ready()).errorsMetricsAbsent).toEqual([{ signal: 'api', metric: 'http_request_total', selector: 'http_request_total{code=~"5.."}' }]);
    // Said once, not every tick.
    await tick(60_000);
    expect(said(/errors selector's metric has no series/)).toHaveLength(1);
    // The metric appears (its first error, say): said at the next check.
    page.text += 'http_request_total{code="200"} 1\n';
    await tick(10 * 60_000);
    expect(said(/errors selector's metric has series now/)).toHaveLength(1);
    expect((await ready()).errorsMetricsAbsent).toBeUndefined();
  });
});

describe('live loop: a misspelt errors label', () => {
  it('says when no series of the errors metric has a label its selector requires, naming the labels they have', async () => {
    // The label is "code"; the errors selector says "status".
    const { page, said, ready, tick } = await scrapedLoop('http_requests_total{code="200",route="/a"} 1\n', 'http_requests_total{status=~"5.."}');
    await tick(0);
    await tick(60_000);
    expect(said(/requires a label no series of its metric has/)).toEqual([
      expect.objectContaining({ level: 'warn', signal: 'api', metric: 'http_requests_total', missingLabels: ['status'], labelsSeen: ['code', 'route'] }),
    ]);
    expect((await ready()).errorsMetricsAbsent).toEqual([expect.objectContaining({ signal: 'api', missingLabels: ['status'] })]);
    page.text += 'http_requests_total{status="503",route="/a"} 1\n';
    await tick(10 * 60_000);
    expect(said(/has series now, with the labels it requires/)).toHaveLength(1);
  });
});

/**
 * A live loop scraping a page (`page.text`, changed as the test goes) for one signal `api` whose
 * requests are http_requests_total and errors `errors`, on a clock the test moves (`tick`).
 */
async function scrapedLoop(text: string, errors: string) {
  const page = { text };
  server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(page.text));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-live-absent-'));
  const file = join(dir, 'stormwatch.yaml');
  writeFileSync(file, `interval: 1h\nsource:\n  scrape:\n    url: http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics\nserver:\n  listen: 127.0.0.1:0\ndelivery:\n  outboxDir: ${dir}\nsignals:\n  - name: api\n    requests: http_requests_total\n    errors: '${errors}'\n`);
  let clock = Date.parse('2026-12-04T12:00:00Z');
  const { lines, logger } = logCollector();
  handle = await startLive(loadConfig(file), { logger, now: () => clock });
  return {
    page,
    said: (msg: RegExp) => lines.filter((l) => msg.test(String(l.msg))),
    ready: async () => (await (await fetch(`${handle!.server!.url}/readyz`)).json()) as { errorsMetricsAbsent?: unknown[] },
    tick: async (advanceMs: number) => {
      clock += advanceMs;
      await handle!.tick();
      await new Promise((r) => setTimeout(r, 10));
    },
  };
}

/** A small fake Prometheus whose one target was last scraped at `phaseMs` into the 5 s interval, each scrape taking `durationS`: the two questions the offset is learnt from answered, every other query empty. */
/**
 * A fake Prometheus whose one target is scraped every `periodMs` at `phaseMs` past each multiple,
 * taking `durationS`; other queries are answered empty, after `answerMs`.
 */
async function scrapedPrometheus(phaseMs: number, durationS: number, periodMs = 5000, answerMs = 0): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const params = new URLSearchParams(req.method === 'POST' ? body : (req.url ?? '').split('?')[1] ?? '');
      const query = params.get('query') ?? '';
      const timeS = Number(params.get('time') ?? Date.now() / 1000);
      const lastScrapeS = (Math.floor((timeS * 1000 - phaseMs) / periodMs) * periodMs + phaseMs) / 1000;
      const value = query.includes('timestamp(') ? lastScrapeS : query.includes('scrape_duration_seconds') ? durationS : undefined;
      const result = value === undefined ? [] : [{ metric: { job: 'app', instance: '10.0.0.1:8080' }, value: [timeS, String(value)] }];
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: req.url?.includes('query_range') ? 'matrix' : 'vector', result: req.url?.includes('query_range') ? [] : result } }));
      }, value === undefined ? answerMs : 0);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a start that reads history', () => {
  it('serves while it reads: live, not ready, no reload, and then runs', async () => {
    // A Prometheus slow to answer range queries (2 s each): the warm-up outlasts what a kubelet waits.
    let ranges = 0;
    server = createServer((req, res) => {
      const range = req.url?.includes('query_range') === true;
      if (range) ranges++;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: range ? 'matrix' : 'vector', result: [] } }));
      }, range ? 2000 : 0);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { lines, logger } = logCollector();
    const config = { ...prometheusConfig(url), source: { kind: 'prometheus' as const, url, timeoutMs: 5000, warmupMs: 60_000, http: { headers: {} } } };
    const starting = startLive(config, { logger, loadConfig: () => config });
    let listening: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !(listening && ranges > 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      listening = lines.find((l) => l.msg === 'http server listening');
    }
    expect(listening, JSON.stringify(lines)).toBeDefined();
    expect(ranges).toBe(1);
    const base = String(listening!.url);
    const livez = await fetch(`${base}/livez`);
    expect(livez.status).toBe(200);
    const readyz = await fetch(`${base}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.text()).toContain('reading history before the first tick');
    const reload = await fetch(`${base}/-/reload`, { method: 'POST' });
    expect(reload.status).not.toBe(200);
    expect(lines.some((l) => l.msg === 'stormwatch running')).toBe(false);
    handle = await starting;
    expect(lines.some((l) => l.msg === 'stormwatch running')).toBe(true);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
  });
});

describe('tick offset at a start', () => {
  it('takes the best offset even when ticking at 0 would read the scrape only a little later', async () => {
    // Readable 0.25 s plus twice 5.6 ms after the scrape at 4.458 s: at 4.8 s the data is 0.34 s old,
    // at 0 (the next multiple) 0.54 s: a gain of 0.2 s, under the 0.5 s a realignment asks.
    const url = await scrapedPrometheus(4458, 0.0056);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-offset-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `interval: 5s\nsource:\n  prometheus:\n    url: ${url}\n    warmup: 0s\n    seasonalHistory: 0s\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: downloads\n    requests: 'api_requests_total{route="download"}'\n`);
    const lines: Record<string, unknown>[] = [];
    handle = await startLive(loadConfig(file), { logger: createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) });
    const running = lines.find((l) => l.msg === 'stormwatch running');
    expect(running?.tickOffsetSeconds, JSON.stringify(lines)).toBe(4.8);
    // A source on loopback: `compression: auto` asked for its answers uncompressed, and says so.
    expect(running).toMatchObject({ source: 'prometheus', compression: 'none' });
    expect(lines.find((l) => l.msg === "ticks aligned to the targets' scrapes")).toMatchObject({ offsetSeconds: 4.8, targets: 1 });
  });

  it('runs every 1 s tick at a sub-second offset, the wait for it outside cron\'s overlap guard', async () => {
    // Scraped at 0.6 s past each second: ticks at 0.9 s, each reading for 0.3 s. Waiting the 0.9 s
    // inside the cron task, the wait and the tick outlasted the second and every other tick was skipped.
    const url = await scrapedPrometheus(600, 0.0056, 1000, 300);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-offset-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `interval: 1s\nsource:\n  prometheus:\n    url: ${url}\n    warmup: 0s\n    seasonalHistory: 0s\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: downloads\n    requests: 'api_requests_total{route="download"}'\n`);
    const lines: Record<string, unknown>[] = [];
    handle = await startLive(loadConfig(file), { logger: createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) });
    const offset = Number(lines.find((l) => l.msg === 'stormwatch running')?.tickOffsetSeconds);
    expect(offset, JSON.stringify(lines)).toBeGreaterThan(0.7);
    expect(offset).toBeLessThan(1);
    // Judged on ticks run against ticks skipped, not on a count in a time: a busy machine runs
    // fewer ticks in 6 s (4 of 6 in one CI run), while the guard skipped every other one.
    const ran = async () => (await metricValue(handle!, 'stormwatch_ticks_total', 'outcome="ok"')) + (await metricValue(handle!, 'stormwatch_ticks_total', 'outcome="degraded"'));
    const until = Date.now() + 20_000;
    while ((await ran()) < 8 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
    const runCount = await ran();
    expect(runCount).toBeGreaterThanOrEqual(8);
    // None skipped but on a machine too busy to run a tick in its second (a missed second counts).
    expect(await metricValue(handle, 'stormwatch_ticks_skipped_total', '')).toBeLessThanOrEqual(runCount / 4);
  }, 40_000);

  it('says ticks skipped behind a slow source once, with the interval and the source\'s timeout, not once a tick', async () => {
    // Every query answers after 1.5 s: each 1 s tick outlasts its interval.
    const url = await scrapedPrometheus(600, 0.0056, 1000, 1500);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-offset-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `interval: 1s\nsource:\n  prometheus:\n    url: ${url}\n    warmup: 0s\n    seasonalHistory: 0s\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: downloads\n    requests: 'api_requests_total{route="download"}'\n`);
    const lines: Record<string, unknown>[] = [];
    handle = await startLive(loadConfig(file), { logger: createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) });
    const until = Date.now() + 15_000;
    while ((await metricValue(handle, 'stormwatch_ticks_skipped_total', '')) < 3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await metricValue(handle, 'stormwatch_ticks_skipped_total', '')).toBeGreaterThanOrEqual(3);
    expect(lines.filter((l) => l.msg === 'scheduler')).toEqual([]);
    const said = lines.filter((l) => String(l.msg).startsWith('a tick outlasted the interval'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 'warn', intervalSeconds: 1, sourceTimeoutSeconds: expect.any(Number) });
  }, 40_000);
});

describe("live loop: Node's young generation for a large scrape fleet", () => {
  it('names the semi-space size once when a scrape source watches a large fleet and Node was started without one, not when it was', async () => {
    const routes = (n: number) => Array.from({ length: n }, (_, i) => `http_requests_total{route="/r${i}"} ${i}\n`).join('');
    const page = { text: routes(LARGE_FLEET_SERIES) };
    server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(page.text));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const start = async (execArgv: string[]) => {
      const dir = mkdtempSync(join(tmpdir(), 'stormwatch-live-fleet-'));
      const file = join(dir, 'stormwatch.yaml');
      writeFileSync(file, `interval: 1h\nsource:\n  scrape:\n    url: http://127.0.0.1:${(server!.address() as AddressInfo).port}/metrics\nserver:\n  listen: 127.0.0.1:0\ndelivery:\n  outboxDir: ${dir}\nsignals:\n  - name: api\n    by: [route]\n    requests: http_requests_total\n`);
      const { lines, logger } = logCollector();
      // What the process was started with is read once, at the start.
      const [argv, options] = [process.execArgv, process.env.NODE_OPTIONS];
      process.execArgv = execArgv;
      delete process.env.NODE_OPTIONS;
      try {
        handle = await startLive(loadConfig(file), { logger });
      } finally {
        process.execArgv = argv;
        if (options === undefined) delete process.env.NODE_OPTIONS;
        else process.env.NODE_OPTIONS = options;
      }
      return (msg: RegExp) => lines.filter((l) => msg.test(String(l.msg)));
    };
    // (A fleet one smaller is told nothing: the unit tests of youngGenerationHint.)
    let said = await start([]);
    await handle!.tick();
    await handle!.tick();
    expect(said(/young generation/)).toEqual([expect.objectContaining({ level: 'warn', series: LARGE_FLEET_SERIES, nodeOptions: '--max-semi-space-size=64' })]);
    await handle!.stop(1000);
    said = await start(['--max-semi-space-size=32']);
    await handle!.tick();
    expect(said(/young generation/)).toEqual([]);
  }, 60_000);
});
