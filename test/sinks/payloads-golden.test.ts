// Golden files for every payload shape stormwatch sends.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALERTS_DIR } from '../../src/core/paths.js';
import type { AlertTransition } from '../../src/core/types.js';
import { fingerprint } from '../../src/decisions/fingerprint.js';
import { toPostableAlerts } from '../../src/sinks/payloads/alertmanager.js';
import { FaroEventBuilder } from '../../src/sinks/payloads/faro.js';
import { buildSlackPayload } from '../../src/sinks/payloads/slack.js';
import { expectGolden } from '../helpers/golden.js';

const labels = { alertname: 'StormwatchRetryStorm', signal: 'crate-downloads', severity: 'critical', service: 'crates-io' };
const firing: AlertTransition = {
  status: 'firing',
  labels,
  annotations: {
    summary: 'crate-downloads: retry storm, requests 3.78x baseline while 100% of attempts fail (client model: cargo)',
    description: 'crate-downloads: requests at 3.78x baseline (4.4K/s vs 1.16K/s) while 0% of requests complete downstream (baseline 99.9%): every request is failing and cargo retrying each one 3 times matches.',
    multiplier: '3.77887',
    client_model: 'cargo',
  },
  fingerprint: fingerprint(labels),
  startsAtMs: Date.parse('2023-07-20T12:17:15Z'),
  evaluatedAtMs: Date.parse('2023-07-20T12:17:30Z'),
};
const resolved: AlertTransition = {
  ...firing,
  status: 'resolved',
  annotations: { ...firing.annotations, resolved_because: 'healthy again: requests 1.18K/s, 1.02x what is expected, downstream completion 99.9% (baseline 99.9%)' },
  endsAtMs: Date.parse('2023-07-20T12:31:15Z'),
  evaluatedAtMs: Date.parse('2023-07-20T12:31:15Z'),
};

describe('payload shapes', () => {
  it('Alertmanager postable alerts: firing valid for 4 resend intervals, resolved with endsAt', () => {
    const body = toPostableAlerts([firing, resolved], Date.parse('2023-07-20T12:17:30Z'), 60_000, 'http://127.0.0.1:9464');
    expect(body[0]!.endsAt).toBe('2023-07-20T12:21:30.000Z');
    expect(body[1]!.endsAt).toBe('2023-07-20T12:31:15.000Z');
    expectGolden('alertmanager-alerts.json', `${JSON.stringify(body, null, 2)}\n`);
  });

  it('Slack text: what, how bad, why, since when', () => {
    const template = readFileSync(join(ALERTS_DIR, 'templates', 'slack.txt'), 'utf8');
    const body = buildSlackPayload([firing, resolved], template, 'http://127.0.0.1:9464');
    expect(body.text).toContain(':rotating_light: *[FIRING] StormwatchRetryStorm* on `crate-downloads` (critical)');
    expect(body.text).toContain(':white_check_mark: *[RESOLVED] StormwatchRetryStorm*');
    // A resolve says why before what it was: its firing summary alone read as the incident going on.
    expect(body.text).toContain('\nHealthy again: requests 1.18K/s, 1.02x what is expected, downstream completion 99.9% (baseline 99.9%). It was: crate-downloads: retry storm');
    expectGolden('slack.json', `${JSON.stringify(body, null, 2)}\n`);
  });

  it('Slack text: an update says it is one, with the reading now; the page and the resolve do not', () => {
    const template = readFileSync(join(ALERTS_DIR, 'templates', 'slack.txt'), 'utf8');
    const update: AlertTransition = { ...firing, update: 2, annotations: { ...firing.annotations, attempts_per_request: '3.0123', attempts_per_request_low: '2.75', attempts_per_request_high: '3.3' } };
    const [page, again, over] = [firing, update, resolved].map((t) => buildSlackPayload([t], template, 'http://127.0.0.1:9464').text.split('\n')[0]);
    expect(again).toBe(':rotating_light: *[FIRING] StormwatchRetryStorm* on `crate-downloads` (critical); update 2, now: cargo, 3.01 (2.75-3.30) attempts per request');
    expect(page).toBe(':rotating_light: *[FIRING] StormwatchRetryStorm* on `crate-downloads` (critical)');
    expect(over).not.toContain('update');
  });

  it('Slack text: &, < and > of labels and annotations escaped as Slack asks, the link left a link', () => {
    const template = readFileSync(join(ALERTS_DIR, 'templates', 'slack.txt'), 'utf8');
    const odd: AlertTransition = { ...firing, labels: { ...labels, signal: 'search<v2>&co' }, annotations: { ...firing.annotations, summary: 'p99 < 1s & errors > 5%' } };
    const text = buildSlackPayload([odd], template, 'http://127.0.0.1:9464').text;
    expect(text).toContain('on `search&lt;v2&gt;&amp;co`');
    expect(text).toContain('p99 &lt; 1s &amp; errors &gt; 5%');
    expect(text).toMatch(/<http:\/\/127\.0\.0\.1:9464\/ui\/series\?[^|>]+\|details>/);
  });

  it('Slack text: a deploy\'s and a smoke probe\'s alerts say what they are about (they have no signal)', () => {
    const template = readFileSync(join(ALERTS_DIR, 'templates', 'slack.txt'), 'utf8');
    const line = (l: Record<string, string>) => buildSlackPayload([{ ...firing, labels: { severity: 'critical', ...l } }], template, 'http://127.0.0.1:9464').text.split('\n')[0];
    expect(line({ alertname: 'StormwatchDeployRegression', service: 'crates-io', version: '2023.07.20' })).toBe(':rotating_light: *[FIRING] StormwatchDeployRegression* on `crates-io 2023.07.20` (critical)');
    expect(line({ alertname: 'StormwatchSmokeProbeFailed', probe: 'crate-download', service: 'crates-io' })).toBe(':rotating_light: *[FIRING] StormwatchSmokeProbeFailed* on `probe crate-download` (critical)');
  });

  it('Faro events built by faro-core, stamped with the data time', () => {
    const body = JSON.parse(new FaroEventBuilder({ name: 'stormwatch', version: '0.1.0', environment: 'production' }).build([firing], 'key-1')) as {
      meta: { sdk: { version: string } };
      events: { name: string; timestamp: string; attributes: Record<string, string> }[];
    };
    expect(body.events[0]).toMatchObject({ name: 'stormwatch.alert.firing', timestamp: '2023-07-20T12:17:30.000Z', attributes: { alertname: 'StormwatchRetryStorm', idempotency_key: 'key-1' } });
    // The SDK version belongs to the library, not to the shape: pin it out of the golden file.
    body.meta.sdk.version = '<faro-core version>';
    expectGolden('faro-events.json', `${JSON.stringify(body, null, 2)}\n`);
  });
});
