// A smoke probe: request a real URL, follow redirects hop by hop, check that every hop's host
// resolves and answers, that the final status is the expected one and that the body has the
// expected size or checksum. A failure names the hop ("redirect to static.crates.iocrates: name
// does not resolve"). Probes go only where the config says.

import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ProbeConfig } from '../config/load.js';
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
    default:
      return error.code ?? error.message;
  }
}

interface HopAnswer {
  status: number;
  location?: string;
  body: Buffer;
  address?: string;
}

function fetchHop(url: URL, timeoutMs: number, lookup: LookupFunction): Promise<HopAnswer> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', lookup, timeout: timeoutMs, headers: { 'user-agent': 'stormwatch-probe' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}), body: Buffer.concat(chunks), ...(req.socket?.remoteAddress ? { address: req.socket.remoteAddress } : {}) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

export async function runProbe(probe: ProbeConfig, lookup: LookupFunction = pinnedLookup(probe.resolve, probe.strictResolve)): Promise<ProbeResult> {
  const started = performance.now();
  const hops: ProbeHop[] = [];
  const done = (ok: boolean, failure?: string): ProbeResult => ({ probe: probe.name, service: probe.service, url: probe.url, ok, ...(failure ? { failure } : {}), hops, durationMs: performance.now() - started });
  let url = new URL(probe.url);
  for (let hop = 0; ; hop++) {
    const label = hop === 0 ? `request to ${url.host}` : `redirect to ${url.host}`;
    let answer: HopAnswer;
    try {
      answer = await fetchHop(url, probe.timeoutMs, lookup);
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
