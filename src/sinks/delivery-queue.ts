// Delivers notifications to one sink in order, retrying retryable failures with backoff. The only
// place that retries: senders just report. Detection never waits on it.

import type { Notification, SendFailure, Sink } from './sink.js';
import { type BackoffParams, DEFAULT_BACKOFF, backoffDelayMs } from './backoff.js';

export type DeliveryOutcome = 'delivered' | SendFailure | 'gave_up';

export interface DeliveryQueueOptions {
  maxAttempts: number;
  backoff?: BackoffParams;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called for every attempt's outcome and when a notification is given up. */
  onOutcome?: (sink: string, outcome: DeliveryOutcome, detail?: string) => void;
}

export class DeliveryQueue {
  private readonly pending: Notification[] = [];
  private running: Promise<void> | null = null;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    readonly sink: Sink,
    private readonly options: DeliveryQueueOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get size(): number {
    return this.pending.length;
  }

  enqueue(notification: Notification): void {
    this.pending.push(notification);
    this.running ??= this.work().finally(() => {
      this.running = null;
    });
  }

  /** Resolves when everything queued is delivered or given up, or after `timeoutMs`; returns what is left. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.pending.length;
  }

  private async work(): Promise<void> {
    const { onOutcome } = this.options;
    while (this.pending.length > 0) {
      const notification = this.pending[0]!;
      for (let attempt = 1; ; attempt++) {
        const result = await this.sink.send(notification);
        if (result.ok) {
          onOutcome?.(this.sink.name, 'delivered');
          break;
        }
        onOutcome?.(this.sink.name, result.reason, result.detail);
        if (!result.retryable || attempt >= this.options.maxAttempts) {
          onOutcome?.(this.sink.name, 'gave_up', `${result.detail} after ${attempt} attempt(s)`);
          break;
        }
        await this.sleep(backoffDelayMs(attempt, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random ?? Math.random, result.retryAfterMs));
      }
      this.pending.shift();
    }
  }
}
