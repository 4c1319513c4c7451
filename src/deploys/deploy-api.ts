// The deploy API on stormwatch's HTTP server: POST /api/v1/deploys records a deploy (bearer token,
// bounded JSON body, validated with clear 4xx errors); GET /api/v1/deploys lists them; GET
// /api/v1/deploys/{id} serves a verdict a pipeline can gate on: 200 pass, 425 pending,
// 412 fail or inconclusive, 404 unknown.

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatPath } from '../config/load.js';
import type { DeployEvent, DeployRecord } from './types.js';

export interface DeployApiDeps {
  /** Without a token every POST is refused (403): recording deploys is opt-in. */
  token?: string;
  maxBodyBytes: number;
  now: () => number;
  /** Records a deploy; `forwarded`: it came from an HA peer, so it is not forwarded again. */
  add(event: DeployEvent, options?: { forwarded?: boolean }): DeployRecord;
  get(id: string): DeployRecord | undefined;
  list(): DeployRecord[];
}

export const deployBody = z.strictObject({
  service: z.string({ error: 'expected a string' }).min(1, { message: 'must not be empty' }).max(200),
  version: z.string({ error: 'expected a string' }).min(1, { message: 'must not be empty' }).max(200),
  environment: z.string().min(1).max(100).default('production'),
  /** RFC 3339; defaults to the time the request arrives. */
  startedAt: z.string().refine((t) => !Number.isNaN(Date.parse(t)), { message: 'expected an RFC 3339 time like 2023-07-20T12:17:00Z' }).optional(),
  /** A client-chosen id makes the call idempotent. */
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'expected 1-128 letters, digits, "_", ".", ":" or "-"' }).optional(),
});

export const VERDICT_STATUS: Record<DeployRecord['verdict'], number> = { pass: 200, pending: 425, fail: 412, inconclusive: 412 };

export function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

export function tokenMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads at most `limit` bytes; resolves undefined (and answers 413) when the body is larger. */
export async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) {
    send(res, 413, { error: `body of ${declared} bytes is larger than the limit of ${limit}` });
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      send(res, 413, { error: `body is larger than the limit of ${limit} bytes` });
      req.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function handleDeploys(req: IncomingMessage, res: ServerResponse, path: string, deps: DeployApiDeps): Promise<void> {
  if (path === '/api/v1/deploys' && req.method === 'GET') return send(res, 200, { deploys: deps.list() });
  if (path.startsWith('/api/v1/deploys/') && req.method === 'GET') {
    const record = deps.get(decodeURIComponent(path.slice('/api/v1/deploys/'.length)));
    if (!record) return send(res, 404, { error: 'no such deploy' });
    return send(res, VERDICT_STATUS[record.verdict], record);
  }
  if (path !== '/api/v1/deploys' || req.method !== 'POST') return send(res, 405, { error: 'use POST /api/v1/deploys, GET /api/v1/deploys or GET /api/v1/deploys/{id}' });

  const auth = req.headers.authorization;
  if (!auth || !/^Bearer\s+\S+$/i.test(auth)) {
    req.resume();
    res.setHeader('www-authenticate', 'Bearer');
    return send(res, 401, { error: 'missing bearer token: send Authorization: Bearer <token>' });
  }
  if (deps.token === undefined || !tokenMatches(deps.token, auth.replace(/^Bearer\s+/i, ''))) {
    req.resume();
    return send(res, 403, { error: deps.token === undefined ? 'deploy recording is disabled: set deploys.apiToken' : 'invalid token' });
  }
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) {
    req.resume();
    return send(res, 415, { error: 'expected Content-Type: application/json' });
  }
  const text = await readBody(req, res, deps.maxBodyBytes);
  if (text === undefined) return;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return send(res, 400, { error: `body is not JSON: ${(error as Error).message}` });
  }
  const parsed = deployBody.safeParse(json);
  if (!parsed.success) {
    return send(res, 400, { error: 'invalid deploy', problems: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) });
  }
  const b = parsed.data;
  const startedAtMs = b.startedAt ? Date.parse(b.startedAt) : deps.now();
  const id = b.id ?? `${b.service}-${b.version}-${startedAtMs}`.replace(/[^A-Za-z0-9_.:-]/g, '_');
  const existing = deps.get(id);
  if (existing) return send(res, 200, existing);
  const record = deps.add({ id, service: b.service, version: b.version, environment: b.environment, startedAtMs, source: 'api' });
  res.setHeader('location', `/api/v1/deploys/${encodeURIComponent(record.id)}`);
  return send(res, 201, record);
}
