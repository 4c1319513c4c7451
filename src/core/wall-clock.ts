// The wall clock of a named time zone (IANA: "Europe/Berlin", "America/New_York"): what a data time
// reads as there. Traffic follows the clocks of the people who make it, so a daily cycle moves an
// hour against UTC at each daylight-saving change; a profile kept by the zone's hours does not.
//
// Offsets come from the runtime's time-zone database (Intl, ICU's tzdata). Asking it costs a few
// microseconds, too much for 100k series a tick, so the clock keeps the spans over which the offset
// is constant (two or three a year where the zone has daylight saving): a time inside a known span
// is one comparison, a new span is found once by stepping a day at a time and bisecting to the
// millisecond (a few hundred questions, about a millisecond).
// Pure: no clock is read; times come in as arguments.

const DAY_MS = 86_400_000;
/** A span is followed this far at most each way (a zone without daylight saving has one span). */
const SPAN_SEARCH_DAYS = 400;
/** Spans kept: a backtest of a year in a daylight-saving zone has three; old ones are let go first. */
const MAX_SPANS = 16;

interface Span {
  /** First and last millisecond (UTC) of the offset. */
  fromMs: number;
  toMs: number;
  offsetMs: number;
}

/** Why `name` is not a time zone the runtime knows, or undefined when it is. */
export function timeZoneProblem(name: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(name)}; expected an IANA name like UTC, Europe/Berlin or America/New_York`;
  }
}

export class WallClock {
  private readonly format: Intl.DateTimeFormat;
  private readonly spans: Span[] = [];
  /** The span the last question fell in (most questions of a tick fall in the same one). */
  private last: Span | undefined;

  /** @throws RangeError when the runtime does not know `timeZone`. */
  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's offset from UTC at `utcMs` (ms; +3_600_000 for CET). NaN for a time that is not finite. */
  offsetMs(utcMs: number): number {
    if (!Number.isFinite(utcMs)) return Number.NaN;
    const last = this.last;
    if (last !== undefined && utcMs >= last.fromMs && utcMs <= last.toMs) return last.offsetMs;
    return (this.last = this.spanAt(utcMs)).offsetMs;
  }

  /** `utcMs` as the zone's wall clock reads it, in milliseconds since 1970-01-01 00:00 of that clock. */
  wallMs(utcMs: number): number {
    return utcMs + this.offsetMs(utcMs);
  }

  private spanAt(utcMs: number): Span {
    for (const s of this.spans) if (utcMs >= s.fromMs && utcMs <= s.toMs) return s;
    const offsetMs = this.ask(utcMs);
    const span: Span = { fromMs: this.edge(utcMs, offsetMs, -1), toMs: this.edge(utcMs, offsetMs, 1), offsetMs };
    if (this.spans.length >= MAX_SPANS) this.spans.shift();
    this.spans.push(span);
    return span;
  }

  /** The last millisecond in direction `dir` from `utcMs` with the same offset (within SPAN_SEARCH_DAYS). */
  private edge(utcMs: number, offsetMs: number, dir: 1 | -1): number {
    let same = utcMs;
    for (let day = 1; day <= SPAN_SEARCH_DAYS; day++) {
      const probe = utcMs + dir * day * DAY_MS;
      if (this.ask(probe) !== offsetMs) {
        // Bisect between the last probe with this offset and the first without it.
        let other = probe;
        while (Math.abs(other - same) > 1) {
          const mid = Math.floor((same + other) / 2);
          if (this.ask(mid) === offsetMs) same = mid;
          else other = mid;
        }
        return same;
      }
      same = probe;
    }
    return same;
  }

  /** The runtime's offset at `utcMs`: the wall clock's fields read back as if they were UTC. */
  private ask(utcMs: number): number {
    const f: Record<string, number> = {};
    for (const p of this.format.formatToParts(utcMs)) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const wall = Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!);
    // The fields hold whole seconds: compare against the time's own whole second.
    return wall - Math.floor(utcMs / 1000) * 1000;
  }
}

const clocks = new Map<string, WallClock>();

/**
 * The one clock of `timeZone`, shared by every series that uses it (its spans are learnt once);
 * undefined for UTC, whose wall clock is the data time itself.
 */
export function wallClockOf(timeZone: string | undefined): WallClock | undefined {
  if (timeZone === undefined || timeZone === 'UTC' || timeZone === 'Etc/UTC') return undefined;
  let clock = clocks.get(timeZone);
  if (!clock) clocks.set(timeZone, (clock = new WallClock(timeZone)));
  return clock;
}
