// How much of a funnel's learnt excess variance a tick's lost count carries, by the tick's traffic.
// The excess over binomial is requests in flight between the two hops' scrapes (the share counted
// a tick late moves with each scrape's timing) and the share lost wandering from tick to tick: a
// share of the requests either way, so its variance grows with the square of the requests, of the
// tick and of the tick before it (the late completions it receives are that tick's): Var ∝ n² +
// n_prev², as for a count whose rate is itself random (McCullagh & Nelder 1989, §9.2.4, variance
// functions of the form φ·μ²). The dispersion is learnt as a share a request at the traffic the
// baseline expects, n = n_prev = expected, where the two agree. When traffic falls (a runner pool
// whose builds wait on the broken hop falls to a tenth) the tick's excess falls with its square;
// weighed as a share a request it was read ten times what it is, and a funnel losing everything
// took up to 29 minutes to page at 60 s ticks (scripts/failure-shapes.ts run 761). Above the
// expected traffic the share stays 1: a storm's ticks (requests up threefold) are weighed as
// before, not dulled by a variance that grows faster than their evidence. Pure.

/**
 * The share (at most 1) of the excess variance learnt at `expected` requests a tick that carries a
 * tick of `n` requests after one of `previousN` has: (n² + n_prev²) / (2·expected·n), the excess
 * per request of a variance ∝ n² + n_prev² that equals the learnt one at n = n_prev = expected.
 * 1 where any of them is unknown or not positive.
 */
export function excessShareAt(n: number, previousN: number, expected: number): number {
  if (!(n > 0 && previousN >= 0 && expected > 0)) return 1;
  return Math.min(1, (n * n + previousN * previousN) / (2 * expected * n));
}
