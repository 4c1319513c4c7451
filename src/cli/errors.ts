// How the command line fails: bad usage exits 2, everything else 1, always with one line (or, for
// a configuration, one line per problem) and never a stack trace unless STORMWATCH_DEBUG=1.

import { redactUrl } from '../core/log.js';
import { ConfigError } from '../core/errors.js';

export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help explains the fix. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return 2;
  if ((error as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS')) return 2;
  return 1;
}

/** The text printed on stderr for an error. */
export function describeError(error: unknown, debug = false): string {
  if (error instanceof ConfigError) return `${error.message}\n`;
  const e = error as (Error & { code?: string; syscall?: string; path?: string; cause?: { code?: string; message?: string } }) | null;
  let message = e?.message ?? String(error);
  if (e?.code?.startsWith('ERR_PARSE_ARGS')) message = message.replace(/\. To specify a positional argument.*$/s, '');
  // fetch() hides the reason in its cause: "fetch failed" alone helps nobody.
  else if (message === 'fetch failed' && e?.cause) message = `request failed: ${e.cause.code ?? e.cause.message}`;
  const hint = error instanceof UsageError && error.command ? ` (see stormwatch ${error.command} --help)` : '';
  // Whatever failed, a URL's credentials are not printed (a CI job's log keeps stderr).
  const first = redactUrl(message.split('\n')[0]!);
  return `stormwatch: ${first}${hint}\n${debug && e?.stack ? `${e.stack}\n` : ''}`;
}
