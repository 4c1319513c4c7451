// The deploy API on stormwatch's HTTP server: POST /api/v1/deploys records a deploy (bearer token,
// bounded JSON body, validated with clear 4xx errors); GET /api/v1/deploys lists them; GET
// /api/v1/deploys/{id} serves a verdict a pipeline can gate on: 200 pass, 425 pending,
// 412 fail, inconclusive or superseded, 404 unknown. Every malformed request is a 4xx.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatPath } from '../config/load.js';
import type { DeployEvent, DeployRecord } from './types.js';

export interface DeployApiDeps {
  /** Without a token every POST is refused (403): recording deploys is opt-in. */
  token?: string;
  /** GETs need no token (default); false: they need the same bearer token as POST. */
  publicReads?: boolean;
  maxBodyBytes: number;
  now: () => number;
  /** Records a deploy (or joins the known record of the same rollout) and returns the record; `forwarded`: it came from an HA peer, so it is not forwarded again. */
  add(event: DeployEvent, options?: { forwarded?: boolean }): DeployRecord;
  /** Resolves once what `add` changed is on disk (the answer waits for it). */
  persisted?: () => Promise<void>;
  get(id: string): DeployRecord | undefined;
  list(): DeployRecord[];
}

/** How far ahead of our clock a deploy's start may be (clock skew between machines). */
export const MAX_FUTURE_START_MS = 5 * 60_000;
/** How far back a deploy's start may be: older rollouts have no live window left to judge. */
export const MAX_PAST_START_MS = 7 * 86_400_000;

const text = (what: string, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'expected a string') })
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `${what} longer than ${max} characters` });

const deployBody = z.strictObject({
  service: text('service', 200),
  version: text('version', 200),
  environment: text('environment', 100).default('production'),
  /** RFC 3339; defaults to the time the request arrives. */
  startedAt: z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: 'expected an RFC 3339 time like 2023-07-20T12:17:00Z' }).optional(),
  /** A client-chosen id makes the call idempotent. It starts with a letter or digit: "." and ".." are not ids. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, { message: 'expected 1-128 letters, digits, "_", ".", ":" or "-", starting with a letter or digit' }).optional(),
});

export const VERDICT_STATUS: Record<DeployRecord['verdict'], number> = { pass: 200, pending: 425, fail: 412, inconclusive: 412, superseded: 412 };

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

export function tokenMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Reads at most `limit` bytes; resolves undefined (and answers 413) when the body is larger. The
 * 413 goes out with `Connection: close` and the rest of the body is drained briefly before the
 * socket closes, so the client reads the answer instead of a reset.
 */
