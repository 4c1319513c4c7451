import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/sim/random.js';
import { STORM_MIN_MULTIPLIER, maxRetryMultiplier, retriesCanStorm } from '../../src/decisions/storm-floor.js';

describe('the most retries can add', () => {
  it('is 1/(1 − failing share)', () => {
    expect(maxRetryMultiplier(0)).toBe(1);
    expect(maxRetryMultiplier(0.05)).toBeCloseTo(1.0526315789, 9);
    expect(maxRetryMultiplier(0.5)).toBe(2);
    expect(maxRetryMultiplier(1)).toBe(Number.POSITIVE_INFINITY);
    expect(maxRetryMultiplier(-0.01)).toBe(1);
  });

  it('bounds every simulated retry policy: retries after failures, independent or on every attempt', () => {
    const random = mulberry32(7);
    for (let run = 0; run < 200; run++) {
      const retries = Math.floor(random() * 11);
      const p = random();
      const persistentShare = random();
      let requests = 0;
      let attempts = 0;
      let failed = 0;
      for (let r = 0; r < 500; r++) {
        requests++;
        // Some requests fail on every attempt (a broken object), the others each attempt by chance.
        const persistent = random() < persistentShare * p;
        for (let a = 0; a <= retries; a++) {
          attempts++;
          const fails = persistent || random() < p;
          if (!fails) break;
          failed++;
        }
      }
      expect(attempts / requests).toBeLessThanOrEqual(maxRetryMultiplier(failed / attempts) * (1 + 1e-12));
    }
  });

  it('lets a storm be called only where retries could add the storm floor; an unknown share leaves it open', () => {
    const edge = 1 - 1 / STORM_MIN_MULTIPLIER;
    expect(retriesCanStorm(0.05)).toBe(false);
    expect(retriesCanStorm(edge - 1e-9)).toBe(false);
    expect(retriesCanStorm(edge + 1e-9)).toBe(true);
    expect(retriesCanStorm(0.3)).toBe(true);
    expect(retriesCanStorm(Number.NaN)).toBe(true);
  });
});
