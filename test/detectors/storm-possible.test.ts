import { describe, expect, it } from 'vitest';
import { loadBundledClientModels } from '../../src/config/bundled-models.js';
import type { ClientModel } from '../../src/detectors/client-model.js';
import { stormStillPossible } from '../../src/detectors/storm-possible.js';

const models = loadBundledClientModels();
const model = (name: string): ClientModel => models.find((m) => m.name === name)!;
const STORM_FROM = 1.2;

/**
 * Builds of `crates` crates arriving every `gapS` seconds meet a total failure at `onsetS`: every
 * attempt fails; each crate retries after the model's sleeps; a build stops at the first crate that
 * runs out of attempts (cargo). Returns the requests per tick of `tickS` seconds (tick k covers
 * [k·tick, (k+1)·tick)). An event simulation, independent of the ramp model it checks.
 */
function simulateBuilds(m: ClientModel, crates: number, gapS: number, onsetS: number, tickS: number, ticks: number, seed: number): number[] {
  let state = seed;
  const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const counts = new Array<number>(ticks).fill(0);
  const count = (t: number) => {
    const k = Math.floor(t / tickS);
    if (k >= 0 && k < ticks) counts[k]!++;
  };
  for (let start = -60; start < ticks * tickS; start += gapS) {
    if (start < onsetS) {
      for (let c = 0; c < crates; c++) count(start);
      continue;
    }
    // Each crate's attempt times until its last; the build ends at the first crate's last attempt.
    const chains = Array.from({ length: crates }, () => {
      const times = [start];
      for (let k = 0; k < m.maxRetries; k++) {
        const d = m.delaysSeconds[k] ?? m.delaysSeconds.at(-1)!;
        times.push(times.at(-1)! + d.min + random() * (d.max - d.min));
      }
      return times;
    });
    const end = m.abortsOnFirstExhausted ? Math.min(...chains.map((c) => c.at(-1)!)) : Number.POSITIVE_INFINITY;
    for (const chain of chains) for (const t of chain) if (t <= end) count(t);
  }
  return counts;
}

describe('stormStillPossible', () => {
  it.each([
    ['cargo', 1],
    ['cargo', 5],
    ['cargo', 15],
    ['cargo-legacy', 5],
    ['pip', 5],
    ['npm', 15],
  ])('never rules out a real %s storm while it builds up (%d s ticks)', (name, tickS) => {
    const m = model(name);
    const gapS = 0.05;
    for (let i = 0; i < 8; i++) {
      // Onset anywhere inside tick 10.
      const onsetS = (10 + (i + 0.5) / 8) * tickS;
      const counts = simulateBuilds(m, 4, gapS, onsetS, tickS, 10 + Math.ceil(60 / tickS), 11 + i);
      const baseline = (4 / gapS) * tickS;
      let observed = 0;
      let expected = 0;
      for (let k = 10; k < counts.length; k++) {
        observed += counts[k]!;
        expected += baseline;
        // The run's multiplier read almost exactly: an upper end 1 % above the value (a real one is
        // e^2σ above it, σ ≥ 0.02), for the build arrivals' own granularity.
        const run = { multiplierHigh: (1.01 * observed) / expected, tickMs: tickS * 1000, elapsedMs: (k - 10) * tickS * 1000 };
        expect(stormStillPossible([m], run, 1, STORM_FROM), `tick ${k - 10} after the onset at ${onsetS} s, run ${run.multiplierHigh.toFixed(3)}x`).toBe(true);
      }
    }
  });

  it('counts a client whose storm may be anything from none (it aborts on time) at the least storm there is', () => {
    // cargo ≤ 1.69 alone, a total failure: its range reaches down to 1x, yet a storm it makes shows at once.
    const legacy = model('cargo-legacy');
    // Its least storm, 1.2x, from an onset at the end of the run's first tick (a second's slack):
    // over two ticks at least 1 + 0.2·4/10 = 1.08x, over three 1 + 0.2·9/15 = 1.12x.
    expect(stormStillPossible([legacy], { multiplierHigh: 1.05, tickMs: 5000, elapsedMs: 0 }, 1, STORM_FROM)).toBe(true);
    expect(stormStillPossible([legacy], { multiplierHigh: 1.1, tickMs: 5000, elapsedMs: 5000 }, 1, STORM_FROM)).toBe(true);
    expect(stormStillPossible([legacy], { multiplierHigh: 1.1, tickMs: 5000, elapsedMs: 10_000 }, 1, STORM_FROM)).toBe(false);
  });

  it('a flat rate rules out a client that retries within a second by the second tick, not at the first', () => {
    const flat = (elapsedMs: number) => ({ multiplierHigh: 1.05, tickMs: 5000, elapsedMs });
    expect(stormStillPossible([model('cargo')], flat(0), 1, STORM_FROM)).toBe(true);
    expect(stormStillPossible([model('cargo')], flat(5000), 1, STORM_FROM)).toBe(false);
  });

  it('a client that waits ten seconds before retrying keeps the question open that long', () => {
    const flat = (elapsedMs: number) => ({ multiplierHigh: 1.05, tickMs: 5000, elapsedMs });
    expect(stormStillPossible([model('npm')], flat(5000), 1, STORM_FROM)).toBe(true);
    expect(stormStillPossible([model('npm')], flat(20_000), 1, STORM_FROM)).toBe(false);
    // With cargo beside it, npm decides.
    expect(stormStillPossible([model('cargo'), model('npm')], flat(5000), 1, STORM_FROM)).toBe(true);
  });

  it('clients that cannot make a storm at this failing fraction, or never retry, keep nothing open', () => {
    const flat = { multiplierHigh: 1.0, tickMs: 5000, elapsedMs: 0 };
    // 5 % failing: cargo's plateau stays under 1.2
    expect(stormStillPossible([model('cargo')], flat, 0.05, STORM_FROM)).toBe(false);
    // 30 % of attempts failing independently: cargo makes 1.42x, a storm that may still be coming
    expect(stormStillPossible([model('cargo')], flat, 0.3, STORM_FROM)).toBe(true);
    expect(stormStillPossible([model('go-modules')], flat, 1, STORM_FROM)).toBe(false);
    expect(stormStillPossible([], flat, 1, STORM_FROM)).toBe(false);
  });
});
