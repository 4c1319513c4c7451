// The error bursts a series has had: a route whose errors come in clumps (a client's failing batch,
// a few times a day) raises an error alarm at each clump, and the clumps, each alarmed, are never
// learnt as the route's spread: each one paged (59-87 pages a fortnight at 1 request a second).
// An episode is followed from the error check's change-point (its evidence leaving zero) to the
// evidence's return to zero (an alarm's end); one that alarmed and ended within MAX_BURST_MS is
// remembered as a burst by three numbers: its excess errors (against the baseline ratio, at their
// peak), its length, and its intensity: its greatest rate of excess errors over about INTENSITY_MS
// (exponentially weighted, each tick's errors spread over its length, so that a rate reads alike at
// 1 s and at 15 s ticks), in errors per INTENSITY_MS. While the series has had at least
// RECURRED bursts in the last BURST_MEMORY_MS, a new alarm is held (not taken as a failure) for as
// long as its episode stays within the second-largest of each, with HOLD_MARGIN to spare: no
// larger, no longer, no more intense than the bursts were. Once past any of them it is a failure
// until it ends. One burst is no pattern (it may have been an incident), so a route must have
// shown a clump as large twice. An episode that begins while a deploy that can affect the series
// is in question is never held nor remembered: errors a deploy brings are its own to judge, and a
// held alarm that grew into the next deploy's window would fail that deploy. A break more intense than the bursts pages at once; what the hold
// costs is a failure no more intense than they were, paged once it counts or lasts more (measured
// in docs/how-it-decides.md, "Error bursts a route has had").
// Pure: the state is numbers in a Float64Array, times come in as arguments.

/** The reason an error evaluation that is anomalous but held carries (decisions/assess.ts: no failure). */
export const HELD_BURST = 'within the error bursts this series has had';
/** The reason an alarm that was measured against the bursts and outgrew them carries (the page says so). */
export const OUTGREW_BURSTS = 'past the error bursts this series has had';
/** followBurst's answers: not measured against bursts, held, or outgrew them. */
export const NOT_HELD = 0;
export const HELD = 1;
export const OUTGREW = 2;
/** An episode longer than this (change-point to end) was no burst. */
export const MAX_BURST_MS = 15 * 60_000;
/** How long a burst is remembered. */
export const BURST_MEMORY_MS = 7 * 86_400_000;
/** Bursts in memory before an alarm is held. */
export const RECURRED = 2;
/** How far past the envelope (a share of it) an alarm is still held. */
export const HOLD_MARGIN = 0.25;
/** The time constant of an episode's intensity. */
export const INTENSITY_MS = 15_000;
/** Bursts kept: past this, an expired one goes, else the one with the fewest excess errors. */
export const BURST_SLOTS = 8;

// The episode being followed: its change-point (NaN: none), excess errors so far, 1 once it
// alarmed, 1 once its alarm outgrew the envelope, its peak excess, its intensity now and at most,
// and the time of its last tick.
const START = 0;
const EXCESS = 1;
const ALARMED = 2;
const ESCALATED = 3;
const PEAK = 4;
const INTENSITY = 5;
const MOST_INTENSE = 6;
const LAST = 7;
/** 1 when a deploy was in question before the episode's alarm: neither held nor remembered. */
const DEPLOYED = 8;
/** 1 once the alarm outgrew an envelope of RECURRED bursts or more. */
const OUTGROWN = 9;
/** Where the bursts start: each is its end time (NaN: an empty slot), then its excess, seconds and greatest intensity. */
const SLOTS = 10;
const SLOT_FIELDS = 4;
export const BURST_FIELDS = SLOTS + BURST_SLOTS * SLOT_FIELDS;

/** A fresh state: no episode followed, no burst remembered. */
export function newBursts(): Float64Array {
  const a = new Float64Array(BURST_FIELDS).fill(Number.NaN);
  startEpisode(a, Number.NaN);
  return a;
}

function startEpisode(a: Float64Array, startMs: number): void {
  a[START] = startMs;
  a[EXCESS] = a[ALARMED] = a[ESCALATED] = a[PEAK] = a[INTENSITY] = a[MOST_INTENSE] = a[DEPLOYED] = a[OUTGROWN] = 0;
  a[LAST] = startMs;
}

/** The envelope an alarm is held within: the second-largest of the remembered bursts' numbers, NaN when fewer than RECURRED. */
export interface BurstEnvelope {
  bursts: number;
  excess: number;
  seconds: number;
  intensity: number;
}

/** The envelope of the bursts remembered at `nowMs`. */
export function burstEnvelope(a: Float64Array, nowMs: number, out: BurstEnvelope = { bursts: 0, excess: Number.NaN, seconds: Number.NaN, intensity: Number.NaN }): BurstEnvelope {
  out.bursts = 0;
  for (let i = 0; i < BURST_SLOTS; i++) if (live(a[SLOTS + i * SLOT_FIELDS]!, nowMs)) out.bursts++;
  out.excess = secondLargest(a, 1, nowMs, out.bursts);
  out.seconds = secondLargest(a, 2, nowMs, out.bursts);
  out.intensity = secondLargest(a, 3, nowMs, out.bursts);
  return out;
}

