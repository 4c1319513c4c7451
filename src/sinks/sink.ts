// The sink contract: a sender only says ok, or why not and whether a retry makes sense.
// One stage (the delivery queue) owns retries and backoff.

/** Why a send failed. Doubles as the `outcome` label of stormwatch_alerts_sent_total. */
export type SendFailure = 'timeout' | 'connection' | 'http_4xx' | 'http_429' | 'http_5xx';

export type SendResult = { ok: true } | { ok: false; reason: SendFailure; retryable: boolean; retryAfterMs?: number; detail: string };

export interface Notification {
  /** Identifies the notification across retries and restarts: fingerprint + startsAt + status. */
  idempotencyKey: string;
  body: string;
}

export interface Sink {
  readonly name: string;
  send(notification: Notification): Promise<SendResult>;
}
