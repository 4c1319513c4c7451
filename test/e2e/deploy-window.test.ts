// The deploy watcher live: the deploy API (auth, limits, validation, verdict codes), a restart that
// keeps the open window, and a deploy that breaks the download redirect: the smoke probe fails at
// once naming the hop, the verdict fails, and the rollback hook is called once.
// Everything on loopback: the probe's names are pinned to 127.0.0.1 and nothing asks DNS.

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { postDeploy } from '../../src/deploys/deploy-client.js';
import type { DeployRecord } from '../../src/deploys/types.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

const CRATE = Buffer.from('crate bytes: smallvec-1.10.0');
const TOKEN = 'deploy-token-for-tests';

/** The crates service: metrics, a download endpoint that redirects (correctly, or with the missing "/"), and the static file. */
function startCrates() {
  const state = { broken: false, api: 0, files: 0 };
  const server: Server = createServer((req, res) => {
    const port = (server.address() as AddressInfo).port;
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(`api_requests_total ${state.api}\nstatic_requests_total ${state.files}\n`);
    }
    if (req.url?.startsWith('/api/v1/crates/')) {
      state.api++;
      // The 2023-07-20 bug: the CDN prefix joined to the path without its "/".
      const prefix = state.broken ? 'http://static.crates.test' : `http://static.crates.test:${port}/`;
      res.writeHead(302, { location: `${prefix}crates/smallvec/smallvec-1.10.0.crate` });
      return res.end();
    }
    if (req.url === '/crates/smallvec/smallvec-1.10.0.crate') {
      state.files++;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(CRATE);
    }
    res.writeHead(404).end();
  });
  return { state, server };
}

