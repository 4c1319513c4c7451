// A trailing baseline that resists outliers: median and scaled MAD of the accepted points, with
// anomalous points kept out so an ongoing incident does not become the new normal.

import { SortedWindow } from '../../series/sorted-window.js';

/** 1 / Φ⁻¹(3/4): makes the MAD a consistent estimator of σ for normal data (Rousseeuw & Croux 1993). */
export const MAD_TO_SIGMA = 1.4826;

export interface BaselineStats {
  median: number;
  /** Robust σ: 1.4826 × MAD, before any floor. */
  sigma: number;
}

export class RobustBaseline {
  private readonly window: SortedWindow;
  private anomalousSinceMs = Number.NaN;

  /**
   * @param capacity points in the trailing window (e.g. 1 h of 15 s ticks = 240)
   * @param relearnAfterMs an anomaly that lasts longer than this is accepted as a level shift
   */
  constructor(
    capacity: number,
    private readonly relearnAfterMs: number,
  ) {
    this.window = new SortedWindow(capacity);
  }

  get size(): number {
    return this.window.size;
  }

  /** Median and robust σ of the accepted points; O(n) in the window size, no allocation. */
  stats(): BaselineStats {
    return { median: this.window.median(), sigma: MAD_TO_SIGMA * this.window.medianAbsoluteDeviation() };
  }

  snapshot(): { values: number[]; anomalousSinceMs: number | null } {
    return { values: this.window.toArray(), anomalousSinceMs: Number.isNaN(this.anomalousSinceMs) ? null : this.anomalousSinceMs };
  }

  restore(s: { values: number[]; anomalousSinceMs: number | null }): void {
    this.window.restore(s.values);
    this.anomalousSinceMs = s.anomalousSinceMs ?? Number.NaN;
  }

  /** Records an observation: normal points join the baseline; anomalous ones only after relearnAfterMs. */
  record(value: number, anomalous: boolean, timeMs: number): void {
    if (!anomalous) {
      this.anomalousSinceMs = Number.NaN;
      this.window.push(value);
      return;
    }
    if (Number.isNaN(this.anomalousSinceMs)) this.anomalousSinceMs = timeMs;
    if (timeMs - this.anomalousSinceMs >= this.relearnAfterMs) this.window.push(value);
  }
}
