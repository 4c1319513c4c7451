// A series' own upper tail of surprise, kept in a few hundred bytes: the TAIL_TOP largest values
// of each UTC day over the last TAIL_DAYS days (today included), and how many ticks each day had.
// It reads a value v as −ln of its exceedance probability among the series' own ticks, by peaks
// over threshold (Pickands 1975, Balkema & de Haan 1974: the excesses over a high threshold u are
// close to a generalised Pareto law; taken here with shape 0, i.e. exponential, as SPOT does for
// streams, Siffer et al. 2017 "Anomaly detection in streams with extreme value theory", KDD), on
// the residual's own scale r = √(2v) rather than on v:
//
//   P(V ≥ v) ≈ (N_u + 1)/(N + 1) · exp(−(r − r_u)/σ_u)   for v > u, r = √(2v), r_u = √(2u),
//
// N the ticks of the window, N_u those above u, σ_u their mean excess in r. u is the upper quartile
// of the days' TAIL_TOP-th largest values ("bars"): every value above a day's own bar is stored, so
// the excesses over u are complete for the days whose bar is at most u (three in four) and a
// slight undercount on the others. Below u the surprise rises linearly in r to its value at u.
// Why r: v is a surprise in nats, about z²/2 for a residual of z standard deviations, and shape 0
// must fit both kinds of series. On r the model's own tail (|z| normal) is in Gumbel's domain,
// shape 0; and real bursts whose size ratio is Pareto-tailed (log-ratio exponential, so z
// exponential) are exactly exponential in r. On v the same bursts are a Weibull tail of shape 1/2,
// much heavier than exponential, and an exponential fitted there is set by its few largest values.
// Chosen on NAB's design half and the series outside the ten (npm run nab); a shape fitted by
// moments on v was tried and dropped (docs/seasonal-baselines.md).
// Why not a model tail: real series are heavier-tailed than any count model (bursty mentions,
// half-hourly backups), by an amount that differs per series, so a model p-value overstates
// surprise on some series and not on others. Why an exponential excess: it extrapolates beyond
// the largest value seen at the rate the series' own tail falls, so a burst twice the size of any
// before still ranks above them (a capped or empirical-only tail would tie them).
//
// Storage: values as ln(1 + v) in 1/2048 units (Int16: v up to 8.9e6 nats, 0.05 % resolution),
// TAIL_DAYS × TAIL_TOP of them, each day's sorted largest first; one Float32 tick count per day.
// In slices of buffers the caller shares (no view per series). 180 + 60 bytes per series.

import { type ColumnScratch, encodeTyped, numbersTemplate } from '../../core/column-encoder.js';
import { millsRatio } from './anomaly-score.js';

/** Days kept, today included: two weeks of complete days and the current one. */
export const TAIL_DAYS = 15;
/** Largest values kept per day: 2 % of a day of 5-minute ticks. */
export const TAIL_TOP = 6;
/** Int16 entries one tail record takes. */
export const TAIL_VALUE_SLOTS = TAIL_DAYS * TAIL_TOP;
/** The tail is read once the window has this many ticks (before, the caller's model judges). */
export const MIN_TAIL_TICKS = 100;
/** Which of the days' bars is the threshold u: the upper quartile. */
const BAR_QUANTILE = 0.75;
const DAY_MS = 86_400_000;
const UNITS = 2048;

const encode = (v: number) => Math.min(32767, Math.max(0, Math.round(Math.log1p(Math.max(0, v)) * UNITS)));
const decode = (q: number) => Math.expm1(q / UNITS);

/** The UTC day of a data time: the tail record's block index before the modulo. */
export function tailDay(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS);
}

/** Empties a whole tail record (values at `vAt` of `values`, counts at `cAt` of `counts`). */
export function clearTail(values: Int16Array, counts: Float32Array, vAt = 0, cAt = 0): void {
  values.fill(0, vAt, vAt + TAIL_VALUE_SLOTS);
  counts.fill(0, cAt, cAt + TAIL_DAYS);
}

/**
 * Moves the record from day `fromDay` to day `toDay`: the blocks of the days in between and of
 * `toDay` itself are emptied (they held days that fell out of the window). O(TAIL_DAYS · TAIL_TOP).
 */
export function advanceTail(values: Int16Array, counts: Float32Array, fromDay: number, toDay: number, vAt = 0, cAt = 0): void {
  if (!(toDay > fromDay)) return;
  if (!Number.isFinite(fromDay) || toDay - fromDay >= TAIL_DAYS) {
    clearTail(values, counts, vAt, cAt);
    return;
  }
  for (let d = fromDay + 1; d <= toDay; d++) {
    const b = mod(d, TAIL_DAYS);
    counts[cAt + b] = 0;
    values.fill(0, vAt + b * TAIL_TOP, vAt + (b + 1) * TAIL_TOP);
  }
}

