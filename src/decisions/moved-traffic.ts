// Traffic that moved between the series of a split signal is no outage. A route cut over to another
// path (a canary by path, an API version retired) or a pod taken out of its load balancer while it
// still exports its counters collapses one series while its siblings gain what it lost; the series
// alone reads as an outage, and its baseline, which a collapse never teaches, keeps it alarmed.
//
// Read on the signal's total rate (every series of the signal present in the frame, new ones
// included): a move leaves the total where it was, an outage takes the lost rate off it. The
// collapse is measured from two ticks of the series: its last with no evidence of the collapse (the
// tick before an abrupt fall) and its last at or above what was expected of it (where a fade over
// minutes began): what the series lost since that tick, and how the total moved since the same one.
// The total's change is read against how the total moves anyway over the same lag: the median
// (drift: a daily ramp) and the scaled MAD of the same lagged differences over the hour before
// (demand's wobble, common to the routes or not, and counting noise, as this signal has them), never
// below counting noise. The collapse moved if the total's change, its drift taken off, stands enough
// spreads above what an outage would leave (−lost) that an outage passes with probability
// OUTAGE_AS_MOVE over all of a collapse's judgements, under a normal spread; and if the others did
// not gain more than half the loss besides that much spread (a surge elsewhere is no move). Where
// the spread is too wide to tell (a small route among large ones, a short history), nothing is
// judged moved and the collapse pages as before.
// Pure.

import { probit } from 'simple-statistics';

/** How far back the total is kept: the lagged differences that say how it moves are read from it. */
export const TOTAL_HISTORY_MS = 3_600_000;
/** The ring never holds more ticks than this (an hour at 1 s). */
export const MAX_TOTAL_TICKS = 3_600;
/** Lagged differences needed before the spread is read. */
export const MIN_DIFFERENCES = 20;
/**
 * The chance an outage is taken for a move, over all the judgements of one collapse (each of its
 * judged ticks, from each of its two ticks before): each judgement is made at its share (Bonferroni),
 * so at 15 s ticks (eight) a moved total stands about 3.65 spreads above what an outage would leave.
 */
export const OUTAGE_AS_MOVE = 0.001;
/**
 * A collapse is judged from its alarm's first tick for this long (at least JUDGED_TICKS ticks):
 * a route's new counter has a rate only from its second scrape, and a Prometheus rate() of the
 * old one falls over its range.
 */
export const JUDGED_FOR_MS = 60_000;
export const JUDGED_TICKS = 4;
/** How many ticks of a collapse's alarm are judged: its first JUDGED_FOR_MS, at least JUDGED_TICKS. */
export function judgedTicks(tickMs: number): number {
  return Math.max(JUDGED_TICKS, Math.ceil(JUDGED_FOR_MS / tickMs));
}

/** How far above its counting noise a loss must be for new series carrying it to be read as its traffic. */
export const NEW_SERIES_SIGMAS = 4;
/** A series first seen within this long counts as new for NEW_SERIES judgements. */
export const NEW_SERIES_MS = TOTAL_HISTORY_MS;

/** Scales a MAD to a normal σ (1/Φ⁻¹(3/4)). */
const MAD_TO_SIGMA = 1.4826;

/** The verdict on a tick's collapses, with what it was read from (for the log and tests). */
export interface MoveVerdict {
  moved: boolean;
  /** What the collapses judged lost since their tick before (requests a second); NaN when not judged. */
  lost: number;
  /** The total's change since the tick the collapse is measured from, its drift taken off (requests a second); NaN when not judged. */
  change: number;
  /** The spread that change is read against (requests a second); NaN when not judged. */
  sigma: number;
}

const NOT_JUDGED: MoveVerdict = Object.freeze({ moved: false, lost: Number.NaN, change: Number.NaN, sigma: Number.NaN });

/** A split signal's total request rate, tick by tick over the last hour, and the verdicts read from it. */
export class SignalTotals {
  private readonly times: Float64Array;
  private readonly totals: Float64Array;
  private head = 0;
  private size = 0;
  /** Scratch for the differences (grown to the ring's size once). */
  private scratch = new Float64Array(0);

  constructor(private readonly tickMs: number) {
    const capacity = Math.max(MIN_DIFFERENCES + 2, Math.min(MAX_TOTAL_TICKS, Math.ceil(TOTAL_HISTORY_MS / tickMs)));
    this.times = new Float64Array(capacity);
    this.totals = new Float64Array(capacity);
  }

