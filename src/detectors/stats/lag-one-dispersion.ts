// How much of a count's tick-to-tick noise cancels over a run. When a funnel's two hops are scraped
// at different moments, the requests in flight between the two scrapes are counted as lost in one
// tick and completed in the next: a tick's residual is e_t − e_{t−1}, e_t the requests in flight
// at its boundary. That noise is large at one tick and bounded over any run (its sum telescopes),
// so the tick's dispersion, right for one tick, is far too large for evidence summed over many:
// at 4 requests a second, one build's burst split across two 1 s ticks made the tick's dispersion
// about 130 binomials, and the evidence of health after a fault grew by a thousandth of a nat a
// tick.
//
// With γ₀, γ₁ the residuals' variance and lag-one autocovariance (residuals normalised to binomial
// units), the variance of a sum of T ticks is T·(γ₀ + 2γ₁) plus end terms: γ₀ + 2γ₁ is the long-run
// dispersion (the spectral density at zero of an MA(1); Newey & West 1987, Econometrica 55(3), with
// one lag at full weight); for the boundary noise above γ₁ = −Var(e). Reference: for the residual sequence 3, −1, −2, 4, 0, −3, 1, 2, −4, 0 (mean
// products over the nine adjacent pairs, as learnt here): γ₀ = 51/9 = 5.667 (squares of the nine
// later residuals), γ₁ = −18/9 = −2 (numpy: `(r[1:]**2).mean()`, `(r[1:]*r[:-1]).mean()`).
// Pure; its state is four numbers.

/** Means of u_t² and u_t·u_{t−1} over adjacent pairs of learnt ticks, their count, and the last tick's u (NaN: none). */
export interface LagOneState {
  lag0: number;
  lag1: number;
  lagTicks: number;
  lagPrev: number;
}

export function newLagOne(): LagOneState {
  return { lag0: 0, lag1: 0, lagTicks: 0, lagPrev: Number.NaN };
}

/**
 * Learns one tick's normalised residual `u` (signed), a running mean until `window` pairs, then
 * exponential. Once `trusted`, u is winsorised at √cap times the learnt γ₀'s root (a misread
 * counter is one tick, not the mean's to carry). A tick without a residual (NaN) breaks the chain.
 */
export function learnLagOne(s: LagOneState, u: number, window: number, trusted: boolean, cap: number): void {
  if (!Number.isFinite(u)) {
    s.lagPrev = Number.NaN;
    return;
  }
  if (trusted) {
    const bound = Math.sqrt(cap * Math.max(1, s.lag0));
    u = Math.max(-bound, Math.min(bound, u));
  }
  if (Number.isFinite(s.lagPrev)) {
    s.lagTicks = Math.min(s.lagTicks + 1, window);
    const alpha = 1 / s.lagTicks;
    s.lag0 += alpha * (u * u - s.lag0);
    s.lag1 += alpha * (u * s.lagPrev - s.lag1);
  }
  s.lagPrev = u;
}

/** A tick whose residual is not learnt: the next pair does not reach across it. */
export function breakLagOne(s: LagOneState): void {
  s.lagPrev = Number.NaN;
}

/** γ₀ + 2γ₁, at least 1 (binomial): the dispersion of a sum of many ticks, per tick. */
export function longRunDispersion(s: LagOneState): number {
  return Math.max(1, s.lag0 + 2 * s.lag1);
}
