// The Authorization header of an HTTP client's credentials (a source's, a probe's): bearer or basic,
// a credential from a file read again at each request (a rotated token).

import { readFileSync } from 'node:fs';

/** A credential: its value now, and the file to read it again from, if it came from one. */
export interface Credential {
  value: string;
  file?: string;
}

/** How a client authenticates: a bearer token or a user and password. */
export type HttpAuth = { kind: 'bearer'; token: Credential } | { kind: 'basic'; username: string; password: Credential };

/** Told each credential value first sent (a rotated file's, and a basic pair's base64 form), so logs blank them as they blank the configured ones. */
let onNewCredential: ((values: string[]) => void) | undefined;

export function announceNewCredentials(listener: ((values: string[]) => void) | undefined): void {
  onNewCredential = listener;
}

/** Tells the logger of credential values about to be sent (a fetched token), so logs blank them. */
export function noteNewCredentials(values: string[]): void {
  onNewCredential?.(values);
}

/** The credential's current value: a file is read again (a rotated token), the last value kept if it cannot be. */
export function currentCredential(c: Credential): string {
  if (c.file === undefined) return c.value;
  try {
    const read = readFileSync(c.file, 'utf8').trim();
    if (read !== c.value) onNewCredential?.([read]);
    c.value = read;
  } catch {
    // Keep the last good value; the server's 401 will say the rest.
  }
  return c.value;
}

/** The basic-auth header value each client sent last, to announce a new one once. */
const lastBasic = new WeakMap<HttpAuth, string>();

/** The header's value, or undefined when the client has no credentials. */
export function authorizationHeader<C extends { auth?: HttpAuth | undefined }>(client: C): string | undefined {
  if (!client.auth) return undefined;
  if (client.auth.kind === 'bearer') return `Bearer ${currentCredential(client.auth.token)}`;
  const encoded = basicCredentials(client.auth.username, currentCredential(client.auth.password));
  if (lastBasic.get(client.auth) !== encoded) {
    lastBasic.set(client.auth, encoded);
    onNewCredential?.([encoded]);
  }
  return `Basic ${encoded}`;
}

/** user:password in base64, as a Basic Authorization header carries it (and an upstream may echo it back). */
export function basicCredentials(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64');
}
