// A trailing baseline that resists outliers: median and scaled MAD of bucket values. A bucket pools
// `bucketSize` consecutive learnt ticks (their counts are summed first, then turned into a value:
// a log-rate or a ratio), so a quiet series' buckets hold whole minutes of requests rather than
// noisy single-tick ratios, and a long window fits in little memory. σ is scaled back to one tick.
// Which ticks are learnt is the caller's decision (an incident must not become the new normal).

import { type ColumnScratch, numbersTemplate } from '../../core/column-encoder.js';
import { SampleWindow } from '../../series/sample-window.js';
import { type WindowCoding, asKept } from '../../series/window-codes.js';

/** 1 / Φ⁻¹(3/4): makes the MAD a consistent estimator of σ for normal data (Rousseeuw & Croux 1993). */
export const MAD_TO_SIGMA = 1.4826;

/** How a bucket's pooled numerator and denominator become its value (and how its window codes it). */
export type BucketValue = WindowCoding;

// Keeps log() finite for a bucket with no requests; far below any rate worth watching.
const RATE_EPSILON = 1e-3;
/**
 * The log-rate of a bucket without requests, as a window keeps it (ln 1e-3 to the 1/1024 nat below
 * it): a median at or below it says the typical bucket was empty, not that a rate of 1e-3/s was seen.
 */
export const EMPTY_BUCKET_LOG_RATE = asKept('log-rate', Math.log(RATE_EPSILON));

export interface BaselineStats {
  median: number;
  /** Robust σ of one tick's value: 1.4826 × MAD × √bucketSize, before any floor. */
  sigma: number;
  /**
   * Standard error of the median itself: √(π/2) × (1.4826 × MAD) / √buckets, the large-sample
   * variance of a sample median, πσ²/2n for normal data (Kenney & Keeping 1962, §13.13). A baseline
   * of a few noisy buckets is itself uncertain: what a change is measured against must say so.
   */
  medianError: number;
}

/** √(π/2): a sample median's standard error over the mean's, for normal data. */
export const MEDIAN_ERROR_FACTOR = Math.sqrt(Math.PI / 2);

export interface BaselineSnapshot {
  values: number[];
  /** A bucket being filled: its numerator and denominator sums and its ticks (absent: empty). */
  partial?: [number, number, number];
}

/** The window's median and MAD as refresh reads them (one thread). */
const spread = new Float64Array(2);

export class RobustBaseline {
  /** Numbers a baseline keeps in its `scalars` (see below). */
  static readonly SCALARS = 7;
  private readonly window: SampleWindow;
  /**
   * The partial bucket's sums and ticks, the window's cached median, σ and median error (they
   * change only when a bucket completes: once a minute), and whether the cache is valid, as numbers
   * of a Float64Array from `scalarsAt`, a detector's own (no boxed number per field per series).
   * Zeroed scalars are a new baseline's. With its window's storage, they are all it knows: one
   * object, re-pointed by `rebase`, reads every series' baseline of one shape.
   */
  private scalars: Float64Array;
  private scalarsAt: number;
  /** Pooling k ticks makes a value vary √k times less than one tick's: undo that for σ. */
  private readonly sigmaScale: number;

  /**
   * @param capacity bucket values in the trailing window (e.g. 60 one-minute buckets for an hour)
   * @param bucketSize learnt ticks pooled into one value (1: every tick kept)
   * @param value log-rate: ln(Σcount / Σseconds); ratio: Σnumerator / Σdenominator
   * @param header the window's header (WINDOW_HEADER_FLOATS floats from `headerAt`); default: its own
   * @param codes the window's values (`capacity` shorts from `codesAt`, window-codes.ts); default: its own
   * @param scalars SCALARS numbers from `scalarsAt`, zeroed or a baseline's; default: its own
   */
  constructor(
    capacity: number,
    private readonly bucketSize = 1,
    private readonly value: BucketValue = 'ratio',
    header?: Float32Array,
    headerAt = 0,
    codes?: Int16Array,
    codesAt = 0,
    scalars?: Float64Array,
    scalarsAt = 0,
    order?: Uint8Array,
    orderAt = 0,
  ) {
    this.window = new SampleWindow(capacity, value, header, headerAt, codes, codesAt, order, orderAt);
    this.scalars = scalars ?? new Float64Array(RobustBaseline.SCALARS);
    this.scalarsAt = scalars ? scalarsAt : 0;
    if (this.scalars.length < this.scalarsAt + RobustBaseline.SCALARS) throw new RangeError('scalars too small for the baseline');
    this.sigmaScale = MAD_TO_SIGMA * Math.sqrt(bucketSize);
  }

