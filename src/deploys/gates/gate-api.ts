// Deploy gates on stormwatch's HTTP server, shaped for the tools that ask them:
//   POST /api/v1/gates/argo                    Argo Rollouts web metric: records, answers 200 + verdict
//   POST /api/v1/gates/argo/event              Argo Rollouts notification: records the deploy (202)
//   GET  /api/v1/gates/argo/{id}               the verdict of a recorded deploy, 200 while pending
//   POST /api/v1/gates/flagger/{hook}          Flagger webhooks (see flagger.ts)
//   POST /api/v1/gates/peer                    a deploy forwarded by the other replica of an HA pair
// Recording needs the deploy token (deploys.apiToken); reading a verdict does unless publicReads.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatPath } from '../../config/load.js';
import { fnv1a32 } from '../../core/fnv1a.js';
import { type DeployApiDeps, MAX_FUTURE_START_MS, MAX_PAST_START_MS, readBody, send, tokenMatches } from '../deploy-api.js';
import type { DeployEvent, DeployRecord } from '../types.js';
import { argoBody, argoEvent } from './argo.js';
import { FLAGGER_HOOKS, type FlaggerHook, flaggerEvent, flaggerPayload, flaggerStatus, isNewRevisionEvent } from './flagger.js';
import { type InconclusivePolicy, gateView } from './verdict-view.js';

export interface GateApiDeps extends DeployApiDeps {
  inconclusive: InconclusivePolicy;
  /** The deploy window: how long a new revision's start told by a Flagger event is kept for its first hook. */
  windowMs: number;
}

/**
 * Each canary's new revision's start, told by Flagger's "New revision detected" event, until the
 * revision's first hook records the deploy from it (per server: one map per deps).
 */
const revisionStarts = new WeakMap<GateApiDeps, Map<string, number>>();

function startsOf(deps: GateApiDeps): Map<string, number> {
  let starts = revisionStarts.get(deps);
  if (!starts) revisionStarts.set(deps, (starts = new Map()));
  return starts;
}

/** Why a deploy's start cannot be taken (the deploy API's bounds), or undefined. */
function startProblem(startedAtMs: number, nowMs: number, field: string): string | undefined {
  if (startedAtMs > nowMs + MAX_FUTURE_START_MS) return `${field}: ${new Date(startedAtMs).toISOString()} is more than 5 minutes ahead of stormwatch's clock`;
  if (startedAtMs < nowMs - MAX_PAST_START_MS) return `${field}: ${Number.isFinite(startedAtMs) ? new Date(startedAtMs).toISOString() : startedAtMs} is more than 7 days behind stormwatch's clock`;
  return undefined;
}

export const GATES_PREFIX = '/api/v1/gates/';

const peerEvent = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
  service: z.string().min(1).max(200),
  version: z.string().min(1).max(200),
  environment: z.string().min(1).max(100),
  startedAtMs: z.number().int().positive(),
  source: z.enum(['api', 'cli', 'marker', 'argo', 'flagger', 'peer']),
  opaqueVersion: z.boolean().optional(),
});

type Parsed<T> = { ok: true; value: T } | { ok: false };

/** Canaries whose revision start is kept at once (the oldest goes first). */
const MAX_REVISION_STARTS = 1000;

/**
 * Reads a JSON body and checks it against `schema`; answers 415/400/413 itself when it cannot. Argo
 * Rollouts' web metric (a jsonBody), its notifications (the example's headers) and Flagger all say
 * application/json, as the deploy API asks.
 */
async function readJson<T>(req: IncomingMessage, res: ServerResponse, deps: GateApiDeps, schema: z.ZodType<T>): Promise<Parsed<T>> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    req.resume();
    send(res, 415, { error: 'expected Content-Type: application/json' });
    return { ok: false };
  }
  const text = await readBody(req, res, deps.maxBodyBytes);
  if (text === undefined) return { ok: false };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    send(res, 400, { error: `body is not JSON: ${(error as Error).message}` });
    return { ok: false };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    send(res, 400, { error: 'invalid request', problems: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) });
    return { ok: false };
  }
  return { ok: true, value: parsed.data };
}