/**
 * Learns one tick's value v (≥ 0) into day `day`'s block. The caller advances the record first.
 * Returns whether v was kept among the day's largest (only then can tailThreshold move). O(TAIL_TOP).
 */
export function learnTail(values: Int16Array, counts: Float32Array, day: number, v: number, vAt = 0, cAt = 0): boolean {
  if (!(v >= 0)) return false;
  const b = mod(day, TAIL_DAYS);
  const n = counts[cAt + b]!;
  counts[cAt + b] = n + 1;
  const q = encode(v);
  const start = vAt + b * TAIL_TOP;
  const filled = Math.min(n, TAIL_TOP);
  if (filled === TAIL_TOP && q <= values[start + TAIL_TOP - 1]!) return false;
  // Insertion into the block's descending list.
  let i = Math.min(filled, TAIL_TOP - 1);
  while (i > 0 && values[start + i - 1]! < q) {
    values[start + i] = values[start + i - 1]!;
    i--;
  }
  values[start + i] = q;
  return true;
}

let barScratch = new Float64Array(TAIL_DAYS);

/** A surprise of v nats on the residual's scale, √(2v) (|z| for a normal residual far out); 0 below 0. */
function residualOf(v: number): number {
  return Math.sqrt(2 * Math.max(0, v));
}

/**
 * residualOf(decode(q)) for every 16-bit code, made once (256 KB for the process): the read of a
 * record takes a table entry per stored value, not an expm1 and a square root, at every series' tick.
 */
let residualByCode: Float64Array | undefined;

function residualTable(): Float64Array {
  if (residualByCode) return residualByCode;
  const table = new Float64Array(32768);
  for (let q = 0; q < table.length; q++) table[q] = residualOf(decode(q));
  residualByCode = table;
  return table;
}

/** tailThreshold's answer for a record without a full day. */
const NO_THRESHOLD = -1;

/**
 * The record's threshold u as its 16-bit code: the upper quartile of the days' bars (each full
 * day's TAIL_TOP-th largest value); NO_THRESHOLD while no day has TAIL_TOP values. O(TAIL_DAYS²) at
 * most (an insertion sort of the bars).
 */
function tailThreshold(values: Int16Array, counts: Float32Array, vAt = 0, cAt = 0): number {
  let bars = 0;
  if (barScratch.length < TAIL_DAYS) barScratch = new Float64Array(TAIL_DAYS);
  for (let b = 0; b < TAIL_DAYS; b++) if (counts[cAt + b]! >= TAIL_TOP) barScratch[bars++] = values[vAt + b * TAIL_TOP + TAIL_TOP - 1]!;
  if (bars === 0) return NO_THRESHOLD;
  // The bars sorted in place (at most TAIL_DAYS of them): no subarray per series and tick.
  const sorted = barScratch;
  for (let i = 1; i < bars; i++) {
    const x = sorted[i]!;
    let j = i;
    for (; j > 0 && sorted[j - 1]! > x; j--) sorted[j] = sorted[j - 1]!;
    sorted[j] = x;
  }
  return sorted[Math.min(bars - 1, Math.floor(bars * BAR_QUANTILE))]!;
}

/** Numbers a tail summary takes (summariseTail): the threshold's code, the values above it, their excess. */
export const TAIL_SUMMARY_FIELDS = 3;

/**
 * What tailSurprise reads of the record's values, written to out[at …]: the threshold u's code
 * (tailThreshold), how many stored values lie above it and their summed excess over u on the
 * residual scale. Like the threshold it moves only when learnTail keeps a value or the record
 * advances or is restored (a day's values beyond its count are zeros, below any threshold), so a
 * caller may keep it between those. O(TAIL_DAYS · TAIL_TOP).
 */
export function summariseTail(values: Int16Array, counts: Float32Array, vAt: number, cAt: number, out: Float64Array, at: number): void {
  const uq = tailThreshold(values, counts, vAt, cAt);
  let above = 0;
  let excess = 0;
  if (uq !== NO_THRESHOLD) {
    const residual = residualTable();
    const u = residual[uq]!;
    for (let b = 0; b < TAIL_DAYS; b++) {
      const filled = Math.min(counts[cAt + b]!, TAIL_TOP);
      for (let i = 0; i < filled; i++) {
        const q = values[vAt + b * TAIL_TOP + i]!;
        if (q <= uq) break;
        above++;
        excess += residual[q]! - u;
      }
    }
  }
  out[at] = uq;
  out[at + 1] = above;
  out[at + 2] = excess;
}

const summaryScratch = new Float64Array(TAIL_SUMMARY_FIELDS);

