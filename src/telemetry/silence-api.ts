// The silence API on stormwatch's HTTP server, behind the deploy API's bearer token
// (deploys.apiToken): GET /api/v1/silences lists them, POST creates one (matchers, an end or a
// duration, who and why), DELETE /api/v1/silences/{id} expires one. A silenced alert is still
// decided and recorded; only its notifications are held back.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatPath } from '../config/yaml-file.js';
import { parseDuration } from '../core/duration.js';
import { authorizeBearer, readBody, send } from '../deploys/deploy-api.js';
import { type Silence, silenceState } from '../decisions/silences.js';
import { SilenceConflictError, SilenceRequestError, type SilenceStore } from '../runner/silence-store.js';

export const SILENCES_PATH = '/api/v1/silences';

export interface SilenceApiDeps {
  /** The deploy API's token; without it every request is refused (403). */
  token?: string;
  store: SilenceStore;
  now: () => number;
  /** Called after a silence is added or expired (held alerts may be due now). */
  changed?: () => void;
}

const time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: 'expected an RFC 3339 time like 2026-12-01T22:00:00Z' });
const silenceBody = z
  .strictObject({
    /** Client-chosen: the same silence on every replica of an HA pair, and a retry records one. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, { message: 'expected 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit' }).optional(),
    matchers: z.array(z.string(), { error: 'expected a list of matchers like ["service=\\"crates\\""]' }),
    startsAt: time.optional(),
    endsAt: time.optional(),
    /** Instead of endsAt: how long from startsAt (or now). */
    duration: z.string().refine((d) => (parseDuration(d) ?? 0) > 0, { message: 'expected a duration like 30m or 2h' }).optional(),
    createdBy: z.string({ error: 'required' }).max(200),
    comment: z.string({ error: 'required' }).max(2000),
  })
  .superRefine((b, ctx) => {
    if ((b.endsAt === undefined) === (b.duration === undefined)) ctx.addIssue({ code: 'custom', message: 'expected exactly one of endsAt, duration' });
  });

/** A silence as the API shows it: times in RFC 3339 and its state now. */
export function silenceView(s: Silence, nowMs: number) {
  return { id: s.id, matchers: s.matchers, startsAt: new Date(s.startsAtMs).toISOString(), endsAt: new Date(s.endsAtMs).toISOString(), createdBy: s.createdBy, comment: s.comment, updatedAt: new Date(s.updatedAtMs).toISOString(), state: silenceState(s, nowMs) };
}

function authorized(req: IncomingMessage, res: ServerResponse, deps: SilenceApiDeps): boolean {
  return authorizeBearer(req, res, deps.token, 'silences are disabled: set deploys.apiToken');
}

const MAX_BODY_BYTES = 16_384;

export async function handleSilences(req: IncomingMessage, res: ServerResponse, path: string, deps: SilenceApiDeps): Promise<void> {
  if (!authorized(req, res, deps)) return;
  const nowMs = deps.now();
  if (path === SILENCES_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
    return send(res, 200, { silences: deps.store.list().map((s) => silenceView(s, nowMs)) });
  }
  if (path === SILENCES_PATH && req.method === 'POST') {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      req.resume();
      return send(res, 415, { error: 'expected Content-Type: application/json' });
    }
    const text = await readBody(req, res, MAX_BODY_BYTES);
    if (text === undefined) return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return send(res, 400, { error: 'body is not JSON' });
    }
    const parsed = silenceBody.safeParse(json);
    if (!parsed.success) return send(res, 400, { error: 'invalid silence', problems: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) });
    const b = parsed.data;
    const startsAtMs = b.startsAt !== undefined ? Date.parse(b.startsAt) : nowMs;
    const endsAtMs = b.endsAt !== undefined ? Date.parse(b.endsAt) : startsAtMs + parseDuration(b.duration!)!;
    try {
      const { silence, created } = deps.store.add({ matchers: b.matchers, startsAtMs, endsAtMs, createdBy: b.createdBy, comment: b.comment }, nowMs, b.id);
      if (created) deps.changed?.();
      return send(res, created ? 201 : 200, silenceView(silence, nowMs));
    } catch (error) {
      if (error instanceof SilenceRequestError) return send(res, 400, { error: 'invalid silence', problems: error.problems });
      if (error instanceof SilenceConflictError) return send(res, 409, { error: error.message });
      throw error;
    }
  }
  if (path.startsWith(`${SILENCES_PATH}/`) && req.method === 'DELETE') {
    let id: string;
    try {
      id = decodeURIComponent(path.slice(SILENCES_PATH.length + 1));
    } catch {
      return send(res, 400, { error: 'malformed percent-encoding in the silence id' });
    }
    const expired = deps.store.expire(id, nowMs);
    if (!expired) return send(res, 404, { error: 'no such silence' });
    deps.changed?.();
    return send(res, 200, silenceView(expired, nowMs));
  }
  req.resume();
  send(res, 405, { error: 'use GET or POST /api/v1/silences, or DELETE /api/v1/silences/{id}' }, { allow: path === SILENCES_PATH ? 'GET, HEAD, POST' : 'DELETE' });
}
