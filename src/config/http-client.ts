// Resolves a source's (or a probe's) HTTP client options into what the fetch wrapper needs: header values and
// TLS files read now (a missing one is a configuration problem naming its place), and the
// credentials of bearer/basic auth kept with their file so a rotated token is read again.

import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import type { Credential, HttpAuth } from '../core/http-auth.js';
import type { OAuth2Settings } from '../core/oauth2-client-credentials.js';
import type { secretValue } from './http-client-schema.js';

export type { Credential };

export interface HttpClientConfig {
  headers: Record<string, string>;
  auth?: HttpAuth;
  /** OAuth 2.0 client credentials: the bearer token is fetched (fetchWith). */
  oauth2?: OAuth2Settings;
  tls?: { ca?: string; cert?: string; key?: string; serverName?: string; insecureSkipVerify: boolean };
  proxyUrl?: string;
}

type Secret = z.output<typeof secretValue>;
type RawFields = {
  headers: Record<string, Secret>;
  bearerToken?: Secret | undefined;
  basicAuth?: { username: string; password: Secret } | undefined;
  oauth2?: { clientId: string; clientSecret: Secret; tokenUrl: string; scopes: string[]; endpointParams: Record<string, string> } | undefined;
  tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined; serverName?: string | undefined; insecureSkipVerify: boolean } | undefined;
  proxyUrl?: string | undefined;
};

export interface ResolveContext {
  base: string;
  readSecret: (value: Secret, path: PropertyKey[]) => string;
  problem: (path: PropertyKey[], message: string) => void;
  /** Lint: do not read TLS files. */
  skipFiles?: boolean;
}

/** Resolves the options at `path`; returns the URL without user:password@ (moved into basic auth). */
export function resolveHttpClient(raw: RawFields & { url: string }, path: PropertyKey[], ctx: ResolveContext): { url: string; client: HttpClientConfig } {
  const headers = Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k.toLowerCase(), ctx.readSecret(v, [...path, 'headers', k])]));
  const credential = (value: Secret, at: PropertyKey[]): Credential => {
    const v = ctx.readSecret(value, at);
    return typeof value === 'object' && 'file' in value ? { value: v, file: isAbsolute(value.file) ? value.file : join(ctx.base, value.file) } : { value: v };
  };
  const client: HttpClientConfig = { headers };
  let url = raw.url;
  if (raw.bearerToken !== undefined) client.auth = { kind: 'bearer', token: credential(raw.bearerToken, [...path, 'bearerToken']) };
  if (raw.basicAuth !== undefined) client.auth = { kind: 'basic', username: raw.basicAuth.username, password: credential(raw.basicAuth.password, [...path, 'basicAuth', 'password']) };
  if (raw.oauth2 !== undefined) {
    const { clientId, clientSecret, tokenUrl, scopes, endpointParams } = raw.oauth2;
    client.oauth2 = { clientId, clientSecret: credential(clientSecret, [...path, 'oauth2', 'clientSecret']), tokenUrl, scopes, endpointParams };
  }
  const parsed = new URL(raw.url);
  if (parsed.username !== '' || parsed.password !== '') {
    // fetch() refuses URLs with credentials: send them as basic auth, as curl and Prometheus do.
    client.auth = { kind: 'basic', username: decodeURIComponent(parsed.username), password: { value: decodeURIComponent(parsed.password) } };
    parsed.username = '';
    parsed.password = '';
    url = parsed.toString().replace(/\/$/, raw.url.endsWith('/') ? '/' : '');
  }
  if (raw.tls) {
    const file = (name: 'caFile' | 'certFile' | 'keyFile') => {
      const f = raw.tls![name];
      if (f === undefined || ctx.skipFiles) return undefined;
      try {
        return readFileSync(isAbsolute(f) ? f : join(ctx.base, f), 'utf8');
      } catch (error) {
        ctx.problem([...path, 'tls', name], `cannot read ${f}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        return undefined;
      }
    };
    const ca = file('caFile');
    const cert = file('certFile');
    const key = file('keyFile');
    client.tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(raw.tls.serverName ? { serverName: raw.tls.serverName } : {}), insecureSkipVerify: raw.tls.insecureSkipVerify };
  }
  if (raw.proxyUrl !== undefined) client.proxyUrl = raw.proxyUrl;
  return { url, client };
}
