import { describe, expect, it } from 'vitest';
import { MAX_BUILD_REQUESTS, normalCdf, plateauPosterior, retriesAtOnce, totalFailurePrior } from '../../src/detectors/plateau-prior.js';
import { MIX_LOG_SIGMA } from '../../src/detectors/retry-amplification.js';

// Reference values computed with numpy/scipy (scipy.stats.norm; the mixture's posterior by brute-force
// integration on a 400 001-point grid of log M, not by conjugacy).
const cargo = { maxRetries: 3, abortsOnFirstExhausted: true };
const legacy = { maxRetries: 2, abortsOnFirstExhausted: true };

describe('totalFailurePrior', () => {
  it('puts an aborting client at R + 1/N, N log-uniform over 1..MAX_BUILD_REQUESTS (numpy: E[M] = 3.2196 for cargo)', () => {
    const prior = totalFailurePrior(cargo);
    // Builds closer than 0.005 in log M are merged into one component: fewer than 100 terms.
    expect(prior.length).toBeLessThan(100);
    expect(prior.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 12);
    expect(prior.reduce((s, c) => s + c.weight * Math.exp(c.logM), 0)).toBeCloseTo(3.219616721, 3);
    expect(Math.exp(Math.min(...prior.map((c) => c.logM)))).toBeGreaterThan(3 + 1 / MAX_BUILD_REQUESTS - 1e-9);
    expect(Math.exp(Math.min(...prior.map((c) => c.logM)))).toBeLessThan(3.02);
    expect(Math.exp(Math.max(...prior.map((c) => c.logM)))).toBeCloseTo(4, 9);
  });

  it('spreads a client retrying at once evenly over 1 to R + 1: it aborts on time, not count (numpy: E[M] = 2 for R = 2)', () => {
    const atOnce = { ...legacy, delaysSeconds: [{ min: 0, max: 0 }, { min: 0, max: 0 }] };
    expect(retriesAtOnce(atOnce.delaysSeconds)).toBe(true);
    expect(retriesAtOnce([{ min: 1, max: 1 }])).toBe(false);
    expect(retriesAtOnce(undefined)).toBe(false);
    const prior = totalFailurePrior(atOnce);
    expect(prior.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 12);
    expect(prior.reduce((s, c) => s + c.weight * Math.exp(c.logM), 0)).toBeCloseTo(2, 9);
    expect(Math.exp(Math.min(...prior.map((c) => c.logM)))).toBeLessThan(1.05);
    expect(Math.exp(Math.max(...prior.map((c) => c.logM)))).toBeGreaterThan(2.95);
    // Real cargo 1.65 at 4 crates (2.79) and 20 (1.58): each posterior's interval holds its plateau.
    for (const y of [2.79, 1.58]) {
      const p = plateauPosterior(prior, Math.log(y), 0.05, MIX_LOG_SIGMA);
      expect(p.multiplierLow).toBeLessThan(y);
      expect(p.multiplierHigh).toBeGreaterThan(y);
      expect(Math.abs(p.multiplier / y - 1)).toBeLessThan(0.03);
    }
  });

  it('puts a client retrying each request on its own at R + 1', () => {
    expect(totalFailurePrior({ maxRetries: 5, abortsOnFirstExhausted: false })).toEqual([{ logM: Math.log(6), weight: 1 }]);
  });
});

describe('plateauPosterior', () => {
  it('matches the conjugate normal for one component (scipy: mean 2.9784, 95 % 2.6808-3.2999, log evidence 0.81891)', () => {
    const p = plateauPosterior([{ logM: Math.log(3), weight: 1 }], Math.log(2.8), 0.15, MIX_LOG_SIGMA);
    expect(p.multiplier).toBeCloseTo(2.978444504, 5);
    expect(p.multiplierLow).toBeCloseTo(2.680764789, 4);
    expect(p.multiplierHigh).toBeCloseTo(3.299894114, 4);
    expect(p.logEvidence).toBeCloseTo(0.81891436, 5);
  });

  it('matches brute-force integration for the cargo mixture (numpy: mean 3.0603, 95 % 2.6980-3.6820, log evidence 0.17902)', () => {
    // Within 0.005 (the merged prior components approximate the thousand builds).
    const p = plateauPosterior(totalFailurePrior(cargo), Math.log(2.6), 0.2, MIX_LOG_SIGMA);
    expect(p.multiplier).toBeCloseTo(3.0603204, 2);
    expect(p.multiplierLow).toBeCloseTo(2.6980366, 2);
    expect(p.multiplierHigh).toBeCloseTo(3.6820009, 2);
    expect(p.logEvidence).toBeCloseTo(0.17902, 2);
    // The same plateau under cargo <= 1.69 (numpy: 0.14469): halfway between 2x and 3x, barely cargo.
    expect(plateauPosterior(totalFailurePrior(legacy), Math.log(2.6), 0.2, MIX_LOG_SIGMA).logEvidence).toBeCloseTo(0.14469, 2);
  });

  it('shrinks noisy data toward what the client can do, and lets clean data move the estimate', () => {
    const prior = totalFailurePrior(cargo);
    const noisy = plateauPosterior(prior, Math.log(3.6), 0.3, MIX_LOG_SIGMA);
    const clean = plateauPosterior(prior, Math.log(3.6), 0.02, MIX_LOG_SIGMA);
    expect(noisy.multiplier).toBeLessThan(3.3);
    expect(clean.multiplier).toBeGreaterThan(3.5);
    expect(clean.multiplierHigh - clean.multiplierLow).toBeLessThan(noisy.multiplierHigh - noisy.multiplierLow);
  });

  it('prefers the client whose plateau the observation is near', () => {
    for (const [y, better] of [[3.0, cargo], [2.1, legacy]] as const) {
      const other = better === cargo ? legacy : cargo;
      expect(plateauPosterior(totalFailurePrior(better), Math.log(y), 0.15, MIX_LOG_SIGMA).logEvidence).toBeGreaterThan(plateauPosterior(totalFailurePrior(other), Math.log(y), 0.15, MIX_LOG_SIGMA).logEvidence);
    }
  });
});

describe('normalCdf', () => {
  it('agrees with scipy.stats.norm.cdf', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021049, 6);
    expect(normalCdf(-0.5)).toBeCloseTo(0.3085375387, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });
});
