// A client's retry policy as models/clients/*.yaml declares it: what the retry-amplification
// model (retry-amplification.ts) and the ramp (retry-ramp.ts) read a storm through.

export interface DelayRange {
  min: number;
  max: number;
}

/** A client retry policy, as declared in models/clients/*.yaml. */
export interface ClientModel {
  name: string;
  maxRetries: number;
  delaysSeconds: DelayRange[];
  retryOn: string[];
  /** cargo, pip, npm: one crate/package out of retries aborts the whole command (M at a total outage in [R, R+1]). */
  abortsOnFirstExhausted: boolean;
  /** A catch-all policy: named only when no specific client model fits as well. */
  generic?: boolean;
}
