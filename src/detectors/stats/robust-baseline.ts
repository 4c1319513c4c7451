// A trailing baseline that resists outliers: median and scaled MAD of the accepted points, with
// anomalous points kept out so an ongoing incident does not become the new normal. Points may be
// kept in buckets (the mean of `bucketSize` consecutive accepted points) to hold a long window in
// little memory; σ is then scaled back to one point's noise.

import { SampleWindow } from '../../series/sample-window.js';

/** 1 / Φ⁻¹(3/4): makes the MAD a consistent estimator of σ for normal data (Rousseeuw & Croux 1993). */
export const MAD_TO_SIGMA = 1.4826;

export interface BaselineStats {
  median: number;
  /** Robust σ of one point: 1.4826 × MAD (× √bucketSize for bucket means), before any floor. */
  sigma: number;
}

export interface BaselineSnapshot {
  values: number[];
  anomalousSinceMs: number | null;
  /** A bucket being filled: its sum and count (absent: empty). */
  partial?: [number, number];
}

export class RobustBaseline {
  private readonly window: SampleWindow;
  private anomalousSinceMs = Number.NaN;
  private bucketSum = 0;
  private bucketCount = 0;
  private readonly sigmaScale: number;

  /**
   * @param capacity values in the trailing window (e.g. 1 h of 15 s ticks = 240, or 60 one-minute buckets)
   * @param relearnAfterMs an anomaly that lasts longer than this is accepted as a level shift
   * @param bucketSize accepted points averaged into one window value (1: every point kept)
   */
  constructor(
    capacity: number,
    private readonly relearnAfterMs: number,
    private readonly bucketSize = 1,
    storage?: Float32Array,
    offset = 0,
  ) {
    this.window = new SampleWindow(capacity, storage, offset);
    // Means of k independent points vary √k times less than the points: undo that for σ.
    this.sigmaScale = MAD_TO_SIGMA * Math.sqrt(bucketSize);
  }

  /** Points the statistics rest on (a complete bucket counts as its points; a partial one not yet). */
  get size(): number {
    return this.window.size * this.bucketSize;
  }

  /** Median and robust σ of the accepted points; O(n) in the window size, no allocation. */
  stats(): BaselineStats {
    return { median: this.window.median(), sigma: this.sigmaScale * this.window.medianAbsoluteDeviation() };
  }

  snapshot(): BaselineSnapshot {
    return {
      values: this.window.toArray(),
      anomalousSinceMs: Number.isNaN(this.anomalousSinceMs) ? null : this.anomalousSinceMs,
      ...(this.bucketCount > 0 ? { partial: [this.bucketSum, this.bucketCount] as [number, number] } : {}),
    };
  }

  restore(s: BaselineSnapshot): void {
    this.window.restore(s.values);
    this.anomalousSinceMs = s.anomalousSinceMs ?? Number.NaN;
    [this.bucketSum, this.bucketCount] = s.partial ?? [0, 0];
  }

  /** Records an observation: normal points join the baseline; anomalous ones only after relearnAfterMs. */
  record(value: number, anomalous: boolean, timeMs: number): void {
    if (anomalous) {
      if (Number.isNaN(this.anomalousSinceMs)) this.anomalousSinceMs = timeMs;
      if (timeMs - this.anomalousSinceMs < this.relearnAfterMs) return;
    } else {
      this.anomalousSinceMs = Number.NaN;
    }
    if (this.bucketSize === 1) {
      this.window.push(value);
      return;
    }
    this.bucketSum += value;
    if (++this.bucketCount === this.bucketSize) {
      this.window.push(this.bucketSum / this.bucketSize);
      this.bucketSum = 0;
      this.bucketCount = 0;
    }
  }
}
