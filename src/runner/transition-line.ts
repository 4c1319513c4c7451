// The one-line JSON form of an alert transition that `backtest` and `run` print; a firing alert's
// update prints as a firing line with the same fingerprint, its own evaluatedAt and `update`: n.

import type { AlertTransition } from '../core/types.js';

export function transitionLine(t: AlertTransition): string {
  return JSON.stringify({
    status: t.status,
    labels: t.labels,
    annotations: t.annotations,
    startsAt: new Date(t.startsAtMs).toISOString(),
    evaluatedAt: new Date(t.evaluatedAtMs).toISOString(),
    fingerprint: t.fingerprint,
    // A refreshed firing alert: the same incident, read again.
    ...(t.update !== undefined ? { update: t.update } : {}),
  });
}
