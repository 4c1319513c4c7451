// Prometheus-style durations ("15s", "1m30s", "250ms") to milliseconds and back.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION_RE = /^(?:(\d+)(ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d|w)/g;

/** Parses a duration such as "1h30m" (or "0", as Prometheus reads it); returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART_RE)) {
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
  }
  return total;
}

/** Formats milliseconds as the shortest duration string ("90000" -> "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/**
 * A PromQL range or offset: whole seconds as seconds ("300s", as the queries always read), any
 * other length in Prometheus's compound form ("7s500ms"): `${ms / 1000}s` wrote "7.5s", which
 * Prometheus refuses.
 */
export function promqlDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : formatDuration(ms);
}
