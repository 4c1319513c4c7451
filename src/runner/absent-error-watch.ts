// Errors inputs whose selector names a metric that no series has. An errors selector's empty answer
// reads as no errors (a service's 5xx series appear with its first error), so the no-data watch
// cannot see a misspelt errors metric: the error ratio would read 0 for ever and never page. The
// source is asked on the first good tick and every ABSENT_ERRORS_CHECK_MS after (the Prometheus
// source asks one query); what it finds is said once, and once when the metric has series again.

import type { AbsentErrorMetric } from '../core/types.js';

/** How often the source is asked which errors metrics have no series. */
export const ABSENT_ERRORS_CHECK_MS = 10 * 60_000;

const keyOf = (a: AbsentErrorMetric) => `${a.signal}\u0000${a.metric}`;

export class AbsentErrorWatch {
  private current = new Map<string, AbsentErrorMetric>();
  private nextCheckMs = Number.NEGATIVE_INFINITY;
  private asking = false;

  /** Whether the source should be asked at `nowMs` (due, and no question in flight). */
  due(nowMs: number): boolean {
    return !this.asking && nowMs >= this.nextCheckMs;
  }

  /** The source is being asked, at `nowMs`. */
  begin(nowMs: number): void {
    this.asking = true;
    this.nextCheckMs = nowMs + ABSENT_ERRORS_CHECK_MS;
  }

  /**
   * The source's answer (undefined: it could not tell; what was known stands). Returns the inputs
   * whose metric is newly absent and those whose metric has series again.
   */
  settle(answer: readonly AbsentErrorMetric[] | undefined): { noticed: AbsentErrorMetric[]; found: AbsentErrorMetric[] } {
    this.asking = false;
    if (answer === undefined) return { noticed: [], found: [] };
    const next = new Map(answer.map((a) => [keyOf(a), a]));
    const noticed = [...next].filter(([k]) => !this.current.has(k)).map(([, a]) => a);
    const found = [...this.current].filter(([k]) => !next.has(k)).map(([, a]) => a);
    this.current = next;
    return { noticed, found };
  }

  /**
   * The configuration changed (a reload): ask again at the next tick, forgetting the signals no
   * longer configured (they are not found, they are gone) and any answer still in flight.
   */
  reset(signals: readonly string[]): void {
    const kept = new Set(signals);
    for (const [k, a] of this.current) if (!kept.has(a.signal)) this.current.delete(k);
    this.nextCheckMs = Number.NEGATIVE_INFINITY;
    this.asking = false;
  }

  /** The errors inputs whose metric had no series at the last answer. */
  absent(): AbsentErrorMetric[] {
    return [...this.current.values()];
  }
}
