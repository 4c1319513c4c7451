// Notices the wall clock stepping (an NTP correction at boot, a VM resumed, an operator's `date`):
// the wall clock against a monotonic one. Ticks are scheduled by the wall clock (cron, aligned to
// the epoch), so after a step back of a minute none runs for that minute (the instants it would
// judge are judged already), and nothing said so: /healthz counted the last tick's age on the wall
// clock (negative) and stayed green. Pure: the live loop feeds it both clocks.

/** A step of the wall clock against the monotonic one smaller than this is drift or jitter, not a step. */
export const CLOCK_STEP_TOLERANCE_MS = 1000;

export class ClockStepWatch {
  /** Wall minus monotonic time at the last check. */
  private offsetMs: number | undefined;

  constructor(private readonly toleranceMs = CLOCK_STEP_TOLERANCE_MS) {}

  /** How far the wall clock stepped since the last check (negative: back); 0 within the tolerance. */
  check(wallMs: number, monotonicMs: number): number {
    const offset = wallMs - monotonicMs;
    const step = this.offsetMs === undefined ? 0 : offset - this.offsetMs;
    this.offsetMs = offset;
    return Math.abs(step) > this.toleranceMs ? step : 0;
  }
}
