import { describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../src/core/types.js';
import { GroupRegistry, decideNotify, groupOf } from '../../src/decisions/notification-groups.js';

const TIMING = { groupWaitMs: 10_000, groupIntervalMs: 60_000, repeatIntervalMs: 3_600_000 };

function alert(signal: string, status: 'firing' | 'resolved', startsAtMs = 0): AlertTransition {
  return { status, labels: { alertname: 'StormwatchRetryStorm', signal, severity: 'critical' }, annotations: {}, fingerprint: `fp-${signal}`, startsAtMs, evaluatedAtMs: startsAtMs };
}

describe('decideNotify', () => {
  it('walks a group through wait, first, interval, changed, repeat, with a reason each time', () => {
    const reg = new GroupRegistry(['alertname'], TIMING);
    reg.add(alert('a', 'firing'), 0);
    const group = [...reg.groups.values()][0]!;
    const steps: string[] = [];
    const at = (t: number) => {
      const d = decideNotify(group, t, TIMING);
      steps.push(`${t / 1000}s:${d.send ? 'send' : 'hold'}:${d.reason}`);
      if (d.send) reg.markNotified(group, t, d.reason);
    };
    at(5_000); // within group wait
    reg.add(alert('b', 'firing'), 8_000); // joins before the first notification
    at(10_000); // group wait over: both alerts in one notification
    at(20_000); // nothing changed
    reg.add(alert('a', 'resolved'), 30_000);
    at(30_000); // changed, but the group interval has not passed
    at(70_000); // now it has
    at(70_000 + 3_600_000); // unchanged, still firing: repeat
    expect(steps).toEqual(['5s:hold:group_wait', '10s:send:first', '20s:hold:unchanged', '30s:hold:group_interval', '70s:send:changed', '3670s:send:repeat']);
    expect([...group.alerts.keys()]).toEqual(['fp-b']); // the resolved alert left the group
  });

  it('flushes a pending change at once when asked (shutdown, end of a replay)', () => {
    const reg = new GroupRegistry(['alertname'], TIMING);
    reg.add(alert('a', 'firing'), 0);
    expect(reg.due(1000).map((d) => d.reason)).toEqual([]);
    expect(reg.due(1000, true).map((d) => d.reason)).toEqual(['flush']);
  });

  it('drops a group once everything in it resolved and was notified', () => {
    const reg = new GroupRegistry(['alertname'], { groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 1 });
    reg.add(alert('a', 'firing'), 0);
    for (const { group, reason } of reg.due(0)) reg.markNotified(group, 0, reason);
    reg.add(alert('a', 'resolved'), 5);
    for (const { group, reason } of reg.due(5)) reg.markNotified(group, 5, reason);
    expect(reg.groups.size).toBe(0);
  });
});

describe('groupOf', () => {
  it.each([
    [['alertname', 'signal'], '{alertname="X",signal="s"}'],
    [['signal', 'alertname'], '{alertname="X",signal="s"}'],
    [['...'], '{alertname="X",severity="critical",signal="s"}'],
    [['team'], '{}'],
  ])('%j -> %s', (by, key) => {
    expect(groupOf({ alertname: 'X', signal: 's', severity: 'critical' }, by).key).toBe(key);
  });
});

describe('updates of a firing alert', () => {
  it('change the group (sent after the group interval) and carry the new annotations', () => {
    const reg = new GroupRegistry(['alertname'], TIMING);
    reg.add(alert('a', 'firing'), 0);
    const group = [...reg.groups.values()][0]!;
    reg.markNotified(group, 10_000, 'first');
    const update: AlertTransition = { ...alert('a', 'firing'), annotations: { client_model: 'cargo' }, evaluatedAtMs: 40_000, update: 1 };
    reg.add(update, 40_000);
    expect(decideNotify(group, 40_000, TIMING)).toEqual({ send: false, reason: 'group_interval' });
    expect(decideNotify(group, 70_000, TIMING)).toEqual({ send: true, reason: 'changed' });
    expect(group.alerts.get('fp-a')!.annotations.client_model).toBe('cargo');
    // Still one alert in the group: the same incident.
    expect(group.alerts.size).toBe(1);
  });
});