  /** Records a tick's total (NaN: none of the signal's series had a rate). Times must rise. */
  push(timeMs: number, total: number): void {
    const capacity = this.times.length;
    const at = (this.head + this.size) % capacity;
    this.times[at] = timeMs;
    this.totals[at] = total;
    if (this.size < capacity) this.size++;
    else this.head = (this.head + 1) % capacity;
  }

  /** The i-th oldest entry's index in the ring. */
  private index(i: number): number {
    return (this.head + i) % this.times.length;
  }

  /**
   * Whether a collapse of `lost` requests a second since `beforeMs` (a tick pushed before, the one
   * the collapsing series is measured from) is traffic moved to the signal's other series, judged on
   * the latest tick pushed: the total at least `sigmas` spreads above what an outage would leave.
   */
  judge(beforeMs: number, lost: number, sigmas: number): MoveVerdict {
    if (!(lost > 0) || !Number.isFinite(beforeMs) || this.size < 2) return NOT_JUDGED;
    const now = this.totals[this.index(this.size - 1)]!;
    if (!Number.isFinite(now)) return NOT_JUDGED;
    let end = this.size - 2;
    while (end >= 0 && this.times[this.index(end)]! > beforeMs) end--;
    if (end < 0 || this.times[this.index(end)] !== beforeMs) return NOT_JUDGED;
    const before = this.totals[this.index(end)]!;
    if (!Number.isFinite(before)) return NOT_JUDGED;
    // The same lag over the history up to that tick: how the total moves anyway. Pairs are one
    // lag apart in time as in the ring (a tick the pipeline never stepped leaves a pair out).
    const lag = this.size - 1 - end;
    const lagMs = this.times[this.index(this.size - 1)]! - beforeMs;
    if (this.scratch.length < this.size) this.scratch = new Float64Array(this.times.length);
    const d = this.scratch;
    let n = 0;
    for (let i = end; i - lag >= 0; i--) {
      if (this.times[this.index(i)]! - this.times[this.index(i - lag)]! !== lagMs) continue;
      const x = this.totals[this.index(i)]! - this.totals[this.index(i - lag)]!;
      if (Number.isFinite(x)) d[n++] = x;
    }
    if (n < MIN_DIFFERENCES) return NOT_JUDGED;
    const sorted = d.subarray(0, n).sort();
    const drift = median(sorted);
    for (let i = 0; i < n; i++) sorted[i] = Math.abs(sorted[i]! - drift);
    const spread = MAD_TO_SIGMA * median(sorted.sort());
    // Never below counting noise: the difference of two totals of this size over one tick each.
    const seconds = this.tickMs / 1000;
    const sigma = Math.max(spread, Math.sqrt((Math.max(now, 0) + Math.max(before, 0)) / seconds));
    const change = now - before - drift;
    const moved = change >= -lost + sigmas * sigma && change <= Math.max(sigmas * sigma, lost / 2);
    return { moved, lost, change, sigma };
  }
}

/** A series in a rate-drop alarm: the data time its alarm began, and whether it was judged traffic moved. */
export interface Collapse {
  /** The series' id. */
  series: string;
  alarmSinceMs: number;
  moved: boolean;
  /**
   * Not judged moved this tick while a series of the signal that appeared a tick ago or now has no
   * rate yet (a counter's first sample): where the traffic went may show at the next tick, so the
   * collapse's page waits for it (an unsettled kind: at most classifyWithin).
   */
  awaiting?: boolean;
}

/**
 * A split signal's traffic as a tick builds it: the sum of its series' rates, and the collapses
 * still being judged (their lost rate and earliest change-point), then judged together.
 */
export class SignalTraffic {
  readonly totals: SignalTotals;
  private sum = 0;
  private present = 0;
  /** This tick's rates of the signal's series first seen in the last hour, and when each was first seen. */
  private readonly newRates: number[] = [];
  private readonly newBornMs: number[] = [];
  /** A series that appeared a tick ago or now has no rate yet (see Collapse.awaiting). */
  private newWithoutRate = false;
  private readonly fromQuiet = new Loss();
  private readonly fromLevel = new Loss();
  private readonly pending: Collapse[] = [];

  /** The spreads each judgement asks for (OUTAGE_AS_MOVE shared by a collapse's judgements). */
  private readonly sigmas: number;

  constructor(private readonly tickMs: number) {
    this.totals = new SignalTotals(tickMs);
    this.sigmas = -probit(OUTAGE_AS_MOVE / (2 * judgedTicks(tickMs)));
  }

