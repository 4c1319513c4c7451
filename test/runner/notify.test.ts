// Delivery that loses nothing: a receiver down for several backoff caps, a 429 with Retry-After, a restart
// with notifications still queued, secrets kept out of logs. Real HTTP on loopback, a real outbox.

import { type Server, createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { Notifier } from '../../src/runner/notify.js';
import { Outbox } from '../../src/sinks/outbox.js';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { StormwatchMetrics } from '../../src/telemetry/metrics.js';
import { notifierConfig, transition } from '../helpers/notifier-config.js';
import { freePort } from '../helpers/ports.js';
import { startReceiver } from '../helpers/receiver.js';

/** A receiver on a fixed port that can be taken down and brought back. */
function flakyReceiver(port: number) {
  const received: { key: string; body: WebhookPayload; atMs: number }[] = [];
  let server: Server | undefined;
  return {
    received,
    async up() {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(body) as WebhookPayload, atMs: Date.now() });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async down() {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
}

const silent = createLogger('error', () => {});

describe('Notifier delivery', () => {
  // Down for six of the backoff's caps (2 s here): the delays reach the cap within a few attempts
  // and keep retrying at it, as through any long outage; a shorter cap keeps the test short.
  it('delivers everything once after the receiver was down for six backoff caps, with backoff in its metrics', async () => {
    const port = await freePort();
    const receiver = flakyReceiver(port);
    const metrics = new StormwatchMetrics(false);
    const capMs = 2000;
    const notifier = new Notifier(notifierConfig([{ name: 'hook', kind: 'webhook', url: `http://127.0.0.1:${port}/`, timeoutMs: 1000, headers: {} }], { backoffCapMs: capMs }), {
      logger: silent,
      onEvent: (e) => metrics.recordDelivery(e),
    });
    const t0 = Date.now();
    // Three incidents start and one resolves while the receiver is down.
    notifier.handle([transition('a', 'firing', t0, t0), transition('b', 'firing', t0, t0)], t0);
    notifier.handle([transition('c', 'firing', t0 + 1000, t0 + 1000)], t0 + 1000);
    notifier.handle([transition('a', 'resolved', t0, t0 + 2000)], t0 + 2000);
    await new Promise((r) => setTimeout(r, 6 * capMs));
    expect(receiver.received).toEqual([]);
    await receiver.up();
    expect(await notifier.drain(15_000)).toBe(0);
    notifier.close();
    await receiver.down();

    const keys = receiver.received.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length); // none twice
    expect(keys.sort()).toEqual(
      [transition('a', 'firing', t0, t0), transition('b', 'firing', t0, t0), transition('c', 'firing', t0 + 1000, 0), transition('a', 'resolved', t0, 0)]
        .map((t) => `${t.fingerprint}:${new Date(t.startsAtMs).toISOString()}:${t.status}`)
        .sort(),
    );
    // The firing notification of `a` arrived before its resolution: one order key, in order.
    const aKeys = receiver.received.filter((r) => r.body.commonLabels.signal === 'a').map((r) => r.body.status);
    expect(aKeys).toEqual(['firing', 'resolved']);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/stormwatch_notification_attempts_total\{sink="hook",outcome="connection"\} ([5-9]|\d\d+)/);
    expect(text).toMatch(/stormwatch_notification_backoff_seconds_count\{sink="hook"\} ([5-9]|\d\d+)/);
    expect(text).toMatch(/stormwatch_notifications_total\{sink="hook",outcome="delivered"\} 4/);
  }, 40_000);

  it('waits as long as a 429 Retry-After asks', async () => {
    const receiver = await startReceiver();
    const asked: number[] = [];
    receiver.respond = () => {
      asked.push(Date.now());
      return asked.length === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 };
    };
    const notifier = new Notifier(notifierConfig([{ name: 'hook', kind: 'webhook', url: receiver.url, timeoutMs: 1000, headers: {} }]), { logger: silent });
    const t0 = Date.now();
    notifier.handle([transition('a', 'firing', t0, t0)], t0);
    expect(await notifier.drain(10_000)).toBe(0);
    notifier.close();
    await receiver.close();
    expect(asked).toHaveLength(2);
    expect(asked[1]! - asked[0]!).toBeGreaterThanOrEqual(2000);
  });

  it('sends what was queued before a restart, once', async () => {
    const port = await freePort();
    const receiver = flakyReceiver(port);
    const config = notifierConfig([{ name: 'hook', kind: 'webhook', url: `http://127.0.0.1:${port}/`, timeoutMs: 500, headers: {} }]);
    const first = new Notifier(config, { logger: silent });
    const t0 = Date.now();
    first.handle([transition('a', 'firing', t0, t0)], t0);
    await new Promise((r) => setTimeout(r, 300));
    first.close(); // stopped (as if killed) with the notification undelivered
    await receiver.up();
    const second = new Notifier(config, { logger: silent });
    expect(await second.drain(10_000)).toBe(0);
    second.close();
    const third = new Notifier(config, { logger: silent }); // nothing left to send
    expect(third.outbox.size).toBe(0);
    third.close();
    await receiver.down();
    expect(receiver.received.map((r) => r.body.status)).toEqual(['firing']);
  });

  it('keeps secrets out of its logs', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const logger = createLogger('debug', (l) => lines.push(l));
    const notifier = new Notifier(
      notifierConfig([{ name: 'hook', kind: 'webhook', url: `http://alice:pa55word@127.0.0.1:${port}/hook?token=t0ken`, timeoutMs: 300, headers: { authorization: 'Bearer s3cr3t-header' }, signingSecret: 'sign1ng-secret' }], { backoffCapMs: 200 }),
      { logger },
    );
    const t0 = Date.now();
    notifier.handle([transition('a', 'firing', t0, t0)], t0);
    await new Promise((r) => setTimeout(r, 1500));
    notifier.close();
    const all = lines.join('\n');
    expect(all).toContain('notification attempt failed');
    for (const secret of ['pa55word', 't0ken', 's3cr3t-header', 'sign1ng-secret']) expect(all).not.toContain(secret);
  });

  it('keeps notifications for a sink no longer configured until maxAge, then gives them up', async () => {
    const config = notifierConfig([{ name: 'hook', kind: 'webhook', url: 'http://127.0.0.1:9/', timeoutMs: 100, headers: {} }]);
    const { outbox } = Outbox.open(config.delivery.outboxDir, { fsync: false });
    outbox.add({ sink: 'gone', key: 'old', orderKey: 'g', body: '{}', headers: {}, createdAtMs: Date.now() - 2 * config.delivery.maxAgeMs });
    outbox.add({ sink: 'gone', key: 'recent', orderKey: 'g', body: '{}', headers: {}, createdAtMs: Date.now() });
    outbox.close();
    const lines: Record<string, unknown>[] = [];
    const notifier = new Notifier(config, { logger: createLogger('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) });
    expect(notifier.outbox.all().map((e) => e.key)).toEqual(['recent']);
    expect(lines.find((l) => l.msg === 'outbox: notifications for sinks no longer configured')).toMatchObject({ sinks: ['gone'], kept: 1, givenUp: 1 });
    notifier.close();
  });
  it('adopts alerts already firing (a restart, a reload): nothing sent again now, Alertmanager re-sent each resendInterval, the resolution delivered', async () => {
    const receiver = await startReceiver();
    const notifier = new Notifier(
      notifierConfig([
        { name: 'am', kind: 'alertmanager', url: `${receiver.url}/api/v2/alerts`, timeoutMs: 1000, headers: {}, resendIntervalMs: 60_000 },
        { name: 'hook', kind: 'webhook', url: `${receiver.url}/hook`, timeoutMs: 1000, headers: {} },
      ]),
      { logger: silent },
    );
    const t0 = Date.UTC(2026, 0, 1);
    notifier.adoptFiring([transition('downloads', 'firing', t0 - 600_000, t0)], t0);
    notifier.handle([], t0 + 1000);
    expect(notifier.outbox.size).toBe(0);
    notifier.handle([], t0 + 61_000);
    expect(await notifier.drain(10_000)).toBe(0);
    notifier.handle([transition('downloads', 'resolved', t0 - 600_000, t0 + 62_000)], t0 + 62_000);
    expect(await notifier.drain(10_000)).toBe(0);
    notifier.close();
    await receiver.close();
    // Alertmanager: the re-send at t0 + 60 s, then the resolution; the webhook: only the resolution.
    expect(receiver.received.filter((r) => r.path.startsWith('/api/v2/alerts'))).toHaveLength(2);
    expect(receiver.received.filter((r) => r.path === '/hook').map((r) => (r.json as WebhookPayload).status)).toEqual(['resolved']);
    expect(receiver.received).toHaveLength(3);
  });
});

describe('Notifier, an Alertmanager that does not answer', () => {
  it("keeps one post an alert waiting, its newest: a resend supersedes the one before; a webhook's keep their order", async () => {
    // Refuses connections: a port nobody listens on.
    const notifier = new Notifier(
      notifierConfig([
        { name: 'am', kind: 'alertmanager', url: 'http://127.0.0.1:9/api/v2/alerts', timeoutMs: 500, headers: {}, resendIntervalMs: 60_000 },
        { name: 'hook', kind: 'webhook', url: 'http://127.0.0.1:9/hook', timeoutMs: 500, headers: {} },
      ]),
      { logger: silent },
    );
    const t0 = Date.UTC(2026, 0, 1);
    notifier.handle([transition('downloads', 'firing', t0, t0)], t0);
    for (let k = 1; k <= 5; k++) notifier.handle([], t0 + k * 61_000);
    const am = () => notifier.outbox.pendingFor('am');
    expect(am()).toHaveLength(1);
    expect(am()[0]!.key).toMatch(/:repeat-5$/);
    notifier.handle([transition('downloads', 'resolved', t0, t0 + 400_000)], t0 + 400_000);
    expect(am().map((e) => JSON.parse(e.body) as { endsAt: string }[]).map(([a]) => a!.endsAt)).toEqual([new Date(t0 + 400_000).toISOString()]);
    // A webhook's notifications are events: each one stays, in order.
    expect(notifier.outbox.pendingFor('hook').length).toBeGreaterThan(1);
    notifier.close();
  });
});

describe('Notifier updates of a firing alert', () => {
  it('delivers an update to a webhook as the same alert (fingerprint, startsAt) with new annotations and its own idempotency key', async () => {
    const receiver = await startReceiver();
    const config = notifierConfig([{ name: 'hook', kind: 'webhook', url: receiver.url, timeoutMs: 2000, headers: {} }]);
    const notifier = new Notifier(config, { logger: silent });
    const t0 = Date.now();
    const page = transition('a', 'firing', t0, t0);
    notifier.handle([page], t0);
    const update = { ...page, annotations: { ...page.annotations, client_model: 'cargo', attempts_per_request: '3.1' }, evaluatedAtMs: t0 + 45_000, update: 1 };
    notifier.handle([update], t0 + 45_000);
    expect(await notifier.drain(10_000)).toBe(0);
    notifier.close();
    await receiver.close();
    const bodies = receiver.received.map((r) => r.json as WebhookPayload & { idempotencyKey: string });
    expect(bodies).toHaveLength(2);
    const [first, second] = bodies;
    expect(second!.alerts[0]).toMatchObject({ status: 'firing', fingerprint: first!.alerts[0]!.fingerprint, startsAt: first!.alerts[0]!.startsAt, annotations: { client_model: 'cargo' } });
    expect(second!.idempotencyKey).not.toBe(first!.idempotencyKey);
    expect(second!.idempotencyKey).toMatch(/:update-1$/);
  });
});
