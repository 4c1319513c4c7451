// The collapse check's practical-significance floor, relative to the band's spread. A fall gathers
// evidence only below both the configured factor (collapseFactor, ×0.2) and the band's lower edge,
// BAND_SIGMAS σ of one tick's log count below the expectation. On a series of a few requests a
// tick the band is wide (σ ≈ 1/√count: at one request a tick it reaches down to ×0.05), and a fall
// inside it is what such a series does between requests: not an outage to page on. A series above
// about four requests a tick has a band narrower than ×0.2, which then decides alone; at any size a
// tick with no request at all still counts towards a collapse.
// The rise side is not floored this way: tried, the anomaly score lost 3.4 points on NAB's ten
// (68.4 -> 65.0; docs/how-it-decides.md, "Counts, not rates"). Pure; a factor per indifference
// point is computed once.

import { poissonFactorFor } from './count-evidence.js';

/**
 * How wide the band is, in σ of one tick's noise (counting noise included): where a healthy tick
 * falls almost always. The charts and /metrics draw the same band (ui/band.ts).
 */
export const BAND_SIGMAS = 3;

/** Indifference points are taken on a grid this fine in log (0.5 %), rounded away from the expectation. */
const STEP = 0.005;
/**
 * Beyond a reach of e^-5 (1/148) the band says nothing more: a series that noisy (under a request
 * every three ticks) keeps that floor, whose factor (about e^-150) a double and poissonFactorFor's
 * bisection still resolve.
 */
const MAX_REACH = 5;
const fallFactors = new Float64Array(Math.ceil(MAX_REACH / STEP) + 1).fill(Number.NaN);
/** The last floor asked about and its log: every series of a signal asks with the same one, every tick. */
let lastFloor = Number.NaN;
let lastFloorLog = Number.NaN;

/**
 * The Poisson alternative for a collapse: `floorFactor` (poissonFactorFor(floorIndifference)) while
 * the band's lower edge, exp(−BAND_SIGMAS·σ), lies above the floor, else the factor indifferent at
 * that edge (rounded down to the grid). NaN σ: the floor.
 */
export function fallFactor(floorIndifference: number, floorFactor: number, logSigma: number): number {
  if (floorIndifference !== lastFloor) {
    lastFloor = floorIndifference;
    lastFloorLog = Math.log(floorIndifference);
  }
  if (!(-BAND_SIGMAS * logSigma < lastFloorLog)) return floorFactor;
  const k = Math.ceil(Math.min(BAND_SIGMAS * logSigma, MAX_REACH) / STEP);
  let f = fallFactors[k]!;
  if (Number.isNaN(f)) f = fallFactors[k] = poissonFactorFor(Math.exp(-k * STEP));
  return f;
}
