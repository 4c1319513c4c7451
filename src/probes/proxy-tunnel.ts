// A probe's hops through an HTTP proxy, as curl -x does: an https:// hop inside a CONNECT tunnel
// (the TLS session is the probe's own, end to end: the proxy sees only the host and port), an
// http:// hop as an absolute-form request to the proxy. Credentials in the proxy URL go to the
// proxy alone, as Proxy-Authorization.

import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';

/** A failure on the way to the proxy or in its answer to CONNECT: the probe names the proxy. */
export class ProxyError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The Proxy-Authorization header for user:password@ in the proxy URL, if any. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

/** The proxy's port (its URL's, or its scheme's default). */
function portOf(proxy: URL): number {
  return proxy.port !== '' ? Number(proxy.port) : proxy.protocol === 'https:' ? 443 : 80;
}

/**
 * Opens a tunnel through `proxy` to `target` ("host:port"): resolves with the raw socket once the
 * proxy answers 2xx to CONNECT; rejects with a ProxyError naming the proxy otherwise.
 */
export function connectTunnel(proxy: URL, target: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const authorization = proxyAuthorization(proxy);
    const req = httpRequest({ host: proxy.hostname, port: portOf(proxy), method: 'CONNECT', path: target, timeout: timeoutMs, headers: { host: target, ...(authorization ? { 'proxy-authorization': authorization } : {}) } });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return resolve(socket);
      socket.destroy();
      reject(new ProxyError(`proxy ${proxy.host} answered ${res.statusCode} to CONNECT ${target}`));
    });
    req.on('timeout', () => req.destroy(new ProxyError(`proxy ${proxy.host}: timed out`, 'ETIMEDOUT')));
    req.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof ProxyError ? error : new ProxyError(`proxy ${proxy.host}: ${error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message)}`, error.code)));
    req.end();
  });
}

/** Where an http:// hop's request goes through `proxy`: the proxy's host and port, the whole URL as the path. */
export function absoluteFormTarget(proxy: URL, url: URL): { host: string; port: number; path: string; headers: Record<string, string> } {
  const authorization = proxyAuthorization(proxy);
  return { host: proxy.hostname, port: portOf(proxy), path: url.href, headers: { host: url.host, ...(authorization ? { 'proxy-authorization': authorization } : {}) } };
}
