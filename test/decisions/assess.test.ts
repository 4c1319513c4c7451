import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/load.js';
import type { Evaluation, SignalSample } from '../../src/core/types.js';
import { assess } from '../../src/decisions/assess.js';
import { HELD_BURST, OUTGREW_BURSTS } from '../../src/detectors/stats/error-bursts.js';

const models = loadBundledClientModels();

/** Evaluations as the baseline detector gives them: baseline 1000/s, 99.9 % completed, 0.1 % errors. */
function evals(o: { requests: number; completion: number; errors?: number; spike?: boolean; drop?: boolean; funnel?: boolean; errorHigh?: boolean }): Evaluation[] {
  const rate = { observed: o.requests, baseline: 1000, score: Math.log(o.requests / 1000) / 0.05, sigma: 0.05 };
  return [
    { kind: 'rate_spike', status: o.spike ? 'anomalous' : 'normal', ...rate },
    { kind: 'rate_drop', status: o.drop ? 'anomalous' : 'normal', ...rate },
    { kind: 'error_ratio', status: o.errorHigh ? 'anomalous' : 'normal', observed: o.errors ?? 0.001, baseline: 0.001, score: 0, sigma: 0.002 },
    { kind: 'funnel_drop', status: o.funnel ? 'anomalous' : 'normal', observed: o.completion, baseline: 0.999, score: 0, sigma: 0.01 },
  ];
}

const sample = (requests: number, completion: number, errors = 0.001): SignalSample => ({ requests, errors: requests * errors, downstream: requests * completion });

