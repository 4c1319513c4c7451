import { describe, expect, it } from 'vitest';
import { WINSORISED_MEAN, WINSOR_CHI2, successiveRatioResidual, successiveResidual, winsorisedResidual } from '../../../src/detectors/stats/successive-dispersion.js';

/** E[(n₁ − n₂)²/(n₁ + n₂) | n₁ + n₂ > 0] for two independent counts of pmf `pmf`, by enumeration. */
function expectedResidual(pmf: number[]): number {
  let sum = 0;
  let mass = 0;
  for (let a = 0; a < pmf.length; a++) {
    for (let b = 0; b < pmf.length; b++) {
      const r = successiveResidual(a, b);
      if (Number.isNaN(r)) continue;
      sum += pmf[a]! * pmf[b]! * r;
      mass += pmf[a]! * pmf[b]!;
    }
  }
  return sum / mass;
}

function poissonPmf(mean: number, size: number): number[] {
  const out = [Math.exp(-mean)];
  for (let x = 1; x < size; x++) out.push((out[x - 1]! * mean) / x);
  return out;
}

/** Negative binomial of mean `mean` and variance φ·mean (scipy.stats.nbinom with n = mean/(φ − 1), p = n/(n + mean)). */
function negativeBinomialPmf(mean: number, phi: number, size: number): number[] {
  const n = mean / (phi - 1);
  const p = n / (n + mean);
  const out = [p ** n];
  for (let x = 1; x < size; x++) out.push((out[x - 1]! * (x - 1 + n) * (1 - p)) / x);
  return out;
}

describe('successiveResidual', () => {
  it('has mean exactly 1 for two Poisson counts of one level, from sparse to busy', () => {
    // Given their sum s, n₁ is Binomial(s, ½): E[(2n₁ − s)²/s] = 1 (scipy enumeration: 1.0000000000000004 at 0.5).
    for (const mean of [0.5, 2, 10, 200]) expect(expectedResidual(poissonPmf(mean, Math.ceil(mean * 3 + 40)))).toBeCloseTo(1, 9);
  });

  it('reads an overdispersed count near its dispersion', () => {
    // Negative binomial, mean 50, φ = 4: scipy enumeration 3.883495145631068 (the ratio to the sum is not exact above Poisson).
    expect(expectedResidual(negativeBinomialPmf(50, 4, 600))).toBeCloseTo(3.883495145631068, 9);
  });

  it('is NaN with no previous count or two silent ticks, and a level shift costs one residual', () => {
    expect(successiveResidual(5, Number.NaN)).toBeNaN();
    expect(successiveResidual(5, -1)).toBeNaN();
    expect(successiveResidual(0, 0)).toBeNaN();
    expect(successiveResidual(3, 1)).toBe(1);
    // 3000 a tick, then 1000 a tick: the step once, then the new level's noise only.
    expect(successiveResidual(1000, 3000)).toBe(1000);
    expect(successiveResidual(1010, 1000)).toBeCloseTo(100 / 2010, 12);
  });
});

describe('winsorisedResidual', () => {
  it("caps a trusted estimate's residual at χ²(1)'s 0.999 quantile times the dispersion learnt", () => {
    // √c is the normal's 0.9995 quantile (scipy.stats.norm.ppf(0.9995) = 3.2905267314919255).
    expect(Math.sqrt(WINSOR_CHI2)).toBeCloseTo(3.2905267314919255, 12);
    expect(winsorisedResidual(1000, 2, true)).toBeCloseTo(2 * WINSOR_CHI2, 12);
    expect(winsorisedResidual(1000, 0.5, true)).toBeCloseTo(WINSOR_CHI2, 12);
    expect(winsorisedResidual(5, 2, true)).toBe(5);
    expect(winsorisedResidual(1000, 2, false)).toBe(1000);
    expect(winsorisedResidual(Number.NaN, 2, true)).toBeNaN();
  });

  it('leaves a unit dispersion almost whole: E[min(χ²(1), c)] as scipy gives it', () => {
    // Midpoint rule over the χ²(1) density, 0 to c (the mass above c contributes c each).
    const density = (x: number) => Math.exp(-x / 2) / Math.sqrt(2 * Math.PI * x);
    const steps = 2_000_000;
    const h = WINSOR_CHI2 / steps;
    let below = 0;
    let mass = 0;
    for (let i = 0; i < steps; i++) {
      const x = (i + 0.5) * h;
      below += x * density(x) * h;
      mass += density(x) * h;
    }
    // The density's pole at 0 loses a little mass to the midpoint rule; the tail mass is 0.001 exactly.
    expect(below + 0.001 * WINSOR_CHI2).toBeCloseTo(WINSORISED_MEAN, 3);
    expect(mass).toBeGreaterThan(0.99);
  });
});

