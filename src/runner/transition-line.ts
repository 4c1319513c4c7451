// The one-line JSON form of an alert transition that `backtest` and `run` print.

import type { AlertTransition } from '../core/types.js';

export function transitionLine(t: AlertTransition): string {
  return JSON.stringify({
    status: t.status,
    labels: t.labels,
    annotations: t.annotations,
    startsAt: new Date(t.startsAtMs).toISOString(),
    evaluatedAt: new Date(t.evaluatedAtMs).toISOString(),
    fingerprint: t.fingerprint,
  });
}
