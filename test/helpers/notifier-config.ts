// A delivery configuration for Notifier tests: given sinks, one route, a fresh outbox directory.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SinkConfig, StormwatchConfig } from '../../src/config/load.js';
import type { AlertTransition } from '../../src/core/types.js';
import { fingerprint } from '../../src/decisions/fingerprint.js';

export type NotifierConfig = Pick<StormwatchConfig, 'sinks' | 'routes' | 'delivery' | 'alerting'>;

export function notifierConfig(sinks: SinkConfig[], options: { outboxDir?: string; groupIntervalMs?: number; backoffCapMs?: number } = {}): NotifierConfig {
  return {
    sinks,
    routes: [{ sinks: sinks.map((s) => s.name), match: {}, groupBy: ['alertname', 'signal'], groupWaitMs: 0, groupIntervalMs: options.groupIntervalMs ?? 0, repeatIntervalMs: 4 * 3_600_000 }],
    delivery: { outboxDir: options.outboxDir ?? mkdtempSync(join(tmpdir(), 'stormwatch-outbox-')), maxAgeMs: 3_600_000, concurrency: 4, backoff: { baseMs: 200, capMs: options.backoffCapMs ?? 5000 }, stateSaveIntervalMs: 60_000 },
    alerting: { forMs: 0, keepFiringForMs: 0, labels: {}, externalURL: 'http://127.0.0.1:9464', receiver: 'stormwatch' },
  };
}

export function transition(signal: string, status: 'firing' | 'resolved', startsAtMs: number, atMs: number): AlertTransition {
  const labels = { alertname: 'StormwatchRetryStorm', signal, severity: 'critical' };
  return {
    status,
    labels,
    annotations: { summary: `${signal}: retry storm`, description: 'why' },
    fingerprint: fingerprint(labels),
    startsAtMs,
    ...(status === 'resolved' ? { endsAtMs: atMs } : {}),
    evaluatedAtMs: atMs,
  };
}
