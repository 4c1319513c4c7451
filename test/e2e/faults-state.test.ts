// Fault injection, saved state: stormwatch is killed mid-incident, its state.bin is replaced by
// valid JSON of the wrong shape and its outbox gets garbage, wrong-shape and torn lines. It starts
// anyway (no crash loop), quarantines each bad file or line with one log line and a metric, delivers
// the good pending entry, re-derives the firing alert (from firing.json) and sends its resolution once
// the condition is clearly gone: nothing lost, nothing paged twice. Real processes on loopback.

import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/sinks/payloads/webhook.js';
import { FAST_DETECTOR, type FaultyService, type RunningStormwatch, logLines, metricValue, startFaultyService, startStormwatch, status, stopQuietly, tempDir, terminate, waitUntil } from '../helpers/fault-rig.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

/**
 * Notifications the outbox file still holds undelivered: adds without a done line (compaction keeps
 * only those). A line being appended as it is read is skipped.
 */
function undeliveredIn(file: string): number {
  if (!existsSync(file)) return 0;
  const open = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let entry: { op?: unknown; id?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry?.id !== 'string') continue;
    if (entry.op === 'add') open.add(entry.id);
    else if (entry.op === 'done') open.delete(entry.id);
  }
  return open.size;
}

describe('fault injection: crash-proof state', () => {
  let service: FaultyService;
  let receiver: Receiver;
  const running: RunningStormwatch[] = [];

  afterAll(async () => {
    for (const sw of running) await stopQuietly(sw);
    await service?.close();
    await receiver?.close();
  });

  it('starts on corrupted state and outbox, loses nothing, and still resolves the firing alert', async () => {
    service = await startFaultyService();
    receiver = await startReceiver();
    const dir = tempDir('state');
    const stateDir = join(dir, 'state');
    const config = `interval: 1s
source:
  scrape:
    url: ${service.url}
server:
  listen: 127.0.0.1:0
${FAST_DETECTOR}
sinks:
  - name: oncall
    webhook:
      url: ${receiver.url}/alerts
routes:
  - groupInterval: 1s
delivery:
  outboxDir: ${stateDir}
  backoffBase: 200ms
  backoffCap: 1s
signals:
  - name: downloads
    requests: api_requests_total
    downstream: 'static_requests_total{code="200"}'
`;
    const first = await startStormwatch(dir, config);
    running.push(first);
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    service.state.broken = true;
    const statuses = () => receiver.received.map((r) => (r.json as WebhookPayload).status).filter((s) => s !== undefined);
    await waitUntil(() => statuses().includes('firing'), 30_000, 'the firing notification');
    await waitUntil(() => existsSync(join(stateDir, 'firing.json')) && readFileSync(join(stateDir, 'firing.json'), 'utf8').includes('StormwatchRetryStorm'), 5000, 'the firing alert saved');
    // Killed once the page is recorded as delivered: a kill between the receiver's 2xx and the
    // outbox's done line sends it again after the restart, with the same idempotency key (at least
    // once, as any outbox; receivers drop the repeat by its key). Here it must be sent once.
    await waitUntil(() => undeliveredIn(join(stateDir, 'outbox.jsonl')) === 0, 5000, 'the page recorded as delivered');
    first.proc.child.kill('SIGKILL');
    await new Promise((resolve) => first.proc.child.once('exit', resolve));
    // The incident ends while stormwatch is down.
    service.state.broken = false;

    // Valid JSON of the wrong shape in state.bin; garbage, wrong shape and a torn line in the outbox,
    // around one good entry still to be sent.
    writeFileSync(join(stateDir, 'state.bin'), '{"version":1}');
    const good = { op: 'add', id: `${String(Date.now()).padStart(15, '0')}-000000999`, sink: 'oncall', key: 'left-pending', orderKey: 'manual', body: '{"left":"pending"}', headers: {}, createdAtMs: Date.now() };
    appendFileSync(join(stateDir, 'outbox.jsonl'), `null\n{"op":"add"}\n${JSON.stringify(good)}\n{"op":"done","id":"0001`);

    const second = await startStormwatch(dir, config);
    running.push(second);
    await second.proc.waitForLog('resumed from saved state', 10_000);
    // Started: live at once, and ready once a good read came.
    expect(await status(`${second.url}/livez`)).toBe(200);
    await waitUntil(async () => (await status(`${second.url}/readyz`)) === 200, 10_000, 'ready');
    expect(await metricValue(second.url, 'stormwatch_quarantined_total{what="outbox_line"}')).toBe(3);
    expect(await metricValue(second.url, 'stormwatch_quarantined_total{what="state_file"}')).toBe(1);
    // The good entry left in the outbox is delivered.
    await receiver.waitFor((all) => all.some((r) => r.body === '{"left":"pending"}'), 10_000);
    // The firing alert was re-derived, and its resolution comes once the condition is clearly gone.
    await waitUntil(() => statuses().includes('resolved'), 40_000, 'the resolution');
    const { code } = await terminate(second);
    expect(code).toBe(0);

    // An update of a firing alert carries its own idempotency key, `...:firing:update-N`.
    const isUpdate = (r: (typeof receiver.received)[number]) => String(r.headers['idempotency-key'] ?? '').includes(':update-');
    const sent = receiver.received.map((r) => `${(r.json as WebhookPayload).alerts?.map((a) => `${a.status} ${a.labels.alertname}`).join(', ')}${isUpdate(r) ? ' (update)' : ''} key ${String(r.headers['idempotency-key'])}`);
    // One page and one resolution, the resolution last. Updates of the firing alert (a refreshed
    // estimate, `update: N`) may come between them: they are the same incident, not a second page.
    const notifications = receiver.received.flatMap((r) => (r.json as WebhookPayload).alerts?.map((a) => ({ status: a.status, update: isUpdate(r) })) ?? []);
    expect(notifications.filter((n) => n.status === 'firing' && !n.update), JSON.stringify(sent)).toHaveLength(1);
    expect(notifications.filter((n) => n.status === 'resolved'), JSON.stringify(sent)).toHaveLength(1);
    expect(notifications.at(-1)?.status, JSON.stringify(sent)).toBe('resolved');
    expect(second.proc.stdout()).not.toContain('"status":"firing"');
    const { lines, notJson } = logLines(second.proc.stderr());
    expect(notJson).toEqual([]);
    expect(lines.filter((l) => l.msg === 'outbox lines quarantined')).toEqual([expect.objectContaining({ count: 3, lines: [expect.any(Number), expect.any(Number), expect.any(Number)] })]);
    expect(lines.filter((l) => l.msg === 'saved state quarantined')).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'saved state: lost sections recovered')).toMatchObject({ firingAlertsFromFiringJson: true });
    expect(lines.find((l) => l.msg === 'resumed from saved state')).toMatchObject({ firing: 1 });
    expect(readFileSync(join(stateDir, 'outbox.quarantine.jsonl'), 'utf8')).toBe(`null\n{"op":"add"}\n{"op":"done","id":"0001\n`);
  }, 150_000);
});
