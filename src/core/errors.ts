// Errors with a reason from a closed set, so failures can be counted by reason and retried or not.

import { OAuth2TokenError } from './oauth2-client-credentials.js';

/**
 * Why reading a source failed. Doubles as the `reason` label of stormwatch_source_errors_total.
 * The last three are a scraped page that answered but cannot be trusted as data: not exposition at
 * all (an HTML error page with status 200), no line of the watched metrics readable, or none of the
 * watched series on it. Such a read is a failure, never zero traffic. So is a Prometheus answer
 * with warnings (`partial_answer`): Thanos, Cortex and Prometheus's remote read say so when a store
 * did not answer, and the sum of what did would read as a collapse.
 */
export type SourceErrorReason =
  | 'timeout'
  | 'connection'
  | 'http_status'
  | 'bad_response'
  | 'query_error'
  | 'parse'
  | 'not_exposition'
  | 'unreadable'
  | 'no_watched_series'
  | 'partial_answer';

/** Every reason, so the metric can show each one from the start (a zero is a fact too). */
export const SOURCE_ERROR_REASONS: readonly SourceErrorReason[] = ['timeout', 'connection', 'http_status', 'bad_response', 'query_error', 'parse', 'not_exposition', 'unreadable', 'no_watched_series', 'partial_answer'];

export class SourceError extends Error {
  constructor(
    readonly reason: SourceErrorReason,
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SourceError';
  }
}

/** A configuration problem: every problem found, each as `path: problem`. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const CERT_NOT_TRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED']);

/**
 * What to look at for a connection failure's code, naming the client's settings (`setting`, as
 * source.prometheus): a bare UNABLE_TO_VERIFY_LEAF_SIGNATURE or UND_ERR_SOCKET said nothing of which
 * key to fix. Empty when the code says enough (ECONNREFUSED) or there is no setting to name.
 */
export function connectionHint(code: string | undefined, setting: string | undefined, https: boolean): string {
  if (code === undefined || setting === undefined) return '';
  if (CERT_NOT_TRUSTED.has(code)) return ` (the server's certificate is not signed by a CA trusted here: give ${setting}.tls.caFile the CA that signed it)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return ` (the server's certificate does not name the URL's host: check the host, or set ${setting}.tls.serverName to a name it has)`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return " (the server's certificate is outside its validity dates)";
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return ` (${setting}.tls.certFile and tls.keyFile are not a pair)`;
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE|CERTIFICATE_UNKNOWN/.test(code)) return ` (the server refused the TLS handshake: see ${setting}.tls.certFile and tls.keyFile, the client certificate it asks for)`;
  if (https && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) return ` (the server closed the connection: one that requires a client certificate does so when none is given, see ${setting}.tls.certFile and tls.keyFile)`;
  return '';
}

/**
 * A fetch() failure for a port the Fetch standard blocks (6000, 6665-6669, 10080, ...), said as
 * such; undefined for any other failure. Node's fetch says only "bad port", with no code, and a
 * sink logged "TypeError" for a receiver that curl reached.
 */
export function blockedPortDetail(error: unknown, url?: string): string | undefined {
  if ((error as { cause?: { message?: string } } | null)?.cause?.message !== 'bad port') return undefined;
  const port = url !== undefined && URL.canParse(url) ? new URL(url).port : '';
  return `bad port: fetch() never connects to port ${port || 'of this URL'} (the Fetch standard's blocked ports): use another port`;
}

/** What a fetch() failure's cause says: a blocked port, else its code, else its message. */
export function fetchFailureDetail(error: unknown, url?: string): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  return blockedPortDetail(error, url) ?? cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}

/** What a 401 or 403 answer means for a client whose settings are at `setting`. */
export function refusedCredentialsHint(status: number, setting: string | undefined, keys = 'bearerToken, basicAuth, oauth2 or headers'): string {
  if (setting === undefined || (status !== 401 && status !== 403)) return '';
  // The user:password@ of a URL is sent as basic auth too, and is where some give them.
  return ` (the credentials were ${status === 401 ? 'missing or refused' : 'not allowed'}: see ${setting}.${keys}, or the user:password in its url)`;
}

/** Maps a fetch() failure to a reason: aborted by our timeout, or the connection failed. `setting` names the client's settings in hints. */
export function classifyFetchError(error: unknown, what: string, timeoutMs: number, setting?: string): SourceError {
  const name = (error as { name?: string } | null)?.name;
  // The access token for the request could not be had (oauth2): the token URL's answer says why.
  if (error instanceof OAuth2TokenError) return new SourceError(error.status === undefined ? 'connection' : 'http_status', `${what}: ${error.message}`, true, { cause: error });
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new SourceError('timeout', `${what}: no answer within ${timeoutMs} ms`, true, { cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const url = /https?:\/\/\S+/.exec(what)?.[0];
  const detail = fetchFailureDetail(error, url);
  return new SourceError('connection', `${what}: ${detail}${connectionHint(cause?.code, setting, /(?:^|\s)https:\/\//.test(what))}`, true, { cause: error });
}

/** A request abandoned because stormwatch is stopping (a source closed): not the source's fault. */
export function stoppedError(what: string): SourceError {
  return new SourceError('timeout', `${what}: not waited for: stormwatch is stopping`, false);
}

/** A failure at start-up the user can fix (a state directory that cannot be written): one line, exit 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
