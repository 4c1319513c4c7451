// A smoke probe: request a real URL, follow redirects hop by hop, check that every hop's host
// resolves and answers, that the final status is the expected one and that the body has the
// expected size or checksum. A failure names the hop ("redirect to static.crates.iocrates: name
// does not resolve"). Probes go only where the config says. A probe's headers, credentials and TLS
// settings (CA, client certificate) go to its URL's origin only: a redirect to another host gets
// none of them (as curl drops credentials on such a redirect) and is checked against the system's CAs.
// With a proxyUrl every hop goes through that proxy (proxy-tunnel.ts).

import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { type IncomingMessage, type RequestOptions, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type LookupFunction, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ProbeConfig } from '../config/load.js';
import type { HttpClientConfig } from '../config/http-client.js';
import { authorizationHeader } from '../core/http-auth.js';
import { ProxyError, absoluteFormTarget, connectTunnel } from './proxy-tunnel.js';
import type { ProbeOutcome } from '../decisions/deploy-alerts.js';

export interface ProbeHop {
  url: string;
  status?: number;
  address?: string;
}

export interface ProbeResult extends ProbeOutcome {
  hops: ProbeHop[];
  durationMs: number;
}

/** A lookup that answers pinned names from `resolve`, and either asks DNS or (strict) says not found for others. */
export function pinnedLookup(resolve: Record<string, string>, strict: boolean): LookupFunction {
  return ((hostname: string, options: unknown, callback: (err: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void) => {
    const pinned = resolve[hostname];
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
    if (pinned !== undefined) {
      const family = pinned.includes(':') ? 6 : 4;
      if (all) callback(null, [{ address: pinned, family }]);
      else callback(null, pinned, family);
      return;
    }
    if (strict) {
      const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
      callback(error, '', 0);
      return;
    }
    (dnsLookup as unknown as (h: string, o: unknown, cb: unknown) => void)(hostname, options, callback);
  }) as LookupFunction;
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error instanceof ProxyError) return error.message;
  switch (error.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'name does not resolve';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `server certificate not accepted (${error.code}): see the probe's tls.caFile and tls.serverName`;
    default:
      if (error.code !== undefined && /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE/.test(error.code)) return `the server refused the TLS handshake (${error.code}): see the probe's tls.certFile and tls.keyFile`;
      return error.code ?? error.message;
  }
}

interface HopAnswer {
  status: number;
  location?: string;
  body: Buffer;
  address?: string;
}

/** What a hop to the probe's origin carries: its headers and Authorization, and its TLS settings (https). */
function originOptions(http: HttpClientConfig | undefined, https: boolean): { headers: Record<string, string>; tls: Record<string, unknown> } {
  if (!http) return { headers: {}, tls: {} };
  const headers = { ...http.headers };
  const authorization = authorizationHeader(http);
  if (authorization !== undefined) headers.authorization = authorization;
  const t = http.tls;
  const tls = https && t ? { ...(t.ca ? { ca: t.ca } : {}), ...(t.cert ? { cert: t.cert } : {}), ...(t.key ? { key: t.key } : {}), ...(t.serverName ? { servername: t.serverName } : {}), rejectUnauthorized: !t.insecureSkipVerify } : {};
  return { headers, tls };
}

/** Where a hop connects: directly (lookup pins names), or through a proxy (the tunnel's target host is the pinned address, if any). */
interface Route {
  lookup: LookupFunction;
  proxy?: URL;
  /** Pinned names (probe.resolve) and whether others fail to resolve (strictResolve). */
  pins: Record<string, string>;
  strict: boolean;
}

