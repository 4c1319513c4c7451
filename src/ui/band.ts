// The band drawn around a check's baseline: baseline ± z·σ of one tick (multiplicative for rate checks,
// whose σ is in log units). Pure; the charts and /metrics draw the same band.

import type { Evaluation } from '../core/types.js';

/**
 * How wide the band is drawn, in σ of one tick's noise (counting noise included): where a healthy
 * tick falls almost always. Alerts are not judged by it but by accumulated evidence (the detector).
 */
export const BAND_SIGMAS = 3;

export function bandOf(e: Pick<Evaluation, 'kind' | 'baseline' | 'sigma'>, z: number): { low: number; high: number } {
  if (!Number.isFinite(e.baseline) || !Number.isFinite(e.sigma)) return { low: Number.NaN, high: Number.NaN };
  if (e.kind === 'rate_spike' || e.kind === 'rate_drop') {
    const spread = Math.exp(z * e.sigma);
    return { low: e.baseline / spread, high: e.baseline * spread };
  }
  return { low: Math.max(0, e.baseline - z * e.sigma), high: e.baseline + z * e.sigma };
}
