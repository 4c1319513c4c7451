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

/** A check's state as numbers of a Float64Array (a detector keeps its checks there, not as objects). */
export const CHECK_SMALL = 0;
export const CHECK_LARGE = 1;
export const CHECK_HEALTH = 2;
/** 1 while alarmed, 0 otherwise. */
export const CHECK_ALARMED = 3;
export const CHECK_FIELDS = 4;

/**
 * Adds one tick's log-likelihood ratios (alternative over baseline) to the check whose state is at
 * `at` of `a`. `large` may be NaN where a check has one chart. While alarmed, evidence for health
 * accumulates from the small-change chart (the baseline against the smallest failure that
 * matters), or from `healthLLR`, the same ratio where the check weighs a run of ticks otherwise
 * than one (evidence-detector.ts, judgeFunnel): the alarm clears when health is e^hResolve times
 * likelier. Returns whether alarmed.
 */
export function updateCheckAt(a: Float64Array, at: number, small: number, large: number, h: number, hResolve: number, healthLLR = small): boolean {
  // Capped at 2h: a long incident must not bank so much evidence that its end takes an hour to show.
  a[at + CHECK_SMALL] = Math.min(2 * h, Math.max(0, a[at + CHECK_SMALL]! + small));
  a[at + CHECK_LARGE] = Number.isNaN(large) ? 0 : Math.min(2 * h, Math.max(0, a[at + CHECK_LARGE]! + large));
  if (a[at + CHECK_ALARMED] === 0) {
    if (a[at + CHECK_SMALL]! >= h || a[at + CHECK_LARGE]! >= h) {
      a[at + CHECK_ALARMED] = 1;
      a[at + CHECK_HEALTH] = 0;
      return true;
    }
    return false;
  }
  a[at + CHECK_HEALTH] = Math.max(0, a[at + CHECK_HEALTH]! - healthLLR);
  if (a[at + CHECK_HEALTH]! >= hResolve) {
    a[at + CHECK_ALARMED] = 0;
    a[at + CHECK_SMALL] = 0;
    a[at + CHECK_LARGE] = 0;
    a[at + CHECK_HEALTH] = 0;
    return false;
  }
  return true;
}

/** The evidence to show for the check at `at` of `a`: the larger chart's, in nats. */
export function evidenceAt(a: Float64Array, at: number): number {
  return Math.max(a[at + CHECK_SMALL]!, a[at + CHECK_LARGE]!);
}

/** The check at `at` of `a` as an object (saved state). */
export function checkStateAt(a: Float64Array, at: number): CheckState {
  return { small: a[at + CHECK_SMALL]!, large: a[at + CHECK_LARGE]!, health: a[at + CHECK_HEALTH]!, alarmed: a[at + CHECK_ALARMED] !== 0 };
}

/** Writes a check's state at `at` of `a`. */
export function setCheckStateAt(a: Float64Array, at: number, s: CheckState): void {
  a[at + CHECK_SMALL] = s.small;
  a[at + CHECK_LARGE] = s.large;
  a[at + CHECK_HEALTH] = s.health;
  a[at + CHECK_ALARMED] = s.alarmed ? 1 : 0;
}

const scratch = new Float64Array(CHECK_FIELDS);

/** updateCheck on an object: the same arithmetic as updateCheckAt. Mutates and returns `s`. */
export function updateCheck(s: CheckState, small: number, large: number, h: number, hResolve: number): CheckState {
  setCheckStateAt(scratch, 0, s);
  updateCheckAt(scratch, 0, small, large, h, hResolve);
  Object.assign(s, checkStateAt(scratch, 0));
  return s;
}

/** The evidence to show for a check: the larger chart's, in nats. */
export function evidenceOf(s: CheckState): number {
  return Math.max(s.small, s.large);
}
