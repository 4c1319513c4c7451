// Small helpers to write HTML safely: escaping text and attributes, and embedding JSON in a page. Pure.

export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside <script>: no "</script>" or "<!--" can end or change the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function isoTime(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '–' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/**
 * A deploy's start as a table cell's content: its time, and for a marker's record first seen after
 * its source was without data, the last look before it (the rollout began in between).
 */
export function deployStart(d: { startedAtMs: number; startedAfterMs?: number }): string {
  return d.startedAfterMs === undefined ? isoTime(d.startedAtMs) : `${isoTime(d.startedAtMs)}<br><span class="sw-muted">first seen then, after a gap in its data: began after ${isoTime(d.startedAfterMs)}</span>`;
}

export function fmtScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(1) : '–';
}

/** An anomaly score in [0, 1], two decimals; a dash when no check could judge. */
export function fmtAnomaly(score: number): string {
  return Number.isFinite(score) ? score.toFixed(2) : '–';
}

export function fmtRate(rate: number): string {
  if (!Number.isFinite(rate)) return '–';
  const a = Math.abs(rate);
  if (a >= 1e6) return `${Number((rate / 1e6).toPrecision(3))}M/s`;
  if (a >= 1e3) return `${Number((rate / 1e3).toPrecision(3))}K/s`;
  return `${Number(rate.toPrecision(3))}/s`;
}
