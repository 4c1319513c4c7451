// End to end with a real Alertmanager: stormwatch's alert appears in /api/v2/alerts with the same
// fingerprint, Alertmanager routes it to a local webhook receiver, and resolves it when stormwatch
// resolves. Two Alertmanager URLs (an HA pair) both get it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { Notifier } from '../../src/runner/notify.js';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { type RunningAlertmanager, startAlertmanager } from '../helpers/alertmanager.js';
import { notifierConfig, transition } from '../helpers/notifier-config.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

interface GettableAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  endsAt: string;
}

describe('Alertmanager sink against a real Alertmanager', () => {
  let receiver: Receiver;
  let ams: RunningAlertmanager[];

  beforeAll(async () => {
    receiver = await startReceiver();
    ams = await Promise.all([startAlertmanager(`${receiver.url}/am`), startAlertmanager(`${receiver.url}/am`)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all((ams ?? []).map((a) => a.stop()));
    await receiver?.close();
  });

  it('is accepted, listed, routed to a receiver, and resolved', async () => {
    const notifier = new Notifier(
      notifierConfig(ams.map((am, i) => ({ name: `am[${i}]`, kind: 'alertmanager', url: `${am.url}/api/v2/alerts`, timeoutMs: 2000, headers: {}, resendIntervalMs: 60_000 }))),
      { logger: createLogger('error', () => {}) },
    );
    const t0 = Date.now();
    const firing = transition('crate-downloads', 'firing', t0 - 15_000, t0);
    notifier.handle([firing], t0);
    expect(await notifier.drain(10_000)).toBe(0);

    for (const am of ams) {
      const alerts = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as GettableAlert[];
      expect(alerts).toHaveLength(1);
      // Alertmanager computes the same fingerprint from the same labels.
      expect(alerts[0]).toMatchObject({ fingerprint: firing.fingerprint, labels: firing.labels, status: { state: 'active' } });
      expect(alerts[0]!.annotations.summary).toBe('crate-downloads: retry storm');
    }
    await receiver.waitFor((all) => all.filter((r) => (r.json as WebhookPayload).status === 'firing').length >= 2, 15_000);
    const routed = receiver.received.map((r) => r.json as WebhookPayload).find((p) => p.status === 'firing')!;
    expect(routed.alerts[0]!.labels).toMatchObject({ alertname: 'StormwatchRetryStorm', signal: 'crate-downloads' });

    const t1 = Date.now();
    notifier.handle([transition('crate-downloads', 'resolved', t0 - 15_000, t1)], t1);
    expect(await notifier.drain(10_000)).toBe(0);
    notifier.close();
    await receiver.waitFor((all) => all.filter((r) => (r.json as WebhookPayload).status === 'resolved').length >= 2, 15_000);
    for (const am of ams) {
      const active = (await (await fetch(`${am.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`)).json()) as GettableAlert[];
      expect(active.filter((a) => a.status.state === 'active' && Date.parse(a.endsAt) > Date.now())).toEqual([]);
    }
  }, 60_000);
});
