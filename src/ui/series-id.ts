// The series an alert belongs to: a series id is the signal's name, or name{labels} for a series
// of a signal split `by` labels (see series/series-key.ts, which also reads ids back). Pure.

import type { SignalConfig } from '../config/load.js';
import type { Labels } from '../core/types.js';
import { pickLabels, seriesIdOf } from '../series/series-key.js';

/** The series an alert's labels belong to, or undefined for alerts of no series (deploys, probes). */
export function seriesIdOfAlert(labels: Labels, signals: readonly Pick<SignalConfig, 'name' | 'by'>[]): string | undefined {
  const name = labels.signal;
  if (name === undefined) return undefined;
  const signal = signals.find((s) => s.name === name);
  if (!signal || signal.by.length === 0) return name;
  return seriesIdOf(name, pickLabels(labels, signal.by));
}
