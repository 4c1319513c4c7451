// The alert lifecycle as a named state machine, as Prometheus evaluates alerting rules:
// inactive -> pending (condition true) -> firing (true for `forMs`) -> resolved (false for
// `keepFiringForMs`) -> inactive. An unknown evaluation (gap, warm-up) changes nothing.

export type AlertPhase = 'inactive' | 'pending' | 'firing';

export interface AlertState {
  phase: AlertPhase;
  /** Data time the condition became true (the alert's startsAt). */
  activeSinceMs: number;
  /** Data time the condition was last seen true. */
  lastActiveMs: number;
}

export interface HoldParams {
  forMs: number;
  keepFiringForMs: number;
}

/**
 * Whether a pending alert waits although `for` has passed: its kind is not clear yet (a total
 * failure whose retries have not arrived: storm or outage?), and it fired with the wrong name it
 * would keep that name until it resolves, since labels are identity.
 */
export type WaitForKind = boolean;

export type AlertStep = { state: AlertState; transition: 'firing' | 'resolved' | null };

export const INACTIVE: AlertState = Object.freeze({ phase: 'inactive', activeSinceMs: Number.NaN, lastActiveMs: Number.NaN });

/** Advances one alert by one evaluation. Pure: returns the new state and the transition, if any. */
export function stepAlert(state: AlertState, active: boolean | undefined, nowMs: number, hold: HoldParams, wait: WaitForKind = false): AlertStep {
  if (active === undefined) return { state, transition: null };
  switch (state.phase) {
    case 'inactive':
      if (!active) return { state, transition: null };
      if (hold.forMs <= 0 && !wait) return { state: { phase: 'firing', activeSinceMs: nowMs, lastActiveMs: nowMs }, transition: 'firing' };
      return { state: { phase: 'pending', activeSinceMs: nowMs, lastActiveMs: nowMs }, transition: null };
    case 'pending':
      if (!active) return { state: INACTIVE, transition: null };
      if (nowMs - state.activeSinceMs >= hold.forMs && !wait) {
        return { state: { ...state, phase: 'firing', lastActiveMs: nowMs }, transition: 'firing' };
      }
      return { state: { ...state, lastActiveMs: nowMs }, transition: null };
    case 'firing':
      if (active) return { state: { ...state, lastActiveMs: nowMs }, transition: null };
      if (nowMs - state.lastActiveMs >= hold.keepFiringForMs) return { state: INACTIVE, transition: 'resolved' };
      return { state, transition: null };
  }
}
