// A service behind a deploy gate, for the consumer tests (Argo Rollouts, Flagger, CI): a fake
// "checkout" service with /metrics, a download endpoint that redirects to a file (or, "broken",
// to a host that does not resolve), steady client traffic, and a real stormwatch watching it with
// a short deploy window and a smoke probe. A good deploy passes when the window ends; a broken one
// fails at once (the probe) and on its completion ratio.

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';

export const GATE_TOKEN = 'gate-token-for-tests';

export interface GatedService {
  /** stormwatch's base URL. */
  url: string;
  /**
   * The service's state: set broken before a bad deploy. `canaryShare` (0-1) sends that share of
   * the downloads (the probe's too) to the new revision, the only one `broken` breaks; unset, every
   * download is the new revision's (a deploy that replaces the whole service). `buildVersions`: the
   * versions the service's pods run, one `checkout_build_info{version}` series each (a deploy marker's).
   */
  state: { broken: boolean; canaryShare?: number; buildVersions?: string[] };
  configFile: string;
  handle: LiveHandle;
  /** Waits until stormwatch has seen this much traffic (warm baselines). */
  warm(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startGatedService(options: { windowSeconds?: number; extraDeploys?: string; listen?: string } = {}): Promise<GatedService> {
  const state: { broken: boolean; canaryShare?: number; buildVersions?: string[]; api: number; files: number } = { broken: false, api: 0, files: 0 };
  // Which downloads the new revision serves: canaryShare of them, evenly spread (as a weighted route).
  let shareOwed = 0;
  const servedByNew = () => {
    if (state.canaryShare === undefined) return true;
    shareOwed += state.canaryShare;
    if (shareOwed < 1) return false;
    shareOwed -= 1;
    return true;
  };
  // The port as listened on: a request that arrives on a kept-alive connection while the server
  // closes finds no address to read (server.address() is null then).
  let port = 0;
  let stopped = false;
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      const builds = (state.buildVersions ?? []).map((v) => `checkout_build_info{version="${v}"} 1\n`).join('');
      return res.end(`api_requests_total ${state.api}\nstatic_requests_total ${state.files}\n${builds}`);
    }
    if (req.url === '/download') {
      state.api++;
      const broken = servedByNew() && state.broken;
      res.writeHead(302, { location: broken ? 'http://cdn.checkout.testfiles/app.tar' : `http://cdn.checkout.test:${port}/files/app.tar` });
      return res.end();
    }
    if (req.url === '/files/app.tar') {
      state.files++;
      return res.writeHead(200).end('bytes');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  // Clients: 20 downloads a second; each follows the redirect when it can.
  const clients = setInterval(() => {
    void fetch(`http://127.0.0.1:${port}/download`, { redirect: 'manual' })
      .then((r) => {
        const to = r.headers.get('location') ?? '';
        if (!stopped && to.includes(`:${port}/files/`)) return fetch(`http://127.0.0.1:${port}/files/app.tar`).then((f) => f.arrayBuffer());
        return undefined;
      })
      .catch(() => {});
  }, 50);

  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-gate-'));
  process.env.STORMWATCH_GATE_TEST_TOKEN = GATE_TOKEN;
  const configFile = join(dir, 'stormwatch.yaml');
  writeFileSync(
    configFile,
    `interval: 1s
source:
  scrape:
    url: http://127.0.0.1:${port}/metrics
server:
  listen: ${options.listen ?? '127.0.0.1:0'}
detector:
  baselineResolution: 1s
  minBaselinePoints: 3
  minRequestsPerTick: 1
deploys:
  window: ${options.windowSeconds ?? 6}s
  minPostSamples: 3
  apiToken: {env: STORMWATCH_GATE_TEST_TOKEN}
${options.extraDeploys ?? ''}
probes:
  - name: download
    service: checkout
    url: http://checkout.test:${port}/download
    interval: 1h
    timeout: 2s
    expect: {status: 200}
    resolve: {checkout.test: 127.0.0.1, cdn.checkout.test: 127.0.0.1}
    strictResolve: true
delivery:
  outboxDir: ${join(dir, 'state')}
signals:
  - name: checkout
    labels: {service: checkout}
    requests: api_requests_total
    downstream: static_requests_total
`,
  );
  const handle = await startLive(loadConfig(configFile), { logger: createLogger('error', () => {}) });
  return {
    url: handle.server!.url,
    state,
    configFile,
    handle,
    warm: (ms) => new Promise((r) => setTimeout(r, ms)),
    async stop() {
      stopped = true;
      clearInterval(clients);
      await handle.stop(1000);
      // Clients' kept-alive connections (and a redirect followed mid-close) would hold close() open.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