export async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  const tooLarge = (message: string) => {
    // Taken now: Node detaches the socket from the request once the answer is out.
    const socket = req.socket;
    send(res, 413, { error: message }, { connection: 'close' });
    req.resume();
    res.once('finish', () => setTimeout(() => socket?.destroy(), 1000).unref());
  };
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) {
    tooLarge(`body of ${declared} bytes is larger than the limit of ${limit}`);
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      tooLarge(`body is larger than the limit of ${limit} bytes`);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Checks the bearer token; answers 401/403 and returns false when it is missing or wrong. */
function authorized(req: IncomingMessage, res: ServerResponse, deps: DeployApiDeps): boolean {
  return authorizeBearer(req, res, deps.token, 'deploy recording is disabled: set deploys.apiToken');
}

/**
 * The API token check every write endpoint shares: 401 without a bearer token, 403 with a wrong
 * one or when the feature has no token configured (`disabled` says how to enable it).
 */
export function authorizeBearer(req: IncomingMessage, res: ServerResponse, token: string | undefined, disabled: string): boolean {
  // Disabled is said first: asking for a token that cannot exist sent people looking for one.
  if (token === undefined) {
    req.resume();
    send(res, 403, { error: disabled });
    return false;
  }
  const auth = req.headers.authorization;
  if (!auth || !/^Bearer\s+\S+$/i.test(auth)) {
    req.resume();
    send(res, 401, { error: 'missing bearer token: send Authorization: Bearer <token>' }, { 'www-authenticate': 'Bearer' });
    return false;
  }
  if (!tokenMatches(token, auth.replace(/^Bearer\s+/i, ''))) {
    req.resume();
    send(res, 403, { error: 'invalid token' });
    return false;
  }
  return true;
}

/** The fields a client gave that differ from the record with the same id (a reused id). */
function conflicts(record: DeployRecord, body: z.output<typeof deployBody>, startedAtMs: number | undefined): string[] {
  const out: string[] = [];
  for (const field of ['service', 'version', 'environment'] as const) {
    if (record[field] !== body[field]) out.push(`${field}: ${JSON.stringify(body[field])} here, ${JSON.stringify(record[field])} recorded`);
  }
  if (startedAtMs !== undefined && startedAtMs !== record.startedAtMs) out.push(`startedAt: ${body.startedAt} here, ${new Date(record.startedAtMs).toISOString()} recorded`);
  return out;
}

export async function handleDeploys(req: IncomingMessage, res: ServerResponse, path: string, deps: DeployApiDeps): Promise<void> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (deps.publicReads === false && !authorized(req, res, deps)) return;
    if (path === '/api/v1/deploys') return send(res, 200, { deploys: deps.list() });
    if (path.startsWith('/api/v1/deploys/')) {
      let id: string;
      try {
        id = decodeURIComponent(path.slice('/api/v1/deploys/'.length));
      } catch {
        return send(res, 400, { error: 'malformed percent-encoding in the deploy id' });
      }
      const record = deps.get(id);
      if (!record) return send(res, 404, { error: 'no such deploy' });
      return send(res, VERDICT_STATUS[record.verdict], record);
    }
  }
  if (path !== '/api/v1/deploys' || req.method !== 'POST') {
    req.resume();
    return send(res, 405, { error: 'use POST /api/v1/deploys, GET /api/v1/deploys or GET /api/v1/deploys/{id}' }, { allow: path === '/api/v1/deploys' ? 'GET, HEAD, POST' : 'GET, HEAD' });
  }
  if (!authorized(req, res, deps)) return;
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) {
    req.resume();
    return send(res, 415, { error: 'expected Content-Type: application/json' });
  }
  const body = await readBody(req, res, deps.maxBodyBytes);
  if (body === undefined) return;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return send(res, 400, { error: `body is not JSON: ${(error as Error).message}` });
  }
  const parsed = deployBody.safeParse(json);
  if (!parsed.success) {
    return send(res, 400, { error: 'invalid deploy', problems: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) });
  }
  const b = parsed.data;
  const now = deps.now();
  const givenStartMs = b.startedAt ? Date.parse(b.startedAt) : undefined;
  if (givenStartMs !== undefined && (givenStartMs > now + MAX_FUTURE_START_MS || givenStartMs < now - MAX_PAST_START_MS)) {
    return send(res, 400, { error: 'invalid deploy', problems: [`startedAt: ${b.startedAt} is more than ${givenStartMs > now ? '5 minutes ahead of' : '7 days behind'} stormwatch's clock`] });
  }
  const startedAtMs = givenStartMs ?? now;
  const id = b.id ?? `${b.service}-${b.version}-${startedAtMs}`.replace(/[^A-Za-z0-9_.:-]/g, '_');
  const existing = deps.get(id);
  if (existing) {
    // Idempotent for the same deploy; a reused id for a different one is the client's mistake.
    const differences = existing.id === id ? conflicts(existing, b, givenStartMs) : [];
    if (differences.length > 0) return send(res, 409, { error: `deploy id ${JSON.stringify(id)} is already recorded for a different deploy`, problems: differences });
    return send(res, 200, existing, { location: `/api/v1/deploys/${encodeURIComponent(existing.id)}` });
  }
  const record = deps.add({ id, service: b.service, version: b.version, environment: b.environment, startedAtMs, source: 'api' });
  await deps.persisted?.();
  // Another record of the same rollout (a build-info marker) was there first: this joins it.
  const status = record.id === id ? 201 : 200;
  return send(res, status, record, { location: `/api/v1/deploys/${encodeURIComponent(record.id)}` });
}
