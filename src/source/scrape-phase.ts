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
  /** How long after each multiple of the interval since the epoch to tick (a multiple of TICK_OFFSET_STEP_MS). */
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
 * Offsets are chosen on this grid: fine enough that a tick comes a fraction of a second after the
 * scrapes it reads (at 1 s ticks the whole gain is under a second), coarse enough that an offset
 * does not follow every millisecond of a scrape's jitter.
 */
export const TICK_OFFSET_STEP_MS = 100;

/** Whether ticks of this interval can be shifted at all: whole seconds (cron's and the aligned ticker's grid). */
export function alignable(intervalMs: number): boolean {
  return intervalMs >= 1000 && intervalMs % 1000 === 0;
}

/**
 * How much sooner a new offset must read the data before ticks move to it: a tenth of the interval,
 * at most a second, so ticks do not hop between near-equal offsets as pods come and go.
 */
export function realignGainMs(intervalMs: number): number {
  return Math.min(1000, intervalMs / 10);
}

/**
 * The offset into the interval (a multiple of TICK_OFFSET_STEP_MS) at which ticks read the targets'
 * newest samples soonest: least mean age over the targets, ties to the earliest offset. One recent
 * sample per target. Undefined when there is nothing to align to or the interval is not alignable.
 *
 * Each target's age at a tick is a sawtooth in the offset that drops where its sample becomes
 * readable, so the mean is least at the first grid step at or after one of those drops (or at 0):
 * those are the only candidates.
 */
export function bestTickOffset(samples: readonly TargetSample[], intervalMs: number): TickOffset | undefined {
  if (!alignable(intervalMs)) return undefined;
  const targets = samples.filter((s) => Number.isFinite(s.sampleMs) && Number.isFinite(s.marginMs)).map((s) => ({ phaseMs: ((s.sampleMs % intervalMs) + intervalMs) % intervalMs, marginMs: Math.min(s.marginMs, intervalMs / 2) }));
  if (targets.length === 0) return undefined;
  const candidates = new Set<number>([0]);
  for (const t of targets) candidates.add((Math.ceil((t.phaseMs + t.marginMs) / TICK_OFFSET_STEP_MS) * TICK_OFFSET_STEP_MS) % intervalMs);
  let best = { offsetMs: 0, meanLagMs: meanLagAt(targets, intervalMs, 0) };
  for (const offsetMs of [...candidates].sort((a, b) => a - b)) {
    const lag = meanLagAt(targets, intervalMs, offsetMs);
    if (lag < best.meanLagMs - 1e-9) best = { offsetMs, meanLagMs: lag };
  }
  return { ...best, unalignedMeanLagMs: meanLagAt(targets, intervalMs, 0), targets };
}
