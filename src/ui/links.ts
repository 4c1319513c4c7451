// Links into the UI: an alert's generatorURL opens its series' page at the moment it started. Pure.

import type { SignalConfig } from '../config/load.js';
import type { AlertTransition } from '../core/types.js';
import { seriesIdOfAlert } from './series-id.js';

export function seriesPageURL(base: string, seriesId: string, atMs?: number, fingerprint?: string): string {
  const q = new URLSearchParams({ id: seriesId });
  if (atMs !== undefined && Number.isFinite(atMs)) q.set('at', new Date(atMs).toISOString());
  if (fingerprint) q.set('fingerprint', fingerprint);
  return `${base}/ui/series?${q}`;
}

/** The generatorURL of an alert: its series page at startsAt, or the overview for deploy and probe alerts. */
export function alertLink(t: AlertTransition, externalURL: string, signals: readonly Pick<SignalConfig, 'name' | 'by'>[]): string {
  const id = seriesIdOfAlert(t.labels, signals);
  if (id !== undefined) return seriesPageURL(externalURL, id, t.startsAtMs, t.fingerprint);
  const q = new URLSearchParams({ q: t.labels.service ?? t.labels.probe ?? '' });
  return `${externalURL}/ui/?${q}`;
}
