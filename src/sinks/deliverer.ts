// Delivers one sink's outbox entries: at most `concurrency` requests in flight, entries with the
// same order key one after another and in order, retryable failures retried with capped, jittered
// exponential backoff (honouring Retry-After), everything older than `maxAgeMs` given up. The only
// place that retries. Detection never waits on it.

import { type BackoffParams, MAX_TIMER_MS, backoffDelayMs } from './backoff.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { SendFailure, Sink } from './sink.js';

export type DeliveryEvent =
  | { kind: 'attempt'; sink: string; outcome: 'ok' | SendFailure; detail?: string }
  | { kind: 'backoff'; sink: string; delayMs: number }
  | { kind: 'delivered'; sink: string; entry: OutboxEntry; attempts: number }
  | { kind: 'gave_up'; sink: string; entry: OutboxEntry; reason: 'max_age' | 'not_retryable'; detail: string };

export interface DelivererOptions {
  concurrency: number;
  maxAgeMs: number;
  backoff: BackoffParams;
  now?: () => number;
  random?: () => number;
  onEvent?: (event: DeliveryEvent) => void;
}

interface Attempting {
  attempts: number;
  nextAttemptAtMs: number;
}

export class Deliverer {
  private readonly state = new Map<string, Attempting>();
  /** Entry id -> order key of the requests in flight. */
  private readonly inFlight = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  /** Aborted by stop(): a request in flight is let go, not waited for (a receiver that never answers held SIGTERM to its deadline). */
  private readonly stopping = new AbortController();
  private readonly now: () => number;

  constructor(
    readonly sink: Sink,
    private readonly outbox: Outbox,
    private readonly options: DelivererOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Pending entries of this sink. */
  get pending(): number {
    return this.outbox.pendingFor(this.sink.name).length;
  }

  /** Starts whatever can be sent now; call after adding entries. */
  kick(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    let earliest = Number.POSITIVE_INFINITY;
    const pending = this.outbox.pendingFor(this.sink.name);
    // Backoff state of entries no longer pending (superseded while they waited) goes with them.
    if (this.state.size > pending.length) {
      const ids = new Set(pending.map((e) => e.id));
      for (const id of this.state.keys()) if (!ids.has(id) && !this.inFlight.has(id)) this.state.delete(id);
    }
    const heads = new Set(this.inFlight.values());
    for (const entry of pending) {
      if (this.inFlight.has(entry.id)) continue;
      // Only the oldest pending entry of an order key may go: the rest wait behind it.
      if (heads.has(entry.orderKey)) continue;
      heads.add(entry.orderKey);
      if (this.inFlight.size >= this.options.concurrency) continue;
      const st = this.state.get(entry.id);
      if (st && st.nextAttemptAtMs > now) {
        earliest = Math.min(earliest, st.nextAttemptAtMs);
        continue;
      }
      this.inFlight.set(entry.id, entry.orderKey);
      void this.attempt(entry);
    }
    if (Number.isFinite(earliest)) {
      this.timer = setTimeout(() => this.kick(), Math.min(MAX_TIMER_MS, Math.max(0, earliest - now)));
    }
    if (this.inFlight.size === 0 && pending.length === 0) this.notifyIdle();
  }

  /** Resolves when nothing is pending, or after `timeoutMs`; returns how many entries are left. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.pending > 0 || this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => this.idleWaiters.push(r)), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.pending;
  }

  /** Stops scheduling and lets requests in flight go; pending entries stay in the outbox for the next start. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopping.abort();
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    const st = this.state.get(entry.id) ?? { attempts: 0, nextAttemptAtMs: 0 };
    st.attempts++;
    this.state.set(entry.id, st);
    const emit = this.options.onEvent ?? (() => {});
    const result = await this.sink.send(entry, this.stopping.signal);
    this.inFlight.delete(entry.id);
    // Stopped meanwhile (shutdown): the entry stays pending in the outbox; the next start sends it
    // again and its idempotency key lets the receiver drop the duplicate.
    if (this.stopped) return;
    if (result.ok) {
      emit({ kind: 'attempt', sink: this.sink.name, outcome: 'ok' });
      this.outbox.done(entry.id, 'delivered');
      this.state.delete(entry.id);
      emit({ kind: 'delivered', sink: this.sink.name, entry, attempts: st.attempts });
    } else {
      emit({ kind: 'attempt', sink: this.sink.name, outcome: result.reason, detail: result.detail });
      const now = this.now();
      if (!result.retryable) {
        this.giveUp(entry, 'not_retryable', result.detail);
      } else if (now - entry.createdAtMs >= this.options.maxAgeMs) {
        this.giveUp(entry, 'max_age', `${result.detail}; still failing after ${st.attempts} attempts`);
      } else {
        const delayMs = backoffDelayMs(st.attempts, this.options.backoff, this.options.random ?? Math.random, result.retryAfterMs);
        st.nextAttemptAtMs = now + delayMs;
        emit({ kind: 'backoff', sink: this.sink.name, delayMs });
      }
    }
    this.kick();
  }

  private giveUp(entry: OutboxEntry, reason: 'max_age' | 'not_retryable', detail: string): void {
    this.outbox.done(entry.id, 'gave_up', `${reason}: ${detail}`);
    this.state.delete(entry.id);
    this.options.onEvent?.({ kind: 'gave_up', sink: this.sink.name, entry, reason, detail });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
