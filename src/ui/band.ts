// The band a check's observation is judged against: baseline ± z·σ (multiplicative for rate checks,
// whose σ is in log units). Pure; the charts and /metrics draw the same band.

import type { Evaluation } from '../core/types.js';

export function bandOf(e: Pick<Evaluation, 'kind' | 'baseline' | 'sigma'>, z: number): { low: number; high: number } {
  if (!Number.isFinite(e.baseline) || !Number.isFinite(e.sigma)) return { low: Number.NaN, high: Number.NaN };
  if (e.kind === 'rate_spike' || e.kind === 'rate_drop') {
    const spread = Math.exp(z * e.sigma);
    return { low: e.baseline / spread, high: e.baseline * spread };
  }
  return { low: Math.max(0, e.baseline - z * e.sigma), high: e.baseline + z * e.sigma };
}
