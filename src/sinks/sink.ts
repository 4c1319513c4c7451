// The sink contract: a sender only says ok, or why not and whether a retry makes sense.
// One stage (the deliverer) owns retries, backoff and giving up.

import type { OutboxEntry } from './outbox.js';

/** Why a send failed. Doubles as the `outcome` label of stormwatch_notification_attempts_total. */
export type SendFailure = 'timeout' | 'connection' | 'http_4xx' | 'http_429' | 'http_5xx';

export type SendResult = { ok: true } | { ok: false; reason: SendFailure; retryable: boolean; retryAfterMs?: number; detail: string };

export interface Sink {
  readonly name: string;
  /** `signal`: aborted at shutdown, when a request still waiting for its answer is let go (the entry stays in the outbox). */
  send(notification: OutboxEntry, signal?: AbortSignal): Promise<SendResult>;
}
