import { describe, expect, it } from 'vitest';
import { type Collapse, JUDGED_FOR_MS, type MoveVerdict, MIN_DIFFERENCES, SignalTotals, SignalTraffic, judgedTicks } from '../../src/decisions/moved-traffic.js';

const TICK = 15_000;
/** Forty totals of a signal wobbling about 1,000 requests a second (whole numbers, so numpy reads the same ones). */
const TOTALS = Array.from({ length: 40 }, (_, i) => 1000 + Math.round(20 * Math.sin(i * 2.3) + 10 * Math.cos(i * 0.7)));

function history(count = TOTALS.length): SignalTotals {
  const totals = new SignalTotals(TICK);
  for (let i = 0; i < count; i++) totals.push(i * TICK, TOTALS[i]!);
  return totals;
}

describe('SignalTotals', () => {
  it("reads the total's change against its lagged differences' median and scaled MAD (numpy: drift 3, σ 32.6172 at lag 1; 0 and 19.2738 at lag 3)", () => {
    // numpy: d = [T[i] - T[i-1] for i in 1..39]; np.median(d) = 3.0, 1.4826 * np.median(|d - 3|) = 32.6172.
    const lag1 = history();
    lag1.push(40 * TICK, 1014);
    const v1 = lag1.judge(39 * TICK, 150, 3);
    expect(v1.sigma).toBeCloseTo(32.6172, 4);
    expect(v1.change).toBe(1014 - 1014 - 3);
    // d = [T[i] - T[i-3] for i in 3..37]: the differences before the quiet tick only.
    const lag3 = history();
    lag3.push(40 * TICK, 1002);
    const v3 = lag3.judge(37 * TICK, 150, 3);
    expect(v3.sigma).toBeCloseTo(19.2738, 4);
    expect(v3.change).toBe(0);
  });

  it('judges moved a collapse the total did not feel, and not one the total lost, nor one too small for its spread, nor a surge of the others', () => {
    const verdict = (now: number, lost: number) => {
      const totals = history();
      totals.push(40 * TICK, now);
      return totals.judge(39 * TICK, lost, 3).moved;
    };
    // 150 lost from tick 39's 1,014: the others took it (the total held), or nobody did.
    expect(verdict(1014, 150)).toBe(true);
    expect(verdict(1014 - 150, 150)).toBe(false);
    // Half of it taken: still three σ (98) short of what an outage would leave.
    expect(verdict(1014 - 75, 150)).toBe(false);
    // 60 lost against a spread of 33: an outage would read as a total within the noise.
    expect(verdict(1014, 60)).toBe(false);
    // The others gained twice what was lost and more than the noise: not this collapse's traffic.
    expect(verdict(1014 + 300, 150)).toBe(false);
  });

  it('judges nothing without enough history, a quiet tick it holds, or a total now', () => {
    const short = history(MIN_DIFFERENCES);
    short.push(MIN_DIFFERENCES * TICK, 1000);
    expect(short.judge((MIN_DIFFERENCES - 1) * TICK, 150, 3)).toEqual({ moved: false, lost: Number.NaN, change: Number.NaN, sigma: Number.NaN });
    const full = history();
    full.push(40 * TICK, 1014);
    expect(full.judge(Number.NaN, 150, 3).moved).toBe(false);
    expect(full.judge(39 * TICK + 1, 150, 3).moved).toBe(false);
    const gap = history();
    gap.push(40 * TICK, Number.NaN);
    expect(gap.judge(39 * TICK, 150, 3).moved).toBe(false);
  });

  it('takes the drift off: a total falling steadily (an evening) does not read a move as an outage', () => {
    const totals = new SignalTotals(TICK);
    const total = (i: number) => 2000 - 10 * i + (i % 2 ? 3 : -3);
    for (let i = 0; i < 43; i++) totals.push(i * TICK, total(i));
    // Four ticks after the quiet tick the total fell 40 by its drift alone: the move is judged on the rest.
    totals.push(43 * TICK, total(43));
    expect(totals.judge(39 * TICK, 200, 3)).toMatchObject({ moved: true, change: 0 });
    // An outage's 200 on top of the drift is no move.
    const outage = new SignalTotals(TICK);
    for (let i = 0; i < 43; i++) outage.push(i * TICK, total(i));
    outage.push(43 * TICK, total(43) - 200);
    expect(outage.judge(39 * TICK, 200, 3)).toMatchObject({ moved: false, change: -200 });
  });
});

