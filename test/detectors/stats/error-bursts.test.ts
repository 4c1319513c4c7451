import { describe, expect, it } from 'vitest';
import { BURST_FIELDS, BURST_MEMORY_MS, HELD, HOLD_MARGIN, INTENSITY_MS, MAX_BURST_MS, NOT_HELD, OUTGREW, burstEnvelope, followBurst, newBursts, restoreBursts, snapshotBursts } from '../../../src/detectors/stats/error-bursts.js';

const TICK = 15_000;

/**
 * Plays one episode from `startMs`: `excess` holds each tick's excess errors, the first
 * `alarmAfter` ticks only build evidence, the rest are alarmed; then one calm tick ends it.
 * Returns whether each alarmed tick was held, and the time after the episode.
 */
function episode(a: Float64Array, startMs: number, excess: number[], alarmAfter = 2): { held: boolean[]; answers: number[]; endMs: number } {
  const answers: number[] = [];
  let t = startMs;
  excess.forEach((x, i) => {
    const alarmed = i >= alarmAfter;
    const answer = followBurst(a, alarmed, true, x, t, TICK);
    if (alarmed) answers.push(answer);
    else expect(answer).toBe(NOT_HELD);
    t += TICK;
  });
  followBurst(a, false, false, 0, t, TICK);
  return { held: answers.map((x) => x === HELD), answers, endMs: t + TICK };
}

/** The greatest rate of excess errors over about INTENSITY_MS (errors per INTENSITY_MS), written out apart from the module. */
function mostIntense(excess: number[]): number {
  const decay = Math.exp(-TICK / INTENSITY_MS);
  let sum = 0;
  let most = 0;
  for (const x of excess) {
    // Each tick's errors spread over its 15 s: weight (τ/Δ)(1 − e^(−Δ/τ)) = 1 − 1/e at Δ = τ.
    sum = sum * decay + x * (1 - decay);
    most = Math.max(most, sum);
  }
  return most;
}

/** A clump like a failing client batch: about 24 errors over five ticks, then the alarm's quiet tail. */
const CLUMP = [3, 6, 6, 5, 4, 0, 0, 0, 0, 0, 0, 0, 0];

