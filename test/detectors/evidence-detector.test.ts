import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SlabPool } from '../../src/core/slab.js';
import type { Evaluation, SignalInput, SignalSample } from '../../src/core/types.js';
import { type DetectorParams, EvidenceDetector } from '../../src/detectors/evidence-detector.js';
import { HELD_BURST, OUTGREW_BURSTS } from '../../src/detectors/stats/error-bursts.js';
import { gamma, mulberry32, normal, poisson } from '../../scripts/sim/random.js';
import { lateCompletions } from '../../scripts/sim/late-completions.js';
import { columnScratch, encodeValue } from '../../src/core/column-encoder.js';
import { decodeColumns } from '../../src/runner/state-columns.js';

const PARAMS: DetectorParams = {
  baselineWindowMs: 3_600_000,
  baselineResolutionMs: 60_000,
  minBaselinePoints: 20,
  spikeFactor: 1.5,
  collapseFactor: 0.2,
  minErrorRatioIncrease: 0.02,
  funnelDropFraction: 0.03,
  minRequestsPerTick: 20,
  relearnAfterMs: 3_600_000,
  falseAlarmsPerYear: 0.1,
};
const ALL: SignalInput[] = ['requests', 'errors', 'downstream'];

// A full collection on demand, whatever flags the test runner started with.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

function detector(stepMs: number, params: Partial<DetectorParams> = {}, inputs: SignalInput[] = ALL) {
  return new EvidenceDetector({ ...PARAMS, ...params }, { intervalMs: stepMs, inputs: new Set(inputs) });
}

/**
 * Steps one detector straight through `samples` (15 s ticks) and another restarted from its
 * snapshot before tick `restartAt`: every tick's judgements must be the same.
 */
function expectRestartUnseen(samples: SignalSample[], restartAt: number): void {
  const straight = detector(15_000);
  let copy = detector(15_000);
  const judged = (out: Evaluation[]) => out.map((e) => [e.kind, e.status, e.baseline, e.sigma, e.evidence]);
  samples.forEach((s, i) => {
    if (i === restartAt) {
      const restarted = detector(15_000);
      expect(restarted.restore(JSON.parse(JSON.stringify(copy.snapshot())))).toBe(true);
      copy = restarted;
    }
    expect(judged(copy.observe(s, i * 15_000)), `tick ${i}`).toEqual(judged(straight.observe(s, i * 15_000)));
  });
}

/** Poisson arrivals at `perSecond`; each completes downstream unless it fails (probability `lost`). */
function tick(random: () => number, perSecond: number, stepMs: number, lost = 0, errors = 0.001): SignalSample {
  const seconds = stepMs / 1000;
  const n = poisson(random, perSecond * seconds);
  let completed = 0;
  let failed = 0;
  for (let i = 0; i < n; i++) {
    if (random() < lost) continue;
    completed++;
  }
  for (let i = 0; i < n; i++) if (random() < errors) failed++;
  return { requests: n / seconds, errors: failed / seconds, downstream: completed / seconds };
}

function statusOf(evals: Evaluation[], kind: Evaluation['kind']) {
  return evals.find((e) => e.kind === kind)?.status;
}

/** Feeds `ticks` healthy ticks; returns the next data time. */
function warm(d: EvidenceDetector, random: () => number, perSecond: number, stepMs: number, ticks: number): number {
  let t = 0;
  for (let i = 0; i < ticks; i++, t += stepMs) d.observe(tick(random, perSecond, stepMs), t);
  return t;
}

