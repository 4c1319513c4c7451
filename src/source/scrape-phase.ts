// When in its interval a Prometheus target's samples land, and the tick offset that reads them
// soonest. Pure.
//
// Prometheus scrapes each target at a fixed phase within the scrape interval (a hash of the target),
// and a tick that reads it just before that phase sees data almost an interval old. Ticking at the
// epoch's multiples of the interval, as cron does, that staleness is uniform over the interval: half
// of it on average, a whole interval at worst. At 15 s that is up to 15 s added to every detection,
// more than the detector itself takes. Ticking a moment after the targets' scrapes instead reads each
// scrape as soon as it is stored.

import { parser } from '@prometheus-io/lezer-promql';

/**
 * How long after a sample's timestamp (the scrape's start) it can be read, when the target's scrape
 * duration is not known: loopback scrapes take milliseconds, a large page over a network hundreds.
 */
export const SCRAPE_READ_MARGIN_MS = 1000;

/**
 * The same from a target's own `scrape_duration_seconds`: the fetch, then parsing and appending the
 * samples (taken to cost as much again), then a quarter second for the commit and clock skew.
 */
export function readMarginMs(scrapeDurationSeconds: number | undefined): number {
  if (scrapeDurationSeconds === undefined || !Number.isFinite(scrapeDurationSeconds) || scrapeDurationSeconds < 0) return SCRAPE_READ_MARGIN_MS;
  return 250 + 2 * scrapeDurationSeconds * 1000;
}

/** The PromQL for each target's latest scrape duration (the series Prometheus writes per target). */
export const SCRAPE_DURATION_QUERY = 'max by (job, instance) (scrape_duration_seconds)';

/** The distinct vector selectors of a PromQL expression (inside range selectors too), as written. */
export function vectorSelectorsOf(expr: string): string[] {
  const found = new Set<string>();
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.name !== 'VectorSelector') return undefined;
      found.add(expr.slice(node.from, node.to));
      return false;
    },
  });
  return [...found];
}

/**
 * The PromQL whose answer is the latest sample time of each target behind `selector`: every series
 * of one scrape shares its timestamp, so one number per target (job and instance) is enough, and the
 * answer stays small at 100k series.
 */
export function sampleTimeQuery(selector: string): string {
  return `max by (job, instance) (timestamp(${selector}))`;
}

/** One target: when it was last scraped, and how long after that its samples can be read. */
export interface TargetSample {
  sampleMs: number;
  marginMs: number;
}

export interface TickOffset {
  /** Whole seconds after each multiple of the interval since the epoch at which to tick. */
  offsetMs: number;
  /** Mean age of the newest sample at a tick, over the targets, at that offset. */
  meanLagMs: number;
  /** The same at offset 0 (ticks on the epoch's multiples, as cron ticks). */
  unalignedMeanLagMs: number;
  /** Each target's phase within the interval and margin, to judge another offset by (meanLagAt). */
  targets: { phaseMs: number; marginMs: number }[];
}

/** Age of the newest readable sample, at a tick `offsetMs` into the interval, of a target sampled at `phaseMs`. */
function lagAt(offsetMs: number, phaseMs: number, marginMs: number, intervalMs: number): number {
  const mod = (x: number) => ((x % intervalMs) + intervalMs) % intervalMs;
  // The sample is readable from phase + margin on; before that the tick reads the previous one.
  return mod(offsetMs - phaseMs - marginMs) + marginMs;
}

/** Mean age over the targets of the newest readable sample at a tick `offsetMs` into the interval. */
export function meanLagAt(targets: readonly { phaseMs: number; marginMs: number }[], intervalMs: number, offsetMs: number): number {
  let sum = 0;
  for (const t of targets) sum += lagAt(offsetMs, t.phaseMs, t.marginMs, intervalMs);
  return sum / targets.length;
}

/**
 * The whole-second offset into the interval at which ticks read the targets' newest samples soonest
 * (least mean age over the targets; ties go to the earliest offset). One recent sample per target.
 * Undefined when there is nothing to align to or the interval is under 2 s.
 */
/** Whether ticks of this interval can be shifted at all: whole seconds, and more than one of them. */
export function alignable(intervalMs: number): boolean {
  return intervalMs >= 2000 && intervalMs % 1000 === 0;
}

export function bestTickOffset(samples: readonly TargetSample[], intervalMs: number): TickOffset | undefined {
  if (!alignable(intervalMs)) return undefined;
  const targets = samples.filter((s) => Number.isFinite(s.sampleMs) && Number.isFinite(s.marginMs)).map((s) => ({ phaseMs: ((s.sampleMs % intervalMs) + intervalMs) % intervalMs, marginMs: Math.min(s.marginMs, intervalMs / 2) }));
  if (targets.length === 0) return undefined;
  let best = { offsetMs: 0, meanLagMs: meanLagAt(targets, intervalMs, 0) };
  for (let offsetMs = 1000; offsetMs < intervalMs; offsetMs += 1000) {
    const lag = meanLagAt(targets, intervalMs, offsetMs);
    if (lag < best.meanLagMs - 1e-9) best = { offsetMs, meanLagMs: lag };
  }
  return { ...best, unalignedMeanLagMs: meanLagAt(targets, intervalMs, 0), targets };
}
