// A stable string identity for a series: metric name plus its labels in sorted order.

import type { Labels } from '../core/types.js';

export function seriesKey(name: string, labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return name;
  names.sort();
  let key = `${name}{`;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    key += `${i === 0 ? '' : ','}${n}=${JSON.stringify(labels[n])}`;
  }
  return `${key}}`;
}

/** The id of one series of a signal: its name, or name{labels} when split by labels. */
export function seriesIdOf(signal: string, groupLabels: Labels): string {
  return seriesKey(signal, groupLabels);
}

/**
 * The signal name and group labels of a series id (seriesIdOf read back); labels are {} for an
 * unsplit signal. Lenient: what is not a name="value" pair is skipped (check with seriesIdOf).
 */
export function parseSeriesId(id: string): { signal: string; groupLabels: Labels } {
  const brace = id.indexOf('{');
  if (brace < 0 || !id.endsWith('}')) return { signal: id, groupLabels: {} };
  const groupLabels: Labels = {};
  // Values are JSON strings: name="value" pairs separated by commas.
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*")/g;
  for (const m of id.slice(brace + 1, -1).matchAll(re)) groupLabels[m[1]!] = JSON.parse(m[2]!) as string;
  return { signal: id.slice(0, brace), groupLabels };
}

/** The values of `by` in `labels` (a missing label is ""), as a label set. */
export function pickLabels(labels: Labels, by: readonly string[]): Labels {
  const out: Labels = {};
  for (const name of by) out[name] = labels[name] ?? '';
  return out;
}

/** Whether two label sets hold the same names and values, in any order. */
export function sameLabels(a: Labels, b: Labels): boolean {
  let count = 0;
  for (const name in a) {
    if (a[name] !== b[name]) return false;
    count++;
  }
  return Object.keys(b).length === count;
}
