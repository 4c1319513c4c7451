// Resolves the HTTP server's section: where it listens, the basic auth its readers must send (the
// password read as a secret) and the certificate and key it answers HTTPS with (read now).

import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { StormwatchConfig } from './config-types.js';
import type { ResolveContext } from './resolve-context.js';

/** A basic-auth password shorter than this is refused: it would guard nothing. */
const MIN_PASSWORD_LENGTH = 8;

type ServerFields = Pick<StormwatchConfig, 'listen' | 'serverAuth' | 'serverTls' | 'serverScheme'>;

export function resolveServer(ctx: ResolveContext): ServerFields {
  const server = ctx.raw.server;
  if (!server) return {};
  const out: ServerFields = { listen: server.listen, serverScheme: server.tls ? 'https' : 'http' };
  if (server.basicAuth) {
    const password = ctx.readSecret(server.basicAuth.password, ['server', 'basicAuth', 'password']);
    if (!ctx.lint && password.length < MIN_PASSWORD_LENGTH) ctx.at(['server', 'basicAuth', 'password'], `expected at least ${MIN_PASSWORD_LENGTH} characters`);
    out.serverAuth = { username: server.basicAuth.username, password };
  }
  if (server.tls && !ctx.lint) {
    const tls = readServerTls(server.tls, ctx);
    if (tls) out.serverTls = tls;
  }
  return out;
}

/** server.tls's certificate and key (a file that cannot be read, or holds no PEM of its kind, is a problem naming its place). */
function readServerTls(tls: { certFile: string; keyFile: string }, ctx: ResolveContext): { cert: string; key: string } | undefined {
  const read = (name: 'certFile' | 'keyFile', marker: RegExp, what: string): string | undefined => {
    const f = tls[name];
    try {
      const text = readFileSync(isAbsolute(f) ? f : join(ctx.base, f), 'utf8');
      if (marker.test(text)) return text;
      ctx.at(['server', 'tls', name], `${f} holds no PEM ${what}`);
    } catch (error) {
      ctx.at(['server', 'tls', name], `cannot read ${f}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return undefined;
  };
  const cert = read('certFile', /-----BEGIN CERTIFICATE-----/, 'certificate');
  const key = read('keyFile', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
  return cert !== undefined && key !== undefined ? { cert, key } : undefined;
}

/** The base URL a client on the same host reaches a running server at (a wildcard listen address on loopback). */
export function serverBaseUrl(config: Pick<StormwatchConfig, 'listen' | 'serverScheme'>): string | undefined {
  if (!config.listen) return undefined;
  return `${config.serverScheme ?? 'http'}://${config.listen.replace(/^(?:0\.0\.0\.0)?:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:')}`;
}

/** The base URL of a server listening on port 0 once it was given `boundPort` (a wildcard read as loopback). */
export function boundBaseUrl(config: Pick<StormwatchConfig, 'listen' | 'serverScheme'>, boundPort: number): string | undefined {
  if (!config.listen?.endsWith(':0')) return undefined;
  return serverBaseUrl({ listen: `${config.listen.slice(0, -1)}${boundPort}`, serverScheme: config.serverScheme });
}

/**
 * The base of alert links: alerting.externalURL, or where the server listens (a wildcard read as
 * loopback), or the image's default address. `externalURLGiven` says which, so that a --listen
 * flag moves an unset one with it and a start can say the links may not reach anyone.
 */
export function externalURLOf(given: string | undefined, server: Pick<StormwatchConfig, 'listen' | 'serverScheme'>): { externalURL: string; externalURLGiven: boolean } {
  if (given !== undefined) return { externalURL: given.replace(/\/+$/, ''), externalURLGiven: true };
  return { externalURL: serverBaseUrl(server) ?? 'http://127.0.0.1:9464', externalURLGiven: false };
}
