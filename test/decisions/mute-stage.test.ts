import { describe, expect, it } from 'vitest';
import type { AlertTransition, Labels } from '../../src/core/types.js';
import { fingerprint } from '../../src/decisions/fingerprint.js';
import { parseMatcher } from '../../src/decisions/matchers.js';
import { MuteStage } from '../../src/decisions/mute-stage.js';
import type { Silence } from '../../src/decisions/silences.js';
import { DEFAULT_INHIBIT_RULES } from '../../src/config/mute-schema.js';

const T = Date.parse('2026-11-29T03:00:00Z');
function transition(status: 'firing' | 'resolved', labels: Labels, atMs: number): AlertTransition {
  return { status, labels, annotations: {}, fingerprint: fingerprint(labels), startsAtMs: T, evaluatedAtMs: atMs, ...(status === 'resolved' ? { endsAtMs: atMs } : {}) };
}
const storm = { alertname: 'StormwatchRetryStorm', service: 'crates-io', signal: 'crate-downloads' };
const regression = { alertname: 'StormwatchDeployRegression', service: 'crates-io', version: '1.102.0' };
const rules = DEFAULT_INHIBIT_RULES.map((r) => ({ sourceMatchers: r.sourceMatchers.map(parseMatcher), targetMatchers: r.targetMatchers.map(parseMatcher), equal: r.equal }));

function stage(silences: Silence[] = []) {
  return new MuteStage({ windows: [], inhibitRules: rules, silences: () => silences });
}

