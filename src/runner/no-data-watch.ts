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

type Span = NoDataSpan & { noticed: boolean };

export class NoDataWatch {
  /** Per signal: each input's span without data (by INPUTS' order; undefined while it has data). */
  private readonly spans = new Map<string, (Span | undefined)[]>();
  /** The signals the masks below are of (a reload brings another array), and their inputs' masks. */
  private signals: readonly SignalConfig[] | undefined;
  private readonly wanted = new Map<string, number>();
  /** This tick's inputs with data, by signal (kept to be cleared, not made anew each tick). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly noticeAfterMs: number) {}

  /**
   * One tick: `readings` are every watched series' by id (the signal's name, or name{labels}; in
   * any order, a signal's series mostly together). Returns the spans noticed at this tick and
   * those that ended (noticed ones only).
   */
  observe(timeMs: number, signals: readonly SignalConfig[], readings: Iterable<[string, SeriesReading]>): { noticed: NoDataSpan[]; ended: NoDataSpan[] } {
    if (signals !== this.signals) this.watch(signals);
    // Which inputs of each signal have a number in some series; the scan stops once all have.
    const { wanted, seen } = this;
    seen.clear();
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
    for (const s of signals) {
      const want = wanted.get(s.name)!;
      const has = (seen.get(s.name) ?? 0) & want;
      let row = this.spans.get(s.name);
      if (has === want && !row) continue;
      if (!row) this.spans.set(s.name, (row = []));
      INPUTS.forEach((input, i) => {
        if (!(want & (1 << i))) return;
        const span = row[i];
        if (has & (1 << i)) {
          row[i] = undefined;
          if (span?.noticed) ended.push(plain(span));
        } else if (!span) row[i] = { signal: s.name, input, sinceMs: timeMs, noticed: false };
        else if (!span.noticed && timeMs - span.sinceMs >= this.noticeAfterMs) {
          span.noticed = true;
          noticed.push(plain(span));
        }
      });
      if (row.every((span) => span === undefined)) this.spans.delete(s.name);
    }
    return { noticed, ended };
  }

  /** The noticed spans still going on. */
  missing(): NoDataSpan[] {
    const out: NoDataSpan[] = [];
    for (const row of this.spans.values()) for (const span of row) if (span?.noticed) out.push(plain(span));
    return out;
  }

  /** Takes up `signals`: a signal or input a reload removed is no longer watched, and forgotten without a word. */
  private watch(signals: readonly SignalConfig[]): void {
    this.signals = signals;
    this.wanted.clear();
    for (const s of signals) this.wanted.set(s.name, maskOf(s));
    for (const [name, row] of this.spans) {
      const want = this.wanted.get(name) ?? 0;
      row.forEach((_, i) => {
        if (!(want & (1 << i))) row[i] = undefined;
      });
      if (row.every((span) => span === undefined)) this.spans.delete(name);
    }
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
