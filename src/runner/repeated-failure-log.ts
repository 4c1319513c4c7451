// A failure that repeats every tick (a full disk under the state directory) is logged once a minute
// while it stays the same, with how many were not logged, and at once when it changes. Its stack
// only at debug level: before, each tick wrote a whole stack trace, one a second at 1 s ticks.

import type { Logger } from '../core/log.js';

export class RepeatedFailureLog {
  private last = '';
  private lastLoggedMs = Number.NEGATIVE_INFINITY;
  private unlogged = 0;

  constructor(
    private readonly logger: Logger,
    private readonly msg: string,
    private readonly relogMs: number,
    private readonly now: () => number,
  ) {}

  failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message === this.last && this.now() - this.lastLoggedMs < this.relogMs) {
      this.unlogged++;
      return;
    }
    const code = (error as NodeJS.ErrnoException | null)?.code;
    this.logger.log('error', this.msg, {
      error: message,
      ...(code ? { code } : {}),
      ...(this.unlogged > 0 ? { sameFailuresNotLogged: this.unlogged } : {}),
      ...(this.logger.enabled?.('debug') && error instanceof Error ? { stack: error.stack } : {}),
    });
    this.last = message;
    this.lastLoggedMs = this.now();
    this.unlogged = 0;
  }
}

/**
 * A read's errors as logged: one entry for each distinct reason and message, with how many queries
 * it failed where more than one (a refused token failed all six of a read's queries alike: the
 * line said it six times).
 */
export function sameErrorsOnce(errors: readonly { reason: string; message: string }[]): { reason: string; message: string; queries?: number }[] {
  const seen = new Map<string, { reason: string; message: string; queries?: number }>();
  for (const e of errors) {
    const key = `${e.reason}\u0000${e.message}`;
    const known = seen.get(key);
    if (known) known.queries = (known.queries ?? 1) + 1;
    else seen.set(key, { reason: e.reason, message: e.message });
  }
  return [...seen.values()];
}