describe('assess', () => {
  it.each([
    ['retry storm: 4x, nothing completes', { requests: 4000, completion: 0, spike: true, funnel: true }, true, 'retry_storm', /every request is failing and cargo retrying each one 3 times matches/],
    ['retry storm: 1.42x, 30 % of attempts fail', { requests: 1417, completion: 0.7, funnel: true }, true, 'retry_storm', /29.9% of attempts fail and each failure is retried; cargo \(up to 3 retries\) predicts 1.42x/],
    ['outage: a closed pool, rate falls while nothing completes', { requests: 300, completion: 0, funnel: true }, true, 'outage', /fixed pool of clients each stuck retrying/],
    ['outage: traffic collapses', { requests: 20, completion: 0.999, drop: true }, true, 'outage', /traffic is not reaching the service/],
    ['error regression: 5 % failing, no amplification', { requests: 1020, completion: 0.95, funnel: true }, true, 'error_regression', /no sign of retry amplification/],
    ['organic surge: 2.5x, all served', { requests: 2500, completion: 0.999, spike: true }, false, undefined, /more demand, served fine/],
  ] as const)('%s', (_, o, failing, kind, explanation) => {
    const a = assess('downloads', sample(o.requests, o.completion), evals(o), models);
    expect(a.failing).toBe(failing);
    if (kind) expect(a.kind).toBe(kind);
    else expect(a.surge).toBe(true);
    expect(a.explanation).toMatch(explanation);
  });

  it('takes an error alarm held within the series\' bursts as no failure and its requests as no surge, and the same alarm not held as a storm', () => {
    const o = { requests: 1500, completion: 0.7, errors: 0.35, spike: true, errorHigh: true };
    const held = evals(o).map((e) => (e.kind === 'error_ratio' ? { ...e, reason: HELD_BURST } : e));
    const a = assess('downloads', sample(1500, 0.7, 0.35), held, models);
    expect(a.failing).toBe(false);
    expect(a.surge).toBe(false);
    const b = assess('downloads', sample(1500, 0.7, 0.35), evals(o), models);
    expect(b.failing).toBe(true);
    expect(b.kind).toBe('retry_storm');
    expect(b.explanation).not.toMatch(/outgrown the bursts/);
    // Once past the bursts it was held within, the page says why it comes now.
    const past = evals(o).map((e) => (e.kind === 'error_ratio' ? { ...e, reason: OUTGREW_BURSTS } : e));
    const c = assess('downloads', sample(1500, 0.7, 0.35), past, models);
    expect(c.failing).toBe(true);
    expect(c.explanation).toMatch(/The errors have outgrown the bursts this series had in the last week/);
    // A held error alarm does not hide a broken funnel beside it.
    const withFunnel = held.map((e) => (e.kind === 'funnel_drop' ? { ...e, status: 'anomalous' as const } : e));
    expect(assess('downloads', sample(1500, 0.7, 0.35), withFunnel, models).failing).toBe(true);
  });

  it('takes a collapse judged traffic moved as no failure, saying so, and a broken funnel beside it still as one', () => {
    const o = { requests: 20, completion: 0.999, drop: true };
    const moved = assess('downloads', sample(20, 0.999), evals(o), models, undefined, undefined, 'moved');
    expect([moved.failing, moved.trafficMoved]).toEqual([false, true]);
    expect(moved.explanation).toBe("downloads: requests at 20/s (1K/s expected) while the signal's other series took what it lost: traffic moved, not lost. Not a page.");
    const lost = assess('downloads', sample(20, 0.999), evals(o), models);
    expect([lost.failing, lost.kind, lost.trafficMoved, lost.settled]).toEqual([true, 'outage', false, true]);
    // Waiting a tick for a series that appeared without a rate yet: failing, its kind unsettled.
    const awaiting = assess('downloads', sample(20, 0.999), evals(o), models, undefined, undefined, 'awaiting');
    expect([awaiting.failing, awaiting.kind, awaiting.settled]).toEqual([true, 'outage', false]);
    const funnel = assess('downloads', sample(20, 0), evals({ ...o, completion: 0, funnel: true }), models, undefined, undefined, 'moved');
    expect(funnel.failing).toBe(true);
  });

  it('is unknown when no check could judge', () => {
    const unknown: Evaluation[] = ['rate_spike', 'rate_drop', 'funnel_drop'].map((kind) => ({ kind: kind as Evaluation['kind'], status: 'unknown', observed: Number.NaN, baseline: Number.NaN, score: Number.NaN, sigma: Number.NaN }));
    const a = assess('downloads', sample(Number.NaN, Number.NaN), unknown, models);
    expect(a.failing).toBeUndefined();
    expect(a.surge).toBeUndefined();
    expect(a.estimate).toBeUndefined();
  });

  it('says when no ratio check read the tick: its failing fraction is unknown, not none', () => {
    const read = assess('downloads', sample(4000, 0), evals({ requests: 4000, completion: 0, spike: true, funnel: true }), models);
    expect(read.failureUnread).toBe(false);
    // A tick without requests: the funnel and the error ratio have nothing to read.
    const e = evals({ requests: 0, completion: Number.NaN, spike: true, funnel: true }).map((x) => (x.kind === 'funnel_drop' || x.kind === 'error_ratio' ? { ...x, status: 'unknown' as const, observed: Number.NaN } : x));
    expect(assess('downloads', sample(0, Number.NaN), e, models).failureUnread).toBe(true);
    // A signal of requests alone has no fraction to miss.
    const rateOnly = evals({ requests: 0, completion: Number.NaN, drop: true }).filter((x) => x.kind === 'rate_spike' || x.kind === 'rate_drop');
    expect(assess('downloads', sample(0, Number.NaN), rateOnly, models).failureUnread).toBe(false);
  });

  it('reads failing attempts from the error ratio when there is no downstream input', () => {
    const e = evals({ requests: 1300, completion: 0.999, errors: 0.3077, errorHigh: true, spike: false }).filter((x) => x.kind !== 'funnel_drop');
    const a = assess('api', sample(1300, Number.NaN, 0.3077), e, models);
    expect(a.kind).toBe('retry_storm');
    expect(a.estimate!.failingAttempts).toBeCloseTo(0.3067, 3);
    expect(a.explanation).toContain('of requests fail (baseline 0.1%)');
  });
  it.each([
    // Cargo's first retries wait 0.5-1.5 s: the run so far is barely up, the last ticks clearly.
    ['a storm whose first seconds were flat, rising now', { multiplier: 1.25, recent: 1.9 }, 'retry_storm'],
    // A closed pool's runners retry once, then stall: the run so far is up, the last ticks down.
    ['a closed pool that retried once and stalls now', { multiplier: 1.3, recent: 0.4 }, 'outage'],
  ] as const)('reads the kind from how the rate moves now: %s', (_, m, kind) => {
    const e = evals({ requests: 1000 * m.recent, completion: 0, funnel: true });
    const run = { sinceMs: 0, multiplier: m.multiplier, logSigma: 0.1, seconds: 6, recent: { multiplier: m.recent, logSigma: 0.2, seconds: 3 } };
    for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
    const a = assess('downloads', sample(1000 * m.recent, 0), e, models);
    expect(a.kind).toBe(kind);
    expect(a.settled).toBe(true);
  });

  it('reads no fall before three seconds of failure and no rise before four: a closed pool\'s in-flight retries lift it for up to three, a storm may start with a lull', () => {
    const at = (recent: number, seconds: number) => {
      const e = evals({ requests: 1000 * recent, completion: 0, funnel: true });
      const window = { multiplier: recent, logSigma: 0.2, seconds };
      const run = { sinceMs: 0, ...window, recent: window, failure: window };
      for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
      return assess('downloads', sample(1000 * recent, 0), e, models, { timeMs: seconds * 1000, tickMs: 1000 });
    };
    // Three 1 s ticks at 2.2x (one σ clear: 2.2 / e^0.2 = 1.8): a storm's retries, or what a closed
    // pool sends until its runners all wait on their retries; a fourth tick tells them apart.
    expect(at(2.2, 2).settled).toBe(false);
    expect(at(2.2, 3).settled).toBe(false);
    expect(at(2.2, 3).kind).not.toBe('retry_storm');
    expect(at(2.2, 4)).toMatchObject({ kind: 'retry_storm', settled: true });
    // Two ticks at 0.5x (one σ clear downwards): not yet; cargo's first retries may be on their way.
    expect(at(0.5, 2).settled).toBe(false);
    expect(at(0.5, 3)).toMatchObject({ kind: 'outage', settled: true });
    // One tick says nothing either way.
    expect(at(2.2, 1).settled).toBe(false);
  });

  it("reads a rise through the run's rise σ and a fall through its cautious σ: a lull of lumpy traffic must not call a storm a stalled pool", () => {
    const at = (multiplier: number, logSigma: number, riseLogSigma?: number) => {
      const e = evals({ requests: 1000 * multiplier, completion: 0, funnel: true });
      const window = { multiplier, logSigma, seconds: 4, ...(riseLogSigma === undefined ? {} : { riseLogSigma }) };
      const run = { sinceMs: 0, ...window, recent: window, failure: window };
      for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
      return assess('downloads', sample(1000 * multiplier, 0), e, models, { timeMs: 4000, tickMs: 1000 });
    };
    // 1.5x: within the cautious σ (1.5 / e^0.5 = 0.91), one rise σ clear (1.5 / e^0.2 = 1.23).
    expect(at(1.5, 0.5).kind).not.toBe('retry_storm');
    expect(at(1.5, 0.5, 0.2)).toMatchObject({ kind: 'retry_storm', settled: true });
    // 0.75x: one rise σ clear downwards (0.75 · e^0.1 = 0.83), not one cautious σ (0.75 · e^0.3 = 1.01).
    expect(at(0.75, 0.3, 0.1).settled).toBe(false);
    expect(at(0.75, 0.1)).toMatchObject({ kind: 'outage', settled: true });
  });

  it('reads no rise while the latest tick is back below the baseline: a closed pool\'s in-flight retries crest, then it stalls', () => {
    const at = (latest: number) => {
      const e = evals({ requests: 1000 * latest, completion: 0, funnel: true });
      const window = { multiplier: 1.5, logSigma: 0.2, seconds: 4 };
      const run = { sinceMs: 0, ...window, recent: window, failure: window };
      for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
      return assess('downloads', sample(1000 * latest, 0), e, models, { timeMs: 4000, tickMs: 1000 });
    };
    // Four ticks at 1.5x on average (one σ clear), the last of them at 0.5x: no storm yet.
    expect(at(0.5)).toMatchObject({ settled: false });
    expect(at(0.5).kind).not.toBe('retry_storm');
    // The same four ticks with the last still up: retries keep the rate up, a storm.
    expect(at(1.4)).toMatchObject({ kind: 'retry_storm', settled: true });
  });

  it('waits for the kind while the last ticks are within their noise', () => {
    const e = evals({ requests: 1100, completion: 0, funnel: true });
    const run = { sinceMs: 0, multiplier: 1.6, logSigma: 0.1, seconds: 6, recent: { multiplier: 1.1, logSigma: 0.3, seconds: 3 } };
    for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
    expect(assess('downloads', sample(1100, 0), e, models).settled).toBe(false);
  });
  it('settles nothing on a tick without requests: a total failure is not read as 0 % failing', () => {
    // A stalled pool's silent second: the funnel keeps its alarm with no ratio to read.
    const e = evals({ requests: 0, completion: Number.NaN, funnel: true }).map((x) => (x.kind === 'error_ratio' ? { ...x, observed: Number.NaN } : x));
    const run = { sinceMs: 0, multiplier: 0.7, logSigma: 0.1, seconds: 4, recent: { multiplier: 0.73, logSigma: 0.3, seconds: 3 } };
    for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
    const silent = assess('downloads', sample(0, Number.NaN), e, models);
    expect(silent.failing).toBe(true);
    expect(silent.settled).toBe(false);
    // The next tick with requests, none completing, reads the pool's fall: an outage.
    const next = evals({ requests: 400, completion: 0, funnel: true });
    for (const x of next) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = { ...run, recent: { multiplier: 0.4, logSigma: 0.2, seconds: 3 } };
    const read = assess('downloads', sample(400, 0), next, models);
    expect(read.settled).toBe(true);
    expect(read.kind).toBe('outage');
  });

  it("settles a closed pool's silent tick as an outage once its last ticks are clearly down: a stall needs no failing fraction", () => {
    // Real cargo 1.95 in a pool of 4 runners at 1 s ticks: 16, 13, 3, then 0 requests (baseline 12.8).
    const e = evals({ requests: 0, completion: Number.NaN, funnel: true }).map((x) => (x.kind === 'error_ratio' ? { ...x, observed: Number.NaN } : x));
    const run = { sinceMs: 0, multiplier: 0.62, logSigma: 0.2, seconds: 4, recent: { multiplier: 0.42, logSigma: 0.23, seconds: 3 }, failure: { multiplier: 0.62, logSigma: 0.2, seconds: 4 } };
    for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
    const a = assess('downloads', sample(0, Number.NaN), e, models, { timeMs: 4000, tickMs: 1000 });
    expect(a).toMatchObject({ failing: true, kind: 'outage', settled: true });
  });

  it('keeps a few per cent failing a regression though demand dips clearly: a stall is an outage only where a material share fails', () => {
    // 4 % of requests failing while demand reads 0.735x (a wobble at 60 s ticks, σ 0.05): no
    // stalled pool sends 96 % of its requests through. Most failing, the same dip is an outage.
    const run = { sinceMs: 0, multiplier: 0.735, logSigma: 0.05, seconds: 240, failure: { multiplier: 0.735, logSigma: 0.05, seconds: 240 } };
    const withRun = (e: Evaluation[]) => {
      for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
      return e;
    };
    const few = assess('api', sample(735, 0.96), withRun(evals({ requests: 735, completion: 0.96, funnel: true })), models, { timeMs: 240_000, tickMs: 60_000 });
    expect(few).toMatchObject({ failing: true, kind: 'error_regression' });
    const most = assess('api', sample(735, 0.3), withRun(evals({ requests: 735, completion: 0.3, funnel: true })), models, { timeMs: 240_000, tickMs: 60_000 });
    expect(most).toMatchObject({ failing: true, kind: 'outage' });
  });

  it('keeps a partial failure whose last ticks wobble up a regression: the storm floor is on the whole failure', () => {
    const e = evals({ requests: 1300, completion: 0.95, funnel: true });
    const run = { sinceMs: 0, multiplier: 1.08, logSigma: 0.03, seconds: 20, recent: { multiplier: 1.3, logSigma: 0.1, seconds: 3 } };
    for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
    expect(assess('downloads', sample(1300, 0.95), e, models).kind).toBe('error_regression');
  });

  describe("the ticks since the failure's onset", () => {
    // Lumpy 1 s traffic (whole builds of crates arriving at once): one tick's log σ is 1.6, so three
    // ticks at 2.7x are within their noise however long the storm lasts.
    const lumpy = { multiplier: 2.7, logSigma: 1.01, seconds: 3 };
    const withRun = (e: Evaluation[], run: NonNullable<Evaluation['run']>) => {
      for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
      return e;
    };

    it('settle a storm the last ticks alone cannot: the σ of their mean shrinks as they add up', () => {
      const run = { sinceMs: 0, multiplier: 1.4, logSigma: 0.6, seconds: 12, recent: lumpy };
      const early = assess('downloads', sample(2700, 0), withRun(evals({ requests: 2700, completion: 0, funnel: true }), run), models);
      expect(early.settled).toBe(false);
      // Eight ticks since the onset at 2.6x: σ √(1.6²/8 + 0.4²) = 0.72, 2.6 / e^0.72 = 1.27.
      const later = assess('downloads', sample(2700, 0), withRun(evals({ requests: 2700, completion: 0, funnel: true }), { ...run, failure: { multiplier: 2.6, logSigma: 0.72, seconds: 8 } }), models);
      expect(later.kind).toBe('retry_storm');
      expect(later.settled).toBe(true);
    });

    it('add no certainty against the last ticks: a storm that has ebbed now is not read as rising', () => {
      const run = { sinceMs: 0, multiplier: 2, logSigma: 0.5, seconds: 12, recent: { multiplier: 0.95, logSigma: 1.01, seconds: 3 }, failure: { multiplier: 2.2, logSigma: 0.5, seconds: 12 } };
      const a = assess('downloads', sample(950, 0.5), withRun(evals({ requests: 950, completion: 0.5, funnel: true }), run), models);
      expect(a.kind).not.toBe('retry_storm');
    });

    it('keep a lull before the onset from reading as a stalled pool', () => {
      // The run began four ticks before the failure (noisy funnel ticks); its last three read 0.45x
      // on two empty ticks before the onset. One tick of the failure says nothing yet.
      const run = { sinceMs: 0, multiplier: 0.55, logSigma: 0.22, seconds: 5, recent: { multiplier: 0.45, logSigma: 0.27, seconds: 3 }, failure: { multiplier: 1.36, logSigma: 0.44, seconds: 1 } };
      const a = assess('downloads', sample(1360, 0), withRun(evals({ requests: 1360, completion: 0, funnel: true }), run), models, { timeMs: 4000, tickMs: 1000 });
      expect(a.settled).toBe(false);
    });

    it('hold the storm floor on the steadier reading: one 15 s tick since the alarm does not outweigh the run', () => {
      // A 5 % failure whose change-point came a tick before its alarm: that one tick read 1.25x.
      const run = { sinceMs: 0, multiplier: 1.1, logSigma: 0.03, seconds: 30, recent: { multiplier: 1.1, logSigma: 0.03, seconds: 30 }, failure: { multiplier: 1.25, logSigma: 0.04, seconds: 15 } };
      expect(assess('downloads', sample(1250, 0.95), withRun(evals({ requests: 1250, completion: 0.95, funnel: true }), run), models).kind).toBe('error_regression');
    });

    it('still read a closed pool that retried once and stalls now as an outage', () => {
      // The failure's first ticks hold the pool's retries: its mean is up, the last ticks are down.
      const run = { sinceMs: 0, multiplier: 1.1, logSigma: 0.2, seconds: 8, recent: { multiplier: 0.3, logSigma: 0.3, seconds: 3 }, failure: { multiplier: 1.1, logSigma: 0.2, seconds: 8 } };
      const a = assess('downloads', sample(300, 0), withRun(evals({ requests: 300, completion: 0, funnel: true }), run), models);
      expect(a.kind).toBe('outage');
      expect(a.settled).toBe(true);
    });

    it('call a rise no retries could make a regression: at 5 % failing retries add at most 5.3 %, so 1.22x is demand', () => {
      // Demand rose with the failure (unseen seed 6 of partial-static-503-05pct, 5 s ticks): every reading clearly up.
      const run = { sinceMs: 0, multiplier: 1.22, logSigma: 0.04, seconds: 20, recent: { multiplier: 1.22, logSigma: 0.05, seconds: 15 }, failure: { multiplier: 1.22, logSigma: 0.04, seconds: 20 } };
      const partial = assess('downloads', sample(1220, 0.95), withRun(evals({ requests: 1220, completion: 0.95, funnel: true }), run), models);
      expect(partial.kind).toBe('error_regression');
      expect(partial.explanation).toMatch(/a regression; retries after 4.9\d?% of attempts fail add at most 1.05x, so the rest of the rise is demand/);
      // At 20 % failing retries can add up to 25 %: the same rise is a storm.
      const wider = assess('downloads', sample(1220, 0.8), withRun(evals({ requests: 1220, completion: 0.8, funnel: true }), run), models);
      expect(wider.kind).toBe('retry_storm');
    });

    it('hold the storm floor: a run diluted by ticks before the onset does not make a storm of a partial failure', () => {
      // Recent ticks clearly up, and the run so far too; since the onset retries add only 10 %.
      const run = { sinceMs: 0, multiplier: 1.3, logSigma: 0.05, seconds: 20, recent: { multiplier: 1.3, logSigma: 0.1, seconds: 3 }, failure: { multiplier: 1.1, logSigma: 0.04, seconds: 12 } };
      expect(assess('downloads', sample(1300, 0.95), withRun(evals({ requests: 1300, completion: 0.95, funnel: true }), run), models).kind).toBe('error_regression');
    });
  });

  it('settles a flat total failure as an outage once every declared client would be retrying by now', () => {
    // 5 s ticks, a total failure whose rate has not risen: within its noise, neither up nor down.
    const e = evals({ requests: 950, completion: 0, funnel: true });
    const run = { sinceMs: 0, multiplier: 0.95, logSigma: 0.1, seconds: 10, recent: { multiplier: 0.95, logSigma: 0.15, seconds: 10 } };
    for (const x of e) if (x.kind === 'rate_spike' || x.kind === 'rate_drop') x.run = run;
    const only = (...names: string[]) => models.filter((m) => names.includes(m.name));
    // Second tick: cargo (first retry within 1.5 s) would show by now.
    const second = assess('downloads', sample(950, 0), e, only('cargo'), { timeMs: 5000, tickMs: 5000 });
    expect(second.settled).toBe(true);
    expect(second.kind).toBe('outage');
    // At the first tick the onset may have come at its very end: a cargo storm could still be coming.
    expect(assess('downloads', sample(950, 0), e, only('cargo'), { timeMs: 0, tickMs: 5000 }).settled).toBe(false);
    // cargo <= 1.69 retries at once but may storm as little as 1.2x (its builds abort on time):
    // a run this noisy rules that out only once most of it lies after any onset.
    expect(assess('downloads', sample(950, 0), e, only('cargo', 'cargo-legacy'), { timeMs: 5000, tickMs: 5000 }).settled).toBe(false);
    expect(assess('downloads', sample(950, 0), e, only('cargo', 'cargo-legacy'), { timeMs: 30_000, tickMs: 5000 }).settled).toBe(true);
    // npm waits 10 s before its first retry: with npm declared, the kind waits.
    expect(assess('downloads', sample(950, 0), e, only('cargo', 'npm'), { timeMs: 5000, tickMs: 5000 }).settled).toBe(false);
    expect(assess('downloads', sample(950, 0), e, only('cargo', 'npm'), { timeMs: 20_000, tickMs: 5000 }).settled).toBe(true);
  });
});
