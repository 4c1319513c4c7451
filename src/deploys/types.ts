// Deploys, their windows and verdicts: the data the deploy watcher keeps and the API serves.

/** Where a deploy was learnt: the deploy API, the CLI, a metric marker, Argo Rollouts, Flagger, or an HA peer that forwarded it. */
export const DEPLOY_SOURCES = ['api', 'cli', 'marker', 'argo', 'flagger', 'peer'] as const;
export type DeploySource = (typeof DEPLOY_SOURCES)[number];

export interface DeployEvent {
  id: string;
  service: string;
  version: string;
  environment: string;
  startedAtMs: number;
  /**
   * The rollout began after this time and by startedAtMs: a marker that went without data (its
   * source down, stormwatch restarted) sees a new version only at its first look back, so its start
   * is known only to lie after its last look. Matched to another source's record over that whole
   * span (DeployWatcher.sameRollout).
   */
  startedAfterMs?: number;
  source: DeploySource;
  /**
   * The version names no release: Flagger's revision checksum (no metadata.version), a
   * deploy-timestamp marker's value. Another source's record of the same rollout cannot match it by
   * version, so it is matched by its start (DeployWatcher.twinOf).
   */
  opaqueVersion?: boolean;
}

/**
 * pending: still watching; pass/fail: decided; inconclusive: the window ended without enough
 * traffic; superseded: a newer deploy of the service ended the window before there was enough.
 */
export type Verdict = 'pending' | 'pass' | 'fail' | 'inconclusive' | 'superseded';

export interface SignalEvidence {
  signal: string;
  metric: 'completion_ratio' | 'error_ratio' | 'incident' | 'probe';
  preMedian: number;
  postMedian: number;
  pValue: number;
  nPre: number;
  nPost: number;
  regressed: boolean;
  detail: string;
}

export interface DeployRecord extends DeployEvent {
  verdict: Verdict;
  decidedAtMs?: number;
  windowEndsAtMs: number;
  /** Why the verdict is what it is, in words. */
  reasons: string[];
  evidence: SignalEvidence[];
  /**
   * The most unusual moment of the window so far: the highest anomaly score (0 to 1) any affected
   * signal had after the deploy, and when. Said, not judged: the verdict rests on the tests above.
   */
  peakAnomaly?: { signal: string; score: number; atMs: number };
  /** Set once the rollback hook was asked to roll this deploy back. */
  rollbackRequestedAtMs?: number;
  /** When stormwatch learnt of the deploy (may be after it started: a late record). */
  recordedAtMs?: number;
  /** The deploy of the same service that started next and ended this window early. */
  supersededBy?: string;
  /** Ids of other records of the same rollout (e.g. the API's id for a marker's deploy). */
  aliases?: string[];
  /** Every way this rollout was reported, when more than one. */
  sources?: DeploySource[];
  /**
   * Ticks of the window at which no signal it watches read data (the source down or refusing): each
   * extended the window by a tick, up to its own length again, so a monitoring outage is waited
   * out, not judged as a window without traffic.
   */
  blindTicks?: number;
  /** No signal is labelled with its service (a mistyped service, signals without one): its window judges every signal. */
  judgedOnAll?: boolean;
}
