// The verdict as a gate consumer reads it: one JSON shape for Argo Rollouts, Flagger and the CLI,
// with the verdict as a plain string so conditions stay simple (`result.verdict == "pass"`).

import type { DeployRecord, Verdict } from '../types.js';
import { fnv1a32 } from '../../core/fnv1a.js';

/** What an inconclusive verdict (too little traffic to judge) means for a gate. */
export type InconclusivePolicy = 'fail' | 'pass';

export interface GateView {
  id: string;
  service: string;
  version: string;
  environment: string;
  source: DeployRecord['source'];
  verdict: Verdict;
  /** false while the window is open and nothing has failed yet. */
  decided: boolean;
  /** The verdict with the inconclusive policy applied: what a gate should do now. */
  gate: 'wait' | 'pass' | 'fail';
  startedAt: string;
  windowEndsAt: string;
  decidedAt: string | null;
  /** Seconds until the window ends (0 once decided). */
  secondsLeft: number;
  reasons: string[];
  evidence: DeployRecord['evidence'];
  /** No signal is labelled with the deploy's service: the window judges every signal (a mistyped service?). */
  judgedOnAll: boolean;
  /** Where the full record is served. */
  verdictURL: string;
}

export function gateDecision(verdict: Verdict, inconclusive: InconclusivePolicy): GateView['gate'] {
  if (verdict === 'pending') return 'wait';
  // Superseded: a newer deploy came before the window ended, so this one was never judged.
  if (verdict === 'inconclusive' || verdict === 'superseded') return inconclusive;
  return verdict;
}

export function gateView(record: DeployRecord, nowMs: number, inconclusive: InconclusivePolicy): GateView {
  const decided = record.verdict !== 'pending';
  return {
    id: record.id,
    service: record.service,
    version: record.version,
    environment: record.environment,
    source: record.source,
    verdict: record.verdict,
    decided,
    gate: gateDecision(record.verdict, inconclusive),
    startedAt: new Date(record.startedAtMs).toISOString(),
    windowEndsAt: new Date(record.windowEndsAtMs).toISOString(),
    decidedAt: record.decidedAtMs === undefined ? null : new Date(record.decidedAtMs).toISOString(),
    secondsLeft: decided ? 0 : Math.max(0, Math.ceil((record.windowEndsAtMs - nowMs) / 1000)),
    reasons: record.reasons,
    evidence: record.evidence,
    judgedOnAll: record.judgedOnAll === true,
    verdictURL: `/api/v1/deploys/${encodeURIComponent(record.id)}`,
  };
}

/** Ids are limited to [A-Za-z0-9_.:-]{1,128}; names from other systems are folded into that. */
export function safeId(parts: readonly string[]): string {
  const id = parts.map((p) => p.replace(/[^A-Za-z0-9_.-]/g, '_')).join(':');
  return id.length <= 128 ? id : `${id.slice(0, 111)}:${fnv1a(id)}`;
}

function fnv1a(text: string): string {
  return fnv1a32(text).toString(16).padStart(8, '0').repeat(2);
}
