import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/sinks/backoff.js';
import { type DeliveryOutcome, DeliveryQueue } from '../../src/sinks/delivery-queue.js';
import type { Notification, SendResult, Sink } from '../../src/sinks/sink.js';

/** A sink that answers from a script, recording what it was sent. */
function scriptedSink(answers: SendResult[]): Sink & { sent: string[] } {
  const sent: string[] = [];
  return {
    name: 'scripted',
    sent,
    async send(n: Notification) {
      sent.push(n.idempotencyKey);
      return answers.shift() ?? { ok: true };
    },
  };
}

const fail = (reason: 'http_5xx' | 'http_4xx' | 'http_429', retryable: boolean, retryAfterMs?: number): SendResult => ({
  ok: false,
  reason,
  retryable,
  detail: reason,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

function queue(sink: Sink, maxAttempts = 5) {
  const sleeps: number[] = [];
  const outcomes: DeliveryOutcome[] = [];
  const q = new DeliveryQueue(sink, {
    maxAttempts,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
    onOutcome: (_, outcome) => outcomes.push(outcome),
  });
  return { q, sleeps, outcomes };
}

describe('DeliveryQueue', () => {
  it('retries retryable failures with growing backoff, then delivers', async () => {
    const sink = scriptedSink([fail('http_5xx', true), fail('http_5xx', true)]);
    const { q, sleeps, outcomes } = queue(sink);
    q.enqueue({ idempotencyKey: 'a', body: '{}' });
    expect(await q.drain(1000)).toBe(0);
    expect(sink.sent).toEqual(['a', 'a', 'a']);
    expect(sleeps).toEqual([500, 1000]);
    expect(outcomes).toEqual(['http_5xx', 'http_5xx', 'delivered']);
  });

  it('does not retry a 4xx', async () => {
    const sink = scriptedSink([fail('http_4xx', false)]);
    const { q, outcomes } = queue(sink);
    q.enqueue({ idempotencyKey: 'a', body: '{}' });
    await q.drain(1000);
    expect(sink.sent).toEqual(['a']);
    expect(outcomes).toEqual(['http_4xx', 'gave_up']);
  });

  it('honours Retry-After when it is longer than the backoff', async () => {
    const sink = scriptedSink([fail('http_429', true, 7000)]);
    const { q, sleeps } = queue(sink);
    q.enqueue({ idempotencyKey: 'a', body: '{}' });
    await q.drain(1000);
    expect(sleeps).toEqual([7000]);
  });

  it('gives up after maxAttempts and goes on with the next notification, in order', async () => {
    const sink = scriptedSink([fail('http_5xx', true), fail('http_5xx', true)]);
    const { q, outcomes } = queue(sink, 2);
    q.enqueue({ idempotencyKey: 'a', body: '{}' });
    q.enqueue({ idempotencyKey: 'b', body: '{}' });
    await q.drain(1000);
    expect(sink.sent).toEqual(['a', 'a', 'b']);
    expect(outcomes).toEqual(['http_5xx', 'http_5xx', 'gave_up', 'delivered']);
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [1, 500],
    [2, 1000],
    [4, 4000],
    [10, 30_000], // capped
  ])('attempt %d: at most %d ms', (attempt, ceiling) => {
    expect(backoffDelayMs(attempt, { baseMs: 500, capMs: 30_000 }, () => 1)).toBe(ceiling);
    expect(backoffDelayMs(attempt, { baseMs: 500, capMs: 30_000 }, () => 0)).toBe(0);
  });
});
