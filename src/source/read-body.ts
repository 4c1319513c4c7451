// Reads an HTTP response body with a size cap, so one huge answer (a runaway /metrics page, a
// Prometheus query that matched far too much) cannot exhaust memory or stall a tick.

import { SourceError, classifyFetchError } from '../core/errors.js';

export async function readBodyCapped(response: Response, maxBytes: number, what: string, timeoutMs: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new SourceError('bad_response', `${what}: answer of ${declared} bytes exceeds the limit of ${maxBytes}`, false);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      // Throwing out of the loop cancels the stream.
      if (size > maxBytes) throw new SourceError('bad_response', `${what}: answer exceeds the limit of ${maxBytes} bytes`, false);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw classifyFetchError(error, what, timeoutMs);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs `jobs` with at most `limit` in flight. */
export async function runBounded(jobs: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
