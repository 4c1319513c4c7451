import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../src/core/types.js';
import { fingerprint } from '../../src/decisions/fingerprint.js';
import { ZERO_TIME, buildWebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { expectGolden } from '../helpers/golden.js';

const labels = { alertname: 'StormwatchFunnelBroken', signal: 'crate-downloads', severity: 'critical', service: 'crates-io' };
const firing: AlertTransition = {
  status: 'firing',
  labels,
  annotations: { summary: 'crate-downloads: only 0% of requests complete downstream', description: 'd' },
  fingerprint: fingerprint(labels),
  startsAtMs: Date.parse('2023-07-20T12:17:15Z'),
  evaluatedAtMs: Date.parse('2023-07-20T12:17:30Z'),
};
const resolved: AlertTransition = { ...firing, status: 'resolved', endsAtMs: Date.parse('2023-07-20T12:31:15Z'), evaluatedAtMs: Date.parse('2023-07-20T12:31:15Z') };

describe('buildWebhookPayload', () => {
  it('builds the Alertmanager v4 shape for a firing alert (golden)', () => {
    const payload = buildWebhookPayload([firing], 'stormwatch', 'http://127.0.0.1:9464');
    expect(payload.alerts[0]!.endsAt).toBe(ZERO_TIME);
    expectGolden('webhook-firing.json', `${JSON.stringify(payload, null, 2)}\n`);
  });

  it('says an update of a firing alert is one, and which, in its annotations; the page says nothing of the kind', () => {
    const update = buildWebhookPayload([{ ...firing, update: 2 }], 'stormwatch', 'http://127.0.0.1:9464');
    expect(update.alerts[0]!.annotations).toEqual({ ...firing.annotations, update: '2' });
    expect(buildWebhookPayload([firing], 'stormwatch', 'http://127.0.0.1:9464').alerts[0]!.annotations).not.toHaveProperty('update');
  });

  it('builds the resolved notification with endsAt (golden)', () => {
    const payload = buildWebhookPayload([resolved], 'stormwatch', 'http://127.0.0.1:9464');
    expect(payload.status).toBe('resolved');
    expectGolden('webhook-resolved.json', `${JSON.stringify(payload, null, 2)}\n`);
  });

  it('keeps only shared labels and annotations as common ones; firing wins the group status', () => {
    const other = { ...resolved, labels: { ...labels, signal: 'readme-downloads' }, annotations: { summary: 'other', description: 'd' } };
    const payload = buildWebhookPayload([firing, other], 'r', 'http://x');
    expect(payload.status).toBe('firing');
    expect(payload.commonLabels).toEqual({ alertname: 'StormwatchFunnelBroken', severity: 'critical', service: 'crates-io' });
    expect(payload.groupLabels).toEqual({ alertname: 'StormwatchFunnelBroken' });
    expect(payload.commonAnnotations).toEqual({ description: 'd' });
  });

  it('refuses an empty notification', () => {
    expect(() => buildWebhookPayload([], 'r', 'http://x')).toThrow('a notification needs at least one alert');
  });
});
