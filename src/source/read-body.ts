// Reads an HTTP response body with a size cap, so one huge answer (a runaway /metrics page, a
// Prometheus query that matched far too much) cannot exhaust memory or stall a tick.

import { SourceError, classifyFetchError } from '../core/errors.js';

export async function readBodyCapped(response: Response, maxBytes: number, what: string, timeoutMs: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  await forEachBodyChunk(response, maxBytes, what, timeoutMs, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Hands each chunk of an HTTP response body to `onChunk` as it arrives, under the same size cap.
 * Failures of the transfer become SourceErrors; an error thrown by `onChunk` cancels the stream and
 * reaches the caller as it was thrown.
 */
export async function forEachBodyChunk(response: Response, maxBytes: number, what: string, timeoutMs: number, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new SourceError('bad_response', `${what}: answer of ${declared} bytes exceeds the limit of ${maxBytes}`, false);
  }
  let size = 0;
  let refused: { error: unknown } | undefined;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      // Throwing (or breaking) out of the loop cancels the stream.
      if (size > maxBytes) throw new SourceError('bad_response', `${what}: answer exceeds the limit of ${maxBytes} bytes`, false);
      try {
        onChunk(chunk);
      } catch (error) {
        refused = { error };
        break;
      }
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw classifyFetchError(error, what, timeoutMs);
  }
  if (refused) throw refused.error;
}

/** Runs `jobs` with at most `limit` in flight. */
export async function runBounded(jobs: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
