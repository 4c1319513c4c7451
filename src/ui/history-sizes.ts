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
/** A backtest report's histories together stay under this (a week at 15 s is 2.3 MB per series). */
export const REPORT_HISTORY_BYTES = 256 * 1024 * 1024;

type Sized = Pick<StormwatchConfig, 'intervalMs' | 'detector' | 'signals'>;

export function liveHistory(config: Sized): HistoryOptions {
  return { capacity: Math.max(2, Math.ceil(LIVE_HISTORY_MS / config.intervalMs)), eagerSeries: LIVE_EAGER_SERIES, maxSeries: LIVE_MAX_SERIES, zThreshold: BAND_SIGMAS, signals: config.signals };
}

/** A backtest keeps every tick of the range for as many series as the budget allows (then: anomalous ones). */
export function backtestHistory(config: Sized, ticks: number): HistoryOptions {
  const capacity = Math.max(2, ticks + 1);
  const fit = Math.max(1, Math.floor(REPORT_HISTORY_BYTES / (capacity * SeriesRing.bytesPerPoint)));
  return { capacity, eagerSeries: Math.min(fit, 500), maxSeries: fit, zThreshold: BAND_SIGMAS, signals: config.signals };
}
