// How often any estimate of attempts per request can be within a tolerance of the truth when the
// client's plateau is not pinned by physics (cargo <= 1.69: 1.3x-3x by build size and round trips):
// then the plateau says nothing about demand, so attempts per request is the rate during the failure
// over a demand that nobody observes while every request fails. This takes the best case: an
// estimator that knows the simulated demand process exactly (scripts/sim/simulate.ts: an AR(1) in
// log demand, stationary σ, one step a second) and demand itself exactly up to the onset, and
// predicts the mean demand over the window it reads by its conditional mean. Whatever a real
// estimator does, it knows less.

import { mulberry32, normal } from '../sim/random.js';

export interface DemandBoundCase {
  /** Stationary σ of log demand (simulate.ts's noiseSigma). */
  sigma: number;
  /** The wobble's memory in seconds (ρ = e^(−1/memory) a second). */
  memoryS: number;
  /** The plateau is read over seconds (fromS, toS] after the onset. */
  fromS: number;
  toS: number;
  tolerance: number;
  runs: number;
  seed: number;
}

/** The share of runs in which the best-case estimate is within `tolerance` of the truth. */
export function bestCaseWithin(c: DemandBoundCase): number {
  const random = mulberry32(c.seed);
  const rho = Math.exp(-1 / c.memoryS);
  const step = Math.sqrt(1 - rho * rho) * c.sigma;
  let within = 0;
  for (let r = 0; r < c.runs; r++) {
    const w0 = normal(random) * c.sigma;
    let w = w0;
    let seen = 0;
    let predicted = 0;
    for (let t = 1; t <= c.toS; t++) {
      w = rho * w + step * normal(random);
      if (t <= c.fromS) continue;
      seen += Math.exp(w);
      // E[exp(w_t) | w_0]: log-normal with mean ρ^t·w0 and variance σ²(1 − ρ^2t).
      predicted += Math.exp(rho ** t * w0 + 0.5 * c.sigma * c.sigma * (1 - rho ** (2 * t)));
    }
    if (Math.abs(seen / predicted - 1) <= c.tolerance) within++;
  }
  return within / c.runs;
}
