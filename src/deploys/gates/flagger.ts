// Flagger's webhooks (pkg/controller/webhook.go in fluxcd/flagger) POST a CanaryWebhookPayload
// {name, namespace, phase, checksum, metadata} as JSON and count any status above 202 as "no".
// Each hook type asks a different question, so each gets its own answer:
//   pre-rollout        before traffic moves: records the deploy; "no" only if it already failed
//   rollout            every analysis interval: "no" (a failed check, toward the threshold) once failed
//   confirm-promotion  before promotion: "yes" only once the window passed; "no" halts promotion
//   rollback           "yes" (200) makes Flagger roll back: once the verdict failed, and not about a
//                      failure decided more than a window ago (a revision deployed again; gate-api.ts)
//   event              Flagger's events: "New revision detected" marks when the canary's new revision
//                      started (its checksum is still the outgoing revision's); the revision's first
//                      hook records the deploy from then
// Flagger cannot send headers, so the deploy token travels in the webhook's metadata.

import { z } from 'zod';
import type { DeployEvent } from '../types.js';
import { type GateView, safeId } from './verdict-view.js';

export const FLAGGER_HOOKS = ['pre-rollout', 'rollout', 'confirm-promotion', 'rollback', 'event'] as const;
export type FlaggerHook = (typeof FLAGGER_HOOKS)[number];

/** Flagger may add fields: unknown keys are ignored, the ones stormwatch needs are checked. */
export const flaggerPayload = z.object({
  name: z.string().min(1, { message: 'must not be empty' }),
  namespace: z.string().min(1, { message: 'must not be empty' }),
  phase: z.string(),
  checksum: z.string().default(''),
  metadata: z.record(z.string(), z.string()).default({}),
});

export type FlaggerPayload = z.output<typeof flaggerPayload>;

/**
 * The deploy a payload is about: metadata.service/version/environment, else the canary's name,
 * checksum and namespace. The namespace is the environment by default: canaries of one service in
 * two namespaces (staging and production) are two environments, and must not end each other's windows.
 */
export function flaggerEvent(p: FlaggerPayload, nowMs: number): DeployEvent {
  const ts = Number(p.metadata.timestamp);
  return {
    id: safeId(['flagger', p.namespace, p.name, p.checksum || 'unknown']),
    service: p.metadata.service || p.name,
    version: p.metadata.version || p.checksum || 'unknown',
    environment: p.metadata.environment || p.namespace,
    // Event webhooks carry the event's time in unix milliseconds.
    startedAtMs: Number.isFinite(ts) && ts > 0 ? ts : nowMs,
    source: 'flagger',
    ...(p.metadata.version ? {} : { opaqueVersion: true }),
  };
}

/** Flagger emits this event (scheduler.go) when a canary's new revision starts. */
export function isNewRevisionEvent(p: FlaggerPayload): boolean {
  return (p.metadata.eventMessage ?? '').startsWith('New revision detected');
}

/** The HTTP status a hook answers for a gate decision: 2xx (at most 202) means yes to Flagger. */
export function flaggerStatus(hook: Exclude<FlaggerHook, 'event'>, gate: GateView['gate']): number {
  switch (hook) {
    case 'pre-rollout':
    case 'rollout':
      return gate === 'fail' ? 412 : 200;
    case 'confirm-promotion':
      return gate === 'pass' ? 200 : gate === 'wait' ? 425 : 412;
    case 'rollback':
      return gate === 'fail' ? 200 : 412;
  }
}