async function fetchHop(url: URL, timeoutMs: number, route: Route, http: HttpClientConfig | undefined): Promise<HopAnswer> {
  const https = url.protocol === 'https:';
  const { headers, tls } = originOptions(http, https);
  const own = { ...headers, 'user-agent': 'stormwatch-probe' };
  let options: RequestOptions;
  if (!route.proxy) {
    // No keep-alive agent: a client certificate must not ride a pooled connection to another probe.
    options = { method: 'GET', lookup: route.lookup, timeout: timeoutMs, headers: own, ...tls, ...(https && http?.tls ? { agent: false } : {}) };
  } else {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const pinned = route.pins[host];
    if (pinned === undefined && route.strict) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    if (https) {
      const port = url.port !== '' ? url.port : '443';
      // An IPv6 address is bracketed in CONNECT's authority, as in a URL's.
      const at = pinned === undefined ? url.hostname : pinned.includes(':') ? `[${pinned}]` : pinned;
      const socket = await connectTunnel(route.proxy, `${at}:${port}`, timeoutMs);
      const servername = (tls as { servername?: string }).servername ?? (isIP(host) ? undefined : host);
      const secure = tlsConnect({ socket, ...tls, ...(servername ? { servername } : {}) });
      // No agent at all (not even agent: false, which makes one): the request rides the tunnel's TLS socket.
      options = { method: 'GET', timeout: timeoutMs, headers: own, createConnection: () => secure };
    } else {
      const target = absoluteFormTarget(route.proxy, url);
      options = { method: 'GET', timeout: timeoutMs, host: target.host, port: target.port, path: target.path, headers: { ...own, ...target.headers }, agent: false };
    }
  }
  return new Promise((resolve, reject) => {
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}), body: Buffer.concat(chunks), ...(req.socket?.remoteAddress ? { address: req.socket.remoteAddress } : {}) }));
      res.on('error', reject);
    };
    // Through a proxy an http:// hop is a request to the proxy (options name it), not to the URL.
    const req = route.proxy && !https ? httpRequest(options, onAnswer) : https ? httpsRequest(url, options, onAnswer) : httpRequest(url, options, onAnswer);
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

export async function runProbe(probe: ProbeConfig, lookup: LookupFunction = pinnedLookup(probe.resolve, probe.strictResolve)): Promise<ProbeResult> {
  const started = performance.now();
  const hops: ProbeHop[] = [];
  const done = (ok: boolean, failure?: string): ProbeResult => ({ probe: probe.name, service: probe.service, ...(probe.environment === undefined ? {} : { environment: probe.environment }), url: probe.url, ok, ...(failure ? { failure } : {}), hops, durationMs: performance.now() - started });
  let url = new URL(probe.url);
  const origin = url.origin;
  const route: Route = { lookup, pins: probe.resolve, strict: probe.strictResolve, ...(probe.http?.proxyUrl ? { proxy: new URL(probe.http.proxyUrl) } : {}) };
  for (let hop = 0; ; hop++) {
    const label = hop === 0 ? `request to ${url.host}` : `redirect to ${url.host}`;
    let answer: HopAnswer;
    try {
      answer = await fetchHop(url, probe.timeoutMs, route, url.origin === origin ? probe.http : undefined);
    } catch (error) {
      hops.push({ url: url.toString() });
      return done(false, `${label}: ${describeError(error as NodeJS.ErrnoException)}`);
    }
    hops.push({ url: url.toString(), status: answer.status, ...(answer.address ? { address: answer.address } : {}) });
    if (answer.status >= 300 && answer.status < 400 && answer.location !== undefined) {
      if (hop >= probe.maxRedirects) return done(false, `${label}: more than ${probe.maxRedirects} redirects`);
      try {
        url = new URL(answer.location, url);
      } catch {
        return done(false, `${label}: answered ${answer.status} with an invalid Location ${JSON.stringify(answer.location)}`);
      }
      continue;
    }
    if (answer.status !== probe.expect.status) return done(false, `${label}: status ${answer.status}, expected ${probe.expect.status}`);
    if (probe.expect.bodyBytes !== undefined && answer.body.length !== probe.expect.bodyBytes) {
      return done(false, `${label}: body of ${answer.body.length} bytes, expected ${probe.expect.bodyBytes}`);
    }
    if (probe.expect.sha256 !== undefined) {
      const digest = createHash('sha256').update(answer.body).digest('hex');
      if (digest !== probe.expect.sha256) return done(false, `${label}: body sha256 ${digest.slice(0, 12)}…, expected ${probe.expect.sha256.slice(0, 12)}…`);
    }
    return done(true);
  }
}
