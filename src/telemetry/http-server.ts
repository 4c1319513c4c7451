// stormwatch's HTTP server: /metrics (its own telemetry), /livez and /readyz (for a kubelet),
// /healthz, /api/v1/alerts (firing now), the deploy API and the read-only UI under /ui/ (the UI,
// /metrics and the alerts behind basic auth when server.basicAuth is set). Hygiene:
// header, body and idle timeouts, so a stalled client can hold neither a socket nor a shutdown; a
// malformed request is a 4xx, never a 500; every refused request is counted by reason (a closed set)
// and logged without its headers.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { type DeployApiDeps, handleDeploys, tokenMatches } from '../deploys/deploy-api.js';
import { GATES_PREFIX, type GateApiDeps, handleGates } from '../deploys/gates/gate-api.js';
import { type UiDeps, handleUi } from '../ui/ui-routes.js';
import { SILENCES_PATH, type SilenceApiDeps, handleSilences } from './silence-api.js';
import { listenHostPort } from '../core/listen-address.js';

/** Why a request was refused. Doubles as the `reason` label of stormwatch_http_refused_total. */
export type RefusalReason = 'unauthorized' | 'forbidden' | 'too_large' | 'unsupported_media_type' | 'bad_request' | 'conflict' | 'method_not_allowed' | 'not_found' | 'timeout' | 'malformed';
export const REFUSAL_REASONS: readonly RefusalReason[] = ['unauthorized', 'forbidden', 'too_large', 'unsupported_media_type', 'bad_request', 'conflict', 'method_not_allowed', 'not_found', 'timeout', 'malformed'];

/**
 * A deploy's verdict (and a Flagger gate) answers 425 while pending and 412 once failed: answers to
 * a poll, not refused requests (a 35-minute `deploy --wait` counted hundreds of "bad requests").
 */
const VERDICT_ANSWERS: ReadonlySet<number> = new Set([412, 425]);
const REASON_OF_STATUS: Record<number, RefusalReason> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 408: 'timeout', 409: 'conflict', 413: 'too_large', 415: 'unsupported_media_type' };

export interface Refusal {
  reason: RefusalReason;
  status: number;
  method: string;
  /** The path only: a query string may carry anything. */
  path: string;
  remote: string;
}

export interface ProbeReport {
  ok: boolean;
  detail: Record<string, unknown>;
}

export interface HttpServerDeps {
  registry: Registry;
  /** Healthy while ticks keep completing (the documented /healthz). */
  health: () => ProbeReport;
  /** The process and its loop are alive (a kubelet restarts it when not). */
  live?: () => ProbeReport;
  /** Worth sending traffic to: the source reads, a recent good tick, the outbox writable. */
  ready?: () => ProbeReport;
  firingAlerts: () => unknown[];
  /** The deploy API, when deploys are configured. */
  deploys?: DeployApiDeps;
  /** Deploy gates for Argo Rollouts, Flagger and HA peers, when deploys are configured. */
  gates?: GateApiDeps;
  /** The silence API (live runs). */
  silences?: SilenceApiDeps;
  /** POST /-/reload: reloads the configuration (bearer token as the deploy API); answers with the outcome. */
  reload?: ReloadDeps;
  /** The UI, when the runner keeps a history for it. */
  ui?: UiDeps;
  /**
   * The user and password a reader of the UI, /metrics and /api/v1/alerts must send (HTTP basic
   * auth), read at each request (a reload may change them); undefined: those are open. Health
   * checks stay open for the kubelet; the deploy, gate, silence and reload APIs keep their token.
   */
  readAuth?: () => { username: string; password: string } | undefined;
  /** Called for every refused request (4xx). */
  onRefused?: (refusal: Refusal) => void;
}

export interface ServerTimeouts {
  /** Time to receive a request's headers. */
  headersMs: number;
  /** Time to receive a whole request, body included. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** At shutdown, connections still busy after this are cut. */
  closeGraceMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, closeGraceMs: 2_000 };

export interface RunningServer {
  url: string;
  /** Serves new connections with this certificate and key (a renewed certificate); HTTPS servers only. */
  setTls(tls: ServerTls): void;
  /** Stops accepting, closes idle connections at once and cuts busy ones after the grace time. */
  close(): Promise<void>;
}

/** A certificate and its key, PEM. */
export interface ServerTls {
  cert: string;
  key: string;
}

