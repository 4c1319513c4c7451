import { describe, expect, it } from 'vitest';
import { counterQuery } from '../../src/source/counter-query.js';
import { SCRAPE_DURATION_QUERY, SCRAPE_READ_MARGIN_MS, TICK_OFFSET_STEP_MS, alignable, bestTickOffset, meanLagAt, readMarginMs, realignGainMs, sampleTimeQuery, vectorSelectorsOf } from '../../src/source/scrape-phase.js';
import { promqlSyntaxError } from '../../src/config/promql-syntax.js';

describe('vectorSelectorsOf', () => {
  it('finds the one selector behind the reset-aware counter query, and `up` for its targets down', () => {
    const selector = 'http_requests_total{job="registry",route="/download"}';
    expect(vectorSelectorsOf(counterQuery(selector, 'irate', 60_000, 15_000, ['service']))).toEqual([selector, 'up']);
  });

  it('finds every selector of a hand-written expression, recording rules and offsets included', () => {
    const q = 'sum(rate(errors_total{code=~"5.."}[5m] offset 1m)) / sum(job:requests:rate5m) + on() up';
    expect(vectorSelectorsOf(q)).toEqual(['errors_total{code=~"5.."}', 'job:requests:rate5m', 'up']);
  });

  it('the sample time and scrape duration queries are valid PromQL', () => {
    expect(promqlSyntaxError(sampleTimeQuery('errors_total{code=~"5.."}'))).toBeUndefined();
    expect(promqlSyntaxError(SCRAPE_DURATION_QUERY)).toBeUndefined();
  });
});

describe('bestTickOffset', () => {
  it('ticks at the first step of the grid after one target is readable', () => {
    // scraped 7.3 s into each 15 s interval: readable from 8.3 s, so at 8.3 s, 1 s old
    const found = bestTickOffset([{ sampleMs: 1_795_000_005_000 + 7300, marginMs: SCRAPE_READ_MARGIN_MS }], 15_000)!;
    expect(found.offsetMs).toBe(8300);
    expect(found.meanLagMs).toBeCloseTo(1000, 6);
    // at the epoch's multiples the same scrape is 7.7 s old
    expect(found.unalignedMeanLagMs).toBeCloseTo(7700, 6);
    // between steps: readable from 8.34 s, so at 8.4 s
    expect(bestTickOffset([{ sampleMs: 7340, marginMs: SCRAPE_READ_MARGIN_MS }], 15_000)).toMatchObject({ offsetMs: 8400, meanLagMs: 1060 });
  });

  it('wraps around the interval', () => {
    const found = bestTickOffset([{ sampleMs: 14_600, marginMs: 1000 }], 15_000)!;
    expect(found.offsetMs).toBe(600);
    expect(found.meanLagMs).toBeCloseTo(1000, 6);
  });

  it('serves two targets with the least mean age, not the first one', () => {
    // readable at 3 s and 10 s: ticking at 3 s ages them 1 s and 9 s, at 10 s 8 s and 1 s
    const found = bestTickOffset([{ sampleMs: 2000, marginMs: 1000 }, { sampleMs: 9000, marginMs: 1000 }], 15_000)!;
    expect(found.offsetMs).toBe(10_000);
    expect(found.meanLagMs).toBeCloseTo(4500, 6);
  });

  it('aligns 1 s ticks too; not intervals off the whole-second grid, nor no targets', () => {
    // scraped 300 ms into each second, 10 ms to fetch: readable from 570 ms, so at 600 ms
    expect(bestTickOffset([{ sampleMs: 1_795_000_000_300, marginMs: readMarginMs(0.01) }], 1000)).toMatchObject({ offsetMs: 600, meanLagMs: 300 });
    expect([500, 1000, 1500, 2000, 15_000].map(alignable)).toEqual([false, true, false, true, true]);
    expect(bestTickOffset([{ sampleMs: 300, marginMs: 1000 }], 1500)).toBeUndefined();
    expect(bestTickOffset([], 15_000)).toBeUndefined();
    expect(bestTickOffset([{ sampleMs: Number.NaN, marginMs: 1000 }], 15_000)).toBeUndefined();
  });

  it('moves ticks only for a gain of a tenth of the interval, at most a second', () => {
    expect([1000, 5000, 15_000, 60_000].map(realignGainMs)).toEqual([100, 500, 1000, 1000]);
  });

  it("a quick target's own scrape duration lets ticks come sooner after it", () => {
    // scraped at 3.1 s, 10 ms to fetch: readable from about 3.37 s, so the tick at 3.4 s reads it
    expect(readMarginMs(0.01)).toBeCloseTo(270, 6);
    expect(bestTickOffset([{ sampleMs: 3100, marginMs: readMarginMs(0.01) }], 5000)).toMatchObject({ offsetMs: 3400, meanLagMs: 300 });
    // not known: the default second, so at 4.1 s
    expect(readMarginMs(undefined)).toBe(SCRAPE_READ_MARGIN_MS);
    expect(bestTickOffset([{ sampleMs: 3100, marginMs: readMarginMs(undefined) }], 5000)).toMatchObject({ offsetMs: 4100, meanLagMs: 1000 });
  });

  it("the age it states is what a tick reads: each target's newest sample at least a margin old", () => {
    // Simulated scrapes of targets at random phases, read by ticks at each offset over an hour.
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const interval = 15_000;
    for (let trial = 0; trial < 20; trial++) {
      const targets = Array.from({ length: 1 + Math.floor(random() * 6) }, () => ({ phaseMs: random() * interval, marginMs: 200 + random() * 2000 }));
      for (let offset = 0; offset < interval; offset += 1000) {
        let total = 0;
        let reads = 0;
        for (let k = 10; k < 250; k++) {
          const tick = k * interval + offset;
          for (const { phaseMs, marginMs } of targets) {
            // newest scrape whose sample is readable by the tick
            const newest = Math.floor((tick - marginMs - phaseMs) / interval) * interval + phaseMs;
            total += tick - newest;
            reads++;
          }
        }
        expect(meanLagAt(targets, interval, offset)).toBeCloseTo(total / reads, 6);
      }
      const best = bestTickOffset(targets.map((t) => ({ sampleMs: 1_795_000_005_000 + t.phaseMs, marginMs: t.marginMs })), interval)!;
      // no offset of the grid reads sooner than the one chosen from the candidates
      for (let offset = 0; offset < interval; offset += TICK_OFFSET_STEP_MS) expect(best.meanLagMs).toBeLessThanOrEqual(meanLagAt(targets, interval, offset) + 1e-3);
      expect(best.offsetMs % TICK_OFFSET_STEP_MS).toBe(0);
    }
  });
});
