// Which configured signals have read no data for a while. A query or selector that matches nothing
// (a typo, a renamed metric, a target not scraped yet) is no data, never zero traffic, so nothing
// can be judged on it; silently, that looked like a calm service ("unknown" in the UI, /readyz
// ready). A signal input without data in any of its series, on ticks whose read succeeded, is
// noticed once it has lasted `noticeAfterMs` (the runner logs it, lists it in /readyz and sets
// stormwatch_signal_no_data), and noticed again when data is back. Failed reads neither start nor
// end a span: the source's own failure is logged and makes /readyz not ready.

import type { SignalConfig } from '../config/load.js';
import type { SignalInput } from '../core/types.js';
import { signalOfSeries } from './reload-plan.js';

const INPUTS: readonly SignalInput[] = ['requests', 'errors', 'downstream'];

/** How long an input reads no data before it is said (at least four ticks). */
export const NO_DATA_NOTICE_MS = 60_000;

/** A signal input without data since `sinceMs` (data time). */
export interface NoDataSpan {
  signal: string;
  input: SignalInput;
  sinceMs: number;
}

/** What one watched series read this tick: its three rates. */
export interface SeriesReading {
  readonly sample: { readonly requests: number; readonly errors: number; readonly downstream: number };
}

export class NoDataWatch {
  /** Spans without data by `signal\0input`, and which of them were noticed. */
  private readonly spans = new Map<string, NoDataSpan & { noticed: boolean }>();

  constructor(private readonly noticeAfterMs: number) {}

  /**
   * One tick: `readings` are every watched series' by id (the signal's name, or name{labels}; in
   * any order, a signal's series mostly together). Returns the spans noticed at this tick and
   * those that ended (noticed ones only).
   */
  observe(timeMs: number, signals: readonly SignalConfig[], readings: Iterable<[string, SeriesReading]>): { noticed: NoDataSpan[]; ended: NoDataSpan[] } {
    // Which inputs of each signal have a number in some series; the scan stops once all have.
    const wanted = new Map<string, number>();
    for (const s of signals) wanted.set(s.name, maskOf(s));
    const seen = new Map<string, number>();
    let unfilled = wanted.size;
    let name: string | undefined;
    let mask = 0;
    let want = 0;
    for (const [id, r] of readings) {
      if (unfilled === 0) break;
      if (name === undefined || !isOf(id, name)) {
        if (name !== undefined) seen.set(name, mask);
        name = signalOfSeries(id);
        mask = seen.get(name) ?? 0;
        want = wanted.get(name) ?? 0;
        if (mask === want) continue;
      } else if (mask === want) continue;
      const before = mask;
      if (Number.isFinite(r.sample.requests)) mask |= 1;
      if (Number.isFinite(r.sample.errors)) mask |= 2;
      if (Number.isFinite(r.sample.downstream)) mask |= 4;
      if (mask !== before && (mask & want) === want) unfilled--;
    }
    if (name !== undefined) seen.set(name, mask);

    const noticed: NoDataSpan[] = [];
    const ended: NoDataSpan[] = [];
    const current = new Set<string>();
    for (const s of signals) {
      const has = seen.get(s.name) ?? 0;
      INPUTS.forEach((input, i) => {
        if (s.inputs[input] === undefined) return;
        const key = `${s.name}\u0000${input}`;
        current.add(key);
        const span = this.spans.get(key);
        if (has & (1 << i)) {
          if (span) {
            this.spans.delete(key);
            if (span.noticed) ended.push(plain(span));
          }
        } else if (!span) this.spans.set(key, { signal: s.name, input, sinceMs: timeMs, noticed: false });
        else if (!span.noticed && timeMs - span.sinceMs >= this.noticeAfterMs) {
          span.noticed = true;
          noticed.push(plain(span));
        }
      });
    }
    // A signal or input a reload removed is no longer watched: forgotten without a word.
    for (const key of this.spans.keys()) if (!current.has(key)) this.spans.delete(key);
    return { noticed, ended };
  }

  /** The noticed spans still going on. */
  missing(): NoDataSpan[] {
    return [...this.spans.values()].filter((s) => s.noticed).map(plain);
  }
}

/** Whether series `id` is of the signal named `name` (compared in place: no string per series). */
function isOf(id: string, name: string): boolean {
  return id.startsWith(name) && (id.length === name.length || id.charCodeAt(name.length) === 123 /* { */);
}

function maskOf(signal: SignalConfig): number {
  return INPUTS.reduce((mask, input, i) => (signal.inputs[input] ? mask | (1 << i) : mask), 0);
}

function plain(span: NoDataSpan): NoDataSpan {
  return { signal: span.signal, input: span.input, sinceMs: span.sinceMs };
}
