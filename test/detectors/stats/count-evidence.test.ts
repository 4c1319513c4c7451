import { describe, expect, it } from 'vitest';
import { normalTailSurprise } from '../../../src/detectors/stats/anomaly-score.js';
import { additiveQuasiLLR, binomialAlternativeFor, binomialDevianceResidual, binomialLLR, cusumThreshold, negativeBinomialFactorFor, negativeBinomialLLR, poissonFactorFor, poissonLLR } from '../../../src/detectors/stats/count-evidence.js';

// Reference values computed with scipy 1.17 (numpy 2.4):
//   binom.logpmf(7, 20, 0.3) - binom.logpmf(7, 20, 0.1)   = 4.423198453024984
//   poisson.logpmf(30, 30) - poisson.logpmf(30, 20)       = 2.163953243244933
//   nb(x, mu, k) = nbinom.logpmf(x, k, k / (k + mu)):
//     nb(480, 720, 2.5) - nb(480, 24000, 2.5)              = 7.144207193763753
//     nb(0, 42, 10) - nb(0, 6000, 10)                       = 47.49936308947826
//     nb(600, 42, 10) - nb(600, 6000, 10)                   = -79.64592949792045
//     nb(3, 2, 200) - nb(3, 40, 200)                        = 26.004162045317685
//   brentq(f: c*mu*log(f) - (c*mu+s)*log((s+f*mu)/(s+mu)), 1e-15, .9999):
//     c=.157, mu=22500, s=2.6 -> 0.04967123719957079; c=.2, mu=6000, s=10 -> 0.06948126197236351;
//     c=.2, mu=40, s=200 -> 0.009161318104940907
//   brentq(f: f*log(1/f)/(1-f) - .2, 1e-9, .5)            = 0.06992031388355288
//   brentq(lambda f: (f-1)/log(f) - 1.5, 1.0001, 10)       = 2.144032841275566
//   brentq(lambda f: (f-1)/log(f) - 0.2, 1e-9, 0.9999)     = 0.006977153651142534
//   brentq(p1: log((1-.01)/(1-p1))/(log(p1/.01)+log((1-.01)/(1-p1))) - .03) = 0.06622301631179854
//   quad(lambda t: (k-t)/(t*(1-t/n)+e*n), n*p0, n*p1, epsabs=1e-13, epsrel=1e-12)[0]:
//     k=12, n=12, p0=.01, p1=.505, e=4.9/12   -> 7.938440614429416
//     k=150, n=180, p0=.01, p1=.505, e=75/180 -> 91.58362595751511
//     k=-2, n=12, p0=.01, p1=.505, e=.1       -> -9.155416339427763
describe('count evidence', () => {
  it('binomial LLR matches the difference of log-pmfs', () => {
    expect(binomialLLR(7, 20, 0.1, 0.3)).toBeCloseTo(4.423198453024984, 12);
  });

  it('is linear in k, so completions counted a tick late give back what they seemed to lose', () => {
    const early = binomialLLR(3, 10, 0.01, 0.07);
    const late = binomialLLR(-3, 10, 0.01, 0.07);
    expect(early + late).toBeCloseTo(2 * binomialLLR(0, 10, 0.01, 0.07), 12);
  });

  it('additive quasi-likelihood LLR matches the integral of (k − t)/V(t), and is the binomial LLR with no excess', () => {
    expect(additiveQuasiLLR(12, 12, 0.01, 0.505, 4.9 / 12)).toBeCloseTo(7.938440614429416, 10);
    expect(additiveQuasiLLR(150, 180, 0.01, 0.505, 75 / 180)).toBeCloseTo(91.58362595751511, 10);
    expect(additiveQuasiLLR(-2, 12, 0.01, 0.505, 0.1)).toBeCloseTo(-9.155416339427763, 10);
    expect(additiveQuasiLLR(7, 20, 0.1, 0.3, 0)).toBeCloseTo(binomialLLR(7, 20, 0.1, 0.3), 12);
    expect(additiveQuasiLLR(7, 20, 0.1, 0.3, 1e-12)).toBeCloseTo(binomialLLR(7, 20, 0.1, 0.3), 9);
  });

  it('weighs a total break far above the binomial LLR divided by the same dispersion', () => {
    // 12 of 12 lost at p0 = 1 %, with the excess of requests in flight between two scrapes (φ = 42).
    const phi = 42;
    const extra = (phi - 1) * 0.01 * 0.99;
    expect(additiveQuasiLLR(12, 12, 0.01, 0.505, extra)).toBeGreaterThan(5 * (binomialLLR(12, 12, 0.01, 0.505) / phi));
    // Near p0 the two agree: one request lost of 1,000 is read alike.
    expect(additiveQuasiLLR(11, 1000, 0.01, 0.0101, extra)).toBeCloseTo(binomialLLR(11, 1000, 0.01, 0.0101) / phi, 4);
  });

  it('gives back across ticks what lag took: its slope in k does not depend on n', () => {
    const extra = 0.3;
    // 12 requests, 4 completions late; then a tick with no requests and those 4 completions.
    const pair = additiveQuasiLLR(4, 12, 0.01, 0.505, extra) + additiveQuasiLLR(-4, 0, 0.01, 0.505, extra);
    expect(pair).toBeCloseTo(additiveQuasiLLR(0, 12, 0.01, 0.505, extra), 12);
  });

  it('Poisson LLR matches the difference of log-pmfs', () => {
    expect(poissonLLR(30, 20, 1.5)).toBeCloseTo(2.163953243244933, 12);
  });

  it('weighs a count by the negative binomial: a tick near zero of lumpy traffic is strong evidence, a tenth of it none', () => {
    expect(negativeBinomialLLR(480, 24000, 0.03, 2.5)).toBeCloseTo(7.144207193763753, 9);
    expect(negativeBinomialLLR(0, 6000, 0.007, 10)).toBeCloseTo(47.49936308947826, 9);
    expect(negativeBinomialLLR(600, 6000, 0.007, 10)).toBeCloseTo(-79.64592949792045, 9);
    expect(negativeBinomialLLR(3, 40, 0.05, 200)).toBeCloseTo(26.004162045317685, 9);
    // A large shape is Poisson.
    expect(negativeBinomialLLR(3, 40, 0.05, 1e9)).toBeCloseTo(poissonLLR(3, 40, 0.05), 5);
  });

  it('finds the negative binomial factor whose CUSUM is indifferent at a given fall, between the Poisson and the gamma ones', () => {
    expect(negativeBinomialFactorFor(0.157, 22500 / 2.6)).toBeCloseTo(0.04967123719957079, 9);
    expect(negativeBinomialFactorFor(0.2, 6000 / 10)).toBeCloseTo(0.06948126197236351, 9);
    expect(negativeBinomialFactorFor(0.2, 40 / 200)).toBeCloseTo(0.009161318104940907, 9);
    // Nearly Poisson counts take Poisson's factor; nearly gamma ones the gamma scale family's.
    expect(negativeBinomialFactorFor(0.2, 1e-9)).toBeCloseTo(poissonFactorFor(0.2), 6);
    expect(negativeBinomialFactorFor(0.2, 1e9)).toBeCloseTo(0.06992031388355288, 6);
    // At the indifference point the LLR is zero; below it, positive.
    const f = negativeBinomialFactorFor(0.2, 600);
    expect(negativeBinomialLLR(0.2 * 6000, 6000, f, 10)).toBeCloseTo(0, 6);
    expect(negativeBinomialLLR(0.1 * 6000, 6000, f, 10)).toBeGreaterThan(0);
    expect(() => negativeBinomialFactorFor(1, 1)).toThrow(RangeError);
  });

  it('finds the Poisson factor whose CUSUM is indifferent at a given change', () => {
    expect(poissonFactorFor(1.5)).toBeCloseTo(2.144032841275566, 9);
    expect(poissonFactorFor(0.2)).toBeCloseTo(0.006977153651142534, 9);
    // At the indifference point the expected LLR is zero; beyond it, positive.
    const f = poissonFactorFor(1.5);
    expect(poissonLLR(1.5 * 100, 100, f)).toBeCloseTo(0, 6);
    expect(poissonLLR(1.6 * 100, 100, f)).toBeGreaterThan(0);
    expect(() => poissonFactorFor(1)).toThrow(RangeError);
  });

  it('finds the binomial alternative whose CUSUM is indifferent at a given failure fraction', () => {
    const p1 = binomialAlternativeFor(0.01, 0.03);
    expect(p1).toBeCloseTo(0.06622301631179854, 9);
    expect(binomialLLR(0.03 * 1000, 1000, 0.01, p1)).toBeCloseTo(0, 6);
    expect(() => binomialAlternativeFor(0.05, 0.03)).toThrow(RangeError);
  });

  it('finds the binomial alternative at every failure floor and indifference point the error check asks for', () => {
    // The root by bisection to 1e-13 (the way it was found before Newton's steps), and the defining
    // equation itself: the indifference point is where the expected LLR per trial is zero.
    const indifferenceAt = (p0: number, p1: number) => Math.log((1 - p0) / (1 - p1)) / (Math.log(p1 / p0) + Math.log((1 - p0) / (1 - p1)));
    const bisected = (p0: number, x: number) => {
      let lo = p0;
      let hi = 1 - 1e-12;
      while (hi - lo > 1e-13) {
        const mid = (lo + hi) / 2;
        if (indifferenceAt(p0, mid) < x) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    };
    let cases = 0;
    for (const p0 of [0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.3, 0.5, 0.9]) {
      for (let j = 1; j < 40; j++) {
        const x = p0 + (0.99 - p0) * (j / 40) ** 2;
        if (!(x > p0 && x < 1)) continue;
        const p1 = binomialAlternativeFor(p0, x);
        const reference = bisected(p0, x);
        expect(p1).toBeGreaterThan(x);
        expect(Math.abs(p1 - reference)).toBeLessThan(2e-13);
        // Within a millionth of 1 the ratio barely moves with p1: both searches end at the bound.
        if (reference < 1 - 1e-6) {
          expect(indifferenceAt(p0, p1)).toBeCloseTo(x, 8);
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(200);
  });

  it('sets the CUSUM threshold from false alarms per year: h = ln(charts · ticks a year / rate)', () => {
    const ticksPerYear = (365.25 * 86_400) / 15;
    expect(cusumThreshold(0.1, 15_000, 6)).toBeCloseTo(Math.log((6 * ticksPerYear) / 0.1), 12);
    // Finer ticks get a higher bar: more chances a year to cross it by chance.
    expect(cusumThreshold(0.1, 1000, 6) - cusumThreshold(0.1, 15_000, 6)).toBeCloseTo(Math.log(15), 12);
  });
});

describe('binomialDevianceResidual', () => {
  // Reference (scipy 1.17): y = clip(k, 0, n); mu = n*p
  //   np.sign(y-mu)*np.sqrt(2*(xlogy(y, y/mu) + xlogy(n-y, (n-y)/(n-mu))))
  it.each([
    [2, 2, 0.01, 4.291932052578694],
    [0, 2, 0.01, -0.20050272669967864],
    [3, 100, 0.01, 1.6224526604972103],
    [30, 100, 0.01, 12.471743974593007],
    [12.5, 40.25, 0.05, 5.27887626343408],
    [0, 1000, 0.02, -6.356525358640437],
  ])('%f failures of %f at p = %f: %f', (k, n, p, expected) => {
    expect(binomialDevianceResidual(k, n, p)).toBeCloseTo(expected, 9);
  });

  it('clips a signed count read from rates to [0, n]', () => {
    expect(binomialDevianceResidual(3, 2, 0.01)).toBe(binomialDevianceResidual(2, 2, 0.01));
    expect(binomialDevianceResidual(-1.5, 2, 0.01)).toBe(binomialDevianceResidual(0, 2, 0.01));
  });

  it('is NaN without trials or with p outside (0, 1)', () => {
    expect(binomialDevianceResidual(0, 0, 0.01)).toBeNaN();
    expect(binomialDevianceResidual(1, 2, 0)).toBeNaN();
    expect(binomialDevianceResidual(1, 2, 1)).toBeNaN();
    expect(binomialDevianceResidual(Number.NaN, 2, 0.1)).toBeNaN();
  });

  // scipy: -binom.logsf(k - 1, n, p), the exact surprise of k or more failures.
  it.each([
    [2, 2, 0.01, 9.210340371976182],
    [3, 100, 0.01, 2.5335944708171962],
    [30, 100, 0.01, 80.19348505169545],
    [5, 5, 0.3, 6.01986402162968],
  ])('read through a normal tail, tracks the exact surprise of %f of %f at p = %f (%f nats) where the Pearson residual does not', (k, n, p, exact) => {
    expect(Math.abs(normalTailSurprise(binomialDevianceResidual(k, n, p)) - exact)).toBeLessThan(2.5);
    if (k === n && p === 0.01) expect(normalTailSurprise((k - n * p) / Math.sqrt(n * p * (1 - p))) - exact).toBeGreaterThan(80);
  });
});
