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

/** The credential's current value: a file is read again (a rotated token), the last value kept if it cannot be. */
function current(c: Credential): string {
  if (c.file === undefined) return c.value;
  try {
    c.value = readFileSync(c.file, 'utf8').trim();
  } catch {
    // Keep the last good value; the server's 401 will say the rest.
  }
  return c.value;
}

/** The header's value, or undefined when the client has no credentials. */
export function authorizationHeader<C extends { auth?: HttpAuth | undefined }>(client: C): string | undefined {
  if (!client.auth) return undefined;
  if (client.auth.kind === 'bearer') return `Bearer ${current(client.auth.token)}`;
  return `Basic ${Buffer.from(`${client.auth.username}:${current(client.auth.password)}`).toString('base64')}`;
}