function secondLargest(a: Float64Array, field: number, nowMs: number, bursts: number): number {
  if (bursts < RECURRED) return Number.NaN;
  let first = Number.NEGATIVE_INFINITY;
  let second = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < BURST_SLOTS; i++) {
    const at = SLOTS + i * SLOT_FIELDS;
    if (!live(a[at]!, nowMs)) continue;
    const x = a[at + field]!;
    if (x > first) {
      second = first;
      first = x;
    } else if (x > second) second = x;
  }
  return second;
}

const envelope: BurstEnvelope = { bursts: 0, excess: Number.NaN, seconds: Number.NaN, intensity: Number.NaN };

/**
 * Follows the error check through one tick of `tickMs`: `alarmed` after the tick, `building`
 * whether its evidence is above zero, `excess` the tick's errors over what the baseline ratio
 * expected (NaN: none read, as at a tick without requests), `deployWindow` whether a deploy that
 * can affect the series is in question. An episode that ends is remembered if it alarmed and
 * was short enough. Returns HELD while the alarm is within the envelope of the bursts remembered
 * before its episode began, OUTGREW once it has grown past one, else NOT_HELD.
 */
export function followBurst(a: Float64Array, alarmed: boolean, building: boolean, excess: number, nowMs: number, tickMs: number, deployWindow = false): number {
  if (!alarmed && !building) {
    if (!Number.isNaN(a[START]!)) {
      const lasted = nowMs - a[START]!;
      if (a[ALARMED] !== 0 && a[DEPLOYED] === 0 && lasted >= 0 && lasted <= MAX_BURST_MS) remember(a, nowMs);
      startEpisode(a, Number.NaN);
    }
    return NOT_HELD;
  }
  if (Number.isNaN(a[START]!)) startEpisode(a, nowMs);
  const seconds = (nowMs - a[START]!) / 1000;
  if (Number.isFinite(excess)) {
    a[EXCESS] = a[EXCESS]! + excess;
    if (a[EXCESS]! > a[PEAK]!) a[PEAK] = a[EXCESS]!;
    // A constant rate r of excess errors settles at r·INTENSITY_MS whatever the tick's length.
    const spread = tickMs > 0 ? (INTENSITY_MS / tickMs) * -Math.expm1(-tickMs / INTENSITY_MS) : 1;
    a[INTENSITY] = a[INTENSITY]! * Math.exp(-Math.max(0, nowMs - a[LAST]!) / INTENSITY_MS) + excess * spread;
    a[LAST] = nowMs;
    if (a[INTENSITY]! > a[MOST_INTENSE]!) a[MOST_INTENSE] = a[INTENSITY]!;
  }
  if (deployWindow && a[ALARMED] === 0) a[DEPLOYED] = 1;
  if (!alarmed) return NOT_HELD;
  a[ALARMED] = 1;
  if (a[DEPLOYED] !== 0) a[ESCALATED] = 1;
  if (a[ESCALATED] !== 0) return a[OUTGROWN] !== 0 ? OUTGREW : NOT_HELD;
  const e = burstEnvelope(a, a[START]!, envelope);
  if (a[EXCESS]! <= e.excess * (1 + HOLD_MARGIN) && seconds <= e.seconds * (1 + HOLD_MARGIN) && a[MOST_INTENSE]! <= e.intensity * (1 + HOLD_MARGIN)) return HELD;
  a[ESCALATED] = 1;
  if (e.bursts >= RECURRED) a[OUTGROWN] = 1;
  return a[OUTGROWN] !== 0 ? OUTGREW : NOT_HELD;
}

function live(endMs: number, nowMs: number): boolean {
  return !Number.isNaN(endMs) && nowMs - endMs <= BURST_MEMORY_MS;
}

/** Remembers the alarm just ended, in an empty or expired slot, else in place of the smallest burst if it is larger. */
function remember(a: Float64Array, endMs: number): void {
  let slot = -1;
  for (let i = 0; i < BURST_SLOTS && slot < 0; i++) if (!live(a[SLOTS + i * SLOT_FIELDS]!, endMs)) slot = i;
  if (slot < 0) {
    slot = 0;
    for (let i = 1; i < BURST_SLOTS; i++) if (a[SLOTS + i * SLOT_FIELDS + 1]! < a[SLOTS + slot * SLOT_FIELDS + 1]!) slot = i;
    if (a[SLOTS + slot * SLOT_FIELDS + 1]! > a[PEAK]!) return;
  }
  const at = SLOTS + slot * SLOT_FIELDS;
  a[at] = endMs;
  a[at + 1] = a[PEAK]!;
  a[at + 2] = (endMs - a[START]!) / 1000;
  a[at + 3] = a[MOST_INTENSE]!;
}

/** The state as saved (NaN as null), and restored from that: anything else is a fresh state. */
export function snapshotBursts(a: Float64Array): (number | null)[] {
  return Array.from(a, (x) => (Number.isNaN(x) ? null : x));
}

export function restoreBursts(saved: unknown): Float64Array | null {
  if (!Array.isArray(saved) || saved.length !== BURST_FIELDS || !saved.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x)))) return null;
  const a = Float64Array.from(saved as (number | null)[], (x) => (x === null ? Number.NaN : x));
  if ([EXCESS, ALARMED, ESCALATED, PEAK, INTENSITY, MOST_INTENSE, DEPLOYED, OUTGROWN].some((k) => Number.isNaN(a[k]!))) return null;
  return a;
}
