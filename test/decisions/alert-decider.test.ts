import { describe, expect, it } from 'vitest';
import { loadBundledModels } from '../../src/config/load.js';
import { AlertDecider } from '../../src/decisions/alert-decider.js';
import type { Assessment } from '../../src/decisions/assess.js';
import type { AmplificationEstimate } from '../../src/detectors/retry-amplification.js';
import { SeriesAssessment } from '../../src/decisions/series-assessment.js';
import type { Evaluation } from '../../src/core/types.js';

const { definitions } = loadBundledModels();
const signal = { id: 'downloads', name: 'downloads', labels: { service: 'crates-io' } };

function assessment(o: Partial<Assessment>): Assessment {
  return { failing: false, surge: false, kind: 'error_regression', settled: true, completion: 0.999, completionBaseline: 0.999, errorRatio: 0, errorRatioBaseline: 0, requests: 1000, requestsBaseline: 1000, explanation: 'why', ...o };
}

describe('AlertDecider', () => {
  it('chooses the incident kind when it fires and keeps it (labels are identity) until it resolves', () => {
    const d = new AlertDecider(definitions, { forMs: 15_000, keepFiringForMs: 30_000 }, { team: 'crates' });
    expect(d.decide(signal, assessment({ failing: true, kind: 'outage' }), 0)).toEqual([]);
    const [firing] = d.decide(signal, assessment({ failing: true, kind: 'retry_storm' }), 15_000);
    expect(firing).toMatchObject({ status: 'firing', startsAtMs: 0, evaluatedAtMs: 15_000, labels: { team: 'crates', service: 'crates-io', alertname: 'StormwatchRetryStorm', signal: 'downloads', severity: 'critical' } });
    expect(firing!.annotations.description).toContain('why');
    // The kind wobbles mid-incident: the alert stays what it was.
    expect(d.decide(signal, assessment({ failing: true, kind: 'error_regression' }), 30_000)).toEqual([]);
    expect(d.firing().map((a) => a.labels.alertname)).toEqual(['StormwatchRetryStorm']);
    expect(d.decide(signal, assessment({ failing: false }), 45_000)).toEqual([]);
    const [resolved] = d.decide(signal, assessment({ failing: false }), 60_000);
    expect(resolved).toMatchObject({ status: 'resolved', fingerprint: firing!.fingerprint, labels: firing!.labels, startsAtMs: 0, endsAtMs: 60_000 });
  });

  it('says why an alert resolved with the readings of the tick that resolved it, its firing annotations kept', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const [firing] = d.decide(signal, assessment({ failing: true, kind: 'error_regression', errorRatio: 0.2, errorRatioBaseline: 0.003 }), 0);
    const [resolved] = d.decide(signal, assessment({ failing: false, requests: 1020, requestsBaseline: 1000, errorRatio: 0.004, errorRatioBaseline: 0.003, completion: 0.998, completionBaseline: 0.999 }), 15_000);
    expect(resolved!.annotations.resolved_because).toBe('healthy again: requests 1.02K/s, 1.02x what is expected, error ratio 0.4% (baseline 0.3%), downstream completion 99.8% (baseline 99.9%)');
    const { resolved_because: _, ...kept } = resolved!.annotations;
    expect(kept).toEqual(firing!.annotations);
    // A signal without ratios says its requests alone; a surge resolves the same way.
    const surges = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const bare = { errorRatio: Number.NaN, errorRatioBaseline: Number.NaN, completion: Number.NaN, completionBaseline: Number.NaN };
    const surge = surges.decide(signal, assessment({ ...bare, surge: true, requests: 1600, estimate: { multiplier: 1.6, attemptsPerRequest: 1.6, logicalDemand: 1000, failingAttempts: 0, matches: [], regime: 'none' } as unknown as AmplificationEstimate }), 0)[0]!;
    expect(surge.labels.alertname).toBe('StormwatchOrganicSurge');
    // Demand served fine: no retry reading (its rise as attempts per request told receivers it was retries).
    expect(surge.annotations).toMatchObject({ multiplier: '1.6', requests_per_second: '1600' });
    for (const k of ['attempts_per_request', 'logical_demand_per_second', 'failing_attempts', 'regime']) expect(surge.annotations, k).not.toHaveProperty(k);
    expect(surges.decide(signal, assessment({ ...bare, surge: false, requests: 990 }), 15_000)[0]!.annotations.resolved_because).toBe('healthy again: requests 990/s, 0.99x what is expected');
    // A surge whose level was learnt as normal since it fired says so: 1.13x alone read as traffic back.
    const learnt = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    learnt.decide(signal, assessment({ ...bare, surge: true, requests: 1600 }), 0);
    expect(learnt.decide(signal, assessment({ ...bare, surge: false, requests: 2600, requestsBaseline: 2300 }), 15_000)[0]!.annotations.resolved_because).toBe(
      'healthy again: requests 2.6K/s, 1.13x what is expected (2.3K/s now, 1K/s when it fired: the level since is learnt as normal)',
    );
  });

  it('holds a series\' anomaly score at its highest since its incident began, while the condition holds (pending or firing) and never over a NaN', () => {
    // The series as the decider sees it: its score this tick, and the floor the decider sets under it.
    const scored = { ...signal, anomalyScore: Number.NaN, floors: [] as number[], holdAnomalyScore(floor: number) { this.floors.push(floor); if (this.anomalyScore < floor) this.anomalyScore = floor; } };
    const tick = (score: number, failing: boolean, at: number) => {
      scored.anomalyScore = score;
      scored.floors = [];
      const out = d.decide(scored, assessment({ failing, kind: 'retry_storm' }), at);
      return { score: scored.anomalyScore, floors: scored.floors, out };
    };
    const d = new AlertDecider(definitions, { forMs: 30_000, keepFiringForMs: 30_000 });
    // The onset: the peak so far.
    expect(tick(0.9, true, 0)).toMatchObject({ score: 0.9, floors: [], out: [] });
    // Still pending, the score falls back, as the anomaly score does after news: held at the onset's.
    expect(tick(0.2, true, 15_000)).toMatchObject({ score: 0.9, floors: [0.9], out: [] });
    const fired = tick(0.15, true, 30_000);
    expect(fired.out[0]).toMatchObject({ status: 'firing' });
    expect(fired).toMatchObject({ score: 0.9, floors: [0.9] });
    // A new high becomes the floor.
    expect(tick(0.95, true, 45_000)).toMatchObject({ score: 0.95, floors: [] });
    expect(tick(0.1, true, 60_000).score).toBe(0.95);
    // No check could judge the tick: unknown stays unknown.
    expect(tick(Number.NaN, true, 75_000).score).toBeNaN();
    // The condition gone, the alert lingers for keepFiringFor (still firing): the score is the tick's own.
    expect(tick(0.05, false, 90_000)).toMatchObject({ score: 0.05, floors: [], out: [] });
    expect(d.firing()).toHaveLength(1);
    expect(tick(0.04, false, 105_000).out[0]).toMatchObject({ status: 'resolved' });
    // Resolved: the next incident's peak starts afresh.
    tick(0.3, true, 135_000);
    expect(tick(0.1, true, 150_000)).toMatchObject({ score: 0.3, floors: [0.3] });
    // A condition that clears before it pages holds nothing after.
    expect(tick(0.02, false, 165_000)).toMatchObject({ score: 0.02, floors: [] });
    // A restart keeps a firing incident's peak (the saved state is JSON).
    tick(0.6, true, 180_000);
    tick(0.1, true, 195_000);
    expect(tick(0.1, true, 210_000).out[0]).toMatchObject({ status: 'firing' });
    const restarted = new AlertDecider(definitions, { forMs: 30_000, keepFiringForMs: 30_000 });
    restarted.restore(JSON.parse(JSON.stringify(d.snapshot())));
    scored.anomalyScore = 0.05;
    restarted.decide(scored, assessment({ failing: true, kind: 'retry_storm' }), 225_000);
    expect(scored.anomalyScore).toBe(0.6);
  });

  it('starts the held score from the anomaly episode the condition\'s first tick belongs to', () => {
    // A collapse at 1 s ticks: its first tick scores 0.73 (news, the episode's peak) before its
    // evidence holds the condition; from the next tick the score reads 0.23 (a repeat, halved).
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const floors: number[] = [];
    const collapse = { ...signal, anomalyScore: 0.73, anomalyEpisodePeak: 0.73, holdAnomalyScore: (f: number) => floors.push(f) };
    expect(d.decide(collapse, assessment({ failing: false }), 0)).toEqual([]);
    collapse.anomalyScore = 0.23;
    expect(d.decide(collapse, assessment({ failing: true, kind: 'outage' }), 1000)[0]).toMatchObject({ status: 'firing' });
    expect(floors).toEqual([0.73]);
    // No episode open when the condition first holds: the tick's own score starts the peak.
    const fresh = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const none = { ...signal, anomalyScore: 0.4, anomalyEpisodePeak: 0, holdAnomalyScore: (f: number) => floors.push(f) };
    fresh.decide(none, assessment({ failing: true, kind: 'outage' }), 0);
    none.anomalyScore = 0.1;
    fresh.decide(none, assessment({ failing: true, kind: 'outage' }), 1000);
    expect(floors).toEqual([0.73, 0.4]);
  });

  it('holds no score for a surge, which pages nobody', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const floors: number[] = [];
    const scored = { ...signal, anomalyScore: 0.8, holdAnomalyScore: (f: number) => floors.push(f) };
    expect(d.decide(scored, assessment({ surge: true }), 0)[0]).toMatchObject({ status: 'firing', labels: { alertname: 'StormwatchOrganicSurge' } });
    scored.anomalyScore = 0.1;
    d.decide(scored, assessment({ surge: true }), 15_000);
    expect(floors).toEqual([]);
  });

  it('says a firing alert of a signal a reload removed was resolved because nothing judges it any more', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    d.decide(signal, assessment({ failing: true }), 0);
    const [resolved] = d.resolveSeries((id) => id === 'downloads', 15_000);
    expect(resolved).toMatchObject({ status: 'resolved', endsAtMs: 15_000 });
    expect(resolved!.annotations.resolved_because).toContain('removed or renamed');
  });

  it("says an outage in the words of the signal's inputs: completion downstream, or the failing share of a signal without downstream", () => {
    const withFunnel = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }).decide(signal, assessment({ failing: true, kind: 'outage', completion: 0.02 }), 0);
    expect(withFunnel[0]!.annotations.summary).toBe('downloads: outage, 2% of requests complete downstream, requests at 1x baseline');
    const noFunnel = assessment({ failing: true, kind: 'outage', completion: Number.NaN, completionBaseline: Number.NaN, errorRatio: 0.99, estimate: { multiplier: 0.01, failingAttempts: 0.99, matches: [] } as unknown as AmplificationEstimate });
    expect(new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }).decide(signal, noFunnel, 0)[0]!.annotations.summary).toBe('downloads: outage, 99% of requests fail, requests at 0.01x baseline');
    // A funnel break with errors at their baseline is said as completions, not as failing requests.
    const funnelBreak = assessment({ failing: true, kind: 'error_regression', completion: 0.632, errorRatio: 0.005, errorRatioBaseline: 0.005, estimate: { multiplier: 1, failingAttempts: 0.368, matches: [] } as unknown as AmplificationEstimate });
    expect(new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }).decide(signal, funnelBreak, 0)[0]!.annotations.summary).toBe('downloads: error regression, 63.2% of requests complete downstream, requests at 1x baseline');
    // Errors that say more than the funnel are said as errors.
    const errorsUp = assessment({ failing: true, kind: 'error_regression', completion: 0.99, errorRatio: 0.2, errorRatioBaseline: 0.001 });
    expect(new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }).decide(signal, errorsUp, 0)[0]!.annotations.summary).toBe('downloads: error regression, 20% of requests fail, requests at 1x baseline');
  });

  it('waits for an unsettled kind at most classifyWithin, counting a live tick a few ms early as on time', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 15_000 });
    const unsettled = assessment({ failing: true, kind: 'outage', settled: false });
    expect(d.decide(signal, unsettled, 18_109)).toEqual([]);
    // The next 15 s tick, stamped 14,993 ms later: the wait is over.
    expect(d.decide(signal, unsettled, 33_102).map((t) => t.status)).toEqual(['firing']);
    const early = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 15_000 });
    early.decide(signal, unsettled, 0);
    // A tick whole seconds early still waits.
    expect(early.decide(signal, unsettled, 14_000)).toEqual([]);
  });

  it('lists the alerts firing only by keepFiringFor: their condition did not hold at the last tick', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 60_000 });
    const [firing] = d.decide(signal, assessment({ failing: true, kind: 'outage' }), 0);
    expect(d.lingering(0)).toEqual(new Set());
    d.decide(signal, assessment({ failing: false }), 15_000);
    expect(d.firing()).toHaveLength(1);
    expect(d.lingering(15_000)).toEqual(new Set([firing!.fingerprint]));
    d.decide(signal, assessment({ failing: true, kind: 'outage' }), 30_000);
    expect(d.lingering(30_000)).toEqual(new Set());
  });

  it('raises an organic surge as its own informational alert', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const [surge] = d.decide(signal, assessment({ surge: true }), 0);
    expect(surge!.labels).toMatchObject({ alertname: 'StormwatchOrganicSurge', severity: 'info' });
  });

  it('leaves states alone while nothing can be judged', () => {
    const d = new AlertDecider(definitions, { forMs: 15_000, keepFiringForMs: 0 });
    d.decide(signal, assessment({ failing: true, kind: 'outage' }), 0);
    expect(d.decide(signal, assessment({ failing: undefined, surge: undefined }), 15_000)).toEqual([]);
    expect(d.decide(signal, assessment({ failing: true, kind: 'outage' }), 30_000)).toHaveLength(1);
  });

  it('keeps a firing alert through unjudged ticks, says so after five minutes and when judged again, and resolves it after two hours of them', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const unjudged = assessment({ failing: undefined, surge: undefined });
    const [fired] = d.decide(signal, assessment({ failing: true, kind: 'outage' }), 0);
    expect(d.decide(signal, unjudged, 15_000)).toEqual([]);
    expect(d.decide(signal, unjudged, 300_000)).toEqual([]);
    const [said] = d.decide(signal, unjudged, 315_000);
    expect(said).toMatchObject({ status: 'firing', fingerprint: fired!.fingerprint, update: 1, annotations: { unjudged_since: '1970-01-01T00:00:15.000Z' } });
    expect(d.decide(signal, unjudged, 330_000)).toEqual([]);
    // Judged again, still failing: the alert goes on, without the note.
    const [back] = d.decide(signal, assessment({ failing: true, kind: 'outage' }), 345_000);
    expect(back).toMatchObject({ status: 'firing', update: 2 });
    expect(back!.annotations.unjudged_since).toBeUndefined();
    // A short run says nothing; a run of two hours resolves, saying why.
    expect(d.decide(signal, unjudged, 360_000)).toEqual([]);
    expect(d.decide(signal, assessment({ failing: true, kind: 'outage' }), 375_000)).toEqual([]);
    for (let t = 390_000; t < 390_000 + 7_200_000; t += 600_000) expect(d.decide(signal, unjudged, t).every((x) => x.status === 'firing')).toBe(true);
    const [resolved] = d.decide(signal, unjudged, 390_000 + 7_200_000);
    expect(resolved).toMatchObject({ status: 'resolved', fingerprint: fired!.fingerprint, endsAtMs: 390_000 + 7_200_000, annotations: { unjudged_since: '1970-01-01T00:06:30.000Z' } });
    expect(resolved!.annotations.resolved_because).toContain('cannot say it is over');
    expect(d.hasActive(signal.id)).toBe(false);
    expect(d.decide(signal, unjudged, 390_000 + 7_215_000)).toEqual([]);
  });

  it('keeps deciding a series with a restored or pending alert while other series stay healthy', () => {
    const hold = { forMs: 15_000, keepFiringForMs: 0 };
    const before = new AlertDecider(definitions, hold);
    before.decide(signal, assessment({ failing: true, kind: 'outage' }), 0);
    const [fired] = before.decide(signal, assessment({ failing: true, kind: 'outage' }), 15_000);
    const other = { id: 'uploads', name: 'uploads', labels: {} };
    // A restart: the firing alert comes back, and a healthy tick of its series resolves it.
    const after = new AlertDecider(definitions, hold);
    after.restore(before.snapshot());
    after.restore(before.snapshot());
    expect(after.decide(other, assessment({}), 30_000)).toEqual([]);
    expect(after.decide(signal, assessment({}), 30_000)).toMatchObject([{ status: 'resolved', fingerprint: fired!.fingerprint }]);
    expect(after.hasActive(signal.id)).toBe(false);
    // A pending alert that clears before `for` leaves nothing tracked: the next failure starts anew.
    after.decide(other, assessment({ failing: true, kind: 'outage' }), 45_000);
    expect(after.hasActive(other.id)).toBe(true);
    expect(after.decide(other, assessment({}), 60_000)).toEqual([]);
    expect(after.hasActive(other.id)).toBe(false);
    expect(after.decide(other, assessment({ failing: true, kind: 'outage' }), 75_000)).toEqual([]);
    expect(after.decide(other, assessment({ failing: true, kind: 'outage' }), 90_000)).toMatchObject([{ status: 'firing', startsAtMs: 75_000 }]);
  });

  it('says the ratios the signal watches beside their baselines, and no "n/a" for one it does not', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const [api] = d.decide(signal, assessment({ failing: true, kind: 'error_regression', errorRatio: 0.05, errorRatioBaseline: 0.001, completion: Number.NaN, completionBaseline: Number.NaN }), 0);
    expect(api!.annotations.description).toBe('why Since 1970-01-01T00:00:00.000Z. Error ratio 5% (baseline 0.1%).');
    const [downloads] = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }).decide(signal, assessment({ failing: true, kind: 'error_regression', errorRatio: 0.05, errorRatioBaseline: 0.001, completion: 0.4 }), 0);
    expect(downloads!.annotations.description).toContain('Error ratio 5% (baseline 0.1%); downstream completion 40% (baseline 99.9%).');
    // An outage's tick without requests: no completion ratio to quote in the summary.
    const [outage] = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }).decide(signal, assessment({ failing: true, kind: 'outage', completion: Number.NaN }), 0);
    expect(outage!.annotations.summary).not.toContain('n/a');
  });

  it('puts rates and estimates in annotations, never in labels', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 });
    const [t] = d.decide(signal, assessment({ failing: true, kind: 'outage', requests: 12.5 }), 0);
    expect(Object.values(t!.labels)).not.toContain('12.5');
    expect(t!.annotations.requests_per_second).toBe('12.5');
  });
});

