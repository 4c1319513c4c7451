// Exponential backoff with full jitter and a cap (AWS Architecture Blog, "Exponential Backoff And
// Jitter", 2015): spreads retries so a recovering receiver is not hit by a synchronized wave.

export interface BackoffParams {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffParams = { baseMs: 500, capMs: 30_000 };

/** Delay before retry `attempt` (1-based), honouring a Retry-After the receiver asked for. */
export function backoffDelayMs(attempt: number, params: BackoffParams, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(params.capMs, params.baseMs * 2 ** (attempt - 1));
  const jittered = random() * ceiling;
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}
