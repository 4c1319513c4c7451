// Fault injection, deploys and the HTTP server: a deploy recorded ten minutes late cuts no newer
// window; the deploy API and a build-info marker for the same rollout are one deploy, and
// `stormwatch deploy --wait` passes it; every malformed or refused request is a 4xx, counted by
// reason and logged without its token; a burst of deploys is pruned and shares state writes; SIGTERM
// exits in bounded time with clients stalled mid-request. Real processes on loopback.

import { request } from 'node:http';
import { type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployRecord } from '../../src/deploys/types.js';
import { runCli } from '../helpers/cli.js';
import { FAST_DETECTOR, type FaultyService, type RunningStormwatch, logLines, metricValue, startFaultyService, startStormwatch, stopQuietly, tempDir, terminate, waitUntil } from '../helpers/fault-rig.js';

const TOKEN = 'DeployApiToken-e2e-1';

describe('fault injection: deploy windows and the HTTP server', () => {
  let service: FaultyService;
  let sw: RunningStormwatch | undefined;
  const api = (path: string, init: RequestInit = {}) => fetch(`${sw!.url}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  const post = (body: unknown, token = TOKEN, type = 'application/json') =>
    api('/api/v1/deploys', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const refused = (reason: string) => metricValue(sw!.url, `stormwatch_http_refused_total{reason="${reason}"}`);

  beforeAll(async () => {
    service = await startFaultyService();
    service.state.version = '1.0.0';
    const dir = tempDir('deploys');
    sw = await startStormwatch(
      dir,
      `interval: 1s
source:
  scrape:
    url: ${service.url}
server:
  listen: 127.0.0.1:0
${FAST_DETECTOR}
delivery:
  outboxDir: ${join(dir, 'state')}
deploys:
  window: 15s
  apiToken: {env: TEST_DEPLOY_TOKEN}
  maxBodyBytes: 512
  maxRecords: 20
  markers:
    - name: build
      service: crates-io
      selector: crates_build_info
      label: version
signals:
  - name: downloads
    labels: {service: crates-io}
    requests: api_requests_total
    downstream: 'static_requests_total{code="200"}'
`,
      { TEST_DEPLOY_TOKEN: TOKEN },
    );
  }, 30_000);

  afterAll(async () => {
    await stopQuietly(sw);
    await service?.close();
  });

  it('orders windows by time: a late record cuts nothing newer; API and marker are one rollout; --wait passes', async () => {
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const current = await post({ service: 'crates-io', version: '2.0.0', id: 'rollout-2' });
    expect(current.status).toBe(201);
    const startedAtMs = ((await current.json()) as DeployRecord).startedAtMs;
    // The new version shows up in build_info: the marker sees the same rollout.
    service.state.version = '2.0.0';
    // A deploy posted now that started before it, as a slow pipeline does.
    const late = await post({ service: 'crates-io', version: '1.9.0', id: 'late-1.9', startedAt: new Date(startedAtMs - 5000).toISOString() });
    expect(late.status).toBe(201);
    await waitUntil(async () => ((await (await api('/api/v1/deploys/rollout-2')).json()) as DeployRecord).sources?.includes('marker') === true, 10_000, 'the marker joining the API record');
    const res = await api('/api/v1/deploys/rollout-2');
    expect(res.status).toBe(425);
    const record = (await res.json()) as DeployRecord;
    expect(record).toMatchObject({ verdict: 'pending', windowEndsAtMs: startedAtMs + 15_000, sources: ['api', 'marker'] });
    expect(record.aliases).toHaveLength(1);
    // The marker's own id finds the same deploy.
    expect(((await (await api(`/api/v1/deploys/${record.aliases![0]}`)).json()) as DeployRecord).id).toBe('rollout-2');

    // The real CLI gates on it: same id and body, idempotent; exits 0 on pass.
    const gate = await runCli(['deploy', '--service', 'crates-io', '--version', '2.0.0', '--id', 'rollout-2', '--url', sw!.url, '--wait', '--wait-timeout', '1m'], 90_000, { STORMWATCH_DEPLOY_TOKEN: TOKEN });
    const final = JSON.parse(gate.stdout.trim().split('\n').at(-1)!) as DeployRecord;
    expect(final.verdict, gate.stdout + gate.stderr).toBe('pass');
    expect(gate.code).toBe(0);

    const lateRecord = (await (await api('/api/v1/deploys/late-1.9')).json()) as DeployRecord;
    expect(lateRecord).toMatchObject({ verdict: 'superseded', supersededBy: 'rollout-2' });
    expect(lateRecord.reasons[0]).toMatch(/^superseded by rollout-2 at /);
    const list = (await (await api('/api/v1/deploys')).json()) as { deploys: DeployRecord[] };
    expect(list.deploys.map((d) => d.id)).toEqual(['rollout-2', 'late-1.9']);
    // Nothing false paged: no DeployRegression, no incident.
    expect(sw!.proc.stdout()).not.toContain('"status":"firing"');
  }, 120_000);

  it('answers every malformed request with a 4xx, counted by reason, logged without the token', async () => {
    expect((await api('/api/v1/deploys/%E0%A4%A')).status).toBe(400);
    const long = await post({ service: 'x'.repeat(300), version: '1' });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { problems: string[] }).problems).toEqual(['service: service longer than 200 characters']);
    for (const id of ['.', '..']) expect((await post({ service: 'crates-io', version: '1', id })).status).toBe(400);
    const future = await post({ service: 'crates-io', version: '1', startedAt: '9999-01-01T00:00:00Z' });
    expect(future.status).toBe(400);
    expect(((await future.json()) as { problems: string[] }).problems[0]).toMatch(/^startedAt: 9999-01-01T00:00:00Z is more than 5 minutes ahead/);
    const reused = await post({ service: 'crates-io', version: '3.0.0', id: 'rollout-2' });
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as { problems: string[] }).problems).toEqual(['version: "3.0.0" here, "2.0.0" recorded']);
    expect((await post({}, 'WrongTokenGuess-8')).status).toBe(403);
    expect((await api('/api/v1/deploys', { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await post('{}', TOKEN, 'text/plain')).status).toBe(415);
    expect((await api('/api/v1/alerts', { method: 'DELETE' })).status).toBe(405);

    // An over-limit chunked body: the client reads the 413 instead of a connection reset.
    const chunked = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${sw!.url}/api/v1/deploys`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ > 20) return clearInterval(timer);
        req.write('x'.repeat(100));
      }, 20);
      req.on('close', () => clearInterval(timer));
    });
    expect(chunked).toBe(413);

    // A malformed request line: Node's parser refuses it, and it is counted too.
    const raw = await rawExchange(sw!.url, 'NOT A REQUEST\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);

    await waitUntil(async () => (await refused('malformed')) >= 1, 5000, 'the malformed request counted');
    expect(await refused('bad_request')).toBeGreaterThanOrEqual(5);
    for (const reason of ['conflict', 'forbidden', 'unauthorized', 'unsupported_media_type', 'too_large', 'method_not_allowed']) expect(await refused(reason), reason).toBeGreaterThanOrEqual(1);
    const stderr = sw!.proc.stderr();
    expect(logLines(stderr).lines.filter((l) => l.msg === 'http request refused').length).toBeGreaterThanOrEqual(5);
    expect(stderr).not.toContain(TOKEN);
    expect(stderr).not.toContain('WrongTokenGuess-8');
  }, 30_000);

  it('prunes a burst of deploys to the configured count and shares state writes between them', async () => {
    const writesBefore = await metricValue(sw!.url, 'stormwatch_state_writes_total');
    let slowestMs = 0;
    const one = async (i: number) => {
      const started = Date.now();
      const res = await post({ service: 'crates-io', version: `burst-${i}`, id: `burst-${i}` });
      slowestMs = Math.max(slowestMs, Date.now() - started);
      expect(res.status).toBe(201);
    };
    for (let batch = 0; batch < 6; batch++) await Promise.all(Array.from({ length: 10 }, (_, j) => one(batch * 10 + j)));
    const writes = (await metricValue(sw!.url, 'stormwatch_state_writes_total')) - writesBefore;
    expect(writes).toBeLessThan(30);
    expect(slowestMs).toBeLessThan(5000);
    await waitUntil(async () => (await metricValue(sw!.url, 'stormwatch_deploy_records')) <= 20, 10_000, 'deploy records pruned to maxRecords');
    const list = (await (await api('/api/v1/deploys')).json()) as { deploys: DeployRecord[] };
    expect(list.deploys.length).toBeLessThanOrEqual(20);
    // Newest first: one of the last batch (posted in the same millisecond, they tie).
    expect(Number(list.deploys[0]!.id.split('-')[1])).toBeGreaterThanOrEqual(50);
  }, 60_000);

  it('exits within a bounded time on SIGTERM with clients stalled mid-request', async () => {
    const u = new URL(sw!.url);
    const stalled: Socket[] = [];
    // One stalls in its headers, one in its body.
    for (const text of ['GET /metrics HTTP/1.1\r\nHost: x\r\n', `POST /api/v1/deploys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n{"service":`]) {
      const socket = connect(Number(u.port), u.hostname);
      socket.on('error', () => {});
      socket.write(text);
      stalled.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { code, ms } = await terminate(sw!);
    for (const s of stalled) s.destroy();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(8000);
    const { lines, notJson } = logLines(sw!.proc.stderr());
    expect(notJson).toEqual([]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  }, 30_000);
});

/** Sends raw bytes and returns what comes back before the server closes. */
function rawExchange(baseUrl: string, text: string): Promise<string> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let got = '';
    const socket = connect(Number(u.port), u.hostname, () => socket.write(text));
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (got += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
}
