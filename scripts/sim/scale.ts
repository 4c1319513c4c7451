// A scenario's demand scaled for the scorecard's variants: the same incidents at other traffic
// levels and demand noise than the bundled ones, so a change is judged on load nobody tuned on.

import type { ScenarioSpec } from './simulate.js';

export interface SpecScale {
  /** Demand relative to the scenario's own: open-loop arrivals and a closed pool's runners. */
  traffic: number;
  /** The demand wobble's σ relative to the scenario's own. */
  noise: number;
}

export const UNSCALED: SpecScale = { traffic: 1, noise: 1 };

/**
 * `spec` with its demand scaled: the logical rate (every open-loop arrival process derives from it),
 * a closed pool's runners (its rate is proportional to them; at least one) and the wobble's σ.
 * Faults, clients, deploys and scrapes stay as they are.
 */
export function scaleSpec(spec: ScenarioSpec, scale: SpecScale): ScenarioSpec {
  if (scale.traffic === 1 && scale.noise === 1) return spec;
  return {
    ...spec,
    logicalRatePerSecond: spec.logicalRatePerSecond * scale.traffic,
    noiseSigma: spec.noiseSigma * scale.noise,
    ...(spec.pool ? { pool: { ...spec.pool, clients: Math.max(1, Math.round(spec.pool.clients * scale.traffic)) } } : {}),
  };
}
