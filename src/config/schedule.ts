// Turns a tick interval (and an offset into it) into a node-cron expression (6 fields, with seconds).

/**
 * The cron expression ticking every `intervalMs`, `offsetMs` after each multiple of it since the
 * epoch (whole seconds, less than the interval), or undefined when cron cannot tick that evenly
 * (then runner/aligned-ticker.ts does).
 */
export function intervalToCron(intervalMs: number, offsetMs = 0): string | undefined {
  if (intervalMs <= 0 || intervalMs % 1000 !== 0) return undefined;
  if (offsetMs < 0 || offsetMs >= intervalMs || offsetMs % 1000 !== 0) return undefined;
  const seconds = intervalMs / 1000;
  const offset = offsetMs / 1000;
  // The values of one field: every `step` from `start`, below `limit`; `*` or `*/step` when unshifted.
  const every = (step: number, start: number, limit: number) => (start === 0 ? `*/${step}` : Array.from({ length: Math.ceil((limit - start) / step) }, (_, i) => start + i * step).join(','));
  if (seconds === 1) return '* * * * * *';
  if (seconds < 60) return 60 % seconds === 0 ? `${every(seconds, offset, 60)} * * * * *` : undefined;
  if (seconds % 60 !== 0) return undefined;
  const minutes = seconds / 60;
  const second = offset % 60;
  const minuteOffset = Math.floor(offset / 60);
  if (minutes < 60) return 60 % minutes === 0 ? `${second} ${every(minutes, minuteOffset, 60)} * * * *` : undefined;
  if (minutes % 60 !== 0) return undefined;
  const hours = minutes / 60;
  return 24 % hours === 0 ? `${second} ${minuteOffset % 60} ${every(hours, Math.floor(minuteOffset / 60), 24)} * * *` : undefined;
}

/**
 * An offset as cron can take it: the whole seconds go into the expression, the rest (under a second)
 * is waited out when cron fires. Cron has no sub-second field; a tick a few hundred milliseconds
 * after the scrapes it reads beats one rounded to the next whole second.
 */
export function splitTickOffset(offsetMs: number): { cronOffsetMs: number; delayMs: number } {
  const cronOffsetMs = Math.floor(offsetMs / 1000) * 1000;
  return { cronOffsetMs, delayMs: offsetMs - cronOffsetMs };
}
