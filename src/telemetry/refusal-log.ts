// Logs refused HTTP requests without flooding: the first of each reason at once, then at most one
// line per reason a second, carrying how many were left out. Never a header: tokens stay unwritten.

import type { Logger } from '../core/log.js';
import type { Refusal, RefusalReason } from './http-server.js';

export class RefusalLog {
  private readonly last = new Map<RefusalReason, { atMs: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly everyMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  note(r: Refusal): void {
    const t = this.now();
    const seen = this.last.get(r.reason);
    if (seen && t - seen.atMs < this.everyMs) {
      seen.suppressed++;
      return;
    }
    this.last.set(r.reason, { atMs: t, suppressed: 0 });
    this.logger.log('warn', 'http request refused', { reason: r.reason, status: r.status, method: r.method, path: r.path, remote: r.remote, ...(seen?.suppressed ? { alsoRefusedSinceLastLine: seen.suppressed } : {}) });
  }
}
