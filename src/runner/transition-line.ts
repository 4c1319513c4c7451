// The one-line JSON form of an alert transition that `backtest` and `run` print. A muted one says
// so: `"delivered": false` and what muted it (a silence, a maintenance window, an inhibiting alert);
// if its muting ends while it still fires, it prints again with `"delivered": true` and `releasedAt`.
// A firing alert's update prints as a firing line with the same fingerprint, its own evaluatedAt
// and `update`: n.

import type { AlertTransition } from '../core/types.js';
import type { Muting } from '../decisions/mute-stage.js';

/**
 * `releasedAtMs`: the line of a muted firing alert delivered after all, when its muting ended while
 * it still fired (as `run` sends it then): `"delivered": true` and `releasedAt`.
 */
export function transitionLine(t: AlertTransition, muted?: readonly Muting[], releasedAtMs?: number): string {
  return JSON.stringify({
    status: t.status,
    labels: t.labels,
    annotations: t.annotations,
    startsAt: new Date(t.startsAtMs).toISOString(),
    evaluatedAt: new Date(t.evaluatedAtMs).toISOString(),
    fingerprint: t.fingerprint,
    ...(muted && muted.length > 0 ? { delivered: false, mutedBy: muted.map((m) => m.by) } : {}),
    ...(releasedAtMs !== undefined ? { delivered: true, releasedAt: new Date(releasedAtMs).toISOString() } : {}),
    // A refreshed firing alert: the same incident, read again.
    ...(t.update !== undefined ? { update: t.update } : {}),
  });
}
