// How much history the UI and the report keep, so memory stays bounded whatever the series count.

import type { StormwatchConfig } from '../config/load.js';
import type { HistoryOptions } from './history-store.js';
import { SeriesRing } from './series-ring.js';
import { BAND_SIGMAS } from './band.js';

/** The live UI shows the last three hours at tick resolution. */
export const LIVE_HISTORY_MS = 3 * 3_600_000;
/** Series with a history from their first tick; beyond, from their first anomaly, up to the cap. */
export const LIVE_EAGER_SERIES = 1000;
export const LIVE_MAX_SERIES = 2000;
/**
 * The live rings together stay under this, whatever the interval: three hours at 15 s is 23 KB a
 * series (2,000 rings, 46 MB), at 1 s 346 KB (388 rings; a fixed 2,000 would be 691 MB).
 */
export const LIVE_HISTORY_BYTES = 128 * 1024 * 1024;
/** A backtest report's histories together stay under this (a week at 15 s is 1.3 MB per series). */
export const REPORT_HISTORY_BYTES = 256 * 1024 * 1024;

type Sized = Pick<StormwatchConfig, 'intervalMs' | 'detector' | 'signals'>;

/** Three hours at tick resolution for as many series as LIVE_HISTORY_BYTES holds, up to LIVE_MAX_SERIES; half of them from their first tick. */
export function liveHistory(config: Sized): HistoryOptions {
  const capacity = Math.max(2, Math.ceil(LIVE_HISTORY_MS / config.intervalMs));
  const fit = Math.max(2, Math.floor(LIVE_HISTORY_BYTES / (capacity * SeriesRing.bytesPerPoint)));
  const maxSeries = Math.min(LIVE_MAX_SERIES, fit);
  return { capacity, eagerSeries: Math.min(LIVE_EAGER_SERIES, Math.floor(maxSeries / 2)), maxSeries, zThreshold: BAND_SIGMAS, signals: config.signals };
}

/** A backtest keeps every tick of the range for as many series as the budget allows (then: anomalous ones). */
export function backtestHistory(config: Sized, ticks: number): HistoryOptions {
  const capacity = Math.max(2, ticks + 1);
  const fit = Math.max(1, Math.floor(REPORT_HISTORY_BYTES / (capacity * SeriesRing.bytesPerPoint)));
  return { capacity, eagerSeries: Math.min(fit, 500), maxSeries: fit, zThreshold: BAND_SIGMAS, signals: config.signals };
}
