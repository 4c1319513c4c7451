// The seasonal warm-up: a week (or `seasonalHistory`) of a Prometheus source's request rates read
// into the seasonal profiles before the trailing warm-up, at a start of \`run\` and before a
// Prometheus backtest's \`--from\`. Bounded in points (the step coarsens with the series) and in time.

import type { StormwatchConfig } from '../config/load.js';
import { SourceError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Pipeline } from '../pipeline.js';
import type { PrometheusSource } from '../source/prometheus-source.js';

/** Prometheus answers at most this many points per series and query_range. */
const MAX_POINTS_PER_QUERY = 11_000;
/** The seasonal warm-up's step: ample for hourly profile slots, 2,304 points for 8 days. */
const SEASONAL_STEP_MS = 300_000;
/**
 * Points (series × steps) the seasonal warm-up reads at most: 8 days of 10k series at 5 minutes
 * (23M points, about 30 s of reading). More series read a coarser step, so the read's time stays
 * bounded: 100k series read hourly points, one for each profile slot and day.
 */
export const MAX_SEASONAL_POINTS = 25_000_000;
/** Steps the seasonal warm-up may coarsen to: divisors of an hour, so each point falls in its hourly slot the same way every day. */
const SEASONAL_STEPS_MS = [300_000, 600_000, 900_000, 1_200_000, 1_800_000, 3_600_000];

/**
 * The seasonal warm-up's step for `series` series over `historyMs`: 5 minutes, or the finest
 * divisor of an hour that keeps the read under MAX_SEASONAL_POINTS (an hour at most: coarser
 * points would leave profile slots without any), never finer than the interval or than
 * Prometheus's 11,000 points per series allow.
 */
export function seasonalStepMs(historyMs: number, intervalMs: number, series: number): number {
  const floor = Math.max(SEASONAL_STEP_MS, intervalMs, Math.ceil(historyMs / MAX_POINTS_PER_QUERY / 1000) * 1000);
  const wanted = (historyMs * Math.max(1, series)) / MAX_SEASONAL_POINTS;
  if (wanted <= floor) return floor;
  return SEASONAL_STEPS_MS.find((s) => s >= wanted) ?? Math.max(floor, SEASONAL_STEPS_MS[SEASONAL_STEPS_MS.length - 1]!);
}

/** How long a start may spend reading the seasonal history before its first tick. */
export const SEASONAL_READ_BUDGET_MS = 60_000;
/** Reads of the seasonal history tried again after a failed one (from where it stopped), within the budget. */
const SEASONAL_READ_RETRIES = 2;

/** How a seasonal warm-up ended, and how much history (seconds of data) it read into the profiles. */
export interface SeasonalRead {
  outcome: 'complete' | 'budget' | 'failed';
  seconds: number;
}

/**
 * Reads `seasonalHistory` before `untilMs` (where the trailing warm-up window starts: the request
 * rate only, at 5-minute steps or coarser: seasonalStepMs) and teaches it to the seasonal profiles.
 * How many series there are is asked first (one count query), so the read's size is bounded before
 * it starts; it is read in pieces (PrometheusSource.history), bounded in time
 * (SEASONAL_READ_BUDGET_MS), and reported in one log line. A failed read (a timeout, a refused
 * connection) is taken up again from where it stopped, twice at most, within the budget: one slow
 * answer cost the whole week, a day before a band and a week before hour-of-week slots.
 */
export async function warmProfilesFromHistory(source: PrometheusSource, pipeline: Pipeline, config: StormwatchConfig, untilMs: number, logger: Logger, signals: readonly string[]): Promise<SeasonalRead | undefined> {
  if (config.source.kind !== 'prometheus') return undefined;
  const historyMs = config.source.seasonalHistoryMs ?? 0;
  if (historyMs <= 0) return undefined;
  const series = await source.seriesCount(untilMs, 'requests').catch(() => 0);
  const step = seasonalStepMs(historyMs, config.intervalMs, series);
  const toMs = Math.floor(untilMs / step) * step - step;
  const fromMs = toMs - historyMs;
  const started = performance.now();
  let frames = 0;
  let points = 0;
  let nextMs = fromMs;
  const read = (outcome: SeasonalRead['outcome']): SeasonalRead => ({ outcome, seconds: Math.max(0, nextMs - fromMs) / 1000 });
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const frame of source.history(nextMs, toMs, step, ['requests'])) {
        points += pipeline.warmProfiles(frame, step);
        frames++;
        nextMs = frame.timeMs + step;
        // Bounded: the first tick waits for this read. What is not read by then is learnt live.
        if (performance.now() - started > SEASONAL_READ_BUDGET_MS && frame.timeMs < toMs) {
          logger.log('warn', 'seasonal history read stopped at its time budget; the rest is learnt live', { signals, series, fromMs, readUntilMs: frame.timeMs, toMs, stepMs: step, frames, points, budgetSeconds: SEASONAL_READ_BUDGET_MS / 1000 });
          return read('budget');
        }
      }
      logger.log('info', 'seasonal profiles warmed from history', { signals, series, fromMs, toMs, stepMs: step, frames, points, seconds: (performance.now() - started) / 1000, ...(attempt > 0 ? { retries: attempt } : {}) });
      return read('complete');
    } catch (error) {
      const reason = error instanceof SourceError ? error.reason : 'unknown';
      const again = attempt < SEASONAL_READ_RETRIES && performance.now() - started < SEASONAL_READ_BUDGET_MS && !(error instanceof SourceError && !error.retryable);
      logger.log('warn', again ? 'seasonal history read failed; trying again from where it stopped' : 'could not read seasonal history; profiles learn live instead', { reason, error: (error as Error).message, ...(frames > 0 ? { readUntilMs: nextMs - step, frames } : {}) });
      if (!again) return read('failed');
    }
  }
}

