// Errors inputs whose selector names a metric that no series has, or a label none of its series has
// (`status=~"5.."` where the label is `code`). An errors selector's empty answer reads as no errors
// (a service's 5xx series appear with its first error), so the no-data watch cannot see a misspelt
// errors metric or label: the error ratio would read 0 for ever and never page. The
// source is asked on the first good tick and every ABSENT_ERRORS_CHECK_MS after (the Prometheus
// source asks one query); what it finds is said once, and once when the metric has series again.
//
// Only signals whose requests read data are judged: a Prometheus that has scraped nothing yet (a
// stack started together) answers every metric absent. Until every signal is judged, and after a
// question that failed, it asks again after ABSENT_ERRORS_RETRY_MS.

import type { SignalConfig } from '../config/load.js';
import { selectorMetricName } from '../core/selector.js';
import type { AbsentErrorMetric } from '../core/types.js';

/** How often the source is asked which errors metrics have no series. */
export const ABSENT_ERRORS_CHECK_MS = 10 * 60_000;
/** How soon it is asked again when some signal could not be judged. */
export const ABSENT_ERRORS_RETRY_MS = 60_000;

const keyOf = (a: { signal: string; metric: string }) => `${a.signal}\u0000${a.metric}`;
/** What is wrong: the metric absent, or which labels its series lack. */
const stateOf = (a: AbsentErrorMetric) => (a.missingLabels ?? []).join(',');

/** The line that says an errors input reads 0 for want of its metric or a label of it (live, or in a replay file), and its fields. */
export function absentErrorLine(a: AbsentErrorMetric, inReplayFile = false): { msg: string; fields: Record<string, unknown> } {
  const fields = { signal: a.signal, metric: a.metric, selector: a.selector };
  const where = inReplayFile ? ' in the replay file' : '';
  if (a.missingLabels) {
    return {
      msg: `an errors selector requires a label no series of its metric has${where}: its errors read 0 (a misspelt label?)`,
      fields: { ...fields, missingLabels: a.missingLabels, labelsSeen: a.labelsSeen ?? [] },
    };
  }
  if (inReplayFile) return { msg: "an errors selector's metric has no series in the replay file: its errors read 0", fields };
  return { msg: "an errors selector's metric has no series: its errors read 0 until it has (a misspelt name, or a counter made at its first error?)", fields };
}

/** The signals of a configuration whose errors selector names a metric, with it. */
export function errorMetrics(signals: readonly SignalConfig[]): { signal: string; metric: string }[] {
  return signals.flatMap((s) => {
    const metric = s.inputs.errors?.selector && selectorMetricName(s.inputs.errors.selector);
    return metric === undefined ? [] : [{ signal: s.name, metric }];
  });
}

/** The (signal, errors metric) pairs of a configuration, as the watch keys them. */
export function errorMetricKeys(signals: readonly SignalConfig[]): string[] {
  return errorMetrics(signals).map(keyOf);
}

export class AbsentErrorWatch {
  private current = new Map<string, AbsentErrorMetric>();
  private nextCheckMs = Number.NEGATIVE_INFINITY;
  private asking = false;

  /**
   * `retryMs`: how soon to ask again while some signal could not be judged. A scraped page is
   * asked for free (what the last page had), so at every tick: its first tick has no rate yet, and
   * a minute's wait put the warning a minute after the first good tick.
   */
  constructor(private readonly retryMs = ABSENT_ERRORS_RETRY_MS) {}

  /** Whether the source should be asked at `nowMs` (due, and no question in flight). */
  due(nowMs: number): boolean {
    return !this.asking && nowMs >= this.nextCheckMs;
  }

  /** The source is being asked. */
  begin(): void {
    this.asking = true;
  }

  /**
   * The source's answer at `nowMs` (undefined: it could not tell; what was known stands), judged
   * for the signals in `judged` (those whose requests read data); `complete` when those are every
   * signal with an errors metric. Returns the inputs whose metric is newly absent and those whose
   * metric has series again.
   */
  settle(nowMs: number, answer: readonly AbsentErrorMetric[] | undefined, judged: ReadonlySet<string>, complete: boolean): { noticed: AbsentErrorMetric[]; found: AbsentErrorMetric[] } {
    this.asking = false;
    if (answer === undefined) {
      this.nextCheckMs = nowMs + ABSENT_ERRORS_RETRY_MS;
      return { noticed: [], found: [] };
    }
    this.nextCheckMs = nowMs + (complete ? ABSENT_ERRORS_CHECK_MS : this.retryMs);
    const next = new Map<string, AbsentErrorMetric>();
    // A signal not judged keeps what was known of it.
    for (const [k, a] of this.current) if (!judged.has(a.signal)) next.set(k, a);
    for (const a of answer) if (judged.has(a.signal)) next.set(keyOf(a), a);
    // A metric that has series now but not the label (or another label missing) is news too.
    const noticed = [...next].filter(([k, a]) => !this.current.has(k) || stateOf(this.current.get(k)!) !== stateOf(a)).map(([, a]) => a);
    const found = [...this.current].filter(([k]) => !next.has(k)).map(([, a]) => a);
    this.current = next;
    return { noticed, found };
  }

  /**
   * The configuration changed (a reload; `keys` its errorMetricKeys): ask again at the next tick,
   * forgetting what is no longer configured (a signal removed, a metric renamed: not found, gone)
   * and any answer still in flight.
   */
  reset(keys: readonly string[]): void {
    const kept = new Set(keys);
    for (const k of [...this.current.keys()]) if (!kept.has(k)) this.current.delete(k);
    this.nextCheckMs = Number.NEGATIVE_INFINITY;
    this.asking = false;
  }

  /** The errors inputs whose metric had no series at the last answer. */
  absent(): AbsentErrorMetric[] {
    return [...this.current.values()];
  }
}
