// Retry-After (RFC 9110 §10.2.3): how long a server asked its client to wait, from a 429 or 503.

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from `nowMs`. Unclamped: callers clamp. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d{1,15}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
