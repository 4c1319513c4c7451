// How much of a tick's downstream completions are counted at the next tick: the share q of the
// interval between the two hops' scrapes. Prometheus scrapes each target at its own phase, so the
// completions of requests made in the last q of a tick land in the next one, and a tick's lost
// count is q·(n_t − n_{t−1}) on healthy traffic: more requests than the tick before, more of them
// still in flight. q is the least-squares slope of lost on that change, through the origin, over
// healthy ticks (exponentially forgotten). Pure; its state is three numbers.

/** Σ lost·Δn and Σ Δn², forgotten at 1/window a tick, and the last tick's requests (−1: none). */
export interface LateShareState {
  lateNum: number;
  lateDen: number;
  latePrevN: number;
}

/** Σ Δn² below which the slope is not read: a few ticks of traffic say nothing of q. */
export const MIN_LATE_DEN = 50;

export function newLateShare(): LateShareState {
  return { lateNum: 0, lateDen: 0, latePrevN: -1 };
}

/**
 * Learns one healthy tick: its requests `n` and requests lost `lost` (n − completions/c₀, signed).
 * `window` is the memory in ticks.
 */
export function learnLateShare(s: LateShareState, n: number, lost: number, window: number): void {
  if (s.latePrevN >= 0 && Number.isFinite(lost)) {
    const dn = n - s.latePrevN;
    const keep = 1 - 1 / window;
    s.lateNum = s.lateNum * keep + lost * dn;
    s.lateDen = s.lateDen * keep + dn * dn;
  }
  s.latePrevN = n;
}

/** A tick whose counts are not read (no data, an alarm): the next change is not measured across it. */
export function breakLateShare(s: LateShareState): void {
  s.latePrevN = -1;
}

/** The share, in [0, 0.95]; undefined until enough change in traffic was seen. */
export function lateShareOf(s: LateShareState): number | undefined {
  if (!(s.lateDen >= MIN_LATE_DEN)) return undefined;
  return Math.min(0.95, Math.max(0, s.lateNum / s.lateDen));
}
