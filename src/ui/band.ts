// The band drawn around a check's baseline: baseline ± z·σ of one tick (multiplicative for rate checks,
// whose σ is in log units). Pure; the charts and /metrics draw the same band.

import type { Evaluation } from '../core/types.js';

/**
 * How wide the band is drawn, in σ of one tick's noise (counting noise included): where a healthy
 * tick falls almost always. Alerts are judged by accumulated evidence (the detector), which counts a
 * fall as a collapse only below both the band and collapseFactor (detectors/stats/band-floor.ts).
 */
export { BAND_SIGMAS } from '../detectors/stats/band-floor.js';

export function bandOf(e: Pick<Evaluation, 'kind' | 'baseline' | 'sigma'>, z: number): { low: number; high: number } {
  if (!Number.isFinite(e.baseline) || !Number.isFinite(e.sigma)) return { low: Number.NaN, high: Number.NaN };
  if (e.kind === 'rate_spike' || e.kind === 'rate_drop') {
    const spread = Math.exp(z * e.sigma);
    return { low: e.baseline / spread, high: e.baseline * spread };
  }
  return { low: Math.max(0, e.baseline - z * e.sigma), high: e.baseline + z * e.sigma };
}
