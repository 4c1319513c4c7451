// Detection events for a Grafana Faro receiver, built by @grafana/faro-core (its event format,
// app and SDK meta) and captured by a transport of ours, so they go through the same durable
// outbox as every other notification and appear in Grafana next to the traffic.

import {
  BaseTransport,
  type TransportItem,
  defaultInternalLoggerLevel,
  defaultUnpatchedConsole,
  getTransportBody,
  initializeFaro,
} from '@grafana/faro-core';
import type { AlertTransition } from '../../core/types.js';

/** Holds what faro-core hands its transports until the caller takes it. */
class CapturingTransport extends BaseTransport {
  readonly name = 'stormwatch-outbox';
  readonly version = '1';
  captured: TransportItem[] = [];

  send(items: TransportItem | TransportItem[]): void {
    this.captured.push(...(Array.isArray(items) ? items : [items]));
  }
}

export class FaroEventBuilder {
  private readonly transport = new CapturingTransport();
  private readonly faro;

  constructor(app: { name: string; version: string; environment?: string }) {
    this.faro = initializeFaro({
      app,
      transports: [this.transport],
      instrumentations: [],
      metas: [],
      dedupe: false,
      // One Faro instance per sink, never the process-wide global.
      isolate: true,
      preventGlobalExposure: true,
      globalObjectKey: `stormwatchFaro${Math.random().toString(36).slice(2)}`,
      internalLoggerLevel: defaultInternalLoggerLevel,
      unpatchedConsole: defaultUnpatchedConsole,
      parseStacktrace: () => ({ frames: [] }),
      paused: false,
      batching: { enabled: false },
    });
  }

  /** One Faro event per transition (stormwatch.alert.firing / .resolved), as a receiver body. */
  build(transitions: readonly AlertTransition[], idempotencyKey: string): string {
    for (const t of transitions) {
      this.faro.api.pushEvent(
        `stormwatch.alert.${t.status}`,
        { ...t.labels, ...t.annotations, fingerprint: t.fingerprint, startsAt: new Date(t.startsAtMs).toISOString(), idempotency_key: idempotencyKey },
        'stormwatch',
        { skipDedupe: true, timestampOverwriteMs: t.evaluatedAtMs },
      );
    }
    const items = this.transport.captured;
    this.transport.captured = [];
    return JSON.stringify(getTransportBody(items));
  }
}
