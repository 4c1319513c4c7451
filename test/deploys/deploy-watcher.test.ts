import { describe, expect, it } from 'vitest';
import { DeployWatcher, type DeployWindowParams, type SignalTick } from '../../src/deploys/deploy-watcher.js';
import type { DeployEvent } from '../../src/deploys/types.js';

const P: DeployWindowParams = { windowMs: 30 * 60_000, intervalMs: 15_000, earlyAlpha: 0.001, alpha: 0.01, minPostSamples: 4, funnelDropFraction: 0.03, minErrorRatioIncrease: 0.02, minRequestsPerTick: 20, bucketTicks: 1 };
const T0 = 1_000_000;
const deploy = (id = 'd1', startedAtMs = T0, version = '1.2.3'): DeployEvent => ({ id, service: 'crates-io', version, environment: 'production', startedAtMs, source: 'api' });
const pre = () => new Map([['downloads', { completion: Array.from({ length: 120 }, (_, i) => 0.998 + (i % 5) * 0.0004), errorRatio: Array.from({ length: 120 }, (_, i) => 0.001 + (i % 3) * 0.0002) }]]);
const tick = (completion: number, requests = 1000, extra: Partial<SignalTick> = {}) =>
  new Map<string, SignalTick>([['downloads', { sample: { requests, errors: requests * 0.001, downstream: requests * completion }, ...extra }]]);

function watcher() {
  return new DeployWatcher(P, [{ name: 'downloads', service: 'crates-io' }, { name: 'other', service: 'else' }]);
}

