// Prometheus's common HTTP client options, for both sources (source.prometheus, source.scrape):
// headers whose values may be secrets, bearer token, basic auth or OAuth 2.0 client credentials
// (each secret inline, {env:} or {file:}), TLS (CA, client certificate, server name, skip-verify) and an HTTP proxy.

import { z } from 'zod';

/** A secret: given inline (discouraged), or read from an environment variable or a file. */
export const secretValue = z.union([z.string(), z.strictObject({ env: z.string() }), z.strictObject({ file: z.string() })], {
  error: 'expected a string, {env: VARIABLE} or {file: PATH}',
});

/** An http:// or https:// URL. */
function httpUrl(message: string) {
  return z.string().refine((t) => {
    try {
      return ['http:', 'https:'].includes(new URL(t).protocol);
    } catch {
      return false;
    }
  }, { message });
}

export const httpClientFields = {
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, { message: 'expected an HTTP header name' }), secretValue).default({}),
  /** Sent as Authorization: Bearer <token>; a {file:} token is re-read for each request (rotation). */
  bearerToken: secretValue.optional(),
  /** A {file:} password is re-read for each request. user:password@ in the URL means the same. */
  basicAuth: z.strictObject({ username: z.string().min(1), password: secretValue }).optional(),
  tls: z
    .strictObject({
      /** PEM file of the CA(s) that signed the server's certificate (default: the system's). */
      caFile: z.string().optional(),
      /** PEM client certificate and key, for servers that require one. */
      certFile: z.string().optional(),
      keyFile: z.string().optional(),
      /** The name to verify the server's certificate against (default: the URL's host). */
      serverName: z.string().optional(),
      /** Accept any server certificate: only for tests and trusted networks. */
      insecureSkipVerify: z.boolean().default(false),
    })
    .optional(),
  /**
   * OAuth 2.0 client credentials (Prometheus's `oauth2`): an access token fetched from tokenUrl is
   * sent as the bearer token, fetched again before it expires and when the server answers 401.
   */
  oauth2: z
    .strictObject({
      clientId: z.string().min(1),
      /** A {file:} secret is re-read at each token request (rotation). */
      clientSecret: secretValue,
      tokenUrl: httpUrl('expected an http:// or https:// token URL'),
      scopes: z.array(z.string().min(1)).default([]),
      /** Extra form parameters of the token request (`audience`, `resource`). */
      endpointParams: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
  /** An HTTP proxy the requests go through (CONNECT); user:password@ in it is sent to the proxy. */
  proxyUrl: httpUrl('expected an http:// or https:// proxy URL').optional(),
  /**
   * Answers asked for uncompressed (`none`: Accept-Encoding: identity) or gzipped (`gzip`); `auto`
   * (the default) asks a near source (core/near-host.ts: loopback, a private address, a cluster's
   * service name) uncompressed and any other gzipped. Prometheus and Go's /metrics handlers gzip
   * whatever a client accepts: at 100k series inflating a tick's answers cost more CPU than decoding
   * them, while a managed Prometheus across the internet charges for the bytes.
   */
  compression: z.enum(['auto', 'none', 'gzip']).default('auto'),
};

type Fields = { headers: Record<string, unknown>; bearerToken?: unknown; basicAuth?: unknown; oauth2?: unknown; tls?: { certFile?: string | undefined; keyFile?: string | undefined } | undefined };

/** Checks the combinations a single field cannot: one kind of auth, a certificate with its key. */
export function checkHttpClient(value: Fields & { url: string }, ctx: z.RefinementCtx): void {
  checkClientFields(value, [value.url], ctx);
}

/**
 * The same for a client whose URLs are `urls` (an Alertmanager sink's several; a secret given as
 * {env:} or {file:} is not a URL here and holds no user:password@ to count).
 */
export function checkClientFields(value: Fields, urls: readonly unknown[], ctx: z.RefinementCtx): void {
  const userinfo = urls.some((u) => typeof u === 'string' && URL.canParse(u) && (new URL(u).username !== '' || new URL(u).password !== ''));
  const kinds = [value.bearerToken !== undefined && 'bearerToken', value.basicAuth !== undefined && 'basicAuth', value.oauth2 !== undefined && 'oauth2', userinfo && 'user:password@ in url', Object.keys(value.headers).some((h) => h.toLowerCase() === 'authorization') && 'an Authorization header'].filter(Boolean);
  if (kinds.length > 1) ctx.addIssue({ code: 'custom', message: `give one way to authenticate, not ${kinds.join(' and ')}` });
  checkTlsPair(value, ctx);
}

/**
 * A sink's: its bearerToken or basicAuth is one way to authenticate, not with user:password@ or an
 * Authorization header. A sink that gives neither keeps what it always could: the header wins over
 * user:password@ in its URL.
 */
export function checkSinkClientFields(value: Fields, urls: readonly unknown[], ctx: z.RefinementCtx): void {
  if (value.bearerToken !== undefined || value.basicAuth !== undefined) checkClientFields(value, urls, ctx);
  else checkTlsPair(value, ctx);
}

function checkTlsPair(value: Fields, ctx: z.RefinementCtx): void {
  if ((value.tls?.certFile === undefined) !== (value.tls?.keyFile === undefined)) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'certFile and keyFile go together' });
}
