// Series ids and labels: a series id is the signal's name, or name{labels} for a series of a signal
// split `by` labels (see series/series-key.ts). The UI reads them back and finds the series an
// alert belongs to. Pure.

import type { SignalConfig } from '../config/load.js';
import type { Labels } from '../core/types.js';
import { pickLabels, seriesIdOf } from '../series/series-key.js';

/** The signal name and group labels of a series id; labels are {} for an unsplit signal. */
export function parseSeriesId(id: string): { signal: string; groupLabels: Labels } {
  const brace = id.indexOf('{');
  if (brace < 0 || !id.endsWith('}')) return { signal: id, groupLabels: {} };
  const groupLabels: Labels = {};
  // Values are JSON strings: name="value" pairs separated by commas.
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*")/g;
  for (const m of id.slice(brace + 1, -1).matchAll(re)) groupLabels[m[1]!] = JSON.parse(m[2]!) as string;
  return { signal: id.slice(0, brace), groupLabels };
}

/** The series an alert's labels belong to, or undefined for alerts of no series (deploys, probes). */
export function seriesIdOfAlert(labels: Labels, signals: readonly Pick<SignalConfig, 'name' | 'by'>[]): string | undefined {
  const name = labels.signal;
  if (name === undefined) return undefined;
  const signal = signals.find((s) => s.name === name);
  if (!signal || signal.by.length === 0) return name;
  return seriesIdOf(name, pickLabels(labels, signal.by));
}