  /**
   * Points this object at another baseline of the same shape (capacity, bucket size and value):
   * its window's header, codes and order as the window's rebase takes them, and its scalars. Unchecked.
   */
  rebase(header: Float32Array, headerAt: number, codes: Int16Array, codesAt: number, scalars: Float64Array, scalarsAt: number, order: Uint8Array | undefined, orderAt: number): this {
    this.window.rebase(header, headerAt, codes, codesAt, order, orderAt);
    this.scalars = scalars;
    this.scalarsAt = scalarsAt;
    return this;
  }

  private get num(): number {
    return this.scalars[this.scalarsAt]!;
  }
  private set num(v: number) {
    this.scalars[this.scalarsAt] = v;
  }
  private get den(): number {
    return this.scalars[this.scalarsAt + 1]!;
  }
  private set den(v: number) {
    this.scalars[this.scalarsAt + 1] = v;
  }
  private get ticks(): number {
    return this.scalars[this.scalarsAt + 2]!;
  }
  private set ticks(v: number) {
    this.scalars[this.scalarsAt + 2] = v;
  }
  private get cachedMedian(): number {
    return this.scalars[this.scalarsAt + 3]!;
  }
  private set cachedMedian(v: number) {
    this.scalars[this.scalarsAt + 3] = v;
  }
  private get cachedSigma(): number {
    return this.scalars[this.scalarsAt + 4]!;
  }
  private set cachedSigma(v: number) {
    this.scalars[this.scalarsAt + 4] = v;
  }
  private get cachedMedianError(): number {
    return this.scalars[this.scalarsAt + 5]!;
  }
  private set cachedMedianError(v: number) {
    this.scalars[this.scalarsAt + 5] = v;
  }
  /**
   * 0 while the cache is stale; else 1 + the mean of a ratio window's values (NaN for an empty
   * one), 1 for a log-rate window: one number keeps both, so a baseline costs no more than it did.
   */
  private get cacheValid(): boolean {
    return this.scalars[this.scalarsAt + 6] !== 0;
  }
  private set cacheValid(v: boolean) {
    this.scalars[this.scalarsAt + 6] = v ? 1 : 0;
  }

  /** Ticks the statistics rest on (complete buckets only). */
  get size(): number {
    return this.window.size * this.bucketSize;
  }

  /** Ticks in the bucket being filled (0: the next tick starts one). */
  get partialTicks(): number {
    return this.ticks;
  }

  /** Bucket values in the window. */
  get buckets(): number {
    return this.window.size;
  }

  /** How its buckets' values are made and coded. */
  get coding(): BucketValue {
    return this.value;
  }

  /** Median and robust σ of one tick; O(n) in the window size when a bucket completed, else cached. */
  stats(): BaselineStats {
    this.refresh();
    return { median: this.cachedMedian, sigma: this.cachedSigma, medianError: this.cachedMedianError };
  }

  /** stats().median without an object: the per-tick path reads these at 100k series. */
  get median(): number {
    this.refresh();
    return this.cachedMedian;
  }

  /** stats().sigma without an object. */
  get sigma(): number {
    this.refresh();
    return this.cachedSigma;
  }

  /**
   * The mean of a ratio window's bucket values (NaN for a log-rate window, or an empty one): unlike
   * the median it is not pulled to zero when most buckets hold none of what the ratio counts.
   */
  get mean(): number {
    this.refresh();
    return this.value === 'ratio' ? this.scalars[this.scalarsAt + 6]! - 1 : Number.NaN;
  }