/** The pmf of k failures among n when the ratio is Beta(a, b) (beta-binomial), by the ratio of successive terms; binomial when a is Infinity. */
function ratioPmf(n: number, p: number, rho = 0): number[] {
  const a = (p * (1 - rho)) / rho;
  const b = ((1 - p) * (1 - rho)) / rho;
  const out = [1];
  for (let k = 0; k < n; k++) out.push(out[k]! * ((n - k) / (k + 1)) * (rho > 0 ? (k + a) / (n - k - 1 + b) : p / (1 - p)));
  const total = out.reduce((x, y) => x + y, 0);
  return out.map((x) => x / total);
}

/** E[X²] of two independent ticks of n and n0 requests whose failures have pmfs `pa`, `pb`, over the tables it is defined on. */
function expectedRatioResidual(pa: number[], pb: number[]): number {
  let sum = 0;
  let mass = 0;
  for (let a = 0; a < pa.length; a++) {
    for (let b = 0; b < pb.length; b++) {
      const r = successiveRatioResidual(a, pa.length - 1, b, pb.length - 1);
      if (Number.isNaN(r)) continue;
      sum += pa[a]! * pb[b]! * r;
      mass += pa[a]! * pb[b]!;
    }
  }
  return sum / mass;
}

describe('successiveRatioResidual', () => {
  it("is the 2×2 table's Pearson χ² (scipy chi2_contingency, correction=False)", () => {
    expect(successiveRatioResidual(30, 1500, 12, 1480)).toBeCloseTo(7.58176050211448, 12);
    expect(successiveRatioResidual(0, 20, 3, 25)).toBeCloseTo(2.571428571428571, 12);
    expect(successiveRatioResidual(5, 5, 0, 7)).toBeCloseTo(12, 12);
    expect(successiveRatioResidual(91, 400, 60, 420)).toBeCloseTo(9.77013800798435, 12);
  });

  it('has mean N/(N − 1) for binomial ticks of one ratio, and reads a beta-binomial one near its dispersion', () => {
    // scipy enumeration: 1.0028653295128915 (200 and 150 requests at 3 %); beta-binomial with
    // intra-class correlation 0.02 (φ 4.98 and 3.98): 3.4761526442925987.
    expect(expectedRatioResidual(ratioPmf(200, 0.03), ratioPmf(150, 0.03))).toBeCloseTo(1.0028653295128915, 9);
    expect(expectedRatioResidual(ratioPmf(200, 0.03, 0.02), ratioPmf(150, 0.03, 0.02))).toBeCloseTo(3.4761526442925987, 9);
  });

  it('is NaN without a tick before, or when the two ticks say nothing of the spread', () => {
    expect(successiveRatioResidual(3, 100, Number.NaN, Number.NaN)).toBeNaN();
    expect(successiveRatioResidual(3, 100, -1, 80)).toBeNaN();
    expect(successiveRatioResidual(3, 0, 2, 80)).toBeNaN();
    expect(successiveRatioResidual(0, 100, 0, 80)).toBeNaN();
    expect(successiveRatioResidual(100, 100, 80, 80)).toBeNaN();
  });
});