  /** Adds a series' rate this tick (NaN: not known, left out); `bornMs`: when a series first seen within the last hour was. */
  add(requests: number, bornMs?: number, timeMs = Number.NaN): void {
    if (!Number.isFinite(requests)) {
      if (bornMs !== undefined && timeMs - bornMs <= this.tickMs) this.newWithoutRate = true;
      return;
    }
    this.sum += requests;
    this.present++;
    if (bornMs === undefined) return;
    this.newRates.push(requests);
    this.newBornMs.push(bornMs);
  }

  /**
   * A series in a rate-drop alarm this tick, at `requests`, measured from two ticks pushed before:
   * its last with no evidence of the collapse (`quiet`, at `quietMs`) and its last at or above what
   * was expected of it (`level`, at `levelMs`). Judged with the others at the end of the tick while
   * its alarm is young.
   */
  collapse(c: Collapse, requests: number, quiet: number, quietMs: number, level: number, levelMs: number, timeMs: number): void {
    c.awaiting = false;
    if (c.moved || timeMs - c.alarmSinceMs >= judgedTicks(this.tickMs) * this.tickMs) return;
    if (!(Number.isFinite(requests) && (quiet > requests || level > requests))) return;
    this.fromQuiet.add(requests, quiet, quietMs);
    this.fromLevel.add(requests, level, levelMs);
    this.pending.push(c);
  }

  /**
   * Ends the tick: records its total and judges its young collapses together, from their quiet
   * ticks, then (not moved from there) from their level ticks; `onMoved` hears of each collapse
   * judged moved. Returns the verdict (NaNs when none was judged).
   */
  endTick(timeMs: number, onMoved?: (c: Collapse, verdict: MoveVerdict) => void): MoveVerdict {
    this.totals.push(timeMs, this.present > 0 ? this.sum : Number.NaN);
    let verdict = NOT_JUDGED;
    if (this.pending.length > 0) {
      verdict = this.fromQuiet.judge(this.totals, this.sigmas);
      if (!verdict.moved) {
        const fromLevel = this.fromLevel.judge(this.totals, this.sigmas);
        if (fromLevel.moved || Number.isNaN(verdict.sigma)) verdict = fromLevel;
      }
      // Series that appeared since then carrying what was lost (a route renamed, a new pod): a move,
      // however much the others' wobble hides it in the total.
      if (!verdict.moved) {
        let toNew = this.fromQuiet.judgeNew(this.newRates, this.newBornMs, this.tickMs);
        if (!toNew.moved) toNew = this.fromLevel.judgeNew(this.newRates, this.newBornMs, this.tickMs);
        if (toNew.moved) verdict = toNew;
      }
      for (const c of this.pending) {
        if (verdict.moved) {
          c.moved = true;
          onMoved?.(c, verdict);
        } else c.awaiting = this.newWithoutRate;
      }
    }
    this.sum = 0;
    this.present = 0;
    this.newRates.length = 0;
    this.newBornMs.length = 0;
    this.newWithoutRate = false;
    this.fromQuiet.reset();
    this.fromLevel.reset();
    this.pending.length = 0;
    return verdict;
  }
}

/** What a tick's young collapses lost since one kind of tick before them, and the earliest such tick. */
class Loss {
  private lost = 0;
  private fromMs = Number.POSITIVE_INFINITY;

  add(requests: number, before: number, beforeMs: number): void {
    if (!(before > requests) || !Number.isFinite(beforeMs)) return;
    this.lost += before - requests;
    if (beforeMs < this.fromMs) this.fromMs = beforeMs;
  }

  judge(totals: SignalTotals, sigmas: number): MoveVerdict {
    return totals.judge(this.fromMs, this.lost, sigmas);
  }

  /**
   * Whether series first seen at or after the tick the loss is measured from carry what was lost:
   * between half and twice it, the loss itself well clear of counting noise (NEW_SERIES_SIGMAS).
   * `change` is their rate, `sigma` the loss's counting noise.
   */
  judgeNew(rates: readonly number[], bornMs: readonly number[], tickMs: number): MoveVerdict {
    if (!(this.lost > 0) || !Number.isFinite(this.fromMs) || rates.length === 0) return NOT_JUDGED;
    let taken = 0;
    for (let i = 0; i < rates.length; i++) if (bornMs[i]! >= this.fromMs) taken += rates[i]!;
    const noise = Math.sqrt(this.lost / (tickMs / 1000));
    const moved = this.lost >= NEW_SERIES_SIGMAS * noise && taken >= this.lost / 2 && taken <= 2 * this.lost;
    return { moved, lost: this.lost, change: taken, sigma: noise };
  }

  reset(): void {
    this.lost = 0;
    this.fromMs = Number.POSITIVE_INFINITY;
  }
}

/** The median of a sorted array. */
function median(s: Float64Array): number {
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}
