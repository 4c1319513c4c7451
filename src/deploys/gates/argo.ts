// Argo Rollouts' web metric provider (metricproviders/webmetric in argoproj/argo-rollouts) treats
// every non-2xx answer as a measurement error and aborts the analysis once more than
// consecutiveErrorLimit (4 by default) come in a row, so a gate for it answers 200 with the verdict
// in JSON, pending included, and the AnalysisTemplate's successCondition/failureCondition read
// `result.gate` ("wait", "pass" or "fail"). Its POST body
// (jsonBody) names the deploy; the first measurement records it, later ones read its verdict.
// The same body, posted by an Argo Rollouts notification (on-rollout-updated), records the deploy
// when the rollout starts, so the window begins with the rollout rather than with the analysis.

import { z } from 'zod';
import type { DeployEvent } from '../types.js';
import { safeId } from './verdict-view.js';

const text = (max: number) => z.string({ error: 'expected a string' }).min(1, { message: 'must not be empty' }).max(max);

export const argoBody = z.strictObject({
  service: text(200),
  version: text(200),
  environment: text(100).default('production'),
  /** RFC 3339; only notifications send it. Default: when the request arrives. */
  startedAt: z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: 'expected an RFC 3339 time like 2023-07-20T12:17:00Z' }).optional(),
});

export type ArgoBody = z.output<typeof argoBody>;

/** One deploy per (environment, service, version), whichever of analysis or notification comes first. */
export function argoDeployId(body: Pick<ArgoBody, 'environment' | 'service' | 'version'>): string {
  return safeId(['argo', body.environment, body.service, body.version]);
}

export function argoEvent(body: ArgoBody, nowMs: number): DeployEvent {
  return {
    id: argoDeployId(body),
    service: body.service,
    version: body.version,
    environment: body.environment,
    startedAtMs: body.startedAt ? Date.parse(body.startedAt) : nowMs,
    source: 'argo',
  };
}
