// An informational surge that comes back at the same time of day (a nightly batch job, a daily
// export, a cron burst) is known: the hourly seasonal profile cannot learn a ten-minute job, so
// without this its OrganicSurge reached receivers every day. A surge alert that fired within
// RECUR_WINDOW_MS of the same time of day on RECUR_NEEDED of the last RECUR_DAYS days is muted (the
// mute stage's reason `recurring`): still decided, recorded and printed, never a page (surges are
// info, and a storm or an outage is its own alert, never muted this way). Times of day are those of
// a wall clock (core/wall-clock.ts: the signal's `detector.timeZone`, UTC by default), so a job on
// local clocks keeps its time across a daylight-saving change. Pure: times come in as arguments.

import type { WallClock } from '../core/wall-clock.js';

const DAY_MS = 86_400_000;
/** How close to the same time of day an earlier onset must be. */
export const RECUR_WINDOW_MS = 30 * 60_000;
/** How many earlier days are looked at... */
export const RECUR_DAYS = 3;
/** ...and on how many of them the alert must have fired near that time. */
export const RECUR_NEEDED = 2;
/** Onsets kept per alert at most (a surge that flaps all day keeps its newest). */
const MAX_ONSETS = 64;
/** Alerts remembered before the stale ones (no onset in RECUR_DAYS) are swept. */
const SWEEP_AT = 10_000;

export class SurgeOnsets {
  /** Onset times per alert fingerprint, oldest first, none older than RECUR_DAYS and a window. */
  private readonly onsets = new Map<string, number[]>();

  /**
   * On how many of the last RECUR_DAYS days this alert fired within RECUR_WINDOW_MS of `atMs`'s time
   * of day on `clock` (UTC when absent).
   */
  daysSeen(fingerprint: string, atMs: number, clock?: WallClock): number {
    const list = this.onsets.get(fingerprint);
    if (!list) return 0;
    const wall = (t: number) => (clock ? clock.wallMs(t) : t);
    const now = wall(atMs);
    let days = 0;
    for (let d = 1; d <= RECUR_DAYS; d++) {
      const sameTime = now - d * DAY_MS;
      if (list.some((t) => Math.abs(wall(t) - sameTime) <= RECUR_WINDOW_MS)) days++;
    }
    return days;
  }

  /** Remembers an onset of this alert. */
  record(fingerprint: string, atMs: number): void {
    if (this.onsets.size >= SWEEP_AT) this.sweep(atMs);
    const list = (this.onsets.get(fingerprint) ?? []).filter((t) => !stale(t, atMs));
    list.push(atMs);
    this.onsets.set(fingerprint, list.length > MAX_ONSETS ? list.slice(-MAX_ONSETS) : list);
  }

  snapshot(): Record<string, number[]> {
    return Object.fromEntries(this.onsets);
  }

  /** Restores a snapshot's onsets (entries that are not lists of finite times are skipped). */
  restore(saved: Record<string, unknown>): void {
    for (const [fingerprint, list] of Object.entries(saved)) {
      if (Array.isArray(list) && list.every((t) => typeof t === 'number' && Number.isFinite(t))) this.onsets.set(fingerprint, (list as number[]).slice(-MAX_ONSETS));
    }
  }

  private sweep(nowMs: number): void {
    for (const [fingerprint, list] of this.onsets) if (list.every((t) => stale(t, nowMs))) this.onsets.delete(fingerprint);
  }
}

/** Whether an onset seen on `days` of the last RECUR_DAYS days (SurgeOnsets.daysSeen) recurs. */
export function recurs(days: number): boolean {
  return days >= RECUR_NEEDED;
}

function stale(onsetMs: number, nowMs: number): boolean {
  return nowMs - onsetMs > RECUR_DAYS * DAY_MS + RECUR_WINDOW_MS;
}

/** How a recurring surge's muting reads: `recurs daily at 02:05 UTC (2 of the last 3 days)`, or `at 02:05 Europe/Berlin`. */
export function describeRecurrence(atMs: number, days: number, clock?: WallClock): string {
  const hhmm = new Date(clock ? clock.wallMs(atMs) : atMs).toISOString().slice(11, 16);
  return `recurs daily at ${hhmm} ${clock?.timeZone ?? 'UTC'} (${days} of the last ${RECUR_DAYS} days)`;
}