describe('MuteStage', () => {
  it('delivers what nothing mutes', () => {
    const s = stage();
    const t = transition('firing', storm, T);
    const r = s.filter([t], T);
    expect(r.deliver).toEqual([t]);
    expect(r.muted.size).toBe(0);
  });

  it('a deploy regression firing in the same batch inhibits the storm, whatever the order in the batch', () => {
    const s = stage();
    const a = transition('firing', storm, T);
    const b = transition('firing', regression, T);
    const r = s.filter([a, b], T);
    expect(r.deliver).toEqual([b]);
    expect(r.muted.get(a)).toEqual([{ reason: 'inhibited', by: 'inhibited by StormwatchDeployRegression{service="crates-io",version="1.102.0"}' }]);
  });

  it('a silenced alert is held; it resolves silently while held (the receiver never saw it)', () => {
    const silence: Silence = { id: 'abc', matchers: ['signal="crate-downloads"'], startsAtMs: T, endsAtMs: T + 3_600_000, createdBy: 'ana', comment: 'CHG-1', updatedAtMs: T };
    const s = stage([silence]);
    const fire = transition('firing', storm, T);
    expect(s.filter([fire], T).muted.get(fire)).toEqual([{ reason: 'silence', by: 'silence abc' }]);
    expect(s.heldCount).toBe(1);
    const resolve = transition('resolved', storm, T + 60_000);
    const r = s.filter([resolve], T + 60_000);
    expect(r.deliver).toEqual([]);
    expect(r.muted.get(resolve)).toEqual([{ reason: 'held', by: 'its firing notification was muted' }]);
    expect(s.heldCount).toBe(0);
  });

  it('when the silence ends while the alert still fires, its firing notification goes out then, and later its resolution', () => {
    const silence: Silence = { id: 'abc', matchers: ['signal="crate-downloads"'], startsAtMs: T, endsAtMs: T + 60_000, createdBy: 'ana', comment: 'CHG-1', updatedAtMs: T };
    const s = stage([silence]);
    s.filter([transition('firing', storm, T)], T);
    expect(s.release(T + 59_999)).toEqual([]);
    const released = s.release(T + 60_000);
    expect(released).toHaveLength(1);
    expect(released[0]).toMatchObject({ status: 'firing', startsAtMs: T, evaluatedAtMs: T + 60_000 });
    const resolve = transition('resolved', storm, T + 120_000);
    expect(s.filter([resolve], T + 120_000).deliver).toEqual([resolve]);
  });

  it('an alert silenced only after it was delivered still delivers its resolution', () => {
    const silences: Silence[] = [];
    const s = stage(silences);
    const fire = transition('firing', storm, T);
    expect(s.filter([fire], T).deliver).toEqual([fire]);
    silences.push({ id: 'late', matchers: ['signal="crate-downloads"'], startsAtMs: T, endsAtMs: T + 3_600_000, createdBy: 'ana', comment: 'x', updatedAtMs: T });
    const resolve = transition('resolved', storm, T + 60_000);
    expect(s.filter([resolve], T + 60_000).deliver).toEqual([resolve]);
  });

  it('an inhibited alert is released when its source resolves while it still fires (Alertmanager does the same)', () => {
    const s = stage();
    s.filter([transition('firing', storm, T), transition('firing', regression, T)], T);
    const r = s.filter([transition('resolved', regression, T + 60_000)], T + 60_000);
    expect(r.deliver.map((t) => t.labels.alertname)).toEqual(['StormwatchDeployRegression']);
    expect(s.release(T + 60_000).map((t) => t.labels.alertname)).toEqual(['StormwatchRetryStorm']);
  });

  it('keeps holding an inhibited alert whose condition is over (firing only by keepFiringFor) when its source resolves, and sends nothing when it resolves', () => {
    const s = stage();
    s.filter([transition('firing', storm, T), transition('firing', regression, T)], T);
    s.filter([transition('resolved', regression, T + 60_000)], T + 60_000);
    // The rollback fixed it: the storm's condition no longer holds, only keepFiringFor keeps it firing.
    expect(s.release(T + 60_000, new Set([fingerprint(storm)]))).toEqual([]);
    expect(s.heldCount).toBe(1);
    const resolve = transition('resolved', storm, T + 120_000);
    expect(s.filter([resolve], T + 120_000).deliver).toEqual([]);
    expect(s.heldCount).toBe(0);
  });

  it('alerts firing at start (restored) inhibit from the first batch', () => {
    const s = stage();
    s.seed([{ labels: regression, fingerprint: fingerprint(regression) }]);
    const fire = transition('firing', storm, T);
    expect(s.filter([fire], T).deliver).toEqual([]);
  });

  it('maintenance windows mute what they select while open', () => {
    const s = new MuteStage({ windows: [{ name: 'cdn-move', matchers: [parseMatcher('service="crates-io"')], once: { startMs: T, endMs: T + 1000 } }], inhibitRules: [], silences: () => [] });
    const fire = transition('firing', storm, T);
    expect(s.filter([fire], T).muted.get(fire)).toEqual([{ reason: 'maintenance', by: 'maintenance cdn-move' }]);
  });
  it('delivers a held alert as its firing, with its latest reading, never as an update the receiver has no firing for', () => {
    const s = stage();
    s.filter([transition('firing', storm, T), transition('firing', regression, T)], T);
    const update: AlertTransition = { ...transition('firing', storm, T + 30_000), annotations: { summary: 'now: cargo' }, update: 1 };
    expect(s.filter([update], T + 30_000).muted.has(update)).toBe(true);
    // The deploy's alert resolves: the storm's latest reading goes out as its firing.
    const r = s.filter([transition('resolved', regression, T + 60_000)], T + 60_000);
    const released = s.release(T + 60_000);
    expect(r.deliver.map((t) => t.labels.alertname)).toEqual(['StormwatchDeployRegression']);
    expect(released).toHaveLength(1);
    expect(released[0]!.update).toBeUndefined();
    expect(released[0]!.annotations).toEqual({ summary: 'now: cargo' });
    // And an update that arrives once nothing mutes a held alert is its firing too.
    const t = stage();
    t.filter([transition('firing', storm, T), transition('firing', regression, T)], T);
    t.filter([transition('resolved', regression, T + 10_000)], T + 10_000);
    const late = t.filter([{ ...transition('firing', storm, T + 20_000), update: 2 }], T + 20_000);
    expect(late.deliver).toHaveLength(1);
    expect(late.deliver[0]!.update).toBeUndefined();
  });

  it('held alerts restored after a restart stay held: released once unmuted, silent when they resolve held', () => {
    const silence: Silence = { id: 'abc', matchers: ['signal="crate-downloads"'], startsAtMs: T, endsAtMs: T + 3_600_000, createdBy: 'ana', comment: 'CHG-1', updatedAtMs: T };
    const before = stage([silence]);
    before.filter([transition('firing', storm, T)], T);
    const saved = JSON.parse(JSON.stringify(before.heldAlerts()));
    expect(saved).toEqual([{ labels: storm, annotations: {}, fingerprint: fingerprint(storm), startsAtMs: T }]);

    const stillMuted = stage([silence]);
    stillMuted.restoreHeld(saved);
    expect(stillMuted.isHeld(fingerprint(storm))).toBe(true);
    expect(stillMuted.release(T + 60_000)).toEqual([]);
    const resolved = transition('resolved', storm, T + 120_000);
    expect(stillMuted.filter([resolved], T + 120_000).muted.get(resolved)).toEqual([{ reason: 'held', by: 'its firing notification was muted' }]);

    const unmuted = stage([]);
    unmuted.restoreHeld(saved);
    expect(unmuted.release(T + 60_000).map((t) => [t.status, t.fingerprint, t.evaluatedAtMs])).toEqual([['firing', fingerprint(storm), T + 60_000]]);
    expect(unmuted.heldCount).toBe(0);
  });

  describe('recurring surges', () => {
    const surge = { alertname: 'StormwatchOrganicSurge', service: 'crates-io', signal: 'crate-downloads' };
    const DAY = 86_400_000;
    const recurring = () => new MuteStage({ windows: [], inhibitRules: rules, silences: () => [], recurring: new Set(['StormwatchOrganicSurge']) });
    /** The surge firing at `atMs` and resolving ten minutes later: what was delivered of it. */
    const day = (s: MuteStage, atMs: number) => {
      const firing = { ...transition('firing', surge, atMs), startsAtMs: atMs };
      const fired = s.filter([firing], atMs);
      const resolved = s.filter([{ ...transition('resolved', surge, atMs + 600_000), startsAtMs: atMs }], atMs + 600_000);
      return { fired: fired.deliver.length, resolved: resolved.deliver.length, mutedBy: fired.muted.get(firing) };
    };

    it('a surge at the same time of day is sent the first two days and muted from the third, its resolution with it', () => {
      const s = recurring();
      expect(day(s, T)).toEqual({ fired: 1, resolved: 1, mutedBy: undefined });
      expect(day(s, T + DAY + 5 * 60_000)).toEqual({ fired: 1, resolved: 1, mutedBy: undefined });
      expect(day(s, T + 2 * DAY - 5 * 60_000)).toEqual({ fired: 0, resolved: 0, mutedBy: [{ reason: 'recurring', by: 'recurs daily at 02:55 UTC (2 of the last 3 days)' }] });
      // The same alert at another hour is news.
      expect(day(s, T + 2 * DAY + 6 * 3_600_000).fired).toBe(1);
    });

    it('only the names given recur: an incident at the same time every day is always sent', () => {
      const s = recurring();
      for (let d = 0; d < 4; d++) expect(s.filter([transition('firing', storm, T + d * DAY)], T + d * DAY).deliver).toHaveLength(1);
      expect(stage().filter([transition('firing', surge, T)], T).deliver).toHaveLength(1);
    });

    it('a restart keeps telling the job: onsets and the muted surge come back', () => {
      const s = recurring();
      day(s, T);
      day(s, T + DAY);
      const third = { ...transition('firing', surge, T + 2 * DAY), startsAtMs: T + 2 * DAY };
      expect(s.filter([third], T + 2 * DAY).deliver).toEqual([]);
      const back = recurring();
      back.restoreSurgeOnsets(JSON.parse(JSON.stringify(s.surgeOnsets())));
      back.restoreHeld(JSON.parse(JSON.stringify(s.heldAlerts())));
      expect(back.release(T + 2 * DAY + 60_000)).toEqual([]);
      expect(back.mutings({ labels: surge, fingerprint: fingerprint(surge) }, T + 2 * DAY + 60_000).map((m) => m.reason)).toEqual(['recurring']);
    });
  });
});

