// When a firing alert is refreshed: the reading a receiver acts on (the client named, attempts per
// request and its interval, whether it can be estimated at all) is compared with the one last
// sent, and an update goes out only when it changed materially and not too soon after the last.
// A receiver pages on the first notification; updates correct it. Pure.

import type { Assessment } from './assessment.js';

/** What an update would change in a receiver's mind. */
export interface AlertReading {
  /** The client retry model named ('' when none fits). */
  model: string;
  /** Attempts per logical request and its ~95 % interval (NaN when not estimable). */
  attempts: number;
  attemptsLow: number;
  attemptsHigh: number;
  /** The reason attempts per request cannot be read, or ''. */
  notEstimable: string;
  /** The explained state beyond the alert's kind (e.g. a storm that outlived its cause), or ''. */
  state: string;
  /** The share of attempts failing (NaN when not read). */
  failing: number;
}

/**
 * A failing share below this fraction of the one last sent is a failure receding: the tick a fault
 * ends reads, half recovered, as another client's partial failure, and is no reading to rename
 * the incident's client by.
 */
export const RECEDING_SHARE = 0.5;

/** Whether `next` reads a failure receding from `previous` (see RECEDING_SHARE). */
export function receding(previous: AlertReading, next: AlertReading): boolean {
  return next.failing < previous.failing * RECEDING_SHARE;
}

/** An end of the attempts' interval moving inwards by more than this fraction is material. */
export const MATERIAL_CHANGE = 0.1;

export function readingOf(a: Assessment): AlertReading {
  const est = a.estimate;
  return {
    model: est?.clientUndecided ? '' : est?.matches[0]?.model ?? '',
    attempts: est?.attemptsPerRequest ?? Number.NaN,
    attemptsLow: est?.attemptsPerRequestLow ?? Number.NaN,
    attemptsHigh: est?.attemptsPerRequestHigh ?? Number.NaN,
    notEstimable: est?.notEstimable ?? '',
    state: a.aftermath ? 'outlived' : '',
    failing: est?.failingAttempts ?? Number.NaN,
  };
}

function moved(a: number, b: number): boolean {
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(Math.log(b / a)) > Math.log(1 + MATERIAL_CHANGE);
}

/**
 * Whether `next` tells a receiver something `previous` did not (the rate limit is applied apart):
 * another client named (not merely none),  another state, attempts per request becoming estimable or not, the
 * value sent falling out of the new interval, or an end of the interval
 * moving inwards by more than MATERIAL_CHANGE (how sure the reading is: a page read on the storm's
 * first tick may say 1.0-7.9 where a minute later 1.5-1.8 is known). An interval that widens, or
 * narrows by less, is not news: a receiver keeps the sharper reading it holds.
 */
export function changedMaterially(previous: AlertReading, next: AlertReading): boolean {
  // A client no longer fitting (the storm ebbing, a noisy tick) is not news; another one fitting is.
  if ((next.model !== '' && previous.model !== next.model) || previous.state !== next.state) return true;
  if ((previous.notEstimable === '') !== (next.notEstimable === '')) return true;
  if (Number.isFinite(previous.attempts) !== Number.isFinite(next.attempts)) return true;
  const outside = Number.isFinite(previous.attempts) && (previous.attempts < next.attemptsLow || previous.attempts > next.attemptsHigh);
  const narrowed = (next.attemptsLow > previous.attemptsLow && moved(previous.attemptsLow, next.attemptsLow)) || (next.attemptsHigh < previous.attemptsHigh && moved(previous.attemptsHigh, next.attemptsHigh));
  // A value that moved, but whose new interval still holds the one sent, is noise to a receiver:
  // at 2 requests a second such moves sent an update every 30 s of one storm.
  return outside || narrowed;
}
