// Fans alert transitions out to every sink's delivery queue as Alertmanager webhook notifications.

import type { StormwatchConfig } from '../config/load.js';
import type { AlertTransition } from '../core/types.js';
import { DeliveryQueue, type DeliveryOutcome } from '../sinks/delivery-queue.js';
import type { Notification } from '../sinks/sink.js';
import { buildWebhookPayload } from '../sinks/webhook-payload.js';
import { WebhookSink } from '../sinks/webhook-sink.js';

export function idempotencyKey(t: AlertTransition): string {
  return `${t.fingerprint}:${new Date(t.startsAtMs).toISOString()}:${t.status}`;
}

export function toNotification(t: AlertTransition, receiver: string, externalURL: string): Notification {
  return { idempotencyKey: idempotencyKey(t), body: JSON.stringify(buildWebhookPayload([t], receiver, externalURL)) };
}

export class Notifier {
  readonly queues: DeliveryQueue[];

  constructor(
    private readonly config: Pick<StormwatchConfig, 'sinks' | 'alerting'>,
    onOutcome: (sink: string, outcome: DeliveryOutcome, detail?: string) => void,
  ) {
    this.queues = config.sinks.map(
      (s) => new DeliveryQueue(new WebhookSink({ name: s.name, url: s.url, timeoutMs: s.timeoutMs, headers: s.headers }), { maxAttempts: s.maxAttempts, onOutcome }),
    );
  }

  notify(transitions: readonly AlertTransition[]): void {
    for (const t of transitions) {
      const notification = toNotification(t, this.config.alerting.receiver, this.config.alerting.externalURL);
      for (const queue of this.queues) queue.enqueue(notification);
    }
  }

  /** Waits for every queue to empty, at most `timeoutMs`; returns how many notifications are left. */
  async drain(timeoutMs: number): Promise<number> {
    const left = await Promise.all(this.queues.map((q) => q.drain(timeoutMs)));
    return left.reduce((a, b) => a + b, 0);
  }
}
