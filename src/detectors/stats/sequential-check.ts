// One check's sequential test: a CUSUM of log-likelihood ratios (Page 1954) that raises an alarm
// once the evidence for a failure reaches h, and clears it once the evidence for health reaches
// hResolve: the same sequential logic for onset and resolution, so neither hangs on a single tick
// and a check does not flap. Two charts may watch one check: one tuned to the smallest change that
// matters and one to a total break, which a small-change chart would only see slowly (a
// "multi-chart CUSUM", Lorden 1971; Tartakovsky et al. 2006). Pure; a few numbers of state.

export interface CheckState {
  /** Evidence (nats) for the small-change and the large-change alternative. */
  small: number;
  large: number;
  /** Evidence for health (nats), gathered while alarmed. */
  health: number;
  alarmed: boolean;
}

export function newCheckState(): CheckState {
  return { small: 0, large: 0, health: 0, alarmed: false };
}

/**
 * Adds one tick's log-likelihood ratios (alternative over baseline) to the check. `large` may be
 * NaN where a check has one chart. While alarmed, evidence for health accumulates from the
 * small-change chart (the baseline against the smallest failure that matters): the alarm clears
 * when health is e^hResolve times likelier. Mutates and returns `s`.
 */
export function updateCheck(s: CheckState, small: number, large: number, h: number, hResolve: number): CheckState {
  // Capped at 2h: a long incident must not bank so much evidence that its end takes an hour to show.
  s.small = Math.min(2 * h, Math.max(0, s.small + small));
  s.large = Number.isNaN(large) ? 0 : Math.min(2 * h, Math.max(0, s.large + large));
  if (!s.alarmed) {
    if (s.small >= h || s.large >= h) {
      s.alarmed = true;
      s.health = 0;
    }
    return s;
  }
  s.health = Math.max(0, s.health - small);
  if (s.health >= hResolve) {
    s.alarmed = false;
    s.small = 0;
    s.large = 0;
    s.health = 0;
  }
  return s;
}

/** The evidence to show for a check: the larger chart's, in nats. */
export function evidenceOf(s: CheckState): number {
  return Math.max(s.small, s.large);
}
