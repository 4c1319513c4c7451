// A listen address as the server and --listen take it: HOST:PORT, the host an IPv4 or bracketed
// IPv6 address or localhost, or none (":9464", every interface, as Prometheus and its exporters
// write it), the port 0-65535 (0: any free one). A port past 65535 passed the
// pattern alone and stopped `run` with Node's own message, naming neither the key nor the flag.

import { describeGiven } from './given-value.js';

/** The shape alone (editors check it from the JSON schema); isListenAddress also checks the port's range. */
export const LISTEN_RE = /^(?:\[[0-9a-fA-F:]+\]|[0-9.]+|localhost)?:(\d{1,5})$/;

export function isListenAddress(text: string): boolean {
  const port = LISTEN_RE.exec(text)?.[1];
  return port !== undefined && Number(port) <= 65_535;
}

/** What is wrong with a given listen address (one wording for server.listen and --listen), or undefined. */
export function listenAddressProblem(given: unknown): string | undefined {
  if (typeof given === 'string' && isListenAddress(given)) return undefined;
  const shape = typeof given === 'string' && LISTEN_RE.test(given) ? 'a port 0-65535 in an address' : 'an address';
  return `expected ${shape} like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got ${describeGiven(given)}`;
}

/** A valid listen address's host (undefined for ":PORT": every interface) and port. */
export function listenHostPort(listen: string): { host: string | undefined; port: number } {
  const idx = listen.lastIndexOf(':');
  const host = listen.slice(0, idx).replace(/^\[|\]$/g, '');
  return { host: host === '' ? undefined : host, port: Number(listen.slice(idx + 1)) };
}