describe('deploy watcher, live', () => {
  const crates = startCrates();
  let rollbackReceiver: Receiver;
  let handle: LiveHandle | undefined;
  let dir: string;
  let configFile: string;
  const silent = createLogger('error', () => {});

  beforeAll(async () => {
    await new Promise<void>((resolve) => crates.server.listen(0, '127.0.0.1', resolve));
    rollbackReceiver = await startReceiver();
    const port = (crates.server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'stormwatch-deploys-'));
    process.env.STORMWATCH_TEST_DEPLOY_TOKEN = TOKEN;
    configFile = join(dir, 'config.yaml');
    writeFileSync(
      configFile,
      `interval: 1s
source:
  scrape:
    url: http://127.0.0.1:${port}/metrics
server:
  listen: 127.0.0.1:0
deploys:
  window: 1m
  apiToken: {env: STORMWATCH_TEST_DEPLOY_TOKEN}
  maxBodyBytes: 512
  rollback:
    - service: crates-io
      url: ${rollbackReceiver.url}/rollback
probes:
  - name: crate-download
    service: crates-io
    url: http://crates.test:${port}/api/v1/crates/smallvec/1.10.0/download
    interval: 1h
    timeout: 2s
    expect: {status: 200, bodyBytes: ${CRATE.length}, sha256: ${createHash('sha256').update(CRATE).digest('hex')}}
    resolve: {crates.test: 127.0.0.1, static.crates.test: 127.0.0.1}
    strictResolve: true
  - name: crate-download-staging
    service: crates-io
    environment: staging
    url: http://crates.test:${port}/api/v1/crates/smallvec/1.10.0/download
    interval: 1h
    timeout: 2s
    resolve: {crates.test: 127.0.0.1, static.crates.test: 127.0.0.1}
    strictResolve: true
delivery:
  outboxDir: ${join(dir, 'state')}
  backoffBase: 100ms
  backoffCap: 1s
signals:
  - name: downloads
    labels: {service: crates-io}
    requests: api_requests_total
    downstream: static_requests_total
`,
    );
    handle = await startLive(loadConfig(configFile), { logger: silent });
  }, 30_000);

  afterAll(async () => {
    await handle?.stop(2000);
    await new Promise<void>((resolve) => crates.server.close(() => resolve()));
    await rollbackReceiver?.close();
  });

  const api = (path: string, init: RequestInit = {}) => fetch(`${handle!.server!.url}${path}`, init);
  const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }) => api('/api/v1/deploys', { method: 'POST', headers, body });

  it('refuses bad deploy requests with clear errors', async () => {
    const cases: [string, Promise<Response>, number, string][] = [
      ['no token', post('{}', { 'content-type': 'application/json' }), 401, 'missing bearer token: send Authorization: Bearer <token>'],
      ['wrong token', post('{}', { authorization: 'Bearer nope', 'content-type': 'application/json' }), 403, 'invalid token'],
      ['not JSON', post('{"service":'), 400, 'body is not JSON'],
      ['oversized', post(JSON.stringify({ service: 'x', version: 'y'.repeat(1000) })), 413, 'body of 1028 bytes is larger than the limit of 512'],
      ['wrong type', post('{}', { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' }), 415, 'expected Content-Type: application/json'],
    ];
    for (const [what, response, status, error] of cases) {
      const res = await response;
      expect(res.status, what).toBe(status);
      expect(((await res.json()) as { error: string }).error, what).toContain(error);
    }
    const invalid = await post(JSON.stringify({ service: '', version: 7, startedAt: 'yesterday', extra: 1 }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({
      error: 'invalid deploy',
      problems: ['service: must not be empty', 'version: expected a string', 'startedAt: expected an RFC 3339 time like 2023-07-20T12:17:00Z', '(top level): Unrecognized key: "extra"'],
    });
    expect((await api('/api/v1/deploys/nope')).status).toBe(404);
    // Still serving.
    expect((await api('/healthz')).status).toBe(200);
  });

  it('fails a deploy that breaks the redirect: probe at once, verdict, one rollback call', async () => {
    // Let the scrape source see traffic for a while, as clients download.
    const clients = setInterval(() => void fetch(`http://127.0.0.1:${(crates.server.address() as AddressInfo).port}/api/v1/crates/smallvec/1.10.0/download`, { redirect: 'manual' }).catch(() => {}), 50);
    try {
      await new Promise((r) => setTimeout(r, 2000));
      crates.state.broken = true; // the deploy ships the bug
      const record = await postDeploy(handle!.server!.url, TOKEN, { service: 'crates-io', version: '2023.07.20', id: 'deploy-42' });
      // The answer is the record as it stands when it is on disk: the probe starts at once, and a
      // name that does not resolve can fail it within that wait, so the answer may already say so.
      expect(record).toMatchObject({ id: 'deploy-42', source: 'api' });
      expect(['pending', 'fail']).toContain(record.verdict);
      // Idempotent by id.
      expect((await postDeploy(handle!.server!.url, TOKEN, { service: 'crates-io', version: '2023.07.20', id: 'deploy-42' })).id).toBe('deploy-42');

      let verdict: DeployRecord | undefined;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const res = await api('/api/v1/deploys/deploy-42');
        verdict = (await res.json()) as DeployRecord;
        if (verdict.verdict !== 'pending') {
          expect(res.status).toBe(412);
          break;
        }
        expect(res.status).toBe(425);
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(verdict!.verdict, JSON.stringify(verdict)).toBe('fail');
      expect(verdict!.reasons).toContain('smoke probe failed: crate-download: redirect to static.crates.testcrates: name does not resolve');
      await rollbackReceiver.waitFor((all) => all.length >= 1, 10_000);
      await new Promise((r) => setTimeout(r, 2500)); // more ticks: still one call
      expect(rollbackReceiver.received).toHaveLength(1);
      expect(rollbackReceiver.received[0]!.json).toMatchObject({ service: 'crates-io', version: '2023.07.20', deploy: 'deploy-42', reason: expect.stringContaining('name does not resolve') });
      expect(rollbackReceiver.received[0]!.headers['idempotency-key']).toBe('rollback:deploy-42');
      const metrics = await (await api('/metrics')).text();
      expect(metrics).toMatch(/stormwatch_probes_total\{probe="crate-download",outcome="failed"\} 1/);
      // The staging probe ran at the start, before the breakage, and not for a production deploy.
      expect(metrics).toMatch(/stormwatch_probes_total\{probe="crate-download-staging",outcome="ok"\} 1/);
      expect(metrics).not.toMatch(/probe="crate-download-staging",outcome="failed"/);
      expect(verdict!.reasons.join('\n')).not.toContain('crate-download-staging');
    } finally {
      clearInterval(clients);
    }
  }, 30_000);

  it('keeps deploys across a restart', async () => {
    await handle!.stop(2000);
    handle = await startLive(loadConfig(configFile), { logger: silent });
    const res = await api('/api/v1/deploys/deploy-42');
    expect(res.status).toBe(412);
    expect(((await res.json()) as DeployRecord).rollbackRequestedAtMs).toBeGreaterThan(0);
    const list = (await (await api('/api/v1/deploys')).json()) as { deploys: DeployRecord[] };
    expect(list.deploys.map((d) => d.id)).toEqual(['deploy-42']);
  }, 20_000);
});
