// Turns a tick interval into a node-cron expression (6 fields, with seconds).

/** The cron expression ticking every `intervalMs`, or undefined when cron cannot tick that evenly (then runner/aligned-ticker.ts does). */
export function intervalToCron(intervalMs: number): string | undefined {
  if (intervalMs <= 0 || intervalMs % 1000 !== 0) return undefined;
  const seconds = intervalMs / 1000;
  if (seconds < 60) return 60 % seconds === 0 ? (seconds === 1 ? '* * * * * *' : `*/${seconds} * * * * *`) : undefined;
  if (seconds % 60 !== 0) return undefined;
  const minutes = seconds / 60;
  if (minutes < 60) return 60 % minutes === 0 ? `0 */${minutes} * * * *` : undefined;
  if (minutes % 60 !== 0) return undefined;
  const hours = minutes / 60;
  return 24 % hours === 0 ? `0 0 */${hours} * * *` : undefined;
}
