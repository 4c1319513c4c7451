// Deploys, their windows and verdicts: the data the deploy watcher keeps and the API serves.

/** Where a deploy was learnt: the deploy API, the CLI, a metric marker, Argo Rollouts, Flagger, or an HA peer that forwarded it. */
export type DeploySource = 'api' | 'cli' | 'marker' | 'argo' | 'flagger' | 'peer';

export interface DeployEvent {
  id: string;
  service: string;
  version: string;
  environment: string;
  startedAtMs: number;
  source: DeploySource;
}

/** pending: still watching; pass/fail: decided; inconclusive: the window ended without enough traffic. */
export type Verdict = 'pending' | 'pass' | 'fail' | 'inconclusive';

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
  /** Set once the rollback hook was asked to roll this deploy back. */
  rollbackRequestedAtMs?: number;
}