/** An estimate naming `model` with `attempts` per request (interval ±5 %). */
function estimate(model: string, attempts: number): AmplificationEstimate {
  const match = { model, retries: 3, predictedLow: 3, predictedHigh: 4, regime: 'total' as const, distance: 0, generic: false, centreGap: 0, rampRss: 0, multiplier: attempts, multiplierLow: attempts * 0.95, multiplierHigh: attempts * 1.05 };
  return {
    multiplier: attempts, multiplierLow: attempts * 0.95, multiplierHigh: attempts * 1.05, failingAttempts: 1, failingRequests: 1, failingRequestsLow: 0.95, failingRequestsHigh: 1, retriesPerFailure: attempts - 1,
    attemptsPerRequest: attempts, attemptsPerRequestLow: attempts * 0.95, attemptsPerRequestHigh: attempts * 1.05, logicalDemand: 1000, logicalDemandLow: 950, logicalDemandHigh: 1050, amplified: true, regime: 'total', matches: [match],
  };
}

describe('AlertDecider updates of a firing incident', () => {
  const storm = (model: string, attempts: number) => assessment({ failing: true, kind: 'retry_storm', estimate: estimate(model, attempts), explanation: `${model} ${attempts}` });

  it('re-sends the same alert with new annotations when the named client changes, at most every update interval', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 30_000 });
    const [page] = d.decide(signal, storm('cargo-legacy', 2.7), 0);
    expect(page).toMatchObject({ status: 'firing', annotations: { client_model: 'cargo-legacy' } });
    expect(page!.update).toBeUndefined();
    // Changed, but too soon after the page.
    expect(d.decide(signal, storm('cargo', 3.1), 15_000)).toEqual([]);
    const [update] = d.decide(signal, storm('cargo', 3.1), 30_000);
    expect(update).toMatchObject({ status: 'firing', update: 1, fingerprint: page!.fingerprint, labels: page!.labels, startsAtMs: page!.startsAtMs, evaluatedAtMs: 30_000 });
    expect(update!.annotations).toMatchObject({ client_model: 'cargo', attempts_per_request: '3.1', attempts_per_request_low: '2.945', attempts_per_request_high: '3.255' });
    expect(update!.annotations.description).toContain('cargo 3.1');
    // What the HTTP API and Alertmanager re-sends show is the update.
    expect(d.firing()[0]!.annotations.client_model).toBe('cargo');
  });

  it('says how sure the name is: its share of the likelihood, only while a client is named', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
    const rival = { ...estimate('cargo', 3.1).matches[0]!, model: 'cargo-legacy' };
    const named = estimate('cargo', 3.1);
    const [page] = d.decide(signal, assessment({ failing: true, kind: 'retry_storm', estimate: { ...named, matches: [...named.matches, rival], shares: [0.64, 0.36] }, explanation: 'x' }), 0);
    expect(page!.annotations).toMatchObject({ client_model: 'cargo', client_model_share: '0.64', client_models_fitting: 'cargo,cargo-legacy' });
    // Undecided: no name, so no share of one; a name carried from earlier is not given one either.
    const undecided = { ...named, matches: [...named.matches, rival], shares: [0.5, 0.5], clientUndecided: true as const };
    const [update] = d.decide(signal, assessment({ failing: true, kind: 'retry_storm', estimate: { ...undecided, attemptsPerRequest: 2.2, attemptsPerRequestLow: 2.1, attemptsPerRequestHigh: 2.3 }, explanation: 'y' }), 15_000);
    expect(update!.annotations.client_model).toBe('cargo');
    expect(update!.annotations.client_model_share).toBeUndefined();
  });

  it('re-reads nothing on a tick whose failing fraction nobody could read (no request in it)', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
    d.decide(signal, storm('cargo-legacy', 2.8), 0);
    // An empty 1 s tick mid-storm: the fraction reads as none and no client fits; not news.
    const empty = assessment({ failing: true, kind: 'retry_storm', estimate: { ...estimate('cargo-legacy', 4.0), matches: [] }, failureUnread: true, explanation: 'empty tick' });
    expect(d.decide(signal, empty, 1000)).toEqual([]);
    expect(d.firing()[0]!.annotations.attempts_per_request).toBe('2.8');
    // The same reading on a tick that was read goes out.
    const [update] = d.decide(signal, { ...empty, failureUnread: false }, 2000);
    expect(update).toMatchObject({ update: 1, annotations: { attempts_per_request: '4' } });
  });

  it('keeps the client it named when a later reading fits none, and still sends that reading', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
    d.decide(signal, storm('cargo', 3.1), 0);
    // The storm ebbs: 1.8 attempts per request, no client model fits.
    const ebbing = assessment({ failing: true, kind: 'retry_storm', estimate: { ...estimate('cargo', 1.8), matches: [] }, explanation: 'ebbing' });
    const [update] = d.decide(signal, ebbing, 15_000);
    expect(update).toMatchObject({ update: 1, annotations: { attempts_per_request: '1.8', client_model: 'cargo' } });
    expect(update!.annotations.client_model_note).toBe('named cargo earlier; the latest reading fits no client model');
    // A reading whose interval reaches 1.05x (no amplification to be sure of) is told so, not as a misfit.
    const unsure = assessment({ failing: true, kind: 'retry_storm', estimate: { ...estimate('cargo', 1.6), multiplierLow: 1.04, matches: [], amplified: false }, explanation: 'unsure' });
    const [next] = d.decide(signal, unsure, 30_000);
    expect(next!.annotations.client_model_note).toBe('named cargo earlier; the latest reading cannot tell retries from none');
    // What a chat receiver shows (summary and description) names it too, and says it is kept.
    expect(update!.annotations.summary).toContain('client model: cargo');
    expect(update!.annotations.description).toContain("cargo, named earlier, stays the incident's client");
    expect(d.firing()[0]!.annotations.client_model).toBe('cargo');
    // Another client fitting later is news, and replaces the name and the note.
    const [renamed] = d.decide(signal, storm('pip', 1.9), 30_000);
    expect(renamed!.annotations.client_model).toBe('pip');
    expect(renamed!.annotations.client_model_note).toBeUndefined();
  });

  it('keeps the client it named on a reading of a failure receding, and tells the sentence of it', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
    d.decide(signal, storm('cargo', 3.1), 0);
    // The tick a fault ends, half recovered (35 % of attempts failing, 100 % before): pip's partial
    // failure fits a little better, cargo still fits.
    const pip = { ...estimate('pip', 2.6).matches[0]!, model: 'pip', retries: 5, regime: 'independent' as const };
    const cargo = estimate('cargo', 2.6).matches[0]!;
    const recovering = { ...estimate('pip', 2.6), failingAttempts: 0.35, matches: [pip, cargo], shares: [0.7, 0.3] };
    const [update] = d.decide(signal, assessment({ failing: true, kind: 'retry_storm', estimate: recovering, explanation: 'pip (up to 5 retries) predicts' }), 15_000);
    expect(update).toMatchObject({ update: 1, annotations: { client_model: 'cargo', attempts_per_request: '2.6' } });
    expect(update!.annotations.client_model_note).toBe('named cargo earlier; the latest reading favours pip as the failure recedes');
    expect(update!.annotations.summary).toContain('client model: cargo');
    expect(update!.annotations.description).toContain('cargo retrying');
    expect(update!.annotations.description).not.toContain('pip (up to');
    // The share said is the named client's, not the favoured one's.
    expect(update!.annotations.client_model_share).toBe('0.3');
    // A reading of a failure that is not receding names the client it favours.
    const [renamed] = d.decide(signal, assessment({ failing: true, kind: 'retry_storm', estimate: { ...recovering, failingAttempts: 0.3 }, explanation: 'pip' }), 30_000);
    expect(renamed!.annotations.client_model).toBe('pip');
  });

  it('pages naming no client while the clients that fit cannot be told apart, and names it in an update', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 30_000 });
    const early = assessment({ failing: true, kind: 'retry_storm', estimate: { ...estimate('curl-retry-5', 3.7), clientUndecided: true }, explanation: 'early' });
    const [page] = d.decide(signal, early, 0);
    expect(page!.annotations.client_model).toBeUndefined();
    expect(page!.annotations.summary).toContain('not yet told apart');
    // Named once the update interval (30 s) has passed, as every re-estimate.
    expect(d.decide(signal, storm('cargo', 3.1), 15_000)).toEqual([]);
    const [named] = d.decide(signal, storm('cargo', 3.1), 30_000);
    expect(named).toMatchObject({ update: 1, annotations: { client_model: 'cargo' } });
    // A later reading that cannot tell them apart again keeps the name.
    const [kept] = d.decide(signal, { ...early, estimate: { ...estimate('pip', 2.2), clientUndecided: true } }, 60_000);
    expect(kept!.annotations).toMatchObject({ client_model: 'cargo', client_model_note: 'named cargo earlier; the latest reading cannot tell the clients that fit apart' });
  });

  it('sends nothing while the reading holds: an interval narrowing around the same value is not news', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
    d.decide(signal, storm('cargo', 3.1), 0);
    expect(d.decide(signal, storm('cargo', 3.15), 15_000)).toEqual([]);
    const [update] = d.decide(signal, storm('cargo', 3.6), 30_000);
    expect(update).toMatchObject({ update: 1, annotations: { attempts_per_request: '3.6' } });
  });

  it('keeps the kind it fired as: an update is told in that kind, and resolves as one alert', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
    const [page] = d.decide(signal, storm('cargo', 3.1), 0);
    const [update] = d.decide(signal, assessment({ failing: true, kind: 'error_regression', estimate: estimate('pip', 5.2) }), 15_000);
    expect(update!.labels.alertname).toBe('StormwatchRetryStorm');
    expect(update!.annotations.description).not.toContain('a regression with no sign of retry amplification');
    const [resolved] = d.decide(signal, assessment({ failing: false }), 30_000);
    expect(resolved).toMatchObject({ status: 'resolved', fingerprint: page!.fingerprint });
  });
});

