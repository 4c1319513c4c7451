// A replay file's timestamps in the unit they were written in. OpenMetrics writes seconds and the
// Prometheus text format (and `promtool tsdb dump`, and /federate) milliseconds, and files of one
// kind are often read as the other: milliseconds read as seconds put the data in the year 55518,
// seconds read as milliseconds in January 1970, and either replayed silently with every alert's
// time absurd. Monitoring data is never older than 1973, so the magnitude tells them apart:
// 1e11 seconds is the year 5138, 1e11 milliseconds March 1973. Pure.

/** Read as seconds, a timestamp at or past this many milliseconds (1e11 s) was written in milliseconds. */
const MILLISECONDS_READ_AS_SECONDS = 1e14;
/** Read as milliseconds, a timestamp under this (March 1973) was written in seconds. */
const SECONDS_READ_AS_MILLISECONDS = 1e11;
/** 9999-12-31T23:59:59.999Z: later times have no RFC 3339 form (and past 8.64e15 no Date at all). */
export const LAST_REPLAY_MS = 253_402_300_799_999;

/**
 * The time in milliseconds of a timestamp the parser read as `readMs` (from seconds when
 * `inSeconds`, else from milliseconds), corrected for the other unit; undefined when it is no
 * time a replay can hold (before 1970 or after 9999).
 */
export function replayTimeMs(readMs: number, inSeconds: boolean): number | undefined {
  let ms = readMs;
  if (inSeconds && ms >= MILLISECONDS_READ_AS_SECONDS) ms /= 1000;
  else if (!inSeconds && ms < SECONDS_READ_AS_MILLISECONDS) ms *= 1000;
  return ms >= 0 && ms <= LAST_REPLAY_MS ? ms : undefined;
}