describe('error bursts', () => {
  it('holds nothing until the series has had two bursts, then holds a third like them throughout', () => {
    const a = newBursts();
    let t = 0;
    for (let k = 0; k < 2; k++) {
      const { answers, endMs } = episode(a, t, CLUMP);
      // Not held, nor past bursts: there were none to measure it against.
      expect(answers.every((x) => x === NOT_HELD)).toBe(true);
      t = endMs + 3_600_000;
    }
    expect(burstEnvelope(a, t)).toEqual({ bursts: 2, excess: 24, seconds: CLUMP.length * 15, intensity: mostIntense(CLUMP) });
    // 3(1 − 1/e) = 1.90, then 1.90/e + 6(1 − 1/e) = 4.49, then 4.49/e + 3.79 = 5.45, then 5.17, ...
    expect(mostIntense(CLUMP)).toBeCloseTo(5.44, 2);
    const third = episode(a, t, [3, 5, 6, 5, 4, 1, 0, 0, 0, 0, 0]);
    expect(third.held.every((h) => h)).toBe(true);
    expect(burstEnvelope(a, third.endMs).bursts).toBe(3);
  });

  it('takes a break more intense than the bursts as a failure at its first alarmed tick', () => {
    const a = newBursts();
    let t = 0;
    for (let k = 0; k < 3; k++) t = episode(a, t, CLUMP).endMs + 3_600_000;
    // Every request of a tick failing: 15 excess errors a tick where the bursts had 6 at most.
    const { answers } = episode(a, t, [8, 15, 15, 15, 15, 15], 1);
    expect(answers).toEqual([OUTGREW, OUTGREW, OUTGREW, OUTGREW, OUTGREW]);
  });

  it('holds a failure as intense as the bursts only until it outgrows them, and does not hold it again', () => {
    const a = newBursts();
    let t = 0;
    for (let k = 0; k < 3; k++) t = episode(a, t, CLUMP).endMs + 3_600_000;
    const env = burstEnvelope(a, t);
    // Five excess errors a tick, for an hour: past the envelope's excess within a few ticks.
    const { held, answers } = episode(a, t, Array.from({ length: 240 }, () => 5));
    const firstFailure = held.indexOf(false);
    expect(answers.slice(firstFailure).every((x) => x === OUTGREW)).toBe(true);
    expect(firstFailure).toBeGreaterThan(0);
    // Held while the excess (two building ticks of 5, then 5 a tick) was within the envelope.
    expect(10 + 5 * (firstFailure + 1)).toBeGreaterThan(env.excess * (1 + HOLD_MARGIN));
    expect(10 + 5 * firstFailure).toBeLessThanOrEqual(env.excess * (1 + HOLD_MARGIN));
    expect(held.slice(firstFailure).every((h) => !h)).toBe(true);
  });

  it('weighs intensity by time, not by ticks: a clump read at 1 s ticks is as intense as at 15 s', () => {
    const fine = newBursts();
    const coarse = newBursts();
    // 24 errors over 60 s, one every 2.5 s, against four ticks of 6: both 0.4 a second, 6 per 15 s at most.
    for (let i = 0; i <= 24; i++) followBurst(fine, true, true, i < 24 ? 1 : 0, i * 2_500, 2_500);
    for (let i = 0; i < 5; i++) followBurst(coarse, true, true, i < 4 ? 6 : 0, i * TICK, TICK);
    followBurst(fine, false, false, 0, 600_000, 2_500);
    followBurst(coarse, false, false, 0, 600_000, TICK);
    const [f, c] = [burstEnvelope(fine, 600_000), burstEnvelope(coarse, 600_000)];
    expect(f.bursts).toBe(1);
    const intensity = (a: Float64Array) => snapshotBursts(a)[8 + 3];
    expect(intensity(fine)! / intensity(coarse)!).toBeGreaterThan(0.8);
    expect(intensity(fine)! / intensity(coarse)!).toBeLessThan(1.25);
    expect(c.bursts).toBe(1);
  });

  it('takes a slow failure as a failure once it lasts longer than the bursts did', () => {
    const a = newBursts();
    let t = 0;
    for (let k = 0; k < 3; k++) t = episode(a, t, CLUMP).endMs + 3_600_000;
    const env = burstEnvelope(a, t);
    // One excess error a tick: small each tick, never past the excess envelope before the length one.
    const { held } = episode(a, t, Array.from({ length: 40 }, () => 1), 0);
    const firstFailure = held.indexOf(false);
    expect(firstFailure * 15).toBeGreaterThan(env.seconds * (1 + HOLD_MARGIN));
    expect((firstFailure - 1) * 15).toBeLessThanOrEqual(env.seconds * (1 + HOLD_MARGIN));
    expect(env.excess * (1 + HOLD_MARGIN)).toBeGreaterThan(firstFailure);
  });

  it('remembers no episode longer than MAX_BURST_MS, none that never alarmed, and forgets bursts after BURST_MEMORY_MS', () => {
    const a = newBursts();
    const long = Array.from({ length: MAX_BURST_MS / TICK + 2 }, () => 1);
    let t = episode(a, 0, long).endMs;
    t = episode(a, t, long).endMs;
    expect(burstEnvelope(a, t).bursts).toBe(0);
    t = episode(a, t, CLUMP, CLUMP.length).endMs;
    expect(burstEnvelope(a, t).bursts).toBe(0);
    for (let k = 0; k < 2; k++) t = episode(a, t, CLUMP).endMs;
    expect(burstEnvelope(a, t).bursts).toBe(2);
    expect(burstEnvelope(a, t + BURST_MEMORY_MS).bursts).toBe(0);
    expect(episode(a, t + BURST_MEMORY_MS, CLUMP).held.some((h) => h)).toBe(false);
  });

  it('neither holds nor remembers an episode that began while a deploy was in question', () => {
    const a = newBursts();
    let t = 0;
    for (let k = 0; k < 2; k++) t = episode(a, t, CLUMP).endMs;
    // The deploy is in question from the change-point: its alarm pages, and is not a burst.
    const held: boolean[] = [];
    CLUMP.forEach((x, i) => {
      const answer = followBurst(a, i >= 2, true, x, t, TICK, i < 3);
      expect(answer).toBe(NOT_HELD);
      held.push(answer === HELD);
      t += TICK;
    });
    followBurst(a, false, false, 0, t, TICK);
    expect(held.some((h) => h)).toBe(false);
    expect(burstEnvelope(a, t).bursts).toBe(2);
    // The same clump after the deploy is held again.
    expect(episode(a, t + TICK, CLUMP).held.every((h) => h)).toBe(true);
  });

  it('keeps the largest bursts when more come than it has room for', () => {
    const a = newBursts();
    let t = 0;
    t = episode(a, t, [10, 20, 20, 20]).endMs;
    t = episode(a, t, [10, 20, 20, 20]).endMs;
    for (let k = 0; k < 20; k++) t = episode(a, t, CLUMP).endMs;
    expect(burstEnvelope(a, t).excess).toBe(70);
  });

  it('restores what it saved, and nothing from a broken state', () => {
    const a = newBursts();
    let t = 0;
    for (let k = 0; k < 2; k++) t = episode(a, t, CLUMP).endMs;
    followBurst(a, false, true, 2, t, TICK);
    const saved = JSON.parse(JSON.stringify(snapshotBursts(a)));
    const b = restoreBursts(saved)!;
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(followBurst(b, true, true, 3, t + TICK, TICK)).toBe(followBurst(a, true, true, 3, t + TICK, TICK));
    expect(restoreBursts(saved.slice(1))).toBeNull();
    expect(restoreBursts([...saved.slice(0, BURST_FIELDS - 1), 'x'])).toBeNull();
    expect(restoreBursts(Array.from({ length: BURST_FIELDS }, () => null))).toBeNull();
    expect(restoreBursts(undefined)).toBeNull();
  });
});
