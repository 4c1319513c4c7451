// The client side of the deploy API, for `stormwatch deploy`: records a deploy and, with --wait,
// polls its verdict until the window decides it.

import type { DeployRecord } from './types.js';

export interface DeployRequest {
  service: string;
  version: string;
  environment?: string;
  startedAt?: string;
  id?: string;
}

export class DeployApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function postDeploy(baseUrl: string, token: string, body: DeployRequest, timeoutMs = 10_000): Promise<DeployRecord> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v1/deploys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const json = (await res.json().catch(() => ({}))) as DeployRecord & { error?: string; problems?: string[] };
  if (res.status !== 200 && res.status !== 201) {
    throw new DeployApiError(res.status, `HTTP ${res.status}: ${json.error ?? 'error'}${json.problems ? `: ${json.problems.join('; ')}` : ''}`);
  }
  return json;
}

/** Polls the verdict until it is no longer pending, or the deadline passes (then: the last record). */
export async function waitForVerdict(baseUrl: string, id: string, deadlineMs: number, pollMs = 5000, token?: string): Promise<DeployRecord> {
  // The token goes along: a server with deploys.publicReads: false asks for it on reads too.
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  for (;;) {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v1/deploys/${encodeURIComponent(id)}`, { headers, signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) throw new DeployApiError(404, `deploy ${id} is unknown to stormwatch`);
    if (res.status === 401 || res.status === 403) throw new DeployApiError(res.status, `HTTP ${res.status}: reading deploy ${id} needs a valid token`);
    const record = (await res.json()) as DeployRecord;
    if (record.verdict !== 'pending' || Date.now() + pollMs > deadlineMs) return record;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
