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

describe('saved groups (a restart, a reload)', () => {
  /** A registry whose group notified a's firing at 0 and holds b (joined at 10 s) until its interval ends. */
  function pendingB(): GroupRegistry {
    const reg = new GroupRegistry(['alertname'], TIMING);
    reg.add(alert('a', 'firing'), 0);
    for (const { group, reason } of reg.due(10_000)) reg.markNotified(group, 10_000, reason);
    reg.add(alert('b', 'firing', 12_000), 12_000);
    return reg;
  }

  it('a restored group keeps its pending change and its timing, through JSON', () => {
    const restored = new GroupRegistry(['alertname'], TIMING);
    restored.restore(JSON.parse(JSON.stringify(pendingB().save())));
    expect(restored.due(30_000)).toEqual([]); // the interval since 10 s is not over
    const [due] = restored.due(70_000);
    expect(due?.reason).toBe('changed');
    expect([...due!.group.alerts.keys()].sort()).toEqual(['fp-a', 'fp-b']);
  });

  it('a group never notified comes back still waiting for its first notification', () => {
    const reg = new GroupRegistry(['alertname'], TIMING);
    reg.add(alert('a', 'firing'), 0);
    const restored = new GroupRegistry(['alertname'], TIMING);
    restored.restore(JSON.parse(JSON.stringify(reg.save())));
    expect(restored.due(5_000)).toEqual([]);
    expect(restored.due(10_000).map((d) => d.reason)).toEqual(['first']);
  });

  it('an adopted alert joins as notified: the group neither re-sends for it nor loses its own pending change', () => {
    const quiet = new GroupRegistry(['alertname'], TIMING);
    quiet.add(alert('a', 'firing'), 0);
    for (const { group, reason } of quiet.due(10_000)) quiet.markNotified(group, 10_000, reason);
    quiet.adopt([alert('c', 'firing', 5_000)], 20_000);
    expect(quiet.due(200_000)).toEqual([]);
    const busy = pendingB();
    busy.adopt([alert('c', 'firing', 5_000)], 20_000);
    const [due] = busy.due(70_000);
    expect(due?.reason).toBe('changed');
    busy.markNotified(due!.group, 70_000, due!.reason);
    expect(busy.due(140_000)).toEqual([]);
  });

  it('a saved alert that no longer fires resolves where its firing was notified and goes where it was not', () => {
    const reg = pendingB();
    reg.settle(new Map(), 20_000);
    const group = [...reg.groups.values()][0]!;
    expect([...group.alerts.values()].map((t) => `${t.fingerprint}:${t.status}:${t.endsAtMs}`)).toEqual(['fp-a:resolved:20000']);
    // Still firing (same incident): kept as it was.
    const kept = pendingB();
    kept.settle(new Map([['fp-a', 0], ['fp-b', 12_000]]), 20_000);
    expect([...[...kept.groups.values()][0]!.alerts.values()].map((t) => t.status)).toEqual(['firing', 'firing']);
    // A group of alerts never notified is dropped whole.
    const fresh = new GroupRegistry(['alertname'], TIMING);
    fresh.add(alert('a', 'firing'), 0);
    fresh.settle(new Map(), 1000);
    expect(fresh.groups.size).toBe(0);
  });

  it('a group saved under another grouping is not restored', () => {
    const restored = new GroupRegistry(['signal'], TIMING);
    restored.restore(pendingB().save());
    expect(restored.groups.size).toBe(0);
  });
});
