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

/** Told when a credential file cannot be read or is empty (`problem`), and when it can be again (undefined). */
let onFileProblem: ((file: string, problem: string | undefined) => void) | undefined;

export function announceCredentialFileProblems(listener: ((file: string, problem: string | undefined) => void) | undefined): void {
  onFileProblem = listener;
}

/** The problem last said of each credential file, so each is said once, and its end once. */
const saidProblems = new Map<string, string>();

/**
 * The credential's current value: a file is read again (a rotated token). Where it cannot be read,
 * or is empty (a secret mount between two versions, a token rotated by truncating first), the
 * last good value is kept and that is said: a deleted token file was silent, an emptied one sent an
 * empty token and read as refused credentials.
 */
export function currentCredential(c: Credential): string {
  if (c.file === undefined) return c.value;
  let problem: string | undefined;
  try {
    const read = readFileSync(c.file, 'utf8').trim();
    if (read === '') problem = 'is empty';
    else {
      if (read !== c.value) onNewCredential?.([read]);
      c.value = read;
    }
  } catch (error) {
    problem = `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (problem !== saidProblems.get(c.file)) {
    if (problem === undefined) saidProblems.delete(c.file);
    else saidProblems.set(c.file, problem);
    onFileProblem?.(c.file, problem);
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
