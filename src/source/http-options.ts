// A fetch for a source that carries its HTTP client options: extra headers and credentials on
// every request, TLS settings and a proxy through an undici dispatcher (Node's built-in fetch takes
// neither, so requests that need them go through undici's fetch, the same code Node ships).

import { createRequire } from 'node:module';
import type { HttpClientConfig } from '../config/http-client.js';
import { authorizationHeader } from '../core/http-auth.js';
import { ClientCredentialsTokens } from '../core/oauth2-client-credentials.js';
import { requestInflated } from './inflating-request.js';

export { authorizationHeader };

type Undici = typeof import('undici');

function loadUndici(): Undici {
  return createRequire(import.meta.url)('undici') as Undici;
}

/**
 * Wraps the `given` fetch (default the global one) so each request carries the client's headers,
 * auth, TLS and compression. With none given, a source's client (one that says which coding it
 * takes) is read through requestInflated: fetch's own inflating costs three times the read, and
 * its web stream about half again for an uncompressed answer (inflating-request.ts).
 */
export function fetchWith(client: HttpClientConfig | undefined, given?: typeof fetch): typeof fetch {
  const base = given ?? fetch;
  if (!client) return base;
  const tls = client.tls;
  const connect = tls
    ? {
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        ...(tls.serverName ? { servername: tls.serverName } : {}),
        rejectUnauthorized: !tls.insecureSkipVerify,
      }
    : undefined;
  // A source's own requests (it says which coding it takes) are read raw (inflating-request.ts);
  // anyone else's (probes, sinks) through fetch. undici is loaded when first needed: loading it is
  // a tenth of a backtest's start-up.
  const direct = client.compression !== undefined && given === undefined;
  let undici: Undici | undefined = client.proxyUrl || connect ? loadUndici() : undefined;
  const { Agent, ProxyAgent, fetch: undiciFetch } = undici ?? ({} as Partial<Undici>);
  // Through a proxy the TLS settings apply to the target, inside the CONNECT tunnel.
  const dispatcher = client.proxyUrl
    ? new ProxyAgent!({ uri: client.proxyUrl, ...(connect ? { requestTls: connect } : {}) })
    : connect
      ? new Agent!({ connect })
      : undefined;
  // The token URL is asked directly (as Prometheus's oauth2 without its own proxy or TLS settings):
  // an identity provider's certificate is not the Prometheus's private CA's.
  const tokens = client.oauth2 ? new ClientCredentialsTokens(client.oauth2, base) : undefined;
  const send = async (input: string | URL | Request, init: RequestInit, headers: Headers, raw: boolean) => {
    if (raw) return requestInflated((undici ??= loadUndici()), String(input), init, headers, dispatcher);
    if (!dispatcher) return base(input, { ...init, headers });
    return (await undiciFetch!(input as string, { ...(init as object), headers, dispatcher } as Parameters<Undici['fetch']>[1])) as unknown as Response;
  };
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(client.headers)) headers.set(name, value);
    const authorization = authorizationHeader(client);
    if (authorization !== undefined) headers.set('authorization', authorization);
    // A coding the caller or the user asks for goes through fetch as given. Else: fetch accepts
    // gzip unless told, and Prometheus gzips every answer it may; uncompressed costs less CPU on
    // both sides of a short link.
    const raw = direct && !headers.has('accept-encoding') && (typeof input === 'string' || input instanceof URL);
    if (!headers.has('accept-encoding') && (raw || client.compression === 'none')) headers.set('accept-encoding', client.compression === 'gzip' ? 'gzip' : 'identity');
    if (!tokens) return send(input, init, headers, raw);
    const token = await tokens.get();
    headers.set('authorization', `Bearer ${token}`);
    const response = await send(input, init, headers, raw);
    if (response.status !== 401) return response;
    // Refused: revoked or expired early. Once more with a new token (the request bodies sent are strings).
    await response.body?.cancel();
    tokens.invalidate(token);
    headers.set('authorization', `Bearer ${await tokens.get()}`);
    return send(input, init, headers, raw);
  }) as typeof fetch;
}
