// stormwatch's HTTP server: /metrics (its own telemetry), /healthz, /api/v1/alerts (firing now),
// the deploy API, and the read-only UI under /ui/.

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { type DeployApiDeps, handleDeploys } from '../deploys/deploy-api.js';
import { GATES_PREFIX, type GateApiDeps, handleGates } from '../deploys/gates/gate-api.js';
import { type UiDeps, handleUi } from '../ui/ui-routes.js';

export interface HttpServerDeps {
  registry: Registry;
  /** Healthy while ticks keep completing. */
  health: () => { ok: boolean; detail: Record<string, unknown> };
  firingAlerts: () => unknown[];
  /** The deploy API, when deploys are configured. */
  deploys?: DeployApiDeps;
  /** Deploy gates for Argo Rollouts, Flagger and HA peers, when deploys are configured. */
  gates?: GateApiDeps;
  /** The UI, when the runner keeps a history for it. */
  ui?: UiDeps;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Starts listening on `listen` ("127.0.0.1:9464", port 0 for any free port). */
export async function startHttpServer(listen: string, deps: HttpServerDeps): Promise<RunningServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (path?.startsWith('/api/v1/deploys') && deps.deploys) {
      handleDeploys(req, res, path, deps.deploys).catch((error: unknown) => {
        if (!res.headersSent) reply(500, 'application/json', `${JSON.stringify({ error: (error as Error).message })}\n`);
      });
      return;
    }
    if (path?.startsWith(GATES_PREFIX) && deps.gates) {
      handleGates(req, res, path, deps.gates).catch((error: unknown) => {
        if (!res.headersSent) reply(500, 'application/json', `${JSON.stringify({ error: (error as Error).message })}\n`);
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain', 'method not allowed\n');
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => reply(200, deps.registry.contentType, text),
        (error: unknown) => reply(500, 'text/plain', `metrics: ${(error as Error).message}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const health = deps.health();
      return reply(health.ok ? 200 : 503, 'application/json', `${JSON.stringify({ status: health.ok ? 'ok' : 'unhealthy', ...health.detail })}\n`);
    }
    if (path === '/api/v1/alerts') return reply(200, 'application/json', `${JSON.stringify({ alerts: deps.firingAlerts() })}\n`);
    if (deps.ui) {
      if (path === '/') {
        res.writeHead(302, { location: '/ui/' });
        return res.end();
      }
      if (handleUi(req, res, deps.ui)) return;
    }
    reply(404, 'text/plain', `not found: try ${deps.ui ? '/ui/, ' : ''}/metrics, /healthz, /api/v1/alerts or /api/v1/deploys\n`);
  });
  const idx = listen.lastIndexOf(':');
  const host = listen.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(idx + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