/** Checks a token given by the caller; answers 401/403 itself when it does not match. */
function authorized(res: ServerResponse, deps: GateApiDeps, given: string | undefined): boolean {
  if (!given) {
    res.setHeader('www-authenticate', 'Bearer');
    send(res, 401, { error: 'missing token: send Authorization: Bearer <deploys.apiToken> (Flagger: metadata.token)' });
    return false;
  }
  if (deps.token === undefined || !tokenMatches(deps.token, given)) {
    send(res, 403, { error: deps.token === undefined ? 'deploy recording is disabled: set deploys.apiToken' : 'invalid token' });
    return false;
  }
  return true;
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

/** The record for `event`, recording it first when it is new (every gate call is idempotent); answers wait until it is saved. */
async function recordOnce(deps: GateApiDeps, event: DeployEvent, forwarded = false): Promise<DeployRecord> {
  const known = deps.get(event.id);
  if (known) return known;
  const record = deps.add(event, { forwarded });
  await deps.persisted?.();
  return record;
}

/** The prefix of a gate deploy's later attempts' ids: the id itself, or cut and hashed when an attempt's suffix would not fit in 128. */
function attemptPrefix(id: string): string {
  return id.length <= 116 ? id : `${id.slice(0, 99)}:${fnv1a32(id).toString(16).padStart(8, '0').repeat(2)}`;
}

/**
 * The deploy a gate call is about: the newest attempt of its identity (the id a tool's request
 * names, then `:r<start>` for each later attempt). A tool asking again more than a window after
 * that deploy was decided is gating a new rollout of the same version (a retry, a redeploy), not
 * the old one: it is recorded as a new attempt, as the same version deployed again through the API.
 * Within that window the decided verdict answers (a retried analysis reads the failure it retries).
 * `mayStartAttempt` false: the newest attempt answers, however old (a hook that is not a start).
 */
async function recordAttempt(deps: GateApiDeps, event: DeployEvent, mayStartAttempt = true): Promise<DeployRecord> {
  const prefix = `${attemptPrefix(event.id)}:r`;
  let latest = deps.get(event.id);
  const isAttempt = attemptOf(event.id);
  for (const r of deps.list()) if (isAttempt(r) && (!latest || r.startedAtMs > latest.startedAtMs)) latest = r;
  if (!latest) return recordOnce(deps, event);
  if (!mayStartAttempt || !(decidedLongAgo(deps, latest) || rolledOverSince(deps, latest, isAttempt))) return latest;
  return recordOnce(deps, { ...event, id: `${prefix}${event.startedAtMs.toString(36)}` });
}

/**
 * Whether another rollout of `record`'s service (its environment) started after it: a tool gating
 * its revision now gates a rollback to it. Answered with the old record, Argo's analysis of the
 * rollback read the old verdict, and Flagger's hooks the failure of the revision it replaced.
 */
function rolledOverSince(deps: GateApiDeps, record: DeployRecord, isAttempt: (r: DeployRecord) => boolean): boolean {
  return deps.list().some((o) => o !== record && !isAttempt(o) && o.service === record.service && (o.environment ?? '') === (record.environment ?? '') && o.startedAtMs > record.startedAtMs);
}

/** Whether a record is a later attempt of deploy `id`: its own id, or one of its aliases (an attempt that joined another source's record of its rollout, a marker's). */
function attemptOf(id: string): (r: DeployRecord) => boolean {
  const prefix = `${attemptPrefix(id)}:r`;
  return (r) => r.id.startsWith(prefix) || (r.aliases?.some((a) => a.startsWith(prefix)) ?? false);
}

/** Whether a record was decided more than a window ago: a tool asking about it now gates a later rollout of it. */
function decidedLongAgo(deps: GateApiDeps, record: DeployRecord): boolean {
  if (record.verdict === 'pending') return false;
  return deps.now() - (record.decidedAtMs ?? record.windowEndsAtMs) > deps.windowMs;
}

export async function handleGates(req: IncomingMessage, res: ServerResponse, path: string, deps: GateApiDeps): Promise<void> {
  const rest = path.slice(GATES_PREFIX.length);
  const view = (r: DeployRecord) => gateView(r, deps.now(), deps.inconclusive);

  if (req.method === 'GET' && rest.startsWith('argo/') && rest !== 'argo/event') {
    // With deploys.publicReads false, reading a verdict needs the token too.
    if (deps.publicReads === false && !authorized(res, deps, bearer(req))) return;
    const record = deps.get(decodeURIComponent(rest.slice('argo/'.length)));
    return record ? send(res, 200, view(record)) : send(res, 404, { error: 'no such deploy' });
  }
  if (req.method !== 'POST') {
    req.resume();
    const reads = rest.startsWith('argo/') && rest !== 'argo/event';
    return send(res, 405, { error: `use POST ${GATES_PREFIX}argo, argo/event, flagger/{${FLAGGER_HOOKS.join(',')}} or peer; GET ${GATES_PREFIX}argo/{id}` }, { allow: reads ? 'GET' : 'POST' });
  }

  if (rest === 'argo' || rest === 'argo/event') {
    if (!authorized(res, deps, bearer(req))) return void req.resume();
    const body = await readJson(req, res, deps, argoBody);
    if (!body.ok) return;
    const event = argoEvent(body.value, deps.now());
    const problem = body.value.startedAt !== undefined ? startProblem(event.startedAtMs, deps.now(), 'startedAt') : undefined;
    if (problem) return send(res, 400, { error: 'invalid request', problems: [problem] });
    const record = await recordAttempt(deps, event);
    return send(res, rest === 'argo' ? 200 : 202, view(record));
  }

  if (rest.startsWith('flagger/')) {
    const hook = rest.slice('flagger/'.length) as FlaggerHook;
    if (!FLAGGER_HOOKS.includes(hook)) {
      req.resume();
      return send(res, 404, { error: `unknown Flagger hook ${JSON.stringify(hook)}; known: ${FLAGGER_HOOKS.join(', ')}` });
    }
    const payload = await readJson(req, res, deps, flaggerPayload);
    if (!payload.ok) return;
    if (!authorized(res, deps, payload.value.metadata.token || bearer(req))) return;
    const now = deps.now();
    const event = flaggerEvent(payload.value, now);
    const canary = `${payload.value.namespace}/${payload.value.name}`;
    const starts = startsOf(deps);
    if (hook === 'event') {
      // Only a new revision starts a deploy; every other event is acknowledged and ignored.
      if (!isNewRevisionEvent(payload.value)) return send(res, 202, { ignored: true, phase: payload.value.phase });
      const problem = startProblem(event.startedAtMs, now, 'metadata.timestamp');
      if (problem) return send(res, 400, { error: 'invalid request', problems: [problem] });
      // Flagger sends this event before it saves the new revision's spec, so its checksum is the
      // outgoing revision's (scheduler.go: recordEventInfof before SyncStatus): the start is kept for
      // the canary, and the new revision's first hook, carrying its own checksum, records the deploy.
      for (const [key, at] of starts) if (now - at > deps.windowMs) starts.delete(key);
      if (starts.size >= MAX_REVISION_STARTS && !starts.has(canary)) starts.delete(starts.keys().next().value!);
      starts.set(canary, event.startedAtMs);
      return send(res, 202, { canary, revisionStartedAt: new Date(event.startedAtMs).toISOString() });
    }
    if (deps.get(event.id) === undefined) {
      const start = starts.get(canary);
      if (start !== undefined && now - start <= deps.windowMs) event.startedAtMs = Math.min(start, now);
      starts.delete(canary);
    }
    // Only a revision's first hook starts a new attempt: a confirm-promotion polled for long (another
    // gate holding promotion) must not reopen a window that passed.
    const record = await recordAttempt(deps, event, hook === 'pre-rollout');
    const v = view(record);
    // Flagger asks rollback hooks before pre-rollout on every pass, so a revision deployed again (a
    // revert to the same spec) is asked about first here: a failure decided more than a window ago
    // was an earlier rollout's, and answering it would roll this one back before it started. Not a
    // start either (it is polled while promotion waits), so no attempt opens: "no" (412), and
    // pre-rollout records the new attempt.
    if (hook === 'rollback' && decidedLongAgo(deps, record)) {
      return send(res, 412, { ...v, rollback: false, note: `decided at ${v.decidedAt}, more than a window ago: an earlier rollout of this revision, not this one` });
    }
    // Likewise a revert to a revision another rollout of the service has followed since.
    if (hook === 'rollback' && v.gate === 'fail' && rolledOverSince(deps, record, attemptOf(event.id))) {
      return send(res, 412, { ...v, rollback: false, note: 'another rollout of the service began after it: an earlier rollout of this revision, not this one' });
    }
    return send(res, flaggerStatus(hook, v.gate), v);
  }

  if (rest === 'peer') {
    if (!authorized(res, deps, bearer(req))) return void req.resume();
    const body = await readJson(req, res, deps, peerEvent);
    if (!body.ok) return;
    return send(res, 200, view(await recordOnce(deps, body.value, true)));
  }

  req.resume();
  return send(res, 404, { error: `no gate at ${path}` });
}