describe('EvidenceDetector', () => {
  it('says unknown while warming up, then normal on healthy traffic', () => {
    const random = mulberry32(1);
    const d = detector(15_000);
    expect(d.observe(tick(random, 100, 15_000), 0).every((e) => e.status === 'unknown' && e.reason === 'warming up')).toBe(true);
    const t = warm(d, random, 100, 15_000, 40);
    expect(d.observe(tick(random, 100, 15_000), t).map((e) => e.status)).toEqual(['normal', 'normal', 'normal', 'normal']);
  });

  it('judges once its baselines hold five buckets: 5 minutes of one-minute buckets at 15 s ticks, 10 of two-minute ones', () => {
    // README, "Scale": the cost of two-minute buckets for a large fleet is this later first judgement.
    const firstJudged = (baselineResolutionMs: number) => {
      const random = mulberry32(1);
      const d = detector(15_000, { baselineResolutionMs });
      for (let i = 0; i < 100; i++) {
        const evals = d.observe(tick(random, 100, 15_000), i * 15_000);
        if (evals.some((e) => e.status !== 'unknown')) {
          expect(evals.every((e) => e.status === 'normal')).toBe(true);
          return i * 15_000;
        }
      }
      return Number.NaN;
    };
    expect(firstJudged(60_000)).toBe(5 * 60_000);
    expect(firstJudged(120_000)).toBe(10 * 60_000);
  });

  it('is certain of a total break at 12 requests/s within two 1 s ticks', () => {
    const random = mulberry32(2);
    const d = detector(1000);
    let t = warm(d, random, 12, 1000, 600);
    const first = d.observe(tick(random, 12, 1000, 1), t);
    t += 1000;
    const second = d.observe(tick(random, 12, 1000, 1), t);
    expect([statusOf(first, 'funnel_drop'), statusOf(second, 'funnel_drop')]).toContain('anomalous');
  });

  it('never pages a 1 request/s endpoint for a missing completion or two', { timeout: 90_000 }, () => {
    for (const seed of [3, 4, 5]) {
      const random = mulberry32(seed);
      const d = detector(1000);
      let t = warm(d, random, 1, 1000, 3600);
      // A day at 1 s ticks, with a few missing completions now and then.
      for (let i = 0; i < 86_400; i++, t += 1000) {
        const s = tick(random, 1, 1000, i % 600 === 0 ? 1 : 0);
        const evals = d.observe(s, t);
        expect(evals.some((e) => e.status === 'anomalous' && (e.kind === 'funnel_drop' || e.kind === 'error_ratio' || e.kind === 'rate_drop'))).toBe(false);
      }
    }
  });

  it('pages a 1 request/s endpoint whose every request fails, after enough requests to be sure', () => {
    const random = mulberry32(6);
    const d = detector(1000);
    let t = warm(d, random, 1, 1000, 3600);
    let firedAfter = Number.NaN;
    for (let i = 1; i <= 120 && Number.isNaN(firedAfter); i++, t += 1000) {
      if (statusOf(d.observe(tick(random, 1, 1000, 1), t), 'funnel_drop') === 'anomalous') firedAfter = i;
    }
    expect(firedAfter).toBeGreaterThan(2);
    expect(firedAfter).toBeLessThan(30);
  });

  it.each([12, 1])('does not mistake completions counted a tick late (two hops scraped apart) for losses, at %d requests/s', (perSecond) => {
    const random = mulberry32(7);
    const d = detector(1000);
    let carry = 0;
    let t = 0;
    for (let i = 0; i < 3 * 3600; i++, t += 1000) {
      const s = tick(random, perSecond, 1000);
      // Up to half of this tick's completions show up in the next one.
      const shifted = Math.floor(random() * 0.5 * s.downstream);
      const downstream = s.downstream - shifted + carry;
      carry = shifted;
      const evals = d.observe({ ...s, downstream }, t);
      // A tick with no requests but late completions says "unknown" only when nothing arrived at all.
      if (i > 600) expect(statusOf(evals, 'funnel_drop')).not.toBe('anomalous');
    }
  });

  it('reads missing data as no evidence: a gap neither raises nor clears an alarm', () => {
    const random = mulberry32(8);
    const d = detector(15_000);
    let t = warm(d, random, 100, 15_000, 40);
    const gap: SignalSample = { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN };
    const unknown = d.observe(gap, t);
    expect(unknown.every((e) => e.status === 'unknown' && e.reason === 'no data')).toBe(true);
    // No evidence and no threshold on a check that did not judge: NaN, never a stale number.
    expect(unknown.every((e) => Number.isNaN(e.evidence) && Number.isNaN(e.threshold) && Number.isNaN(e.lateShare ?? Number.NaN))).toBe(true);
    t += 15_000;
    expect(statusOf(d.observe(tick(random, 100, 15_000, 1), t), 'funnel_drop')).toBe('anomalous');
    t += 15_000;
    expect(d.observe(gap, t).every((e) => e.status === 'unknown')).toBe(true);
    t += 15_000;
    expect(statusOf(d.observe(tick(random, 100, 15_000, 1), t), 'funnel_drop')).toBe('anomalous');
  });

  it('keeps a 2 h total break anomalous for 2 h: a broken funnel is never learnt', () => {
    const random = mulberry32(9);
    const d = detector(15_000);
    let t = warm(d, random, 100, 15_000, 240);
    for (let i = 0; i < 480; i++, t += 15_000) expect(statusOf(d.observe(tick(random, 300, 15_000, 1), t), 'funnel_drop')).toBe('anomalous');
  });

  it('learns a new level of demand with healthy completion after relearnAfter', () => {
    const random = mulberry32(10);
    const d = detector(15_000, { relearnAfterMs: 600_000, baselineWindowMs: 1_800_000 });
    let t = warm(d, random, 100, 15_000, 120);
    expect(statusOf(d.observe(tick(random, 300, 15_000), t), 'rate_spike')).toBe('anomalous');
    let last: Evaluation[] = [];
    for (let i = 0; i < 240; i++) last = d.observe(tick(random, 300, 15_000), (t += 15_000));
    expect(statusOf(last, 'rate_spike')).toBe('normal');
    expect(last.find((e) => e.kind === 'rate_spike')!.baseline).toBeGreaterThan(250);
  });

  it('counts a fall as a collapse only below the band: 0.15x for an hour is no collapse at two requests a tick, one at 100', () => {
    // At two requests a tick the band (3σ of one tick's log count, σ ≈ 1/√2) reaches down to about 0.12x.
    const dropTicks = (perTick: number, factor: number) => {
      const random = mulberry32(7);
      const d = detector(15_000);
      let t = warm(d, random, perTick / 15, 15_000, 300);
      let alarmed = 0;
      for (let i = 0; i < 240; i++, t += 15_000) if (statusOf(d.observe(tick(random, (perTick / 15) * factor, 15_000), t), 'rate_drop') === 'anomalous') alarmed++;
      return alarmed;
    };
    expect(dropTicks(2, 0.15)).toBe(0);
    expect(dropTicks(2, 0)).toBeGreaterThan(200);
    expect(dropTicks(100, 0.15)).toBeGreaterThan(200);
    expect(dropTicks(2, 1)).toBe(0);
  });

  it('never learns a collapse into silence', () => {
    const random = mulberry32(11);
    const d = detector(15_000, { relearnAfterMs: 600_000, baselineWindowMs: 1_800_000 });
    let t = warm(d, random, 100, 15_000, 120);
    const statuses: (string | undefined)[] = [];
    for (let i = 0; i < 480; i++) statuses.push(statusOf(d.observe(tick(random, 0, 15_000), (t += 15_000)), 'rate_drop'));
    expect(statuses.every((s) => s === 'anomalous')).toBe(true);
  });

  it('does not learn a level the median still lags as noise: started inside a 3x batch job, an outage after it pages at once', () => {
    // The first six minutes run at 3x (the baseline judges from the fifth); the job ends, a fall to
    // a third the checks do not page, and the trailing median keeps the old level for minutes.
    // Read against that median, those ticks had made the band ±0.43 nat (σ of a tick) an hour later,
    // and a 97 % outage took 3-4 ticks more to page; read tick to tick, σ is 0.05 and the outage's
    // first tick pages.
    const run = (seed: number) => {
      const random = mulberry32(seed);
      const d = detector(15_000, {}, ['requests']);
      let t = 0;
      for (let i = 0; i < 24; i++, t += 15_000) d.observe(tick(random, 300, 15_000), t);
      let sigma = Number.NaN;
      for (let i = 0; i < 200; i++, t += 15_000) sigma = d.observe(tick(random, 100, 15_000), t).find((e) => e.kind === 'rate_drop')!.sigma;
      let ticks = 0;
      while (ticks < 40 && statusOf(d.observe(tick(random, 3, 15_000), t), 'rate_drop') !== 'anomalous') {
        ticks++;
        t += 15_000;
      }
      return { sigma, ticks };
    };
    for (const seed of [1, 2, 3]) {
      const { sigma, ticks } = run(seed);
      expect(sigma, `seed ${seed}`).toBeLessThan(0.2);
      expect(ticks, `seed ${seed}`).toBeLessThanOrEqual(1);
    }
  });

  it('is not blinded by one misread tick: a page cut short read 48 completions a request, and a total break after it still pages at once', () => {
    // The cut value (4071 read as 40) makes the next tick's increase 48 times the requests: a
    // squared residual of millions, learnt whole, made the funnel's band 0-21 and 40 s of nothing
    // completing paged nothing (found live, scrape source). Winsorised, it is one tick of eleven φ.
    const random = mulberry32(5);
    const d = detector(2_000, { baselineWindowMs: 600_000, baselineResolutionMs: 10_000, minBaselinePoints: 10 });
    let t = warm(d, random, 40, 2_000, 300);
    d.observe({ requests: 40, errors: 0.1, downstream: 40 * 48 }, t);
    t += 2_000;
    for (let i = 0; i < 20; i++, t += 2_000) d.observe(tick(random, 40, 2_000), t);
    let ticks = 0;
    while (ticks < 20 && statusOf(d.observe(tick(random, 40, 2_000, 1), t), 'funnel_drop') !== 'anomalous') {
      ticks++;
      t += 2_000;
    }
    expect(ticks).toBeLessThanOrEqual(1);
  });

  it('sees a sparse, bursty series fall silent, though each silent tick adds only tenths of a nat', () => {
    // 0.2 requests a second in bursts: a tick's count has ten times a Poisson count's variance
    // (gamma-mixed Poisson). Each silent tick adds about 0.2 nats of evidence of a collapse, and
    // before collapseSuspected half an hour of silence became the window's median before the
    // evidence reached the threshold: three hours of silence paged in none of these 20 runs.
    const phi = 10;
    const mean = 3;
    const shape = mean / (phi - 1);
    let paged = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const random = mulberry32(seed);
      const d = detector(15_000, {}, ['requests']);
      let t = 0;
      for (let i = 0; i < 6 * 240; i++, t += 15_000) {
        const count = poisson(random, (mean * gamma(random, shape)) / shape);
        // Six healthy hours of bursts: never a collapse.
        expect(statusOf(d.observe({ requests: count / 15, errors: 0, downstream: 0 }, t), 'rate_drop')).not.toBe('anomalous');
      }
      const silent = Array.from({ length: 3 * 240 }, () => statusOf(d.observe({ requests: 0, errors: 0, downstream: 0 }, (t += 15_000)), 'rate_drop'));
      const from = silent.indexOf('anomalous');
      if (from >= 0) {
        paged++;
        // Once raised, the alarm holds: the silence is never learnt.
        expect(silent.slice(from).every((s) => s === 'anomalous')).toBe(true);
      }
    }
    // 15 of 20 here, a median of 44 minutes in: the other five had half of their window silent
    // before the evidence passed half the threshold (measured with this test's seeds).
    expect(paged).toBeGreaterThanOrEqual(15);
  });

  it('sees a closed client pool whose rate falls to 0.1x within a few 1 s ticks', () => {
    const random = mulberry32(12);
    const d = detector(1000, {}, ['requests']);
    let t = warm(d, random, 12, 1000, 600);
    let firedAfter = Number.NaN;
    for (let i = 1; i <= 20 && Number.isNaN(firedAfter); i++, t += 1000) {
      if (statusOf(d.observe(tick(random, 1.2, 1000), t), 'rate_drop') === 'anomalous') firedAfter = i;
    }
    expect(firedAfter).toBeLessThanOrEqual(5);
  });

  it('sees a 1 s series whose demand wanders ±30 % within a minute fall 98 %, where its one-minute buckets put the band below ×0.02', () => {
    // Demand as an AR(1) of log-rate with a minute's memory: the buckets' spread scaled by √60 reads
    // 1.4-2.2 nats a tick, where a tick's own spread is about ±0.3.
    for (const seed of [3, 4, 5]) {
      const random = mulberry32(seed);
      const d = detector(1000, {}, ['requests']);
      const phi = Math.exp(-1 / 60);
      let wander = 0;
      const at = (perSecond: number): SignalSample => {
        wander = phi * wander + Math.sqrt(1 - phi * phi) * 0.3 * normal(random);
        const n = poisson(random, perSecond * Math.exp(wander - 0.045));
        return { requests: n, errors: 0, downstream: n };
      };
      let t = 0;
      let falseAlarms = 0;
      for (let i = 0; i < 7200; i++, t += 1000) if (statusOf(d.observe(at(800), t), 'rate_drop') === 'anomalous') falseAlarms++;
      expect(falseAlarms).toBe(0);
      let firedAfter = Number.NaN;
      for (let i = 1; i <= 600 && Number.isNaN(firedAfter); i++, t += 1000) if (statusOf(d.observe(at(16), t), 'rate_drop') === 'anomalous') firedAfter = i;
      expect(firedAfter).toBeLessThanOrEqual(240);
    }
  });

  it('sees lumpy traffic (each minute ±58 %, gamma-mixed) fall 98 % within four 60 s ticks, and no collapse in two weeks of it', () => {
    for (const seed of [6, 7, 8]) {
      const random = mulberry32(seed);
      const d = detector(60_000, {}, ['requests']);
      const at = (perSecond: number): SignalSample => {
        const n = poisson(random, (perSecond * 60 * gamma(random, 3)) / 3);
        return { requests: n / 60, errors: 0, downstream: n / 60 };
      };
      let t = 0;
      let falseAlarms = 0;
      for (let i = 0; i < 14 * 1440; i++, t += 60_000) if (statusOf(d.observe(at(400), t), 'rate_drop') === 'anomalous') falseAlarms++;
      expect(falseAlarms).toBe(0);
      let firedAfter = Number.NaN;
      for (let i = 1; i <= 30 && Number.isNaN(firedAfter); i++, t += 60_000) if (statusOf(d.observe(at(8), t), 'rate_drop') === 'anomalous') firedAfter = i;
      expect(firedAfter).toBeLessThanOrEqual(4);
    }
  });

  it('reads lumpy traffic as lumpy from its first judgement: no rate alarm in the first hour of 60 cold starts, and a 98 % fall still pages', () => {
    // Warming-up ticks once taught the dispersion nothing and were counted as learnt ticks of
    // Poisson noise: the first judgements banded ±58 % ticks at ±0.1 nat (a drop or spike alarmed
    // in 8 and 22 % of such starts).
    let alarmedStarts = 0;
    const delays: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const random = mulberry32(seed * 7919);
      const d = detector(5000, {}, ['requests']);
      const at = (perSecond: number): SignalSample => {
        const n = poisson(random, (perSecond * 5 * gamma(random, 3)) / 3);
        return { requests: n / 5, errors: 0, downstream: n / 5 };
      };
      let t = 0;
      let alarmed = false;
      for (let i = 0; i < 720; i++, t += 5000) for (const e of d.observe(at(300), t)) if (e.status === 'anomalous') alarmed = true;
      if (alarmed) alarmedStarts++;
      let firedAfter = Number.NaN;
      for (let i = 1; i <= 120 && Number.isNaN(firedAfter); i++, t += 5000) if (statusOf(d.observe(at(6), t), 'rate_drop') === 'anomalous') firedAfter = i;
      delays.push(firedAfter);
    }
    expect(alarmedStarts).toBe(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(12);
  });

  it('reads bursty errors as bursty from its first judgement: no error alarm in the first hour of 60 cold starts, and 10 % errors still page', () => {
    // The error ratio's warming-up ticks taught its dispersion nothing and were counted as learnt
    // ticks of φ = 1: a tick of 6 % on a 2 % route whose ticks vary ±70 % alarmed at once.
    let alarmedStarts = 0;
    const delays: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const random = mulberry32(seed * 104729);
      const d = detector(15_000, {}, ['requests', 'errors']);
      const at = (share: number): SignalSample => {
        const n = poisson(random, 100 * 15);
        const e = Math.min(n, poisson(random, (n * share * gamma(random, 2)) / 2));
        return { requests: n / 15, errors: e / 15, downstream: n / 15 };
      };
      let t = 0;
      let alarmed = false;
      for (let i = 0; i < 240; i++, t += 15_000) if (statusOf(d.observe(at(0.02), t), 'error_ratio') === 'anomalous') alarmed = true;
      if (alarmed) alarmedStarts++;
      let firedAfter = Number.NaN;
      for (let i = 1; i <= 40 && Number.isNaN(firedAfter); i++, t += 15_000) if (statusOf(d.observe(at(0.1), t), 'error_ratio') === 'anomalous') firedAfter = i;
      delays.push(firedAfter);
    }
    expect(alarmedStarts).toBe(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(12);
  });

  /**
   * Half the requests lost on lumpy demand (±58 % a tick) whose completions are counted a tick
   * late with probability 0.2, after four healthy hours, on eight seeds: each seed's false alarms
   * in the healthy hours and ticks to the funnel's alarm (NaN: none within `maxTicks`).
   */
  function halfLostOnLumpyDemand(stepS: number, perSecond: number, seedFactor: number, maxTicks: number): { falseAlarms: number; firedAfter: number }[] {
    return [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => {
      const random = mulberry32(seed * seedFactor);
      const counted = lateCompletions(random, 0.2);
      const d = detector(stepS * 1000);
      const at = (lost: number): SignalSample => {
        const n = poisson(random, (perSecond * stepS * gamma(random, 3)) / 3);
        let completed = 0;
        for (let i = 0; i < n; i++) if (random() >= lost) completed++;
        return { requests: n / stepS, errors: 0, downstream: counted(completed) / stepS };
      };
      let t = 0;
      let falseAlarms = 0;
      for (let i = 0; i < (4 * 3600) / stepS; i++, t += stepS * 1000) if (d.observe(at(0.005), t).some((e) => e.status === 'anomalous')) falseAlarms++;
      let firedAfter = Number.NaN;
      for (let i = 1; i <= maxTicks && Number.isNaN(firedAfter); i++, t += stepS * 1000) if (statusOf(d.observe(at(0.5), t), 'funnel_drop') === 'anomalous') firedAfter = i;
      return { falseAlarms, firedAfter };
    });
  }

  it('pages half the requests lost within five 15 s ticks of lumpy demand whose completions are counted a tick late, and none in four healthy hours', () => {
    // On demand varying ±58 % a tick, the requests in flight between the two hops' scrapes swing
    // with the square of the traffic; weighed as added variance alone, half lost took 7-12 ticks.
    const runs = halfLostOnLumpyDemand(15, 110, 31_337, 40);
    expect(runs.map((r) => r.falseAlarms)).toEqual(runs.map(() => 0));
    for (const [i, r] of runs.entries()) expect(r.firedAfter, `seed ${i + 1}`).toBeLessThanOrEqual(5);
  });

  it('pages half the requests lost within eight 60 s ticks of lumpy demand whose completions are counted a tick late, and none in four healthy hours', () => {
    // A twelfth of an hour is five 60 s ticks: too few for the in-flight share's fit to know it,
    // and half lost took 4-10 ticks on these seeds; its memory is at least twenty ticks (2-8).
    const runs = halfLostOnLumpyDemand(60, 50, 104_729, 30);
    expect(runs.map((r) => r.falseAlarms)).toEqual(runs.map(() => 0));
    const delays = runs.map((r) => r.firedAfter);
    expect(Math.max(...delays), delays.join(' ')).toBeLessThanOrEqual(8);
  });

  it('pages a runner pool falling to a tenth with every completion lost within eight 15 s ticks of lumpy demand whose completions are counted late at a jittered share, and none in four healthy hours', () => {
    // The funnel's excess variance is a share of the traffic (its square): weighed a request at the
    // expected traffic, a tick at a tenth of it read ten times the variance it has, and this
    // failure paged after 25-36 ticks, or not within 40 (stats/funnel-excess.ts).
    const delays: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = mulberry32(seed * 7_919);
      const d = detector(15_000);
      let carried = 0;
      const at = (rateFactor: number, lost: number): SignalSample => {
        const n = poisson(random, (rateFactor * 110 * 15 * gamma(random, 3)) / 3);
        let completed = 0;
        for (let i = 0; i < n; i++) if (random() >= lost) completed++;
        // The downstream's scrape falls at a different moment each tick: 0-40 % of its completions counted a tick late.
        const late = Math.min(completed, Math.round(completed * 0.2 * random() * 2));
        const counted = completed - late + carried;
        carried = late;
        return { requests: n / 15, errors: 0, downstream: counted / 15 };
      };
      let t = 0;
      let falseAlarms = 0;
      for (let i = 0; i < 960; i++, t += 15_000) if (d.observe(at(1, 0.005), t).some((e) => e.status === 'anomalous')) falseAlarms++;
      expect(falseAlarms, `seed ${seed}`).toBe(0);
      let firedAfter = Number.NaN;
      for (let i = 1; i <= 40 && Number.isNaN(firedAfter); i++, t += 15_000) if (statusOf(d.observe(at(0.1, 1), t), 'funnel_drop') === 'anomalous') firedAfter = i;
      delays.push(firedAfter);
    }
    expect(Math.max(...delays), delays.join(' ')).toBeLessThanOrEqual(8);
  });

  it('hands both rate evaluations one reading of the run, rewritten at each of its ticks, and read afresh after it ended', () => {
    const random = mulberry32(13);
    const d = detector(1000);
    let t = warm(d, random, 12, 1000, 600);
    const runOf = (out: Evaluation[], kind: string) => out.find((e) => e.kind === kind)?.run;
    let out = d.observe({ requests: 24, errors: 0, downstream: 0 }, (t += 1000));
    const first = runOf(out, 'rate_spike');
    expect(first).toBeDefined();
    expect(runOf(out, 'rate_drop')).toBe(first);
    const seconds = first!.seconds;
    out = d.observe({ requests: 24, errors: 0, downstream: 0 }, (t += 1000));
    expect(runOf(out, 'rate_spike')).toBe(first);
    expect(first!.seconds).toBe(seconds + 1);
    // Healthy until the evidence is gone: no run; the next one is read afresh.
    for (let i = 0; i < 600 && runOf(out, 'rate_spike') !== undefined; i++) out = d.observe({ requests: 12, errors: 0, downstream: 12 }, (t += 1000));
    expect(runOf(out, 'rate_spike')).toBeUndefined();
    out = d.observe({ requests: 24, errors: 0, downstream: 0 }, (t += 1000));
    const next = runOf(out, 'rate_spike')!;
    expect(next.sinceMs).toBe(t);
    expect(next.seconds).toBe(1);
  });

  it("counts the failure's ticks from its alarm, where the run may begin ticks earlier, and reads the multiplier over them", () => {
    const random = mulberry32(13);
    const d = detector(1000);
    let t = warm(d, random, 12, 1000, 600);
    // A lull of noisy ticks with a few lost completions: evidence gathers (the run begins) without an alarm.
    let alarmedAt = -1;
    let last: Evaluation[] = [];
    for (let i = 0; i < 4; i++, t += 1000) last = d.observe({ requests: 6, errors: 0, downstream: 5 }, t);
    const lead = last.find((e) => e.kind === 'rate_spike')?.run;
    expect(lead?.seconds).toBeGreaterThan(0);
    expect(lead?.failure).toBeUndefined();
    // Then a total break at 2x (retries): every tick since the alarm is in the failure's reading.
    for (let i = 0; i < 8; i++, t += 1000) {
      last = d.observe({ requests: 24, errors: 0, downstream: 0 }, t);
      if (alarmedAt < 0 && statusOf(last, 'funnel_drop') === 'anomalous') alarmedAt = i;
    }
    expect(alarmedAt).toBeGreaterThanOrEqual(0);
    const run = last.find((e) => e.kind === 'rate_spike')!.run!;
    expect(run.failure!.seconds).toBe(8 - alarmedAt);
    expect(run.seconds).toBeGreaterThan(run.failure!.seconds);
    // The run is diluted by the lull; the failure's reading is not, and is surer than the last three ticks.
    expect(run.failure!.multiplier).toBeGreaterThan(run.multiplier);
    expect(run.failure!.multiplier).toBeCloseTo(run.recent!.multiplier, 1);
    expect(run.failure!.logSigma).toBeLessThan(run.recent!.logSigma);
    // A restart keeps it.
    const restored = detector(1000);
    expect(restored.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
    const next = restored.observe({ requests: 24, errors: 0, downstream: 0 }, t).find((e) => e.kind === 'rate_spike')!.run!;
    expect(next.failure!.seconds).toBe(run.failure!.seconds + 1);
  });

  it('restarts the run at the failure when completions counted late held the evidence up ticks before it, through a restart', () => {
    const random = mulberry32(17);
    const d = detector(1000);
    let t = warm(d, random, 12, 1000, 600);
    // Four completions a tick late, then back: the evidence leaves zero and is not back to it.
    let out: Evaluation[] = [];
    for (const downstream of [8, 14, 12]) out = d.observe({ requests: 12, errors: 0, downstream }, (t += 1000) - 1000);
    const lead = out.find((e) => e.kind === 'rate_spike')!.run!;
    expect(lead.sinceMs).toBe(t - 3000);
    // Then every download fails, retried (2x); a restart in between keeps where the evidence rose.
    const restored = detector(1000);
    expect(restored.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
    const failureSinceMs = t;
    let run = lead;
    for (let i = 0; i < 6 && run.failure === undefined; i++, t += 1000) run = restored.observe({ requests: 24, errors: 0, downstream: 0 }, t).find((e) => e.kind === 'rate_spike')!.run!;
    expect(run.failure).toBeDefined();
    // Read from the failure's first tick: 2x, not diluted by the three healthy ticks.
    expect(run.sinceMs).toBe(failureSinceMs);
    expect(run.seconds).toBe(run.failure!.seconds);
    expect(run.multiplier).toBeCloseTo(run.failure!.multiplier, 12);
    expect(run.multiplier).toBeGreaterThan(1.8);
  });

  it.each([
    // A fault that began late in the tick before the alarm: 3 of its 4 requests lost, too few to
    // alarm. The failure began there (a closed pool's first retries are timed from the fault).
    ['most of its requests lost', 1, 2],
    // A tick with one completion short (a lagging scrape, a pod restarting) is no part of it.
    ['one completion short', 3, 1],
  ] as const)("counts a failure from the tick before its alarm only when that tick already lost most of its requests: %s", (_, completed, seconds) => {
    const random = mulberry32(21);
    const d = detector(1000);
    let t = warm(d, random, 12, 1000, 600);
    const first = d.observe({ requests: 4, errors: 0, downstream: completed }, t);
    t += 1000;
    expect(statusOf(first, 'funnel_drop')).toBe('normal');
    const alarm = d.observe({ requests: 24, errors: 0, downstream: 0 }, t);
    expect(statusOf(alarm, 'funnel_drop')).toBe('anomalous');
    const failure = alarm.find((e) => e.kind === 'rate_spike')!.run!.failure!;
    expect(failure.seconds).toBe(seconds);
    expect(failure.multiplier * 12 * seconds).toBeCloseTo(seconds === 2 ? 28 : 24, -1);
    // A restart between the two ticks keeps the held tick.
    const again = detector(1000);
    let u = warm(again, mulberry32(21), 12, 1000, 600);
    again.observe({ requests: 4, errors: 0, downstream: completed }, u);
    u += 1000;
    const restored = detector(1000);
    expect(restored.restore(JSON.parse(JSON.stringify(again.snapshot())))).toBe(true);
    expect(restored.observe({ requests: 24, errors: 0, downstream: 0 }, u).find((e) => e.kind === 'rate_spike')!.run!.failure!.seconds).toBe(seconds);
  });

  it('never sees a collapse on a sparse series: silence with short bursts (5 min ticks, two weeks)', () => {
    // Most ticks carry no request at all; now and then two ticks of a few (NAB's load balancer
    // spikes look like this). The typical bucket is empty, so silence is no collapse: each silent
    // tick used to count against the empty bucket's floor (1e-3/s), and an outage paged every few
    // hours and resolved at the next burst.
    for (const seed of [41, 42, 43]) {
      const random = mulberry32(seed);
      const d = detector(300_000, {}, ['requests']);
      let burst = 0;
      let drops = 0;
      for (let i = 0, t = Date.parse('2014-04-01T00:00:00Z'); i < 14 * 288; i++, t += 300_000) {
        if (burst === 0 && random() < 0.05) burst = 2;
        const count = burst > 0 ? poisson(random, 3) : 0;
        if (burst > 0) burst--;
        if (statusOf(d.observe({ requests: count / 300, errors: 0, downstream: 0 }, t), 'rate_drop') === 'anomalous') drops++;
      }
      expect(drops).toBe(0);
    }
  });

  it('keeps detectors of one shape apart when stepped in turn: each gives what it gives alone, over a week with its profile and a failure', () => {
    // Detectors of one shape read their baselines, profile and dispersion through shared objects
    // re-pointed at each one's region: nothing of one may leak into the other.
    const stepMs = 60_000;
    const week = (7 * 86_400_000) / stepMs + 2 * 1440;
    const traffic = (k: number, i: number) => (k === 0 ? 40 : 3) * (1.6 + Math.sin((2 * Math.PI * i) / 1440)) * (i > week - 300 && i < week - 200 && k === 1 ? 0.05 : 1);
    const run = (k: number, d: EvidenceDetector, random: () => number, i: number) => {
      const evals = d.observe(tick(random, traffic(k, i), stepMs, k === 0 && i > week - 100 ? 0.5 : 0), i * stepMs);
      return `${evals.map((e) => `${e.kind}:${e.status}:${e.score}:${e.baseline}`).join(' ')} ${d.anomalyScore}`;
    };
    const alone = [0, 1].map((k) => {
      const d = detector(stepMs);
      const random = mulberry32(70 + k);
      return Array.from({ length: week }, (_, i) => run(k, d, random, i));
    });
    const together = [detector(stepMs), detector(stepMs)];
    const randoms = [mulberry32(70), mulberry32(71)];
    const interleaved: string[][] = [[], []];
    for (let i = 0; i < week; i++) for (const k of [0, 1]) interleaved[k]!.push(run(k, together[k]!, randoms[k]!, i));
    expect(interleaved[0]).toEqual(alone[0]);
    expect(interleaved[1]).toEqual(alone[1]);
    // The two series are not alike: the test would see one's state in the other.
    expect(alone[0]![week - 1]).not.toEqual(alone[1]![week - 1]);
    expect(alone[0]!.some((line) => line.includes('funnel_drop:anomalous'))).toBe(true);
  });

  it("lets a dropped pipeline's detectors and their regions be collected (a reload): nothing module-wide keeps the last one read", async () => {
    const stepMs = 15_000;
    const refs = (() => {
      const regions = new SlabPool();
      const d = new EvidenceDetector(PARAMS, { intervalMs: stepMs, inputs: new Set(ALL), regions });
      // A week of history first, so each tick reads the weekly profile (and its drift reads it back).
      const t0 = 1_700_000_000_000;
      for (let h = 0; h < 7 * 24; h++) d.learnProfile(t0 + h * 3_600_000, 50 * (1.5 + Math.sin((2 * Math.PI * h) / 24)), 3_600_000);
      const random = mulberry32(5);
      const start = t0 + 7 * 86_400_000;
      for (let i = 0; i < 400; i++) d.observe(tick(random, 50, stepMs), start + i * stepMs);
      expect(Number.isFinite(d.anomalyScore)).toBe(true);
      return { detector: new WeakRef(d), pool: new WeakRef(regions) };
    })();
    // A WeakRef's target lives to the end of the job that read it: collect in the next one.
    let collected = false;
    for (let i = 0; i < 20 && !collected; i++) {
      await new Promise((r) => setTimeout(r, 0));
      collect();
      collected = refs.detector.deref() === undefined && refs.pool.deref() === undefined;
    }
    expect(collected).toBe(true);
  });

  it('keeps the parts of its region apart: every window, the profile and the tail records read back what was written to each', () => {
    // A region holds three windows' codes after the profile's and tail records' shorts, their
    // headers among the floats: a part laid over another's bytes would come back as the other's.
    const stepMs = 60_000;
    const random = mulberry32(9);
    const d = detector(stepMs);
    for (let i = 0, t = Date.parse('2024-03-04T00:00:00Z'); i < 2 * 1440; i++, t += stepMs) d.observe(tick(random, 40 * (1.5 + Math.sin((2 * Math.PI * i) / 1440)), stepMs), t);
    const saved = JSON.parse(JSON.stringify(d.snapshot())) as Record<string, { values: number[] }>;
    // Distinct values in each window (as their codes keep them: a 64th of a nat, or a power of two).
    saved.rate!.values = saved.rate!.values.map((_, i) => 2 + i / 64);
    saved.errorRatio!.values = saved.errorRatio!.values.map((_, i) => 2 ** -(i % 20) / 8);
    saved.funnel!.values = saved.funnel!.values.map((_, i) => 1 - 2 ** -(i % 9 + 2));
    expect(saved.rate!.values.length).toBe(60);
    expect(saved.funnel!.values.length).toBe(60);
    const restored = detector(stepMs);
    expect(restored.restore(JSON.parse(JSON.stringify(saved)))).toBe(true);
    expect(JSON.parse(JSON.stringify(restored.snapshot()))).toEqual(saved);
  });

  it('scores a repeated burst lower than the first, and keeps that record through a snapshot', () => {
    const random = mulberry32(45);
    const d = detector(300_000, {}, ['requests']);
    let t = Date.parse('2014-04-01T00:00:00Z');
    const scoreOf = (perSecond: number) => {
      d.observe(tick(random, perSecond, 300_000), (t += 300_000));
      return d.anomalyScore;
    };
    for (let i = 0; i < 288; i++) scoreOf(1);
    const first = scoreOf(3);
    for (let i = 0; i < 24; i++) scoreOf(1);
    const restored = detector(300_000, {}, ['requests']);
    expect(restored.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
    restored.observe(tick(random, 3, 300_000), (t += 300_000));
    expect(restored.anomalyScore).toBeLessThan(first * 0.75);
    expect(first).toBeGreaterThan(0.5);
  });

  it('scores a whole day 40 % lower than its weekday high within hours, through a snapshot (the slow view)', () => {
    // A daily cycle at half-hour ticks (NYC taxi's period); day 28 is a holiday at 0.6x all day.
    // The trailing hour's level absorbs such a day within the hour; the drift against the weekly
    // profile does not. Restored from a snapshot the evening before, so the drift and its tail survive.
    for (const seed of [1, 2, 3]) {
      const random = mulberry32(seed);
      const step = 1_800_000;
      let d = detector(step, {}, ['requests']);
      let t = Date.parse('2014-07-01T00:00:00Z');
      let ordinary = 0;
      const holiday: number[] = [];
      for (let i = 0; i < 29 * 48; i++, t += step) {
        const day = Math.floor(i / 48);
        if (i === 28 * 48 - 4) {
          const restored = detector(step, {}, ['requests']);
          expect(restored.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
          d = restored;
        }
        const perSecond = 5 * (1.2 + Math.sin((2 * Math.PI * (t / 3_600_000)) / 24)) * (day === 28 ? 0.6 : 1);
        d.observe({ requests: poisson(random, perSecond * 1800) / 1800, errors: 0, downstream: 0 }, t);
        if (day >= 14 && day < 28) ordinary = Math.max(ordinary, d.anomalyScore);
        if (day === 28 && holiday.length < 6) holiday.push(d.anomalyScore);
      }
      expect(Math.max(...holiday)).toBeGreaterThan(0.5);
      expect(Math.max(...holiday)).toBeGreaterThan(ordinary + 0.2);
    }
  });

  it("does not learn an error regression just past what matters while its evidence builds: 0.4 % to 3 % at 9 requests/s, 60 s ticks", () => {
    const firstAlarms: number[] = [];
    const baselinesAfterAnHour: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const random = mulberry32(seed);
      const d = detector(60_000);
      let t = 0;
      for (let i = 0; i < 180; i++, t += 60_000) d.observe(tick(random, 9, 60_000, 0, 0.004), t);
      let first = Number.NaN;
      let baseline = Number.NaN;
      for (let i = 0; i < 60; i++, t += 60_000) {
        const evals = d.observe(tick(random, 9, 60_000, 0, 0.03), t);
        const errors = evals.find((e) => e.kind === 'error_ratio')!;
        if (errors.status === 'anomalous' && Number.isNaN(first)) first = i;
        baseline = errors.baseline;
      }
      firstAlarms.push(first);
      baselinesAfterAnHour.push(baseline);
    }
    // Each seed alarms within the hour, and the baseline stays near 0.4 % (learnt, the regression's
    // evidence cleared by one quieter tick read 2 % within 45 minutes and never alarmed again).
    expect(firstAlarms.every((i) => i < 60), JSON.stringify(firstAlarms)).toBe(true);
    expect(Math.max(...baselinesAfterAnHour), JSON.stringify(baselinesAfterAnHour)).toBeLessThan(0.01);
  });

  /**
   * Six hours of 15 s ticks at 0.3 requests/s with `steady` (lost, errors), each tick's check asserted
   * not anomalous, then `failing` until the check alarms (at most `limit` ticks): the baseline it
   * ended on and the ticks to the alarm (NaN: none).
   */
  function thinRoute(seed: number, kind: 'error_ratio' | 'funnel_drop', steady: [number, number], failing: [number, number], limit: number) {
    const random = mulberry32(seed);
    const d = detector(15_000);
    let t = 0;
    let baseline = Number.NaN;
    for (let i = 0; i < 1440; i++, t += 15_000) {
      const check = d.observe(tick(random, 0.3, 15_000, ...steady), t).find((e) => e.kind === kind)!;
      expect(check.status, `seed ${seed}, tick ${i}`).not.toBe('anomalous');
      baseline = check.baseline;
    }
    let ticks = Number.NaN;
    for (let i = 1; i <= limit && Number.isNaN(ticks); i++, t += 15_000) {
      if (statusOf(d.observe(tick(random, 0.3, 15_000, ...failing), t), kind) === 'anomalous') ticks = i;
    }
    return { baseline, ticks };
  }

  // At 0.3 requests/s a one-minute bucket holds 18 requests: at 2 % errors most buckets hold none,
  // their median is 0 %, and a check whose null was 0 % had its indifference (0 % + 2 %) at the
  // real ratio: evidence without drift back to zero, paging after hours, again and again.
  it("measures a sparse error ratio by its buckets' mean: a steady 2 % at 0.3 requests/s is no alarm in six hours, and 20 % pages", () => {
    const delays: number[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      const { baseline, ticks } = thinRoute(seed, 'error_ratio', [0, 0.02], [0, 0.2], 120);
      expect(baseline, `seed ${seed}`).toBeGreaterThan(0.008);
      expect(baseline, `seed ${seed}`).toBeLessThan(0.04);
      delays.push(ticks * 15);
    }
    // About 0.9 errors a tick against 0.09: minutes, not seconds (120-765 s over 20 seeds, scripts/sparse-ratios.ts).
    expect(delays.every((s) => s <= 1200), JSON.stringify(delays)).toBe(true);
  });

  it("measures a funnel whose losses are sparse by its buckets' mean: 3 % lost at 0.3 requests/s is its baseline, half lost pages", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const { baseline, ticks } = thinRoute(seed, 'funnel_drop', [0.03, 0], [0.5, 0], 40);
      // The median of the buckets reads 100 % complete.
      expect(baseline, `seed ${seed}`).toBeLessThan(0.99);
      expect(baseline, `seed ${seed}`).toBeGreaterThan(0.94);
      expect(ticks, `seed ${seed}`).toBeLessThanOrEqual(12);
    }
  });

  it('resolves on evidence for health, within a few ticks of the fix', () => {
    const random = mulberry32(13);
    const d = detector(15_000);
    let t = warm(d, random, 100, 15_000, 40);
    for (let i = 0; i < 10; i++) d.observe(tick(random, 100, 15_000, 1), (t += 15_000));
    let healthyAfter = Number.NaN;
    for (let i = 1; i <= 10 && Number.isNaN(healthyAfter); i++) {
      if (statusOf(d.observe(tick(random, 100, 15_000), (t += 15_000)), 'funnel_drop') === 'normal') healthyAfter = i;
    }
    expect(healthyAfter).toBeLessThanOrEqual(2);
  });

  it("counts the funnel's residuals apart from the ticks through a restore; a state saved before that count reads it as the ticks", () => {
    const random = mulberry32(12);
    const d = detector(15_000);
    for (let i = 0, t = 0; i < 200; i++, t += 15_000) d.observe(tick(random, 30, 15_000), t);
    const saved = JSON.parse(JSON.stringify(d.snapshot())) as { dispersion: { ticks: number; funnelTicks?: number } };
    // The funnel's residuals start once its baseline judges, after the dispersion's first ticks.
    expect(saved.dispersion.funnelTicks).toBeGreaterThan(100);
    expect(saved.dispersion.funnelTicks).toBeLessThan(saved.dispersion.ticks);
    const restored = detector(15_000);
    expect(restored.restore(JSON.parse(JSON.stringify(saved)))).toBe(true);
    expect(JSON.parse(JSON.stringify(restored.snapshot())).dispersion).toEqual(saved.dispersion);
    delete saved.dispersion.funnelTicks;
    const older = detector(15_000);
    expect(older.restore(JSON.parse(JSON.stringify(saved)))).toBe(true);
    expect((older.snapshot() as unknown as typeof saved).dispersion.funnelTicks).toBe(saved.dispersion.ticks);
  });

  it('resumes an alarm after a snapshot and restore', () => {
    const random = mulberry32(14);
    const d = detector(15_000);
    let t = warm(d, random, 100, 15_000, 40);
    d.observe(tick(random, 100, 15_000, 1), (t += 15_000));
    const again = detector(15_000);
    expect(again.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
    expect(statusOf(again.observe(tick(random, 100, 15_000, 0.2), (t += 15_000)), 'funnel_drop')).toBe('anomalous');
    expect(detector(15_000).restore({ rate: { values: ['x'] } })).toBe(false);
  });

  it('has no false alarm on noisy healthy traffic over a week of 15 s ticks', () => {
    const random = mulberry32(15);
    const d = detector(15_000);
    let wobble = 0;
    let t = 0;
    let alarms = 0;
    for (let i = 0; i < 7 * 5760; i++, t += 15_000) {
      wobble = 0.99 * wobble + 0.14 * 0.1 * normal(random);
      const evals = d.observe(tick(random, 200 * Math.exp(wobble), 15_000, 0.001), t);
      if (evals.some((e) => e.status === 'anomalous' && e.kind !== 'rate_spike')) alarms++;
    }
    expect(alarms).toBe(0);
  });
  // The downstream scraped a fraction `lag` of a tick after the requests' target (Prometheus spreads
  // its targets' scrapes over the interval): the completions of requests made in that sliver are
  // counted a tick late. For Poisson arrivals that is each completion moved to the next tick with
  // probability `lag`.
  function laggedTicks(random: () => number, perSecond: number, stepMs: number, lag: number) {
    const counted = lateCompletions(random, lag);
    return (lost = 0): SignalSample => {
      const s = tick(random, perSecond, stepMs, lost, 0);
      const seconds = stepMs / 1000;
      return { ...s, downstream: counted(s.downstream * seconds) / seconds };
    };
  }

  /** A 1 s detector warmed on 600 ticks of 12 requests/s with the downstream half a tick late; the ticks that follow. */
  function warmHalfTickLate(seed: number) {
    const next = laggedTicks(mulberry32(seed), 12, 1000, 0.5);
    const d = detector(1000);
    let t = 0;
    for (let i = 0; i < 600; i++, t += 1000) d.observe(next(), t);
    return { d, next, t };
  }

  it('learns the share of completions counted a tick late from healthy ticks, and keeps it through a restart', () => {
    const { d, next, t } = warmHalfTickLate(35);
    const share = d.observe(next(), t).find((e) => e.kind === 'funnel_drop')!.lateShare!;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    const restored = detector(1000);
    expect(restored.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
    expect(restored.observe(next(), t + 1000).find((e) => e.kind === 'funnel_drop')!.lateShare).toBeCloseTo(d.observe(next(), t + 1000).find((e) => e.kind === 'funnel_drop')!.lateShare!, 1);
    // On time, nothing is late.
    const random = mulberry32(36);
    const onTime = detector(1000);
    const u = warm(onTime, random, 12, 1000, 600);
    expect(onTime.observe(tick(random, 12, 1000), u).find((e) => e.kind === 'funnel_drop')!.lateShare).toBeLessThan(0.05);
  });

  it('sees a total break at 12 requests/s within a few 1 s ticks when the downstream is scraped half a tick late', () => {
    const warmed = warmHalfTickLate(31);
    const { d, next } = warmed;
    let t = warmed.t;
    let alarmedAt = -1;
    for (let i = 1; i <= 20 && alarmedAt < 0; i++, t += 1000) if (statusOf(d.observe(next(1), t), 'funnel_drop') === 'anomalous') alarmedAt = i;
    // Per tick the requests in flight between the scrapes are as many as the break loses; over a few
    // ticks the break is certain. (Read as binomial noise times a dispersion, it took over 20 ticks.
    // Over 20 seeds: 6 to 10 ticks, median 8; 3 before the funnel's dispersion had its own count,
    // when its first residuals were averaged with the rate's ticks before them and φ read low.)
    expect(alarmedAt).toBeGreaterThan(0);
    expect(alarmedAt).toBeLessThanOrEqual(10);
  });

  it('times a failure from its first mostly lost tick when the evidence takes a few ticks (hops scraped apart), silent ticks included, through a restart', () => {
    const warmed = warmHalfTickLate(33);
    const d = warmed.d;
    let t = warmed.t;
    // A stalling pool's first ticks: all lost, then a silent one; none alarms on its own.
    const failing = [{ requests: 9, errors: 0, downstream: 0 }, { requests: 0, errors: 0, downstream: 0 }, { requests: 6, errors: 0, downstream: 0 }, ...Array.from({ length: 6 }, () => ({ requests: 12, errors: 0, downstream: 0 }))];
    let alarmedAt = -1;
    let source = d;
    for (let i = 0; i < failing.length && alarmedAt < 0; i++, t += 1000) {
      if (i === 2) {
        // A restart while ticks are held keeps them.
        source = detector(1000);
        expect(source.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
      }
      const out = source.observe(failing[i]!, t);
      if (statusOf(out, 'funnel_drop') === 'anomalous') {
        alarmedAt = i;
        expect(out.find((e) => e.kind === 'rate_spike')!.run!.failure!.seconds).toBe(i + 1);
      }
    }
    expect(alarmedAt).toBeGreaterThan(0);
  });

  it('has no false funnel alarm over a day of 1 s ticks nor a week of 15 s ticks with the downstream scraped late', { timeout: 60_000 }, () => {
    for (const [stepMs, ticks, perSecond, lag] of [
      [1000, 86_400, 12, 0.5],
      [1000, 86_400, 3, 0.3],
      [15_000, 7 * 5760, 12, 0.5],
    ] as const) {
      const random = mulberry32(stepMs + perSecond);
      const d = detector(stepMs);
      const next = laggedTicks(random, perSecond, stepMs, lag);
      let alarms = 0;
      for (let i = 0, t = 0; i < ticks; i++, t += stepMs) if (statusOf(d.observe(next(0.001), t), 'funnel_drop') === 'anomalous') alarms++;
      expect(alarms, `${stepMs} ms ticks, ${perSecond}/s, lag ${lag}`).toBe(0);
    }
  });

  /**
   * Builds of 4 crates at `buildsPerSecond` on 1 s ticks (a build's requests come together). With
   * probability `skew` a build is counted across a tick boundary: its completions a tick after its
   * requests (the downstream's target scraped later in the interval than the requests'), or,
   * `downstreamFirst`, its requests a tick after its completions (scraped earlier). `lost` of the
   * requests fail.
   */
  function buildTicks(random: () => number, buildsPerSecond: number, skew: number, downstreamFirst: boolean) {
    let carriedRequests = 0;
    let carriedCompleted = 0;
    return (lost = 0): SignalSample => {
      let requests = carriedRequests;
      let completed = carriedCompleted;
      carriedRequests = carriedCompleted = 0;
      for (let b = poisson(random, buildsPerSecond); b > 0; b--) {
        let done = 0;
        for (let i = 0; i < 4; i++) if (random() >= lost) done++;
        const across = random() < skew;
        if (across && downstreamFirst) carriedRequests += 4;
        else requests += 4;
        if (across && !downstreamFirst) carriedCompleted += done;
        else completed += done;
      }
      return { requests, errors: 0, downstream: completed };
    };
  }

  /**
   * A 1 s detector warmed on 900 ticks of builds (buildTicks); the ticks that follow, and whether
   * its last 300 warm-up ticks were quiet (at this rate a short baseline can alarm while warming:
   * docs/known-limits.md, "Found by trying it…"; such a run says nothing of how an alarm clears).
   */
  function warmBuilds(seed: number, skew: number, downstreamFirst: boolean) {
    const next = buildTicks(mulberry32(seed), 1, skew, downstreamFirst);
    const d = detector(1000, { baselineResolutionMs: 5000, minBaselinePoints: 10 }, ['requests', 'downstream']);
    let t = 0;
    let quiet = true;
    for (let i = 0; i < 900; i++, t += 1000) if (d.observe(next(), t).some((e) => e.status === 'anomalous') && i >= 600) quiet = false;
    return { d, next, t, quiet };
  }

  /** A total break of 60 ticks from `t`; the tick it alarms at (−1: none). */
  function breakUntilAlarmed(d: EvidenceDetector, next: (lost?: number) => SignalSample, t: number): number {
    let alarmedAt = -1;
    for (let i = 0; i < 60; i++) if (statusOf(d.observe(next(1), t + i * 1000), 'funnel_drop') === 'anomalous' && alarmedAt < 0) alarmedAt = i;
    return alarmedAt;
  }

  const SKEWS = [
    [0.1, false],
    [0.3, false],
    [0.5, false],
    [0.1, true],
    [0.3, true],
    [0.5, true],
  ] as const;

  it("raises no false funnel alarm on a fresh start when builds are counted across the two hops' scrapes, at 4 requests/s", { timeout: 60_000 }, () => {
    // The funnel's baseline fills after the rate's, so its first residuals were averaged as if the
    // rate's ticks before them had been calm ones: φ read near 1, the first build counted a tick
    // late alarmed, the alarm voided the residuals on probation, and so on (in 140 simulated starts
    // 40 with short baselines and 97 with the defaults raised one, and 16 and 14 were still alarmed
    // half an hour on). Short baselines (5 s buckets, 10 points) over 30 minutes, and the default
    // ones over an hour.
    const alarmedRuns: string[] = [];
    let runs = 0;
    for (const [params, ticks] of [
      [{ baselineResolutionMs: 5000, minBaselinePoints: 10 }, 1800],
      [{}, 3600],
    ] as const) {
      for (const [skew, downstreamFirst] of SKEWS) {
        for (let seed = 400; seed < 410; seed++) {
          const next = buildTicks(mulberry32(seed), 1, skew, downstreamFirst);
          const d = detector(1000, params, ['requests', 'downstream']);
          let raised = 0;
          let judged = 0;
          for (let i = 0, t = 0; i < ticks; i++, t += 1000) {
            const status = statusOf(d.observe(next(), t), 'funnel_drop');
            if (status !== 'unknown') judged++;
            if (status === 'anomalous') raised++;
          }
          runs++;
          expect(judged, 'ticks the funnel was judged').toBeGreaterThan(ticks / 2);
          if (raised > 0) alarmedRuns.push(`seed ${seed}, skew ${skew}${downstreamFirst ? ' (downstream first)' : ''}, ${params.baselineResolutionMs ?? 60_000} ms buckets: ${raised} ticks`);
        }
      }
    }
    expect(runs).toBe(120);
    expect(alarmedRuns.length, alarmedRuns.join('; ')).toBeLessThanOrEqual(3);
  });

  it("clears a funnel alarm after the fault's end when builds are counted across the two hops' scrapes, at 4 requests/s", { timeout: 30_000 }, () => {
    // Per tick, a build moved across the boundary reads as 4 lost and is given back the next tick:
    // a hundred binomials of dispersion at this rate. Health weighed with it grew by a thousandth
    // of a nat a tick, and at a third of the builds moved or more the alarm never cleared within
    // 15 minutes; over a run those moves cancel.
    const cleared: number[] = [];
    let loud = 0;
    let slow = 0;
    for (const [skew, downstreamFirst] of SKEWS) {
      for (let seed = 100; seed < 110; seed++) {
        const { d, next, t: start, quiet } = warmBuilds(seed, skew, downstreamFirst);
        if (!quiet) {
          loud++;
          continue;
        }
        let t = start;
        // At half the builds moved a total break can take over a minute to alarm
        // (docs/known-limits.md, "Found by trying it…"): such a run says nothing of the clearing
        // either.
        const alarmedAt = breakUntilAlarmed(d, next, t);
        t += 60_000;
        if (alarmedAt < 0) {
          slow++;
          continue;
        }
        let clearedAt = Number.POSITIVE_INFINITY;
        for (let i = 1; i <= 900 && clearedAt > i; i++, t += 1000) if (statusOf(d.observe(next(), t), 'funnel_drop') === 'normal') clearedAt = i;
        cleared.push(clearedAt);
      }
    }
    cleared.sort((a, b) => a - b);
    expect(loud, 'warm-ups that alarmed').toBeLessThanOrEqual(6);
    expect(slow, 'breaks not alarmed within a minute').toBeLessThanOrEqual(6);
    const within = (s: number) => cleared.filter((c) => c <= s).length / cleared.length;
    expect(within(300), `cleared after ${cleared.join(' ')} s`).toBeGreaterThanOrEqual(0.9);
    expect(cleared[Math.floor(cleared.length / 2)], `cleared after ${cleared.join(' ')} s`).toBeLessThanOrEqual(150);
  });

  it('keeps a funnel alarm while a tenth or more of the requests keep failing, with builds counted across the scrapes', { timeout: 60_000 }, () => {
    // A giveback larger than any learnt one comes some time in a long alarm: a partial failure's
    // health, held at zero by the losses, must not clear on it (weighed as a run without a bound
    // on a tick's giveback, 35 % of these ticks cleared).
    let ticks = 0;
    let clearedTicks = 0;
    const clearedRuns: string[] = [];
    for (const [skew, downstreamFirst] of SKEWS) {
      for (const lost of [0.1, 0.3]) {
        for (let seed = 200; seed < 210; seed++) {
          const { d, next, t: start, quiet } = warmBuilds(seed, skew, downstreamFirst);
          if (!quiet) continue;
          let t = start;
          if (breakUntilAlarmed(d, next, t) < 0) continue;
          t += 60_000;
          let cleared = 0;
          for (let i = 0; i < 1800; i++, t += 1000) if (statusOf(d.observe(next(lost), t), 'funnel_drop') === 'normal') cleared++;
          ticks += 1800;
          clearedTicks += cleared;
          if (cleared > 0) clearedRuns.push(`seed ${seed}, skew ${skew}${downstreamFirst ? ' (downstream first)' : ''}, ${lost * 100} % lost: ${cleared} ticks`);
        }
      }
    }
    expect(ticks).toBeGreaterThan(100 * 1800);
    expect(clearedTicks / ticks, clearedRuns.join('; ')).toBeLessThan(0.03);
    expect(clearedRuns.length / (ticks / 1800), clearedRuns.join('; ')).toBeLessThan(0.1);
  });

  it('keeps the first ticks of a failure out of its baselines: a slow start is paged as fast as a sudden one', () => {
    // Builds of 4 crates at about 3 a second, judged on a short per-tick baseline (the warm start of
    // a sidecar that has just been deployed); the break's first tick sees only one build.
    const random = mulberry32(16);
    const d = detector(1000, { baselineResolutionMs: 1000, minBaselinePoints: 10 }, ['requests', 'downstream']);
    const clumps = () => 4 * poisson(random, 3);
    let t = 0;
    for (let i = 0; i < 25; i++, t += 1000) {
      const n = clumps();
      d.observe({ requests: n, errors: Number.NaN, downstream: n }, t);
    }
    const broken = [4, 13, 17, 18, 23];
    const firstAlarm = broken.findIndex((n) => statusOf(d.observe({ requests: n, errors: Number.NaN, downstream: 0 }, (t += 1000)), 'funnel_drop') === 'anomalous');
    expect(firstAlarm).toBeGreaterThanOrEqual(0);
    expect(firstAlarm).toBeLessThanOrEqual(1);
  });

  it('keeps a raised alarm through ticks without requests (a stalled client pool sends nothing)', () => {
    const random = mulberry32(17);
    const d = detector(1000, { baselineResolutionMs: 1000, minBaselinePoints: 10 });
    let t = warm(d, random, 12, 1000, 30);
    expect(statusOf(d.observe(tick(random, 12, 1000, 1), (t += 1000)), 'funnel_drop')).toBe('anomalous');
    const silent = d.observe({ requests: 0, errors: 0, downstream: 0 }, (t += 1000));
    const funnel = silent.find((e) => e.kind === 'funnel_drop')!;
    expect(funnel.status).toBe('anomalous');
    expect(funnel.reason).toBe('no requests');
    expect(Number.isNaN(funnel.observed)).toBe(true);
  });

  it('restarts mid-warm-up as if it never happened: the ticks before a restart still teach the rate and error dispersion', () => {
    const random = mulberry32(19);
    const samples = Array.from({ length: 90 }, () => {
      const n = poisson(random, (30 * 15 * gamma(random, 3)) / 3);
      const e = Math.min(n, poisson(random, (n * 0.03 * gamma(random, 2)) / 2));
      return { requests: n / 15, errors: e / 15, downstream: n / 15 };
    });
    expectRestartUnseen(samples, 9);
  });

  it("restarts on lumpy demand with completions counted late as if it never happened: the funnel's in-flight share is kept", () => {
    const random = mulberry32(23);
    const counted = lateCompletions(random, 0.3);
    const samples = Array.from({ length: 700 }, (_, i) => {
      const n = poisson(random, (60 * 15 * gamma(random, 3)) / 3);
      let completed = 0;
      for (let j = 0; j < n; j++) if (random() >= (i >= 650 ? 0.4 : 0.005)) completed++;
      return { requests: n / 15, errors: 0, downstream: counted(completed) / 15 };
    });
    expectRestartUnseen(samples, 600);
  });

  it('restores ticks still on probation: a restart mid-probation judges as if it never happened', () => {
    const random = mulberry32(18);
    const samples = Array.from({ length: 120 }, () => tick(random, 12, 1000, 0, 0.01));
    const straight = detector(1000, { baselineResolutionMs: 1000, minBaselinePoints: 10 });
    const restarted = detector(1000, { baselineResolutionMs: 1000, minBaselinePoints: 10 });
    let a: Evaluation[] = [];
    let b: Evaluation[] = [];
    let copy: EvidenceDetector = restarted;
    samples.forEach((s, i) => {
      a = straight.observe(s, i * 1000);
      b = copy.observe(s, i * 1000);
      if (i === 60) {
        copy = detector(1000, { baselineResolutionMs: 1000, minBaselinePoints: 10 });
        expect(copy.restore(JSON.parse(JSON.stringify(restarted.snapshot())))).toBe(true);
      }
    });
    expect(b.map((e) => [e.status, e.baseline, e.sigma])).toEqual(a.map((e) => [e.status, e.baseline, e.sigma]));
  });
});

describe('EvidenceDetector with a daily cycle', () => {
  const DAY = 86_400_000;
  /** 5x day/night swing around 200/s, peak at 15:00 UTC. */
  const rateAt = (t: number) => 200 * (1 + (2 / 3) * Math.cos((2 * Math.PI * ((t % DAY) / 3_600_000 - 15)) / 24));

  /** Runs `days` of healthy 15 s ticks from `fromMs`; returns the worst |ln(baseline / truth)| on the morning ramp of the last day. */
  function run(d: EvidenceDetector, random: () => number, fromMs: number, days: number): { worstRamp: number; rateAlarms: number } {
    let worstRamp = 0;
    let rateAlarms = 0;
    for (let t = fromMs; t < fromMs + days * DAY; t += 15_000) {
      const out = d.observe(tick(random, rateAt(t), 15_000), t);
      const spike = out.find((e) => e.kind === 'rate_spike')!;
      if (out.some((e) => (e.kind === 'rate_spike' || e.kind === 'rate_drop') && e.status === 'anomalous')) rateAlarms++;
      const hour = (t % DAY) / 3_600_000;
      if (t >= fromMs + (days - 1) * DAY && hour >= 6 && hour < 11 && spike.status !== 'unknown') worstRamp = Math.max(worstRamp, Math.abs(Math.log(spike.baseline / rateAt(t))));
    }
    return { worstRamp, rateAlarms };
  }

  it('expects the morning ramp once it has seen a day, where the trailing median alone lags it', () => {
    const start = Date.parse('2023-07-03T00:00:00Z');
    const first = run(detector(15_000), mulberry32(21), start, 1);
    const third = run(detector(15_000), mulberry32(21), start, 3);
    // On the first day only the trailing hour's median: it lags the ramp (rising 0.2 nats an hour) by about half an hour.
    expect(first.worstRamp).toBeGreaterThan(0.08);
    // With the profile the expectation follows the ramp; what is left is Poisson and bucket noise.
    expect(third.worstRamp).toBeLessThan(0.06);
    expect(third.rateAlarms).toBe(0);
  });

  it('keeps its profile through a snapshot', () => {
    const start = Date.parse('2023-07-03T00:00:00Z');
    const d = detector(15_000);
    run(d, mulberry32(22), start, 2);
    const e = detector(15_000);
    expect(e.restore(JSON.parse(JSON.stringify(d.snapshot())))).toBe(true);
    const t = start + 2 * DAY + 8 * 3_600_000;
    const sample = { requests: rateAt(t), errors: 0.2, downstream: rateAt(t) };
    expect(e.observe(sample, t).find((x) => x.kind === 'rate_spike')!.baseline).toBeCloseTo(d.observe(sample, t).find((x) => x.kind === 'rate_spike')!.baseline, 6);
  });

  it('corrects an hour whose every visit alarms: a weekly 3x rise at Sunday 01:00 stops alarming', () => {
    // Requests only (as NAB's series): 10/s, and 30/s on Sundays 01:00-02:00. The first Sunday is
    // read from the weekdays' 01:00 and alarms; its ticks are not learnt by the rate baseline, yet they
    // teach the profile (winsorised), so later Sundays are expected.
    const step = 300_000;
    const d = detector(step, {}, ['requests']);
    const random = mulberry32(41);
    const start = Date.parse('2023-07-03T00:00:00Z'); // a Monday
    const rate = (t: number) => (new Date(t).getUTCDay() === 0 && (t % DAY) / 3_600_000 >= 1 && (t % DAY) / 3_600_000 < 2 ? 30 : 10);
    const alarmedSundays: number[] = [];
    for (let t = start; t < start + 35 * DAY; t += step) {
      const out = d.observe(tick(random, rate(t), step), t);
      if (rate(t) === 30 && out.some((e) => e.kind === 'rate_spike' && e.status === 'anomalous')) alarmedSundays.push(Math.floor((t - start) / (7 * DAY)));
    }
    const perWeek = [0, 1, 2, 3, 4].map((w) => alarmedSundays.filter((x) => x === w).length);
    // The whole first Sunday hour alarms (12 ticks); then at most its first two ticks: slots are read
    // between their centres, so a step at the hour's edge is still half-expected there. (Without
    // the profile learning alarmed ticks every Sunday alarms its whole hour, every week.)
    expect(perWeek[0]).toBe(12);
    for (const n of perWeek.slice(1)) expect(n).toBeLessThanOrEqual(2);
  });

  it('never learns a broken funnel into its profile: a 2-hour break leaves those hours as they were', () => {
    const start = Date.parse('2023-07-03T00:00:00Z');
    const d = detector(15_000);
    const random = mulberry32(23);
    run(d, random, start, 2);
    type Profile = { slots: (number | null)[] };
    const before = (d.snapshot().profile as Profile).slots;
    // Day 3, 10:00-12:00: nothing completes downstream; demand (and so the request rate) as usual.
    let t = start + 2 * DAY;
    let alarmed = 0;
    for (; t < start + 2 * DAY + 12 * 3_600_000; t += 15_000) {
      const broken = t >= start + 2 * DAY + 10 * 3_600_000;
      const out = d.observe(tick(random, rateAt(t), 15_000, broken ? 1 : 0), t);
      if (broken && out.find((e) => e.kind === 'funnel_drop')?.status === 'anomalous') alarmed++;
    }
    // Then healthy again for three hours, so any pending hour would be committed.
    for (; t < start + 2 * DAY + 15 * 3_600_000; t += 15_000) d.observe(tick(random, rateAt(t), 15_000), t);
    expect(alarmed).toBeGreaterThan(400);
    const after = (d.snapshot().profile as Profile).slots;
    // Slots are hours of the week from Thursday 00:00 UTC: Wednesday 10:00 and 11:00 are 6·24 + 10
    // and + 11, never visited before this Wednesday: a learnt hour would no longer be null.
    for (const slot of [6 * 24 + 10, 6 * 24 + 11]) expect([before[slot], after[slot]]).toEqual([null, null]);
    // The healthy hours before and after the break were learnt (the test can tell a learnt slot).
    expect([before[6 * 24 + 9], before[6 * 24 + 13]]).toEqual([null, null]);
    expect(after[6 * 24 + 9]).toBeTypeOf('number');
    expect(after[6 * 24 + 13]).toBeTypeOf('number');
  });
});


describe('EvidenceDetector and the error bursts a route has had', () => {
  it('holds the error alarms of clumps like those the route has had, and not a break more intense than them past its third tick', () => {
    const stepMs = 15_000;
    const hour = 3_600_000;
    let held = 0;
    let failures = 0;
    /** The break's alarmed ticks up to the first not held. */
    const breakTicks: number[] = [];
    const breakReasons: (string | undefined)[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = mulberry32(300 + seed);
      const d = detector(stepMs);
      let t = warm(d, random, 1, stepMs, 240);
      // A clump every three hours: 40 % of a minute's requests fail.
      let clumpHeld = 0;
      let clumpFailing = 0;
      for (let k = 0; k < 16; k++, t += 3 * hour) {
        const start = t + hour;
        for (let u = t; u < t + 3 * hour; u += stepMs) {
          const inClump = u >= start && u < start + 60_000;
          const e = d.observe(tick(random, 1, stepMs, 0, inClump ? 0.4 : 0.003), u);
          const errors = e.find((x) => x.kind === 'error_ratio')!;
          if (errors.status !== 'anomalous') continue;
          if (errors.reason === HELD_BURST) clumpHeld++;
          else clumpFailing++;
        }
      }
      held += clumpHeld;
      failures += clumpFailing;
      // Then every request fails: more excess errors a tick than any clump had (about 15 against 6).
      let alarmedTicks = 0;
      for (let u = t; u < t + 5 * 60_000; u += stepMs) {
        const e = d.observe(tick(random, 1, stepMs, 0, 1), u).find((x) => x.kind === 'error_ratio')!;
        if (e.status !== 'anomalous') continue;
        alarmedTicks++;
        if (e.reason === HELD_BURST) continue;
        breakReasons.push(e.reason);
        break;
      }
      breakTicks.push(alarmedTicks);
    }
    // Most alarmed clump ticks are held (the first two clumps of each run and a few larger ones are not).
    expect(held).toBeGreaterThan(3 * failures);
    // Intensity is read over about 15 s (error-bursts.ts): the break is past the clumps' by its third
    // alarmed tick (the ticks of a 1 request/s route are few requests each).
    expect(breakTicks.every((k) => k >= 1 && k <= 3)).toBe(true);
    // And says it is past the bursts (the page's explanation reads it).
    expect(breakReasons).toEqual(Array.from({ length: 6 }, () => OUTGREW_BURSTS));
  });

  it('holds none of them with holdErrorBursts: false', () => {
    const stepMs = 15_000;
    const hour = 3_600_000;
    const random = mulberry32(301);
    const d = detector(stepMs, { holdErrorBursts: false });
    let t = warm(d, random, 1, stepMs, 240);
    const reasons = new Set<string | undefined>();
    let alarmed = 0;
    for (let k = 0; k < 8; k++, t += 3 * hour) {
      for (let u = t; u < t + 3 * hour; u += stepMs) {
        const inClump = u >= t + hour && u < t + hour + 60_000;
        const errors = d.observe(tick(random, 1, stepMs, 0, inClump ? 0.4 : 0.003), u).find((x) => x.kind === 'error_ratio')!;
        if (errors.status !== 'anomalous') continue;
        alarmed++;
        reasons.add(errors.reason);
      }
    }
    expect(alarmed).toBeGreaterThan(0);
    expect([...reasons]).toEqual([undefined]);
  });
});

describe('EvidenceDetector saved as columns', () => {
  it('decodes from its columns to exactly what JSON gives for its snapshot, at every tick of two days with a cycle, a storm, failures, error bursts and a gap', () => {
    const random = mulberry32(11);
    const stepMs = 15_000;
    const d = detector(stepMs);
    const seen = { partial: 0, run: 0, failure: 0, probation: 0, tail: 0, profile: 0, block: 0, alarmed: 0, empty: 0, bursts: 0, remembered: 0 };
    const day = 86_400_000;
    for (let t = 0; t < 2.2 * day; t += stepMs) {
      const phase = t % day;
      const level = 8 * (1 + 0.5 * Math.sin((2 * Math.PI * t) / day));
      // A 3x storm, then errors, then a broken funnel, then a gap, each on the second day.
      const storm = t > day + 3_600_000 && t < day + 4_800_000 ? 3 : 1;
      // Short clumps of errors every six hours of the second day, remembered as bursts.
      const clump = t > day && t % 21_600_000 < 60_000;
      const errors = (t > day + 20_000_000 && t < day + 21_000_000) || clump ? 0.3 : 0.001;
      const lost = t > day + 40_000_000 && t < day + 41_000_000 ? 0.5 : 0;
      const sample = phase > 50_000_000 && phase < 50_100_000 ? { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN } : tick(random, level * storm, stepMs, lost, errors);
      d.observe(sample, t);
      const snapshot = d.snapshot();
      const direct = columnScratch();
      const template = d.encodeColumns(direct);
      const cut = <T extends Float64Array | Float32Array | Int16Array>(c: { data: T; length: number }) => c.data.subarray(0, c.length) as T;
      const decoded = decodeColumns(template, ['x'], cut(direct.f64), cut(direct.f32), cut(direct.i16))?.get('x');
      // As text too: the same keys in the same order, every number as JSON writes it.
      expect(JSON.stringify(decoded)).toBe(JSON.stringify(snapshot));
      // Which forms of state this tick had (each must have been compared).
      if (snapshot.rate.partial) seen.partial++;
      if (snapshot.run?.recentObserved) seen.run++;
      if (snapshot.run?.failureTicks !== undefined) seen.failure++;
      if ((snapshot.probation?.length ?? 0) > 0) seen.probation++;
      else seen.empty++;
      if (snapshot.tail?.day !== null && snapshot.tail!.codes!.some((v) => v > 0)) seen.tail++;
      if (snapshot.profile!.slots.some((v) => v !== null)) seen.profile++;
      if (snapshot.dispersion?.rateBlock !== undefined) seen.block++;
      if (Object.values(snapshot.checks).some((c) => c.alarmed)) seen.alarmed++;
      if (snapshot.errorBursts) seen.bursts++;
      if (snapshot.errorBursts?.slice(-32).some((x) => x !== null)) seen.remembered++;
    }
    for (const [form, count] of Object.entries(seen)) expect(count, form).toBeGreaterThan(0);
  });

  it("restores from a file saved before the ratio windows were half floats' bits (float32s then) as from one saved now, and judges the same after", () => {
    const random = mulberry32(5);
    const stepMs = 15_000;
    const d = detector(stepMs);
    let t = 0;
    for (; t < 3 * 3_600_000; t += stepMs) d.observe(tick(random, 8, stepMs, 0, 0.02), t);
    const cut = <T extends Float64Array | Float32Array | Int16Array>(c: { data: T; length: number }) => c.data.subarray(0, c.length) as T;
    const now = columnScratch();
    const nowTemplate = d.encodeColumns(now);
    expect(nowTemplate).toContain('"errorRatio":{"values":"\\u0000h60"');
    // The form of files saved before: the same numbers as the generic encoder writes them, the
    // ratio windows' values as float32s.
    const before = columnScratch();
    const beforeTemplate = encodeValue(d.snapshot(), before);
    expect(beforeTemplate).toContain('"errorRatio":{"values":"\\u0000f60"');
    // Smaller by two bytes a ratio value at least (the generic encoder writes other arrays its own way too).
    const bytes = (c: ReturnType<typeof columnScratch>) => c.f64.length * 8 + c.f32.length * 4 + c.i16.length * 2;
    expect(bytes(before) - bytes(now)).toBeGreaterThanOrEqual(2 * 2 * 60);
    const restored = [nowTemplate, beforeTemplate].map((template, i) => {
      const c = i === 0 ? now : before;
      const state = decodeColumns(template, ['x'], cut(c.f64), cut(c.f32), cut(c.i16))!.get('x');
      const r = detector(stepMs);
      expect(r.restore(state)).toBe(true);
      return r;
    });
    expect(JSON.stringify(restored[1]!.snapshot())).toBe(JSON.stringify(restored[0]!.snapshot()));
    for (let k = 0; k < 40; k++, t += stepMs) {
      const sample = tick(random, 8, stepMs, k > 20 ? 0.5 : 0, 0.02);
      expect(JSON.stringify(restored[1]!.observe(sample, t))).toBe(JSON.stringify(restored[0]!.observe(sample, t)));
    }
  });
});
