// Muting through the real pipeline and notifier: the bundled 2023-07-20 replay, delivered to a
// loopback webhook receiver. Muted alerts are decided and printed (delivered: false, mutedBy) but
// never reach the receiver; the default inhibition makes the bad deploy page once.

import { FIXTURES_DIR } from '../../src/core/paths.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type StormwatchConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import type { AlertTransition } from '../../src/core/types.js';
import { parseMatcher } from '../../src/decisions/matchers.js';
import type { Muting } from '../../src/decisions/mute-stage.js';
import { runReplay } from '../../src/runner/replay.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function replay(adjust: (c: StormwatchConfig) => StormwatchConfig) {
  receiver = await startReceiver();
  const base = loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
  const config = adjust({
    ...base,
    sinks: [{ name: 'hook', kind: 'webhook', url: `${receiver.url}/hook`, timeoutMs: 5000, headers: {} }],
    routes: [{ sinks: ['hook'], match: {}, groupBy: ['...'], groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 4 * 3_600_000 }],
  });
  const lines: [AlertTransition, readonly Muting[] | undefined][] = [];
  await runReplay(config, { logger: silentLogger, onTransition: (t, muted) => lines.push([t, muted]) });
  const sent = receiver.received.flatMap((r) => (r.json as { alerts: { status: string; labels: Record<string, string> }[] }).alerts.map((a) => `${a.status} ${a.labels.alertname}`));
  const printed = lines.map(([t, m]) => `${t.status}${t.update !== undefined ? ' (update)' : ''} ${t.labels.alertname}${m ? ` muted by ${m.map((x) => x.by).join(', ')}` : ''}`);
  return { sent, printed };
}

describe('muting in a replay', () => {
  it('default inhibition: the failed deploy pages, the retry storm it caused is recorded but held until the deploy alert resolves', async () => {
    const { sent, printed } = await replay((c) => c);
    expect(printed).toEqual([
      'firing StormwatchRetryStorm muted by inhibited by StormwatchDeployRegression{service="crates-io",version="1.102.0"}',
      'firing StormwatchDeployRegression',
      // Its reading refreshed while held (the client named, 3.97 attempts a request): recorded, muted too.
      'firing (update) StormwatchRetryStorm muted by inhibited by StormwatchDeployRegression{service="crates-io",version="1.102.0"}',
      'resolved StormwatchDeployRegression',
      'resolved StormwatchRetryStorm',
    ]);
    // The rollback deploy resolves the regression at 12:30 while the storm still fires: it is sent
    // then (groups deliver in parallel, so arrival order across alerts is not fixed).
    expect([...sent].sort()).toEqual(['firing StormwatchDeployRegression', 'firing StormwatchRetryStorm', 'resolved StormwatchDeployRegression', 'resolved StormwatchRetryStorm']);
    expect(sent.indexOf('firing StormwatchRetryStorm')).toBeLessThan(sent.indexOf('resolved StormwatchRetryStorm'));
  });

  it("its history marks what muted each alert and when it went out after all, as `run`'s does: the demo's UI shows it", async () => {
    receiver = await startReceiver();
    const base = loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
    const config: StormwatchConfig = {
      ...base,
      sinks: [{ name: 'hook', kind: 'webhook', url: `${receiver.url}/hook`, timeoutMs: 5000, headers: {} }],
      routes: [{ sinks: ['hook'], match: {}, groupBy: ['...'], groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 4 * 3_600_000 }],
    };
    const released: number[] = [];
    const { backtest } = await runReplay(config, { logger: silentLogger, keepHistory: true, onRelease: (_t, atMs) => released.push(atMs) });
    const storm = backtest.history!.alerts().find((a) => a.alertname === 'StormwatchRetryStorm')!;
    expect(storm.mutedBy).toEqual(['inhibited by StormwatchDeployRegression{service="crates-io",version="1.102.0"}']);
    expect(released).toHaveLength(1);
    expect(storm.releasedAtMs).toBe(released[0]);
    expect(backtest.history!.alerts().find((a) => a.alertname === 'StormwatchDeployRegression')!.mutedBy).toBeUndefined();
  });

  it('a maintenance window over the incident: every alert it selects is decided, printed as muted, and nothing is sent', async () => {
    const { sent, printed } = await replay((c) => ({
      ...c,
      inhibitRules: [],
      maintenanceWindows: [{ name: 'cdn-move', matchers: [parseMatcher('service="crates-io"')], once: { startMs: Date.parse('2023-07-20T12:00:00Z'), endMs: Date.parse('2023-07-20T13:00:00Z') } }],
    }));
    expect(printed).toEqual([
      'firing StormwatchRetryStorm muted by maintenance cdn-move',
      'firing StormwatchDeployRegression muted by maintenance cdn-move',
      'firing (update) StormwatchRetryStorm muted by maintenance cdn-move',
      'resolved StormwatchDeployRegression muted by its firing notification was muted',
      'resolved StormwatchRetryStorm muted by its firing notification was muted',
    ]);
    expect(sent).toEqual([]);
  });

  it("a daily batch job's surge is sent twice, then muted as recurring; other surges and the storm are sent", async () => {
    const swing = (c: StormwatchConfig, muteRecurring: boolean): StormwatchConfig => ({
      ...c,
      source: { kind: 'replay', file: join(FIXTURES_DIR, 'scenarios', 'seasonal-swing-9d.om.gz') },
      alerting: { ...c.alerting, muteRecurring },
    });
    const { sent, printed } = await replay((c) => swing(c, true));
    const surges = printed.filter((p) => p.startsWith('firing StormwatchOrganicSurge'));
    // Ten nights of the 02:00 job, a Monday's return from the weekend, the release day.
    expect(surges).toHaveLength(12);
    const muted = surges.filter((p) => p.includes('muted by recurs daily at 02:00 UTC'));
    expect(muted).toHaveLength(8);
    expect(sent.filter((a) => a === 'firing StormwatchOrganicSurge')).toHaveLength(4);
    expect(sent).toContain('firing StormwatchRetryStorm');
    const all = await replay((c) => swing(c, false));
    expect(all.sent.filter((a) => a === 'firing StormwatchOrganicSurge')).toHaveLength(12);
  }, 60_000);
});

describe('a replay whose receiver refuses its notifications', () => {
  it('counts those given up as undelivered (so `run` exits 1), not as delivered', async () => {
    receiver = await startReceiver();
    receiver.respond = () => ({ status: 400 });
    const base = loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
    const config = {
      ...base,
      sinks: [{ name: 'hook', kind: 'webhook' as const, url: `${receiver.url}/hook`, timeoutMs: 5000, headers: {} }],
      routes: [{ sinks: ['hook'], match: {}, groupBy: ['...'], groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 4 * 3_600_000 }],
    };
    const { transitions, undelivered } = await runReplay(config, { logger: silentLogger });
    expect(transitions).toBeGreaterThan(0);
    expect(receiver.received).toEqual([]);
    expect(undelivered).toBeGreaterThan(0);
  });
});
