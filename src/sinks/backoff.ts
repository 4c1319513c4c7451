// Exponential backoff with full jitter and a cap (AWS Architecture Blog, "Exponential Backoff And
// Jitter", 2015): spreads retries so a recovering receiver is not hit by a synchronized wave.

export interface BackoffParams {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffParams = { baseMs: 500, capMs: 30_000 };

/**
 * Delay before retry `attempt` (1-based), honouring a Retry-After the receiver asked for, clamped to
 * [0, capMs]: a receiver answering `Retry-After: 3000000` (35 days) is asked again after the cap, not
 * never (and a huge delay can no longer overflow the timer into a busy loop of 1 ms retries).
 */
export function backoffDelayMs(attempt: number, params: BackoffParams, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(params.capMs, params.baseMs * 2 ** (attempt - 1));
  const jittered = random() * ceiling;
  if (retryAfterMs === undefined || !(retryAfterMs >= 0)) return jittered;
  return Math.max(Math.min(retryAfterMs, params.capMs), jittered);
}

/** The longest delay a Node.js timer takes; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