/** Starts listening on `listen` ("127.0.0.1:9464", port 0 for any free port), over HTTPS when `tls` is given. */
export async function startHttpServer(listen: string, deps: HttpServerDeps, timeouts: ServerTimeouts = DEFAULT_TIMEOUTS, tls?: ServerTls): Promise<RunningServer> {
  const refuse = (method: string, remote: string, status: number, path: string) => {
    const reason = REASON_OF_STATUS[status] ?? 'bad_request';
    deps.onRefused?.({ reason, status, method, path, remote });
  };
  // The requests' timeouts are checked every second, not Node's default 30 s.
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url);
    // Taken now: the socket may be gone by the time the answer has finished.
    const method = req.method ?? '?';
    const remote = req.socket.remoteAddress ?? '?';
    res.on('finish', () => {
      if (res.statusCode >= 400 && res.statusCode < 500 && !VERDICT_ANSWERS.has(res.statusCode)) refuse(method, remote, res.statusCode, path ?? '(malformed)');
    });
    try {
      route(req, res, path, deps);
    } catch (error) {
      fail(res, error);
    }
  };
  const server: Server = tls ? createHttpsServer({ connectionsCheckingInterval: 1000, cert: tls.cert, key: tls.key }, handler) : createServer({ connectionsCheckingInterval: 1000 }, handler);
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  // Requests that never complete: Node answers 408 (or 400 for a malformed one); count them too.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT';
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = timedOut ? 408 : 400;
    deps.onRefused?.({ reason: timedOut ? 'timeout' : 'malformed', status, method: '?', path: '?', remote: socket.remoteAddress ?? '?' });
    socket.end(`HTTP/1.1 ${status} ${timedOut ? 'Request Timeout' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  const { host, port } = listenHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // No host (":9464"): every interface, IPv6 and IPv4 where the machine has both.
    server.listen({ port, host }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls ? 'https' : 'http'}://${shown}:${address.port}`,
    setTls: (next) => {
      if (!tls) throw new Error('the server was started without TLS: a restart is needed to serve HTTPS');
      (server as HttpsServer).setSecureContext({ cert: next.cert, key: next.key });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client stalled mid-request must not hold the shutdown.
        setTimeout(() => server.closeAllConnections(), timeouts.closeGraceMs).unref();
      }),
  };
}

/** The request's path, decoded-safe: undefined when it is not a valid request target. */
function pathOf(url: string | undefined): string | undefined {
  if (!url || !url.startsWith('/')) return undefined;
  return url.split('?')[0];
}

function reply(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(body);
}

/** An unexpected failure: a client error when it came from the request (bad escapes), else 500. */
function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return void res.destroy();
  if (error instanceof URIError) return reply(res, 400, 'application/json', `${JSON.stringify({ error: 'malformed percent-encoding in the path' })}\n`);
  reply(res, 500, 'application/json', `${JSON.stringify({ error: (error as Error).message })}\n`);
}

function probe(res: ServerResponse, report: ProbeReport, okWord: string, badWord: string): void {
  reply(res, report.ok ? 200 : 503, 'application/json', `${JSON.stringify({ status: report.ok ? okWord : badWord, ...report.detail })}\n`);
}

export interface ReloadDeps {
  token?: string;
  /** Reloads; resolves with the problems when the new configuration was refused (the old one stays). */
  reload: () => Promise<{ ok: true; changed: string[] } | { ok: false; error: string; problems: readonly string[] }>;
}

/** POST /-/reload, as Prometheus and Alertmanager offer it, but behind the API token: 200 reloaded, 400 refused. */
function handleReload(req: IncomingMessage, res: ServerResponse, deps: ReloadDeps): void {
  req.resume();
  if (req.method !== 'POST' && req.method !== 'PUT') return reply(res, 405, 'application/json', `${JSON.stringify({ error: 'use POST /-/reload' })}\n`, { allow: 'POST, PUT' });
  // Disabled is said first: asking for a token that cannot exist sent people looking for one.
  if (deps.token === undefined) return reply(res, 403, 'application/json', `${JSON.stringify({ error: 'reload over HTTP is disabled: set deploys.apiToken (or send SIGHUP)' })}\n`);
  const auth = req.headers.authorization ?? '';
  if (!/^Bearer\s+\S+$/i.test(auth)) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
    return void res.end(`${JSON.stringify({ error: 'missing bearer token: send Authorization: Bearer <token>' })}\n`);
  }
  if (!tokenMatches(deps.token, auth.replace(/^Bearer\s+/i, ''))) return reply(res, 403, 'application/json', `${JSON.stringify({ error: 'invalid token' })}\n`);
  deps.reload().then(
    (outcome) => reply(res, outcome.ok ? 200 : 400, 'application/json', `${JSON.stringify(outcome.ok ? { status: 'reloaded', changed: outcome.changed } : { status: 'refused', error: outcome.error, problems: outcome.problems })}\n`),
    (error: unknown) => fail(res, error),
  );
}

