// The source contracts: a live source reads the current rates each tick; a history source yields
// past frames for warm-up and backtests. Both produce the same Frames, so one pipeline serves all.

import type { SourceError } from '../core/errors.js';
import type { AbsentErrorMetric, Frame, HeldRate } from '../core/types.js';
import type { ExpositionProblem } from './exposition.js';

export interface SourceRead {
  frame: Frame;
  /** Failures of this read (the frame then holds NaN where data is missing). */
  errors: SourceError[];
  /** Exposition lines that were skipped, with their line numbers. */
  problems: ExpositionProblem[];
  /** How many of `problems` are duplicate series dropped from the page. */
  duplicates?: number;
  /** What the frame holds of series whose targets' scrapes fail, read at their last rates (Prometheus source: missedQuery). */
  held?: HeldRate[];
  /** Why the probe for targets whose scrapes fail failed (Prometheus source): every watched series was asked. */
  downProbeFailure?: string;
  /** Why this read's data is left unread (NaN) though it was answered: said, not counted as an error. */
  unjudged?: string;
}

export type { HeldRate } from '../core/types.js';

export interface LiveSource {
  /** Reads every signal as of `nowMs`. Never rejects: failures come back in `errors`. */
  read(nowMs: number): Promise<SourceRead>;
  /**
   * Hands back a frame this source read, once its reader is done with it (the tick has been
   * stepped): a later read may fill its columns again. A frame not handed back is never reused.
   */
  recycle?(frame: Frame): void;
  /**
   * The errors inputs whose selector names a metric that no series has: a misspelt name reads as a
   * service without errors, for ever. Undefined while it cannot be told (nothing read yet, or the
   * question failed).
   */
  absentErrorMetrics?(nowMs: number): Promise<AbsentErrorMetric[] | undefined>;
  /**
   * Stops waiting for answers (a stop): requests in flight are abandoned, and they and any later
   * one fail at once. A scrape timeout of 30 s held a SIGTERM for all of the stop's 20 s.
   */
  close?(): void;
}

export interface HistorySource {
  /** Frames from `fromMs` to `toMs` inclusive, oldest first. Rejects with a SourceError. */
  history(fromMs: number, toMs: number, stepMs: number): AsyncIterable<Frame>;
}