describe('DeployWatcher', () => {
  it('names the signals a deploy in question concerns, while its window is open, and none once it is decided and quiet', () => {
    const w = watcher();
    expect(w.signalsInQuestion().size).toBe(0);
    w.add(deploy(), pre());
    expect([...w.signalsInQuestion()]).toEqual(['downloads']);
    // A series registered later (a split signal's new route) is in question too.
    w.register('downloads{route="/b"}', 'crates-io');
    expect([...w.signalsInQuestion()]).toEqual(['downloads', 'downloads{route="/b"}']);
    let t = T0;
    for (; t <= T0 + P.windowMs + 15_000; t += 15_000) w.observe(t, tick(0.999));
    expect(w.get('d1')!.verdict).toBe('pass');
    expect(w.signalsInQuestion().size).toBe(0);
  });

  it('passes a quiet deploy when its window ends, and not before', () => {
    const w = watcher();
    w.add(deploy(), pre());
    let t = T0;
    for (; t < T0 + P.windowMs; t += 15_000) expect(w.observe(t, tick(0.999 - ((t / 15_000) % 4) * 0.0003)).changed).toEqual([]);
    const { changed, alerts } = w.observe(t, tick(0.999));
    expect(changed.map((r) => r.verdict)).toEqual(['pass']);
    expect(alerts).toEqual([]);
  });

  it('passes a deploy of a service whose signals watch requests alone on the incidents of its window, saying so; fails it on one', () => {
    // A signal without errors or downstream (examples/config's `search`): before, every deploy of
    // it read "no pre-deploy baseline" (inconclusive), and the gates rolled each one back.
    const requestsOnly = () => {
      const w = new DeployWatcher(P, []);
      w.register('search', 'search', false);
      return w;
    };
    const quiet = (extra: Partial<SignalTick> = {}) => new Map<string, SignalTick>([['search', { sample: { requests: 40, errors: Number.NaN, downstream: Number.NaN }, ...extra }]]);
    const w = requestsOnly();
    w.add({ ...deploy(), service: 'search' }, new Map());
    let t = T0;
    for (; t < T0 + P.windowMs; t += 15_000) expect(w.observe(t, quiet()).changed).toEqual([]);
    const passed = w.observe(t, quiet()).changed[0]!;
    expect(passed.verdict).toBe('pass');
    expect(passed.reasons).toEqual(['no incident on search in the window; it watches requests alone: no error or completion ratio to compare before and after']);
    const failing = requestsOnly();
    failing.add({ ...deploy('d2'), service: 'search' }, new Map());
    expect(failing.observe(T0 + 15_000, quiet({ incidentSinceMs: T0 + 15_000, incidentAlert: 'StormwatchOutage' })).changed[0]!.verdict).toBe('fail');
    // A signal with a ratio beside it is judged as before: no baseline, no verdict.
    const mixed = requestsOnly();
    mixed.register('checkout', 'search', true);
    mixed.add({ ...deploy('d3'), service: 'search' }, new Map());
    let u = T0;
    for (; u < T0 + P.windowMs; u += 15_000) mixed.observe(u, quiet());
    expect(mixed.observe(u, quiet()).changed[0]!.verdict).toBe('inconclusive');
    // A split signal's window names a few of its series, not thousands.
    const split = new DeployWatcher(P, []);
    for (let k = 0; k < 5000; k++) split.register(`search{route="/r${k}"}`, 'search', false);
    split.add({ ...deploy('d4'), service: 'search' }, new Map());
    const routes = (): Map<string, SignalTick> => new Map(Array.from({ length: 5000 }, (_, k) => [`search{route="/r${k}"}`, { sample: { requests: 40, errors: Number.NaN, downstream: Number.NaN } }]));
    let v = T0;
    for (; v < T0 + P.windowMs; v += 15_000) split.observe(v, routes());
    expect(split.observe(v, routes()).changed[0]!.reasons).toEqual(['no incident on search{route="/r0"}, search{route="/r1"}, search{route="/r2"} and 4997 more in the window; they watch requests alone: no error or completion ratio to compare before and after']);
  });

  it('says the most unusual moment of the window beside a pass, and keeps it on every record, judging nothing by it', () => {
    const w = watcher();
    w.add(deploy(), pre());
    // Before the deploy a score is not the deploy's; NaN is no score.
    w.observe(T0 - 15_000, tick(0.999, 1000, { anomalyScore: 0.99 }));
    let t = T0;
    const scoreAt = (k: number) => (k === 7 ? 0.93 : k === 9 ? Number.NaN : k === 11 ? 0.93 : 0.1);
    for (let k = 0; t < T0 + P.windowMs; t += 15_000, k++) w.observe(t, tick(0.999 - ((t / 15_000) % 4) * 0.0003, 1000, { anomalyScore: scoreAt(k) }));
    const passed = w.observe(t, tick(0.999, 1000, { anomalyScore: 0.2 })).changed[0]!;
    expect(passed.verdict).toBe('pass');
    // The first tick of the highest score.
    expect(passed.peakAnomaly).toEqual({ signal: 'downloads', score: 0.93, atMs: T0 + 7 * 15_000 });
    expect(passed.reasons).toEqual(['no signal regressed in the window', `most unusual after the deploy (said, not judged): downloads at ${new Date(T0 + 7 * 15_000).toISOString()}, anomaly score 0.93`]);

    // Below 0.5 it is kept, not said; a failed deploy's reasons stay what failed.
    const calm = watcher();
    calm.add(deploy('d2'), pre());
    let u = T0;
    for (; u < T0 + P.windowMs; u += 15_000) calm.observe(u, tick(0.999 - ((u / 15_000) % 4) * 0.0003, 1000, { anomalyScore: 0.3 }));
    const quiet = calm.observe(u, tick(0.999)).changed[0]!;
    expect(quiet.reasons).toEqual(['no signal regressed in the window']);
    expect(quiet.peakAnomaly?.score).toBe(0.3);
    const failing = watcher();
    failing.add(deploy('d3'), pre());
    const failed = failing.observe(T0 + 15_000, tick(0.999, 1000, { anomalyScore: 0.97, incidentSinceMs: T0 + 15_000, incidentAlert: 'StormwatchOutage' })).changed[0]!;
    expect(failed.verdict).toBe('fail');
    expect(failed.reasons).toEqual([`StormwatchOutage on downloads since ${new Date(T0 + 15_000).toISOString()}`]);
    expect(failed.peakAnomaly).toEqual({ signal: 'downloads', score: 0.97, atMs: T0 + 15_000 });
  });

  it("quotes the incident's summary in the reason a deploy failed by it gives: its page is often the only one", () => {
    const w = watcher();
    w.add(deploy(), pre());
    const summary = 'downloads: retry storm, requests 3.78x baseline while 100% of attempts fail (client model: cargo)';
    const failed = w.observe(T0 + 15_000, tick(0, 4000, { incidentSinceMs: T0 + 15_000, incidentAlert: 'StormwatchRetryStorm', incidentSummary: summary })).changed[0]!;
    expect(failed.reasons).toEqual([`StormwatchRetryStorm on downloads since ${new Date(T0 + 15_000).toISOString()} (${summary})`]);
  });

  it('says why a change the test finds is no regression: smaller than the change that counts', () => {
    const w = watcher();
    w.add(deploy(), pre());
    // Completion 99.0 % after 99.9 % before: certain, and under the 3 % relative drop that fails a deploy.
    let t = T0;
    for (; t < T0 + P.windowMs; t += 15_000) w.observe(t, tick(0.99 - ((t / 15_000) % 4) * 0.0003));
    const passed = w.observe(t, tick(0.99)).changed[0]!;
    expect(passed.verdict).toBe('pass');
    const completion = passed.evidence.find((e) => e.metric === 'completion_ratio')!;
    expect(completion.pValue).toBeLessThan(P.alpha);
    expect(completion.detail).toMatch(/\(Mann-Whitney p=[^)]*\): a real change, under a 3\.0% relative drop that counts as a regression$/);
    // A change the test does not find says nothing more.
    const error = passed.evidence.find((e) => e.metric === 'error_ratio')!;
    expect(error.detail).toMatch(/\)$/);
  });

  it('reads ticks only while a window is pending or its alert fires', () => {
    const w = watcher();
    expect(w.readsTicks).toBe(false);
    w.add(deploy(), pre());
    expect(w.readsTicks).toBe(true);
    const failed = [0, 1, 2, 3].map((i) => w.observe(T0 + i * 15_000, tick(0))).flatMap((o) => o.alerts);
    expect(failed.map((a) => a.status)).toEqual(['firing']);
    expect(w.readsTicks).toBe(true);
    const resolved = w.observe(T0 + P.windowMs + 15_000, tick(0.999)).alerts;
    expect(resolved.map((a) => a.status)).toEqual(['resolved']);
    // Why, as a signal's resolve says it: the on-call saw nothing else of the recovery.
    expect(resolved[0]!.because).toBe(`its window ended at ${new Date(T0 + P.windowMs).toISOString()} and downloads is healthy again (no incident): mended without a deploy`);
    expect(w.readsTicks).toBe(false);
  });

  it('fails early once the evidence is overwhelming: 4 ticks of nothing completing', () => {
    const w = watcher();
    w.add(deploy(), pre());
    const verdicts = [0, 1, 2, 3].map((i) => w.observe(T0 + i * 15_000, tick(0)).changed.map((r) => r.verdict));
    expect(verdicts).toEqual([[], [], [], ['fail']]);
    const r = w.get('d1')!;
    expect(r.reasons[0]).toMatch(/^downloads: downstream completion 0\.00% after vs 99\.9% before \(Mann-Whitney p=/);
  });

  it('fails at once when the signal\'s incident alert fires after the deploy, and raises its alert', () => {
    const w = watcher();
    w.add(deploy(), pre());
    const { changed, alerts } = w.observe(T0 + 30_000, tick(0, 4000, { incidentSinceMs: T0 + 15_000, incidentAlert: 'StormwatchRetryStorm' }));
    expect(changed[0]!.verdict).toBe('fail');
    expect(changed[0]!.reasons).toEqual(['StormwatchRetryStorm on downloads since 1970-01-01T00:16:55.000Z']);
    expect(alerts.map((a) => a.status)).toEqual(['firing']);
  });

  it('does not blame a deploy for an incident that began before it', () => {
    const w = watcher();
    w.add(deploy(), pre());
    expect(w.observe(T0 + 15_000, tick(0.999, 1000, { incidentSinceMs: T0 - 600_000 })).changed).toEqual([]);
  });

  it('does not take the score of an incident that began before it for the window\'s most unusual moment', () => {
    // A rollback during an incident: the incident's page holds its score at its worst (0.99)
    // until it ends; the window's own ticks after it read 0.2 at most.
    const w = watcher();
    w.add(deploy(), pre());
    w.observe(T0 + 15_000, tick(0.999, 1000, { anomalyScore: 0.99, incidentSinceMs: T0 - 600_000, incidentAlert: 'StormwatchRetryStorm' }));
    w.observe(T0 + 30_000, tick(0.999, 1000, { anomalyScore: 0.2 }));
    w.observe(T0 + 45_000, tick(0.999, 1000, { anomalyScore: 0.1 }));
    expect(w.get('d1')!.peakAnomaly).toEqual({ signal: 'downloads', score: 0.2, atMs: T0 + 30_000 });
  });

  it('fails on a failed smoke probe', () => {
    const w = watcher();
    w.add(deploy(), pre());
    w.probeFailed('crates-io', 'download: redirect to static.crates.iocrates: name does not resolve');
    expect(w.observe(T0, tick(0.999)).changed[0]!.reasons).toEqual(['smoke probe failed: download: redirect to static.crates.iocrates: name does not resolve']);
  });

  it("resolves the alert of a deploy failed by its signals' incidents alone once they are over, the verdict kept; one failed by a probe waits for its window's end", () => {
    const w = watcher();
    w.add(deploy(), pre());
    const failed = w.observe(T0 + 15_000, tick(0, 4000, { incidentSinceMs: T0 + 15_000, incidentAlert: 'StormwatchOutage' }));
    expect(failed.alerts.map((a) => a.status)).toEqual(['firing']);
    expect(w.observe(T0 + 30_000, tick(0, 4000, { incidentSinceMs: T0 + 15_000, incidentAlert: 'StormwatchOutage' })).alerts).toEqual([]);
    // The outage over ten minutes into a thirty-minute window.
    const over = w.observe(T0 + 600_000, tick(0.999)).alerts;
    expect(over.map((a) => a.status)).toEqual(['resolved']);
    expect(over[0]!.because).toBe(`the incident that failed it is over: downloads is healthy again (no incident) at ${new Date(T0 + 600_000).toISOString()}, its window open until ${new Date(T0 + P.windowMs).toISOString()}; the verdict stays fail`);
    expect(w.records()[0]!.verdict).toBe('fail');
    const probed = watcher();
    probed.add(deploy(), pre());
    probed.probeFailed('crates-io', 'download: HTTP 404');
    expect(probed.observe(T0, tick(0.999)).alerts.map((a) => a.status)).toEqual(['firing']);
    expect(probed.observe(T0 + 600_000, tick(0.999)).alerts).toEqual([]);
    expect(probed.observe(T0 + P.windowMs + 15_000, tick(0.999)).alerts.map((a) => a.status)).toEqual(['resolved']);
  });

  it('fails on a failed smoke probe of its environment only, when the probe names one', () => {
    const w = watcher();
    w.add(deploy(), pre());
    w.add({ ...deploy('d2'), environment: 'staging' }, pre());
    w.probeFailed('crates-io', 'download (staging): HTTP 503', 'staging');
    const changed = w.observe(T0, tick(0.999)).changed;
    expect(changed.map((r) => [r.id, r.verdict, r.reasons])).toEqual([['d2', 'fail', ['smoke probe failed: download (staging): HTTP 503']]]);
    // A probe that names no environment fails the service's windows in every one.
    w.probeFailed('crates-io', 'download: HTTP 503');
    expect(w.observe(T0 + 15_000, tick(0.999)).changed.map((r) => [r.id, r.verdict])).toEqual([['d1', 'fail']]);
  });

  it('is inconclusive when there was too little traffic to judge, and says how little', () => {
    const w = watcher();
    w.add(deploy(), pre());
    const [r] = w.observe(T0 + P.windowMs, tick(0.999, 0.5)).changed;
    expect(r).toMatchObject({ verdict: 'inconclusive', reasons: ['too little traffic in the window to judge: 0 post-deploy bucket(s) of 15s held 20+ requests, 4 needed'] });
  });

  it('marks a deploy of a service no signal is labelled with as judged on every signal', () => {
    const w = watcher();
    expect(w.add(deploy(), pre()).record.judgedOnAll).toBeUndefined();
    const stray = w.add({ ...deploy('d9'), service: 'payments' }, pre()).record;
    expect(stray.judgedOnAll).toBe(true);
    expect(w.signalsOf('payments')).toEqual(['downloads', 'other']);
  });

  it('waits out a source outage in the window (extended by its blind ticks), then judges what it saw', () => {
    const w = watcher();
    w.add(deploy(), pre());
    const blind = new Map<string, SignalTick>([['downloads', { sample: { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN } }]]);
    let t = T0;
    // Twenty minutes of the thirty without data (Prometheus down), then data again.
    for (; t < T0 + 20 * 60_000; t += P.intervalMs) expect(w.observe(t, blind).changed).toEqual([]);
    for (; t <= T0 + P.windowMs; t += P.intervalMs) expect(w.observe(t, tick(0.999 - ((t / 15_000) % 4) * 0.0003)).changed).toEqual([]);
    expect(w.get('d1')).toMatchObject({ verdict: 'pending', blindTicks: 80, windowEndsAtMs: T0 + P.windowMs + 80 * P.intervalMs });
    let last;
    for (; !last?.changed.length && t <= T0 + 2 * P.windowMs; t += P.intervalMs) last = w.observe(t, tick(0.999 - ((t / 15_000) % 4) * 0.0003));
    expect(last!.changed[0]).toMatchObject({ verdict: 'pass', reasons: ['no signal regressed in the window'] });
  });

  it('says no signal read data when a whole window, extended, saw too little: not too little traffic', () => {
    const w = watcher();
    w.add(deploy(), pre());
    const blind = new Map<string, SignalTick>();
    let last;
    for (let t = T0; !last?.changed.length && t <= T0 + 3 * P.windowMs; t += P.intervalMs) last = w.observe(t, blind);
    const r = last!.changed[0]!;
    // Extended by its own length at most.
    expect(r).toMatchObject({ verdict: 'inconclusive', windowEndsAtMs: T0 + 2 * P.windowMs });
    expect(r.reasons[0]).toMatch(/^no signal of the window read data at \d+ tick\(s\) \(the source down or refusing: see stormwatch_source_errors_total; or no series yet\)/);
  });

  it('says the window\'s ticks were left out as an earlier incident\'s, when that is why nothing could be judged', () => {
    const w = watcher();
    w.add(deploy(), pre());
    let last;
    for (let t = T0 + P.intervalMs; t <= T0 + P.windowMs; t += P.intervalMs) last = w.observe(t, tick(0.2, 1000, { incidentSinceMs: T0 - 600_000, incidentAlert: 'StormwatchOutage' }));
    expect(last!.changed[0]).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['too little traffic in the window to judge: 0 post-deploy bucket(s) of 15s held 20+ requests, 4 needed (120 tick(s) left out: they belonged to an incident that began before the deploy)'],
    });
  });

  it('says the window itself is too short when it holds fewer buckets than a verdict compares', () => {
    const w = new DeployWatcher({ ...P, windowMs: 120_000, bucketTicks: 4 }, [{ name: 'downloads', service: 'crates-io' }]);
    w.add(deploy(), pre());
    let last;
    for (let t = T0 + P.intervalMs; t <= T0 + 120_000; t += P.intervalMs) last = w.observe(t, tick(0.999, 1000));
    expect(last!.changed[0]).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['deploys.window (120s) holds 2 post-deploy bucket(s) of 60s (detector.baselineResolution), fewer than the 4 a verdict compares: lengthen the window'],
    });
  });

  it('is inconclusive, not a pass, when its buckets are too few for any regression to show (4 against 4 cannot reach 0.01)', () => {
    const w = new DeployWatcher({ ...P, windowMs: 60_000 }, [{ name: 'downloads', service: 'crates-io' }]);
    w.add(deploy(), new Map([['downloads', { completion: [0.999, 0.998, 0.999, 0.998], errorRatio: [0.001, 0.001, 0.001, 0.001] }]]));
    let last;
    // Half the downloads lost: every bucket after below every one before, and still p = 0.015.
    for (let t = T0 + P.intervalMs; t <= T0 + 60_000; t += P.intervalMs) last = w.observe(t, tick(0.5, 1000));
    expect(last!.changed[0]).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['too few buckets to show a regression: 4 post-deploy against 4 pre-deploy, where even all after worse than all before gives p=0.015, not under deploys.alpha (0.01); lengthen deploys.window, or deploy after a longer baseline'],
    });
    // One more bucket each side can (p = 0.0061): the same loss fails.
    const five = new DeployWatcher({ ...P, windowMs: 75_000 }, [{ name: 'downloads', service: 'crates-io' }]);
    five.add(deploy(), new Map([['downloads', { completion: [0.999, 0.998, 0.999, 0.998, 0.999], errorRatio: [0.001, 0.001, 0.001, 0.001, 0.001] }]]));
    for (let t = T0 + P.intervalMs; t <= T0 + 75_000; t += P.intervalMs) last = five.observe(t, tick(0.5, 1000));
    expect(last!.changed[0]).toMatchObject({ verdict: 'fail' });
  });

  it('says a deploy had no baseline to compare with, not that traffic was short, when stormwatch had only begun', () => {
    const w = watcher();
    w.add(deploy(), new Map([['downloads', { completion: [0.999, 0.998], errorRatio: [0.001, 0.001] }]]));
    let last;
    for (let t = T0 + P.intervalMs; t <= T0 + P.windowMs; t += P.intervalMs) last = w.observe(t, tick(0.999, 1000));
    expect(last!.changed[0]).toMatchObject({
      verdict: 'inconclusive',
      reasons: ['no pre-deploy baseline to compare with: the signals held 2 baseline bucket(s) when the deploy began, 4 needed (stormwatch or the series started shortly before it)'],
    });
  });

  it('resolves a failed deploy\'s alert when the next deploy of the service (the rollback) arrives', () => {
    const w = watcher();
    w.add(deploy(), pre());
    w.observe(T0 + 15_000, tick(0, 4000, { incidentSinceMs: T0 + 15_000 }));
    const { changes } = w.add(deploy('d2', T0 + 60_000, '1.2.2'), pre());
    expect(changes.map((c) => [c.record.id, c.status])).toEqual([['d1', 'resolved']]);
    expect(changes[0]!.because).toBe(`the next deploy of crates-io began (1.2.2, d2, at ${new Date(T0 + 60_000).toISOString()}): a rollback or a fix, judged on its own window`);
    expect(w.records().map((r) => r.id)).toEqual(['d2', 'd1']);
  });

  it('keeps open windows across a restart', () => {
    const w = watcher();
    w.add(deploy(), pre());
    w.observe(T0, tick(0.999));
    const again = watcher();
    again.restore(JSON.parse(JSON.stringify(w.snapshot())));
    expect(again.get('d1')).toEqual(w.get('d1'));
    const verdicts = [1, 2, 3].map((i) => again.observe(T0 + i * 15_000, tick(0)).changed.map((r) => r.verdict));
    expect(verdicts.flat()).toEqual([]); // 1 good + 3 bad: not yet overwhelming
  });

  it('watches only the signals of the deployed service', () => {
    expect(watcher().signalsOf('crates-io')).toEqual(['downloads']);
    expect(watcher().signalsOf('unknown')).toEqual(['downloads', 'other']);
  });

  describe('ordered by time', () => {
    it('a late record ends only windows that started before it: the current deploy keeps its window', () => {
      const w = watcher();
      w.add(deploy('current', T0, '2.0.0'), pre());
      // Posted now, but it started ten minutes earlier.
      w.add(deploy('late', T0 - 600_000, '1.9.0'), pre());
      expect(w.get('current')!.windowEndsAtMs).toBe(T0 + P.windowMs);
      expect(w.get('late')).toMatchObject({ windowEndsAtMs: T0, supersededBy: 'current' });
      expect(w.records().map((r) => r.id)).toEqual(['current', 'late']);
      // The current deploy is judged on its whole window: a pass, not an inconclusive 412.
      let t = T0;
      for (; t < T0 + P.windowMs; t += 15_000) w.observe(t, tick(0.999 - ((t / 15_000) % 4) * 0.0003));
      w.observe(t, tick(0.999));
      expect(w.get('current')!.verdict).toBe('pass');
      expect(w.get('late')).toMatchObject({ verdict: 'superseded', reasons: ['superseded by current at 1970-01-01T00:16:40.000Z, before its window held enough to judge: 1 post-deploy bucket(s) of 15s seen, 4 needed (cut short, not starved of traffic)'] });
    });

    it('a newer deploy ends an open window early and says so', () => {
      const w = watcher();
      w.add(deploy('old', T0, '1.0.0'), pre());
      w.add(deploy('new', T0 + 30_000, '1.0.1'), pre());
      expect(w.observe(T0 + 30_000, tick(0.999)).changed.map((r) => [r.id, r.verdict])).toEqual([['old', 'superseded']]);
      expect(w.get('old')!.reasons[0]).toMatch(/^superseded by new at /);
    });

    it('the deploy API and a build-info marker for the same rollout are one deploy', () => {
      const w = watcher();
      const api = w.add({ ...deploy('deploy-42', T0, '1.2.3'), source: 'api' }, pre());
      const marker = w.add({ ...deploy('crates-io-1000015000', T0 + 15_000, '1.2.3'), source: 'marker' }, pre());
      expect(marker.joined).toBe(true);
      expect(marker.record).toBe(api.record);
      expect(api.record).toMatchObject({ id: 'deploy-42', windowEndsAtMs: T0 + P.windowMs, aliases: ['crates-io-1000015000'], sources: ['api', 'marker'] });
      expect(w.get('crates-io-1000015000')!.id).toBe('deploy-42');
      expect(w.records()).toHaveLength(1);
      // The alias survives a restart.
      const again = watcher();
      again.restore(JSON.parse(JSON.stringify(w.snapshot())));
      expect(again.get('crates-io-1000015000')!.id).toBe('deploy-42');
    });

    it('a deploy in one environment never ends, joins or resolves a deploy of another', () => {
      const w = watcher();
      const staging = (d: DeployEvent): DeployEvent => ({ ...d, environment: 'staging' });
      // Production fails and raises its alert; staging deploys the service 3 s later.
      w.add(deploy('prod-4.0.0', T0, '4.0.0'), pre());
      expect([0, 1, 2, 3].flatMap((i) => w.observe(T0 + i * 15_000, tick(0)).alerts).map((a) => a.status)).toEqual(['firing']);
      const next = w.add(staging(deploy('staging-4.1.0', T0 + 3_000, '4.1.0')), pre());
      expect(next.changes).toEqual([]);
      expect(w.get('prod-4.0.0')).toMatchObject({ verdict: 'fail', windowEndsAtMs: T0 + P.windowMs });
      expect(w.get('prod-4.0.0')!.supersededBy).toBeUndefined();
      // A pending production window is not cut short by staging either.
      w.add(deploy('prod-4.0.1', T0 + 60_000, '4.0.1'), pre());
      w.add(staging(deploy('staging-4.1.1', T0 + 63_000, '4.1.1')), pre());
      expect(w.get('prod-4.0.1')).toMatchObject({ verdict: 'pending', windowEndsAtMs: T0 + 60_000 + P.windowMs });
      expect(w.get('prod-4.0.1')!.supersededBy).toBeUndefined();
      // The same version in two environments 20 s apart is two deploys, not one rollout.
      w.add(staging(deploy('staging-5.0.0', T0 + 120_000, '5.0.0')), pre());
      const prod = w.add(deploy('prod-5.0.0', T0 + 140_000, '5.0.0'), pre());
      expect(prod.joined).toBe(false);
      expect(prod.record).toMatchObject({ id: 'prod-5.0.0', environment: 'production' });
      expect(w.get('staging-5.0.0')!.aliases).toBeUndefined();
      // A record without an environment is its own environment: it meets only others without one.
      const bare = { ...deploy('bare', T0 + 200_000, '6.0.0'), environment: undefined } as unknown as DeployEvent;
      expect(w.add(bare, pre()).joined).toBe(false);
      expect(w.add(deploy('prod-6.0.0', T0 + 201_000, '6.0.0'), pre()).joined).toBe(false);
      expect(w.add({ ...bare, id: 'bare-again', startedAtMs: T0 + 202_000 } as DeployEvent, pre()).record.id).toBe('bare');
    });

    it('a record that arrives after its whole window says so instead of "too little traffic"', () => {
      const w = watcher();
      w.add(deploy('old', T0 - 3_600_000), pre(), T0);
      w.observe(T0, tick(0.999));
      expect(w.get('old')).toMatchObject({ verdict: 'inconclusive', reasons: ['recorded at 1970-01-01T00:16:40.000Z, after its window had ended: nothing was watched to judge'] });
    });

    it('a rollback to the version before, minutes after it, is a new deploy: it ends the bad one and is judged on its own window', () => {
      const w = watcher();
      w.add(deploy('cart-3.2.0', T0, '3.2.0'), pre());
      w.add(deploy('cart-3.3.0', T0 + 120_000, '3.3.0'), pre());
      const rollback = w.add(deploy('cart-3.2.0-again', T0 + 240_000, '3.2.0'), pre());
      expect(rollback.joined).toBe(false);
      expect(rollback.record).toMatchObject({ id: 'cart-3.2.0-again', verdict: 'pending', windowEndsAtMs: T0 + 240_000 + P.windowMs });
      expect(w.get('cart-3.3.0')).toMatchObject({ windowEndsAtMs: T0 + 240_000, supersededBy: 'cart-3.2.0-again' });
      expect(w.get('cart-3.2.0')!.aliases).toBeUndefined();
      // A marker of the rollback joins it; one of the first rollout, arriving late, still joins that.
      expect(w.add({ ...deploy('cart-marker-late', T0 + 250_000, '3.2.0'), source: 'marker' }, pre()).record.id).toBe('cart-3.2.0-again');
      expect(w.add({ ...deploy('cart-marker-first', T0 + 15_000, '3.2.0'), source: 'marker' }, pre()).record.id).toBe('cart-3.2.0');
    });

    it('the same version deployed again a day later is a new deploy', () => {
      const w = watcher();
      w.add(deploy('a', T0), pre());
      expect(w.add(deploy('b', T0 + 86_400_000), pre()).joined).toBe(false);
    });

    // Flagger names a revision by its checksum (the README's advice), a build-info marker by its
    // version label: the versions never match, the starts lie within the time a rollout takes to show.
    const flagger = (checksum: string, startedAtMs: number): DeployEvent => ({ id: `flagger:production:crates-io:${checksum}`, service: 'crates-io', version: checksum, environment: 'production', startedAtMs, source: 'flagger', opaqueVersion: true });
    const marker = (version: string, startedAtMs: number): DeployEvent => ({ id: `crates-io-${startedAtMs}`, service: 'crates-io', version, environment: 'production', startedAtMs, source: 'marker' });

    it('a marker and a Flagger canary reporting one rollout are one deploy, judged on its whole window, whichever comes first', () => {
      // The marker sees the new version at 12:01:45; Flagger's first hook comes later, its start
      // moved back to its "New revision detected" event, 12:00:00.
      const w = watcher();
      const seen = w.add(marker('1.4.2', T0 + 105_000), pre());
      const hooked = w.add(flagger('a1b2c3d4', T0), pre());
      expect(hooked).toMatchObject({ joined: true, changes: [] });
      expect(hooked.record).toBe(seen.record);
      expect(seen.record).toMatchObject({ id: `crates-io-${T0 + 105_000}`, version: '1.4.2', windowEndsAtMs: T0 + 105_000 + P.windowMs, aliases: ['flagger:production:crates-io:a1b2c3d4'], sources: ['marker', 'flagger'] });
      expect(seen.record.supersededBy).toBeUndefined();
      expect(w.records()).toHaveLength(1);
      let t = T0 + 105_000;
      for (; t < T0 + 105_000 + P.windowMs; t += 15_000) w.observe(t, tick(0.999 - ((t / 15_000) % 4) * 0.0003));
      w.observe(t, tick(0.999));
      // Flagger's gate reads its rollout's verdict, not "superseded" by its own twin.
      expect(w.get('flagger:production:crates-io:a1b2c3d4')!.verdict).toBe('pass');

      // Flagger first, the marker 4 minutes later (slow pods, a 1-minute scrape): one deploy from Flagger's start.
      const other = watcher();
      other.add(flagger('e5f6a7b8', T0), pre());
      expect(other.add(marker('1.4.3', T0 + 240_000), pre()).joined).toBe(true);
      expect(other.get(`crates-io-${T0 + 240_000}`)).toMatchObject({ id: 'flagger:production:crates-io:e5f6a7b8', verdict: 'pending', windowEndsAtMs: T0 + P.windowMs, sources: ['flagger', 'marker'] });
      expect(other.get('flagger:production:crates-io:e5f6a7b8')!.supersededBy).toBeUndefined();
      // The joined rollout survives a restart, aliases and sources with it.
      const again = watcher();
      again.restore(JSON.parse(JSON.stringify(other.snapshot())));
      expect(again.get(`crates-io-${T0 + 240_000}`)).toEqual(other.get('flagger:production:crates-io:e5f6a7b8'));

      // A deploy-timestamp marker's value names no release either: the pipeline's record of the rollout is its twin.
      const gauge = watcher();
      gauge.add(deploy('ci-88', T0, '1.5.0'), pre());
      expect(gauge.add({ ...marker('1689856200', T0 + 30_000), opaqueVersion: true }, pre()).record.id).toBe('ci-88');
    });

    it('two rollouts stay two: a revert a source reports again supersedes, and so does a rollout reported well after another', () => {
      const w = watcher();
      w.add(flagger('aaaa1111', T0), pre());
      expect(w.add(marker('2.0.0', T0 + 60_000), pre()).joined).toBe(true);
      // Three minutes later a revert: Flagger's new checksum is a new rollout though it is close...
      const revert = w.add(flagger('bbbb2222', T0 + 180_000), pre());
      expect(revert.joined).toBe(false);
      expect(w.get('flagger:production:crates-io:aaaa1111')).toMatchObject({ windowEndsAtMs: T0 + 180_000, supersededBy: 'flagger:production:crates-io:bbbb2222' });
      // ...and the marker's next version is the revert's twin, not a second report of the first rollout.
      const reverted = w.add(marker('1.9.9', T0 + 225_000), pre());
      expect(reverted.joined).toBe(true);
      expect(reverted.record.id).toBe('flagger:production:crates-io:bbbb2222');
      expect(w.get('flagger:production:crates-io:aaaa1111')!.sources).toEqual(['flagger', 'marker']);

      // A marker's version 12 minutes after Flagger's start (beyond the 11 a rollout takes to show,
      // plus a tick): another rollout, which ends the first window.
      const apart = watcher();
      apart.add(flagger('dddd4444', T0), pre());
      expect(apart.add(marker('2.1.0', T0 + 12 * 60_000), pre()).joined).toBe(false);
      expect(apart.get('flagger:production:crates-io:dddd4444')).toMatchObject({ windowEndsAtMs: T0 + 12 * 60_000, supersededBy: `crates-io-${T0 + 12 * 60_000}` });
      // The same late sighting from a marker that was blind since just before Flagger's start
      // (Prometheus down across it): the rollout began in that span, so it is Flagger's twin, and
      // the canary's window is not superseded by its own rollout.
      const blind = watcher();
      blind.add(flagger('ffff6666', T0), pre());
      const late = blind.add({ ...marker('2.2.0', T0 + 15 * 60_000), startedAfterMs: T0 - 30_000 }, pre());
      expect(late).toMatchObject({ joined: true, changes: [] });
      expect(late.record.id).toBe('flagger:production:crates-io:ffff6666');
      expect(blind.get('flagger:production:crates-io:ffff6666')).toMatchObject({ windowEndsAtMs: T0 + P.windowMs, sources: ['flagger', 'marker'] });
      expect(blind.get('flagger:production:crates-io:ffff6666')!.supersededBy).toBeUndefined();
      // The marker's blind sighting first, Flagger's report of a start inside its span later: one deploy.
      const markerFirst = watcher();
      const seenFirst = markerFirst.add({ ...marker('2.2.2', T0 + 15 * 60_000), startedAfterMs: T0 - 30_000 }, pre());
      expect(seenFirst.joined).toBe(false);
      expect(markerFirst.add(flagger('fafa0000', T0), pre())).toMatchObject({ joined: true, record: { id: `crates-io-${T0 + 15 * 60_000}`, sources: ['marker', 'flagger'] } });
      // Two revisions inside the span: the marker sees the later one's version (it replaced the first).
      const two = watcher();
      two.add(flagger('cdcd8888', T0), pre());
      two.add(flagger('efef9999', T0 + 5 * 60_000), pre());
      expect(two.add({ ...marker('2.2.1', T0 + 15 * 60_000), startedAfterMs: T0 - 30_000 }, pre()).record.id).toBe('flagger:production:crates-io:efef9999');
      // A blind span that began after Flagger's start plus the skew holds no twin: a rollout of its own.
      const after = watcher();
      after.add(flagger('abab7777', T0), pre());
      expect(after.add({ ...marker('2.3.0', T0 + 20 * 60_000), startedAfterMs: T0 + 12 * 60_000 }, pre()).joined).toBe(false);
      expect(after.get('flagger:production:crates-io:abab7777')!.supersededBy).toBe(`crates-io-${T0 + 20 * 60_000}`);
      // A named version reported again within its span is the same rollout too (one window from its start).
      const named2 = watcher();
      named2.add(deploy('ci-3.0.0', T0, '3.0.0'), pre());
      expect(named2.add({ ...marker('3.0.0', T0 + P.windowMs + 60_000), startedAfterMs: T0 - 60_000 }, pre()).joined).toBe(true);
      expect(named2.add(marker('3.0.0', T0 + P.windowMs + 120_000), pre()).joined).toBe(false);
      // Within the skew but in another environment: never a twin.
      expect(apart.add({ ...flagger('eeee5555', T0 + 12 * 60_000 + 30_000), environment: 'staging' }, pre()).joined).toBe(false);
      // Two release names that differ are two rollouts however close: only a version that names no
      // release (a checksum) is matched by its start.
      const named = watcher();
      named.add(deploy('ci-2.0.0', T0, '2.0.0'), pre());
      expect(named.add({ ...deploy('argo:production:crates-io:2.1.0', T0 + 20_000, '2.1.0'), source: 'argo' }, pre()).joined).toBe(false);
      expect(named.get('ci-2.0.0')!.supersededBy).toBe('argo:production:crates-io:2.1.0');
    });
  });

  it('judges the window\'s end at the end\'s significance though no value came since the tick before', () => {
    // No early fail is possible; the last ticks bring too little traffic for a value.
    const w = new DeployWatcher({ ...P, earlyAlpha: 1e-12 }, [{ name: 'downloads', service: 'crates-io' }]);
    w.add(deploy(), pre());
    let t = T0;
    for (let i = 0; i < 6; i++, t += 15_000) expect(w.observe(t, tick(0.9)).changed).toEqual([]);
    for (; t < T0 + P.windowMs; t += 15_000) expect(w.observe(t, tick(0.9, 0.5)).changed).toEqual([]);
    expect(w.get('d1')!.evidence[0]).toMatchObject({ metric: 'completion_ratio', nPost: 6, regressed: false });
    expect(w.observe(t, tick(0.9, 0.5)).changed.map((r) => r.verdict)).toEqual(['fail']);
    expect(w.get('d1')!.evidence[0]).toMatchObject({ metric: 'completion_ratio', nPost: 6, regressed: true });
  });

  it('compares each bucket as it completes: the evidence counts every post-deploy value so far', () => {
    const w = new DeployWatcher({ ...P, bucketTicks: 4 }, [{ name: 'downloads', service: 'crates-io' }]);
    w.add(deploy(), pre());
    for (let i = 0; i < 40; i++) {
      w.observe(T0 + i * 15_000, tick(0.999 - (i % 3) * 0.0002));
      const buckets = Math.floor((i + 1) / 4);
      const evidence = w.get('d1')!.evidence.find((e) => e.metric === 'completion_ratio');
      expect(evidence?.nPost).toBe(buckets >= P.minPostSamples ? buckets : undefined);
    }
  });

  it('forgets a decided deploy on the first tick past its retention, with no deploy open', () => {
    const retentionMs = 3_600_000;
    const w = new DeployWatcher({ ...P, windowMs: 60_000, retentionMs }, [{ name: 'downloads', service: 'crates-io' }]);
    w.add(deploy(), pre());
    const endMs = T0 + 60_000;
    for (let t = T0; t <= endMs + retentionMs; t += 15_000) w.observe(t, tick(0.999));
    expect(w.get('d1')!.verdict).toBe('pass');
    expect(w.size).toBe(1);
    w.observe(endMs + retentionMs + 15_000, tick(0.999));
    expect(w.size).toBe(0);
  });

  it('prunes decided records by age and by count, never pending ones', () => {
    const w = new DeployWatcher({ ...P, windowMs: 60_000, retentionMs: 3_600_000, maxRecords: 10 }, [{ name: 'downloads', service: 'crates-io' }]);
    for (let i = 0; i < 30; i++) w.add(deploy(`d${i}`, T0 + i * 120_000, `v${i}`), pre());
    w.observe(T0 + 30 * 120_000, tick(0.999, 0.5));
    expect(w.size).toBe(10);
    expect(w.records().at(-1)!.id).toBe('d20');
    w.add(deploy('open', T0 + 100 * 3_600_000, 'v-open'), pre());
    w.observe(T0 + 100 * 3_600_000, tick(0.999));
    expect(w.records().map((r) => r.id)).toEqual(['open']);
  });
});
