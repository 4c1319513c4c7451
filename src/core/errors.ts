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

/** Maps a fetch() failure to a reason: aborted by our timeout, or the connection failed. */
export function classifyFetchError(error: unknown, what: string, timeoutMs: number): SourceError {
  const name = (error as { name?: string } | null)?.name;
  // The access token for the request could not be had (oauth2): the token URL's answer says why.
  if (error instanceof OAuth2TokenError) return new SourceError(error.status === undefined ? 'connection' : 'http_status', `${what}: ${error.message}`, true, { cause: error });
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new SourceError('timeout', `${what}: no answer within ${timeoutMs} ms`, true, { cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
  return new SourceError('connection', `${what}: ${detail}`, true, { cause: error });
}

/** A failure at start-up the user can fix (a state directory that cannot be written): one line, exit 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