describe('AlertDecider: a storm that outlives its cause', () => {
  const storm = assessment({ failing: true, kind: 'retry_storm', estimate: estimate('cargo', 3.05), requests: 3050, requestsBaseline: 1000 });
  const fixedButAmplified = assessment({ failing: false, surge: true, requests: 2100, requestsBaseline: 1000 });

  it('keeps the incident firing, says so at once after 30 s, and raises no organic surge meanwhile', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 60_000 }, {}, { withinMs: 0 }, { minIntervalMs: 300_000 });
    const [page] = d.decide(signal, storm, 0);
    expect(d.decide(signal, fixedButAmplified, 15_000)).toEqual([]);
    expect(d.decide(signal, fixedButAmplified, 30_000)).toEqual([]);
    // 30 s after the failures cleared, despite the 5 m update interval: a change of state.
    const [update] = d.decide(signal, fixedButAmplified, 45_000);
    expect(update).toMatchObject({ status: 'firing', update: 1, fingerprint: page!.fingerprint });
    expect(update!.annotations.aftermath).toMatch(/^storm outlived its cause: failures healthy since 1970-01-01T00:00:15.000Z, requests still 2.1x/);
    expect(update!.annotations.description).toContain('storm outlived its cause');
    // Its summary too: not the storm's "while 0% of attempts fail".
    expect(update!.annotations.summary).toBe('downloads: retry storm outlived its cause, requests still 2.1x baseline while failures are back to baseline');
    // Held for as long as the rate stays up (well past keepFiringFor), never an organic surge.
    for (let t = 60_000; t <= 300_000; t += 15_000) expect(d.decide(signal, fixedButAmplified, t)).toEqual([]);
    // The rate returns: resolved after keepFiringFor.
    expect(d.decide(signal, assessment({ failing: false, surge: false }), 315_000)).toEqual([]);
    const [resolved] = d.decide(signal, assessment({ failing: false, surge: false }), 375_000);
    expect(resolved).toMatchObject({ status: 'resolved', fingerprint: page!.fingerprint });
  });

  it('annotates alike when the assessments are a series’ own, whose numbers are read, not kept (as the pipeline gives them)', () => {
    /** The same assessment as a SeriesAssessment reading its numbers from a sample and evaluations. */
    const own = (a: Assessment): Assessment => {
      const e = (kind: Evaluation['kind'], observed: number, baseline: number): Evaluation => ({ kind, status: 'normal', observed, baseline, score: 0, sigma: 0.05 });
      const s = new SeriesAssessment({ requests: a.requests, errors: Number.NaN, downstream: Number.NaN });
      s.readFrom({ requests: a.requests, errors: Number.NaN, downstream: Number.NaN }, [e('rate_spike', a.requests, a.requestsBaseline), e('error_ratio', a.errorRatio, a.errorRatioBaseline), e('funnel_drop', a.completion, a.completionBaseline)]);
      Object.assign(s, { failing: a.failing, surge: a.surge, kind: a.kind, settled: a.settled, estimate: a.estimate, explanation: a.explanation });
      return s;
    };
    const run = (wrap: (a: Assessment) => Assessment) => {
      const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 60_000 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
      const out = d.decide(signal, wrap(storm), 0);
      // The kind read now differs from the one fired: the sentence is told again in the fired kind.
      out.push(...d.decide(signal, wrap({ ...storm, kind: 'outage', requests: 3300 }), 15_000));
      for (const t of [30_000, 45_000, 60_000]) out.push(...d.decide(signal, wrap(fixedButAmplified), t));
      return out;
    };
    const plain = run((a) => a);
    expect(plain.some((t) => t.annotations.aftermath !== undefined)).toBe(true);
    expect(run(own)).toEqual(plain);
  });

  it('says nothing when requests settle within the 30 s a retry chain takes to drain', () => {
    const d = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 60_000 }, {}, { withinMs: 0 }, { minIntervalMs: 0 });
    d.decide(signal, storm, 0);
    const out = [15_000, 30_000].flatMap((t) => d.decide(signal, fixedButAmplified, t));
    out.push(...[45_000, 60_000, 75_000, 90_000].flatMap((t) => d.decide(signal, assessment({ failing: false, surge: false }), t)));
    expect(out.map((t) => t.status)).toEqual(['resolved']);
    expect(out[0]!.annotations.aftermath).toBeUndefined();
  });
});