/** Paths that show what stormwatch knows: behind server.basicAuth when it is set. */
function showsData(path: string): boolean {
  return path === '/' || path === '/metrics' || path === '/api/v1/alerts' || path === '/ui' || path.startsWith('/ui/');
}

/** Whether the request's Basic credentials are `auth`'s (compared in constant time). */
export function basicAuthMatches(header: string | undefined, auth: { username: string; password: string }): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, whatever the first says: the time taken does not tell which was wrong.
  const user = tokenMatches(auth.username, decoded.slice(0, colon));
  const password = tokenMatches(auth.password, decoded.slice(colon + 1));
  return user && password;
}

function route(req: IncomingMessage, res: ServerResponse, path: string | undefined, deps: HttpServerDeps): void {
  if (path === undefined) return reply(res, 400, 'text/plain', 'bad request target\n');
  const readAuth = deps.readAuth?.();
  if (readAuth && showsData(path) && !basicAuthMatches(req.headers.authorization, readAuth)) {
    req.resume();
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="stormwatch", charset="UTF-8"' });
    return void res.end('authentication required (server.basicAuth)\n');
  }
  if (path.startsWith('/api/v1/deploys') && deps.deploys) {
    handleDeploys(req, res, path, deps.deploys).catch((error: unknown) => fail(res, error));
    return;
  }
  if (path.startsWith(GATES_PREFIX) && deps.gates) {
    handleGates(req, res, path, deps.gates).catch((error: unknown) => fail(res, error));
    return;
  }
  if (path.startsWith(SILENCES_PATH) && deps.silences) {
    handleSilences(req, res, path, deps.silences).catch((error: unknown) => fail(res, error));
    return;
  }
  if (!deps.deploys && (path === '/api/v1/deploys' || path.startsWith('/api/v1/deploys/') || path.startsWith(GATES_PREFIX))) {
    req.resume();
    // Named, not a bare 404 whose hint lists the very path asked for.
    return reply(res, 404, 'application/json', `${JSON.stringify({ error: 'the deploy API and gates are off: add a deploys: section to the configuration (with apiToken to accept deploys and gate calls)' })}\n`);
  }
  if (path === '/-/reload' && deps.reload) return handleReload(req, res, deps.reload);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    req.resume();
    // RFC 9110 §15.5.6: a 405 says which methods the resource has.
    return reply(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
  }
  switch (path) {
    case '/metrics':
      deps.registry.metrics().then(
        (text) => reply(res, 200, deps.registry.contentType, text),
        (error: unknown) => reply(res, 500, 'text/plain', `metrics: ${(error as Error).message}\n`),
      );
      return;
    case '/healthz':
      return probe(res, deps.health(), 'ok', 'unhealthy');
    case '/livez':
      return probe(res, deps.live?.() ?? { ok: true, detail: {} }, 'live', 'not live');
    case '/readyz':
      return probe(res, deps.ready?.() ?? deps.health(), 'ready', 'not ready');
    case '/api/v1/alerts':
      return reply(res, 200, 'application/json', `${JSON.stringify({ alerts: deps.firingAlerts() })}\n`);
  }
  if (deps.ui) {
    if (path === '/') {
      res.writeHead(302, { location: '/ui/' });
      return void res.end();
    }
    if (handleUi(req, res, deps.ui)) return;
  }
  reply(res, 404, 'text/plain', `not found: try ${deps.ui ? '/ui/, ' : ''}/metrics, /livez, /readyz, /healthz, /api/v1/alerts${deps.deploys ? ', /api/v1/deploys' : ''}${deps.silences ? ' or /api/v1/silences' : ''}\n`);
}