  /** Learnt ticks pooled into one bucket. */
  get ticksPerBucket(): number {
    return this.bucketSize;
  }

  /** stats().medianError without an object. */
  get medianError(): number {
    this.refresh();
    return this.cachedMedianError;
  }

  /** Recomputes the cached statistics when a bucket completed (or state was restored) since. */
  private refresh(): void {
    if (this.cacheValid) return;
    this.window.medianAndDeviation(spread, 0);
    const median = spread[0]!;
    const mad = spread[1]!;
    const n = this.window.size;
    this.cachedMedian = median;
    this.cachedSigma = this.sigmaScale * mad;
    this.cachedMedianError = n > 0 ? (MEDIAN_ERROR_FACTOR * MAD_TO_SIGMA * mad) / Math.sqrt(n) : Number.NaN;
    this.scalars[this.scalarsAt + 6] = this.value === 'ratio' ? 1 + this.window.mean() : 1;
  }

  /** The window's values, oldest first, written to `out` from `offset` (it must have room); returns how many. */
  copyValues(out: Float64Array, offset = 0): number {
    return this.window.copyInto(out, offset);
  }

  /** The window's values ascending with their ages (SampleWindow.copyAscending); −1 when it keeps no order. */
  copyAscending(values: Float64Array, ages: Uint8Array): number {
    return this.window.copyAscending(values, ages);
  }

  snapshot(): BaselineSnapshot {
    return { values: this.window.toArray(), ...(this.ticks > 0 ? { partial: [this.num, this.den, this.ticks] as [number, number, number] } : {}) };
  }

  /**
   * Writes snapshot()'s numbers to the columns of fixedTemplate(buckets, partialTicks > 0, value):
   * the window's codes as they are (a log-rate's are the columns' 16-bit fixed point, a ratio's the
   * bits of the half floats the 'h' column holds), the partial bucket as doubles. No template is made.
   */
  encodeFixed(s: ColumnScratch): void {
    // Both codings' codes are what the columns hold: a log-rate's the 16-bit fixed point, a ratio's a half float's bits.
    const column = s.i16;
    column.reserve(this.window.size);
    column.length += this.window.copyCodes(column.data, column.length);
    if (this.ticks === 0) return;
    s.f64.push(this.num);
    s.f64.push(this.den);
    s.f64.push(this.ticks);
  }

  /** The template encodeFixed writes for: `buckets` values of a window of `value`, and a partial bucket or none. */
  static fixedTemplate(buckets: number, partial: boolean, value: BucketValue): string {
    const values = `{"values":${buckets > 0 ? numbersTemplate(value === 'log-rate' ? 'q' : 'h', buckets) : '[]'}`;
    return partial ? `${values},"partial":${numbersTemplate('d', 3)}}` : `${values}}`;
  }

  restore(s: BaselineSnapshot): void {
    this.cacheValid = false;
    this.window.restore(s.values);
    const p = s.partial;
    // Indexed, not destructured: a restart restores 300k baselines, and destructuring iterates.
    const whole = Array.isArray(p) && p.length === 3 && Number.isFinite(p[0]) && Number.isFinite(p[1]) && Number.isFinite(p[2]);
    this.num = whole ? p[0] : 0;
    this.den = whole ? p[1] : 0;
    this.ticks = whole ? p[2] : 0;
  }

  /**
   * Learns one tick: numerator and denominator are added to the bucket (a count and its seconds, or
   * failures and requests). A ratio bucket with no requests at all is dropped: it says nothing.
   * Returns the value of the bucket this tick completed, NaN when none was.
   */
  learn(numerator: number, denominator: number): number {
    this.num += numerator;
    this.den += denominator;
    if (++this.ticks < this.bucketSize) return Number.NaN;
    const { num, den } = this;
    this.num = 0;
    this.den = 0;
    this.ticks = 0;
    this.cacheValid = false;
    const value = this.value === 'log-rate' ? Math.log(Math.max(num / den, RATE_EPSILON)) : den > 0 ? num / den : Number.NaN;
    if (!Number.isNaN(value)) this.window.push(value);
    return value;
  }
}
