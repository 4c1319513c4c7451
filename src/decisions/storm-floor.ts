// How much retries must add for a failure to be a retry storm, and how much they can add at all.
// Pure; shared by the assessment (the kind), its explanation and the alert decider (a storm
// outliving its cause).

/**
 * A failure is a retry storm only when retries add at least a fifth to the attempts (M ≥ 1.2):
 * demand itself wobbles by several percent, and below this a partial failure would be a storm on
 * one day and a regression on the next.
 */
export const STORM_MIN_MULTIPLIER = 1.2;

/**
 * The most retries can multiply requests by while a share `failing` of attempts fails. A retry
 * follows a failed attempt, so of A attempts made for R requests at most failing·A are retries:
 * A/R ≤ 1/(1 − failing), for any client and any retry policy (5 % failing: 1.053x; 50 %: 2x;
 * everything failing: only the clients' retry counts bound it). Re-runs of whole jobs, which re-send
 * requests that succeeded, are not retries in this sense: they are demand.
 */
export function maxRetryMultiplier(failing: number): number {
  return failing >= 1 ? Number.POSITIVE_INFINITY : 1 / (1 - Math.max(0, failing));
}

/** Whether retries after a failing share up to `failingHigh` could add STORM_MIN_MULTIPLIER's share; true when it is unknown. */
export function retriesCanStorm(failingHigh: number): boolean {
  return !(maxRetryMultiplier(failingHigh) < STORM_MIN_MULTIPLIER);
}