describe('SignalTraffic', () => {
  function signal(): SignalTraffic {
    const traffic = new SignalTraffic(TICK);
    for (let i = 0; i < 40; i++) {
      traffic.add(TOTALS[i]! - 150);
      traffic.add(150);
      traffic.add(Number.NaN);
      traffic.endTick(i * TICK);
    }
    return traffic;
  }

  it("sums a tick's series (missing ones left out) and marks its young collapses moved when the total held", () => {
    const traffic = signal();
    const c: Collapse = { series: 'api{route="/r/0"}', alarmSinceMs: 40 * TICK, moved: false };
    traffic.add(TOTALS[39]!);
    traffic.add(0);
    traffic.collapse(c, 0, 150, 39 * TICK, 150, 39 * TICK, 40 * TICK);
    const heard: string[] = [];
    expect(traffic.endTick(40 * TICK, (moved, v) => heard.push(`${moved.series} ${v.lost}`)).moved).toBe(true);
    expect(c.moved).toBe(true);
    expect(heard).toEqual(['api{route="/r/0"} 150']);
    // Judged once: a moved collapse is not judged again.
    traffic.add(TOTALS[39]! - 150);
    traffic.collapse(c, 0, 150, 39 * TICK, 150, 39 * TICK, 41 * TICK);
    expect(Number.isNaN(traffic.endTick(41 * TICK).sigma)).toBe(true);
  });

  it("judges a fade over minutes from the series' last tick at its expected level, where its last quiet tick is too late to tell", () => {
    // Over ticks 40-47 the route fades from 150 to 0; its alarm starts at tick 47, its evidence
    // having left zero at tick 45 (37.5 left then). Moved: the other series took each request.
    const fade = (moved: boolean) => {
      const traffic = signal();
      let verdict: MoveVerdict | undefined;
      for (let k = 40; k <= 47; k++) {
        const route = 150 * (1 - (k - 39) / 8);
        traffic.add(TOTALS[39]! - 150 + (moved ? 150 - route : 0));
        traffic.add(route);
        if (k === 47) traffic.collapse({ series: 'api{route="/r/0"}', alarmSinceMs: 47 * TICK, moved: false }, route, 37.5, 45 * TICK, 150, 39 * TICK, 47 * TICK);
        verdict = traffic.endTick(k * TICK);
      }
      return verdict!;
    };
    expect(fade(true).moved).toBe(true);
    expect(fade(false).moved).toBe(false);
    // From the quiet tick alone: 37.5 lost against a spread of about 20 cannot be told.
    const quietOnly = signal();
    for (let k = 40; k <= 47; k++) {
      quietOnly.add(TOTALS[39]!);
      if (k === 47) quietOnly.collapse({ series: 'api{route="/r/0"}', alarmSinceMs: 47 * TICK, moved: false }, 0, 37.5, 45 * TICK, Number.NaN, Number.NaN, 47 * TICK);
      const v = quietOnly.endTick(k * TICK);
      if (k === 47) expect(v.moved).toBe(false);
    }
  });

  it("asks each of a collapse's judgements for its share of OUTAGE_AS_MOVE: at 15 s ticks eight (four ticks, two ticks before each), 3.65 spreads", () => {
    // scipy: norm.isf(0.001 / 8) = 3.6623; simple-statistics' probit reads 3.649 (its inverse error function is a fit).
    expect([judgedTicks(15_000), judgedTicks(5_000), judgedTicks(1_000), judgedTicks(60_000)]).toEqual([4, 12, 60, 4]);
    const judged = (lost: number) => {
      const traffic = signal();
      traffic.add(TOTALS[39]!);
      traffic.collapse({ series: 'api{route="/r/0"}', alarmSinceMs: 40 * TICK, moved: false }, 0, lost, 39 * TICK, Number.NaN, Number.NaN, 40 * TICK);
      return traffic.endTick(40 * TICK);
    };
    // The total held (its change −3, the drift taken off) against a spread of 32.6: 110 lost is 3.3
    // spreads from what an outage would leave, 130 lost 3.9.
    expect(judged(110)).toMatchObject({ moved: false, change: -3 });
    expect(judged(130)).toMatchObject({ moved: true, change: -3 });
  });

  it('judges moved a loss that series first seen since the tick it is measured from carry, where the total is too noisy to tell', () => {
    // 60 lost against the total's spread of 32.6: the total cannot tell; a new route carries it.
    const judged = (newRate: number, bornMs: number) => {
      const traffic = signal();
      traffic.add(TOTALS[39]! - 60);
      traffic.add(newRate, bornMs);
      traffic.collapse({ series: 'api{route="/r/0"}', alarmSinceMs: 40 * TICK, moved: false }, 0, 60, 39 * TICK, 60, 39 * TICK, 40 * TICK);
      return traffic.endTick(40 * TICK);
    };
    expect(judged(58, 40 * TICK)).toMatchObject({ moved: true, lost: 60, change: 58 });
    expect(judged(58, 39 * TICK).moved).toBe(true);
    // Born before the tick the loss is measured from: not this loss's traffic.
    expect(judged(58, 38 * TICK).moved).toBe(false);
    // Less than half of it, or more than twice: not it either.
    expect(judged(25, 40 * TICK).moved).toBe(false);
    expect(judged(200, 40 * TICK).moved).toBe(false);
    // A loss within counting noise (0.6 requests a second at 15 s ticks, √(0.6/15) = 0.2: three of it) is no evidence.
    const tiny = signal();
    tiny.add(TOTALS[39]!);
    tiny.add(0.6, 40 * TICK);
    tiny.collapse({ series: 'api{route="/r/0"}', alarmSinceMs: 40 * TICK, moved: false }, 0, 0.6, 39 * TICK, 0.6, 39 * TICK, 40 * TICK);
    expect(tiny.endTick(40 * TICK).moved).toBe(false);
  });

  it('does not judge a collapse whose alarm is older than JUDGED_FOR_MS, nor a series that did not fall', () => {
    const traffic = signal();
    const old: Collapse = { series: 'api{route="/r/0"}', alarmSinceMs: 40 * TICK - JUDGED_FOR_MS - TICK, moved: false };
    traffic.add(TOTALS[39]!);
    traffic.collapse(old, 0, 150, 39 * TICK, 150, 39 * TICK, 40 * TICK);
    const risen: Collapse = { series: 'api{route="/r/0"}', alarmSinceMs: 40 * TICK, moved: false };
    traffic.collapse(risen, 160, 150, 39 * TICK, 150, 39 * TICK, 40 * TICK);
    expect(Number.isNaN(traffic.endTick(40 * TICK).sigma)).toBe(true);
    expect([old.moved, risen.moved]).toEqual([false, false]);
  });
});
