// Resolves a source's (or a probe's) HTTP client options into what the fetch wrapper needs: header values and
// TLS files read now (a missing one is a configuration problem naming its place), and the
// credentials of bearer/basic auth kept with their file so a rotated token is read again.

import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import type { Credential, HttpAuth } from '../core/http-auth.js';
import { isNearHost } from '../core/near-host.js';
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
  /** none: answers asked for uncompressed (Accept-Encoding: identity); gzip, or unset (probes, sinks): fetch's default, gzip accepted. */
  compression?: 'none' | 'gzip';
}

type Secret = z.output<typeof secretValue>;
type RawFields = {
  headers: Record<string, Secret>;
  bearerToken?: Secret | undefined;
  basicAuth?: { username: string; password: Secret } | undefined;
  oauth2?: { clientId: string; clientSecret: Secret; tokenUrl: string; scopes: string[]; endpointParams: Record<string, string> } | undefined;
  tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined; serverName?: string | undefined; insecureSkipVerify: boolean } | undefined;
  proxyUrl?: string | undefined;
  compression?: 'auto' | 'none' | 'gzip' | undefined;
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
    // A file of the wrong kind (a key given as caFile) is a problem naming its place, not a TLS code at the first request.
    const pem = (text: string | undefined, name: 'caFile' | 'certFile' | 'keyFile', marker: RegExp, what: string): string | undefined => {
      if (text === undefined || marker.test(text)) return text;
      ctx.problem([...path, 'tls', name], `${raw.tls![name]} holds no PEM ${what}`);
      return undefined;
    };
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
    const ca = pem(file('caFile'), 'caFile', /-----BEGIN CERTIFICATE-----/, 'certificate');
    const cert = pem(file('certFile'), 'certFile', /-----BEGIN CERTIFICATE-----/, 'certificate');
    const key = pem(file('keyFile'), 'keyFile', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
    // A certificate with another's key fails every handshake with an OpenSSL code: say it here, once.
    if (cert !== undefined && key !== undefined) {
      try {
        createSecureContext({ cert, key });
      } catch (error) {
        ctx.problem([...path, 'tls', 'keyFile'], `${raw.tls.keyFile} is not the key of ${raw.tls.certFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    client.tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(raw.tls.serverName ? { serverName: raw.tls.serverName } : {}), insecureSkipVerify: raw.tls.insecureSkipVerify };
  }
  if (raw.proxyUrl !== undefined) client.proxyUrl = raw.proxyUrl;
  // `auto`: uncompressed from a near host, where the bytes cost less than the CPU (core/near-host.ts).
  if (raw.compression !== undefined) client.compression = raw.compression !== 'auto' ? raw.compression : isNearHost(parsed.hostname) ? 'none' : 'gzip';
  return { url, client };
}
