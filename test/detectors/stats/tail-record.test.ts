import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../scripts/sim/random.js';
import { MIN_TAIL_TICKS, TAIL_DAYS, TAIL_SUMMARY_FIELDS, TAIL_VALUE_SLOTS, advanceTail, learnTail, restoreTail, snapshotTail, summarisedTailSurprise, summariseTail, tailSurprise } from '../../../src/detectors/stats/tail-record.js';

function record(): { values: Int16Array; counts: Float32Array } {
  return { values: new Int16Array(TAIL_VALUE_SLOTS), counts: new Float32Array(TAIL_DAYS) };
}

/** Four days of 100 ticks each, day d's values 10d, 10d + 1, ..., 10d + 99. */
function fourDays() {
  const r = record();
  for (let d = 0; d < 4; d++) {
    advanceTail(r.values, r.counts, d - 1, d);
    for (let i = 0; i < 100; i++) learnTail(r.values, r.counts, d, 10 * d + i);
  }
  return r;
}

describe('tailSurprise (peaks over threshold, exponential excess on the residual scale √(2v))', () => {
  // Reference (numpy 2.x), the same estimator on the same quantised values:
  //   U=2048; enc=lambda v: np.minimum(32767, np.round(np.log1p(v)*U)); dec=lambda q: np.expm1(q/U)
  //   tops=[np.sort(enc(np.arange(100)+10*d))[::-1][:6] for d in range(4)]
  //   bars=np.sort([t[5] for t in tops]); uq=bars[3]                       # upper quartile of 4 bars
  //   r=lambda v: np.sqrt(2*np.maximum(0,v)); ru=r(dec(uq))                # u ≈ 124 nats
  //   ex=np.concatenate([r(dec(t[t>uq]))-ru for t in tops])                # 125..129 over u, in r
  //   atU=-np.log((len(ex)+1)/401); atU+(r(140)-ru)/ex.mean()  -> 9.360850523807711
  //   atU*r(100)/ru                                              -> 3.774047766476838
  it('reads a value above the threshold as −ln((N_u+1)/(N+1)) + (r − r_u)/σ_u, r = √(2v)', () => {
    const r = fourDays();
    expect(tailSurprise(r.values, r.counts, 140)).toBeCloseTo(9.360850523807711, 6);
  });

  it('rises linearly in r to its value at the threshold below it', () => {
    const r = fourDays();
    expect(tailSurprise(r.values, r.counts, 100)).toBeCloseTo(3.774047766476838, 6);
    expect(tailSurprise(r.values, r.counts, 0)).toBe(0);
  });

  it('ranks a value beyond any seen above the largest seen, by the rate the tail falls', () => {
    const r = fourDays();
    const largest = tailSurprise(r.values, r.counts, 129);
    expect(tailSurprise(r.values, r.counts, 200)).toBeGreaterThan(largest + 20);
  });

  // Reference (numpy/scipy), a day of 300 ticks whose surprises are 0.2, 0.201, ..., 0.499 nats:
  //   tops=np.sort([enc(0.2+0.001*i) for i in range(300)])[::-1][:6]; uq=tops[5]; ru=r(dec(uq))
  //   ex=r(dec(tops[tops>uq]))-ru; atU=-np.log((len(ex)+1)/301)   # σ_u = ex.mean() = 0.0032
  //   mills=norm.sf(ru)/norm.pdf(ru)                              # 0.658: the model's own rate
  //   atU+(r(11.3)-ru)/max(ex.mean(), mills) -> 9.631488408924659   (1169 without the floor)
  it('reads a record lighter-tailed than the model at the model\'s rate beyond it, never lighter', () => {
    const r = record();
    advanceTail(r.values, r.counts, Number.NaN, 0);
    for (let i = 0; i < 300; i++) learnTail(r.values, r.counts, 0, 0.2 + 0.001 * i);
    expect(tailSurprise(r.values, r.counts, 11.3)).toBeCloseTo(9.631488408924659, 6);
  });

  it('is NaN while the record is young', () => {
    const r = record();
    advanceTail(r.values, r.counts, Number.NaN, 0);
    for (let i = 0; i < MIN_TAIL_TICKS - 1; i++) learnTail(r.values, r.counts, 0, i);
    expect(tailSurprise(r.values, r.counts, 50)).toBeNaN();
    learnTail(r.values, r.counts, 0, 1);
    expect(tailSurprise(r.values, r.counts, 50)).not.toBeNaN();
  });

  it('forgets a day once it is TAIL_DAYS days old, and everything after a longer gap', () => {
    const r = fourDays();
    const before = tailSurprise(r.values, r.counts, 140);
    // Days 4 .. 14 pass without ticks: day 0 is still in the window (15 days, today included).
    advanceTail(r.values, r.counts, 3, TAIL_DAYS - 1);
    expect(tailSurprise(r.values, r.counts, 140)).toBeCloseTo(before, 12);
    advanceTail(r.values, r.counts, TAIL_DAYS - 1, TAIL_DAYS);
    expect(r.counts[0]).toBe(0);
    expect(r.counts.reduce((a, b) => a + b, 0)).toBe(300);
    advanceTail(r.values, r.counts, TAIL_DAYS, 2 * TAIL_DAYS + 3);
    expect(r.counts.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('restores its snapshot, and an ill-fitting one as an empty record', () => {
    const r = fourDays();
    const s = snapshotTail(r.values, r.counts, 3);
    const back = record();
    expect(restoreTail(back.values, back.counts, JSON.parse(JSON.stringify(s)))).toBe(3);
    expect(tailSurprise(back.values, back.counts, 140)).toBeCloseTo(tailSurprise(r.values, r.counts, 140), 9);
    expect(restoreTail(back.values, back.counts, { ...s, counts: [1] })).toBeNaN();
    expect(back.counts.every((c) => c === 0)).toBe(true);
  });
});

describe('summariseTail (what a detector keeps of its record between the ticks that change it)', () => {
  const summary = (r: { values: Int16Array; counts: Float32Array }) => {
    const out = new Float64Array(TAIL_SUMMARY_FIELDS);
    summariseTail(r.values, r.counts, 0, 0, out, 0);
    return out;
  };

  it('moves only when learnTail says it kept a value or the record advances', () => {
    // Twenty days of ticks whose surprise is heavy-tailed (a few large values a day), as a series' are.
    const random = mulberry32(3);
    const r = record();
    let kept = 0;
    let notKept = 0;
    advanceTail(r.values, r.counts, Number.NaN, 0);
    for (let day = 0; day < 20; day++) {
      if (day > 0) advanceTail(r.values, r.counts, day - 1, day);
      for (let i = 0; i < 400; i++) {
        const before = summary(r);
        const v = -Math.log(random()) * (random() < 0.02 ? 30 : 2);
        if (learnTail(r.values, r.counts, day, v)) kept++;
        else {
          notKept++;
          expect(summary(r)).toEqual(before);
        }
      }
    }
    // Most ticks are not kept once a day's largest are in: that is what the summary saves.
    expect(notKept).toBeGreaterThan(10 * kept);
  });

  it('gives what tailSurprise gives, from the counts and the summary alone', () => {
    const r = fourDays();
    const s = summary(r);
    for (const v of [0, 50, 100, 124, 126, 140, 500, Number.NaN]) {
      const direct = tailSurprise(r.values, r.counts, v);
      if (Number.isNaN(direct)) expect(summarisedTailSurprise(r.counts, v, 0, s, 0)).toBeNaN();
      else expect(summarisedTailSurprise(r.counts, v, 0, s, 0)).toBe(direct);
    }
    // A young record: NaN from both.
    const young = record();
    advanceTail(young.values, young.counts, Number.NaN, 0);
    for (let i = 0; i < 10; i++) learnTail(young.values, young.counts, 0, i);
    expect(summarisedTailSurprise(young.counts, 5, 0, summary(young), 0)).toBeNaN();
  });

  it('reports no value kept for a value that is not a surprise (negative or NaN), and counts no tick', () => {
    const r = fourDays();
    const total = r.counts.reduce((a, b) => a + b, 0);
    expect(learnTail(r.values, r.counts, 3, -1)).toBe(false);
    expect(learnTail(r.values, r.counts, 3, Number.NaN)).toBe(false);
    expect(r.counts.reduce((a, b) => a + b, 0)).toBe(total);
  });
});

