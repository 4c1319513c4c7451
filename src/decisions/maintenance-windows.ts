// Maintenance windows from the config: while one is open, alerts its matchers select are muted
// (decided and recorded, not delivered), as an Alertmanager silence or mute_time_interval would.
// One-off (an RFC 3339 start and end) or weekly (weekdays and a time of day on a zone's clocks, UTC
// by default, as Alertmanager's time intervals with a `location`). Pure.

import type { Labels } from '../core/types.js';
import { wallClockOf } from '../core/wall-clock.js';
import { type Matcher, matchesAll } from './matchers.js';

export type Weekday = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';
export const WEEKDAYS: readonly Weekday[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export interface MaintenanceWindow {
  name: string;
  matchers: Matcher[];
  /** A one-off window: [startMs, endMs). */
  once?: { startMs: number; endMs: number };
  /**
   * A weekly window: opens on each listed weekday at `startMinute` (minutes after midnight) for
   * `durationMs`, so a window may run past midnight into the next day. Days and times are those of
   * `timeZone`'s clocks (IANA name; default UTC): a window at 02:00 in Berlin opens at 02:00 there
   * in summer and in winter, and lasts `durationMs` of those clocks (the night the clocks go back,
   * its hour may come twice).
   */
  weekly?: { weekdays: Weekday[]; startMinute: number; durationMs: number; timeZone?: string };
}

const DAY_MS = 86_400_000;

/** Whether the window is open at `nowMs`. */
export function windowOpen(w: MaintenanceWindow, nowMs: number): boolean {
  if (w.once) return nowMs >= w.once.startMs && nowMs < w.once.endMs;
  if (!w.weekly) return false;
  const { weekdays, startMinute, durationMs } = w.weekly;
  // Read on the zone's clock: its milliseconds since its own 1970-01-01 00:00, as if UTC.
  const clock = wallClockOf(w.weekly.timeZone);
  const wallMs = clock ? clock.wallMs(nowMs) : nowMs;
  // The opening that may cover now started today or on one of the days before (a long window).
  const today = Math.floor(wallMs / DAY_MS) * DAY_MS;
  for (let back = 0; back * DAY_MS < durationMs + DAY_MS; back++) {
    const day = today - back * DAY_MS;
    const opensMs = day + startMinute * 60_000;
    if (!weekdays.includes(WEEKDAYS[new Date(day).getUTCDay()]!)) continue;
    if (wallMs >= opensMs && wallMs < opensMs + durationMs) return true;
  }
  return false;
}

/** The windows open now whose matchers all hold for `labels`. */
export function windowsMuting(labels: Labels, windows: readonly MaintenanceWindow[], nowMs: number): MaintenanceWindow[] {
  return windows.filter((w) => windowOpen(w, nowMs) && matchesAll(w.matchers, labels));
}
