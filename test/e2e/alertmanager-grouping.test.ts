// Webhook payloads grouped as Alertmanager groups them: the same alerts and the same routes (equality
// and regex/negative matchers) given to a real Alertmanager (0.25) and to stormwatch; per receiver,
// the receiver name, groupKey, groupLabels and commonLabels stormwatch sends equal Alertmanager's.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import type { AlertTransition, Labels } from '../../src/core/types.js';
import { fingerprint } from '../../src/decisions/fingerprint.js';
import { Notifier } from '../../src/runner/notify.js';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { type RunningAlertmanager, startAlertmanager } from '../helpers/alertmanager.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

const ALERTS: Labels[] = [
  { alertname: 'StormwatchRetryStorm', signal: 'downloads', service: 'crates-io', severity: 'critical', team: 'crates-io' },
  { alertname: 'StormwatchDeployRegression', service: 'crates-io', version: '1.102.0', severity: 'critical', team: 'crates-io' },
  { alertname: 'StormwatchOrganicSurge', signal: 'api', service: 'crates-io', severity: 'info', team: 'crates-io' },
];

/** What a receiver sees of a payload, independent of timing and alert order. */
const view = (p: WebhookPayload) => ({ receiver: p.receiver, groupKey: p.groupKey, groupLabels: p.groupLabels, commonLabels: p.commonLabels, status: p.status, alerts: p.alerts.length });
const sorted = (ps: WebhookPayload[]) => ps.map(view).sort((a, b) => (a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0));

describe('webhook grouping like Alertmanager', () => {
  let receiver: Receiver;
  let am: RunningAlertmanager;
  beforeAll(async () => {
    receiver = await startReceiver();
    // stormwatch's routes are the root's children, each with continue: true (every matching route).
    am = await startAlertmanager(
      '',
      `route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: pager
      match: {team: crates-io, severity: critical}
      group_by: [alertname, service]
      continue: true
    - receiver: everything
      group_by: ['...']
      continue: true
    - receiver: regex
      matchers: ['severity=~"crit.*"', 'alertname!="StormwatchDeployRegression"']
      group_by: [alertname]
      continue: true
receivers:
  - name: blackhole
  - name: pager
    webhook_configs: [{url: '${receiver.url}/am/pager'}]
  - name: everything
    webhook_configs: [{url: '${receiver.url}/am/everything'}]
  - name: regex
    webhook_configs: [{url: '${receiver.url}/am/regex'}]
`,
    );
  }, 60_000);
  afterAll(async () => {
    await am?.stop();
    await receiver?.close();
  });

  it('sends the receiver, groupKey, groupLabels and commonLabels Alertmanager sends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-grouping-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(
      file,
      `source: {replay: {file: x.om}}
delivery: {outboxDir: state}
sinks:
  - name: pager
    webhook: {url: '${receiver.url}/sw/pager'}
  - name: chat
    webhook: {url: '${receiver.url}/sw/everything'}
  - name: ops
    webhook: {url: '${receiver.url}/sw/regex'}
routes:
  - receiver: pager
    sinks: [pager]
    match: {team: crates-io, severity: critical}
    groupBy: [alertname, service]
  - receiver: everything
    sinks: [chat]
    groupBy: ['...']
  - receiver: regex
    sinks: [ops]
    matchers: ['severity=~"crit.*"', 'alertname!="StormwatchDeployRegression"']
    groupBy: [alertname]
signals: [{name: downloads, requests: x_total}]
`,
    );
    const config = loadConfig(file);
    const now = Date.now();
    const transitions: AlertTransition[] = ALERTS.map((labels) => ({ status: 'firing', labels, annotations: { summary: labels.alertname! }, fingerprint: fingerprint(labels), startsAtMs: now - 15_000, evaluatedAtMs: now }));

    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(transitions.map((t) => ({ labels: t.labels, annotations: t.annotations, startsAt: new Date(t.startsAtMs).toISOString() }))),
    });
    expect(res.status).toBe(200);
    const notifier = new Notifier(config, { logger: createLogger('error', () => {}) });
    notifier.handle(transitions, now);
    expect(await notifier.drain(10_000)).toBe(0);
    notifier.close();

    // pager: the two critical alerts, one group each (alertname differs); everything: three groups.
    await receiver.waitFor((all) => all.filter((r) => r.path.startsWith('/am/')).length >= 6, 20_000);
    const by = (prefix: string) => receiver.received.filter((r) => r.path.startsWith(prefix)).map((r) => r.json as WebhookPayload);
    for (const [name, groups] of [['pager', 2], ['everything', 3], ['regex', 1]] as const) {
      const fromAm = sorted(by(`/am/${name}`));
      const fromSw = sorted(by(`/sw/${name}`));
      expect(fromAm, name).toHaveLength(groups);
      expect(fromSw, name).toEqual(fromAm);
    }
    expect(by('/am/pager').map((p) => p.groupKey).sort()).toEqual([
      '{}/{severity="critical",team="crates-io"}:{alertname="StormwatchDeployRegression", service="crates-io"}',
      '{}/{severity="critical",team="crates-io"}:{alertname="StormwatchRetryStorm", service="crates-io"}',
    ]);
    expect(by('/sw/regex').map((p) => p.groupKey)).toEqual(['{}/{alertname!="StormwatchDeployRegression",severity=~"crit.*"}:{alertname="StormwatchRetryStorm"}']);
  }, 60_000);
});