/**
 * v's surprise in nats, −ln P(V ≥ v), under the record's peaks-over-threshold tail; NaN while the
 * record has fewer than MIN_TAIL_TICKS ticks or no day with TAIL_TOP values. O(TAIL_DAYS · TAIL_TOP).
 */
export function tailSurprise(values: Int16Array, counts: Float32Array, v: number, vAt = 0, cAt = 0): number {
  if (Number.isNaN(v)) return Number.NaN;
  summariseTail(values, counts, vAt, cAt, summaryScratch, 0);
  return summarisedTailSurprise(counts, v, cAt, summaryScratch, 0);
}

/** tailSurprise from the record's counts and a summary summariseTail wrote at summary[at …]. O(TAIL_DAYS). */
export function summarisedTailSurprise(counts: Float32Array, v: number, cAt: number, summary: Float64Array, at: number): number {
  if (Number.isNaN(v)) return Number.NaN;
  let total = 0;
  for (let b = 0; b < TAIL_DAYS; b++) total += counts[cAt + b]!;
  const uq = summary[at]!;
  if (total < MIN_TAIL_TICKS || uq === NO_THRESHOLD) return Number.NaN;
  const u = residualTable()[uq]!;
  const above = summary[at + 1]!;
  const excess = summary[at + 2]!;
  const atU = -Math.log((above + 1) / (total + 1));
  const r = residualOf(v);
  if (r <= u) return u > 0 ? (atU * r) / u : 0;
  // Never lighter than the model's own tail: a surprise of the model is Exp(1), so its residual
  // √(2v) is Rayleigh, whose mean excess over u is the normal's Mills ratio. A record lighter than
  // that is an artefact (sparse counts take few values; a check that starts judging later adds a
  // kind of surprise the record never held), and extrapolating it made 2 of 2 completions counted a
  // tick late at 0.1 req/s read as a 10⁻⁴⁰ tick.
  const scale = Math.max(above > 0 ? excess / above : 1, millsRatio(u));
  return atU + (r - u) / scale;
}

/**
 * A tail record as plain numbers (for snapshots): each day's largest values as their 16-bit codes
 * (ln(1 + v) in 1/2048 units, as kept), largest first per day; ticks per day. Older snapshots held
 * the values in nats (`values`); they still restore.
 */
export interface TailSnapshot {
  day: number | null;
  codes?: number[];
  values?: number[];
  counts: number[];
}

export function snapshotTail(values: Int16Array, counts: Float32Array, day: number, vAt = 0, cAt = 0): TailSnapshot {
  return {
    day: Number.isFinite(day) ? day : null,
    codes: Array.from(values.subarray(vAt, vAt + TAIL_VALUE_SLOTS)),
    counts: Array.from(counts.subarray(cAt, cAt + TAIL_DAYS)),
  };
}

/** The template of snapshotTail's result in columns (see core/column-encoder.ts). */
export const TAIL_TEMPLATE = `{"day":0,"codes":${numbersTemplate('i', TAIL_VALUE_SLOTS)},"counts":${numbersTemplate('f', TAIL_DAYS)}}`;

/** Writes snapshotTail's numbers to the columns of TAIL_TEMPLATE, straight from the record. */
export function encodeTailColumns(values: Int16Array, counts: Float32Array, day: number, s: ColumnScratch, vAt = 0, cAt = 0): string {
  s.f64.push(Number.isFinite(day) ? day : Number.NaN);
  encodeTyped(values, vAt, TAIL_VALUE_SLOTS, s.i16, 'i');
  encodeTyped(counts, cAt, TAIL_DAYS, s.f32, 'f');
  return TAIL_TEMPLATE;
}

/** Restores a snapshot into the record; returns its day (NaN, and an empty record, when it does not fit). */
export function restoreTail(values: Int16Array, counts: Float32Array, s: unknown, vAt = 0, cAt = 0): number {
  const t = s as Partial<TailSnapshot> | null | undefined;
  const slots = (a: unknown, ok: (x: unknown) => boolean) => Array.isArray(a) && a.length === TAIL_VALUE_SLOTS && a.every(ok);
  const codes = slots(t?.codes, (x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 32767);
  const fits =
    !!t &&
    typeof t.day === 'number' &&
    Number.isFinite(t.day) &&
    (codes || slots(t.values, (x) => typeof x === 'number' && x >= 0 && Number.isFinite(x))) &&
    Array.isArray(t.counts) &&
    t.counts.length === TAIL_DAYS &&
    t.counts.every((x) => typeof x === 'number' && x >= 0 && Number.isFinite(x));
  if (!fits) {
    clearTail(values, counts, vAt, cAt);
    return Number.NaN;
  }
  if (codes) values.set(t.codes!, vAt);
  else t.values!.forEach((x, i) => (values[vAt + i] = encode(x)));
  counts.set(t.counts!, cAt);
  return t.day!;
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
