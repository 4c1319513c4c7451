// Reads an HTTP response body with a size cap, so one huge answer (a runaway /metrics page, a
// Prometheus query that matched far too much) cannot exhaust memory or stall a tick.

import { SourceError, classifyFetchError } from '../core/errors.js';
import { nodeBodyOf } from './inflating-request.js';

/** A body's chunks one read at a time, from its web stream or from the Node stream under it. */
interface ChunkReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(): Promise<void>;
}

/**
 * The Node stream when the Response has one (a source's own request): read as it is, a 25 MB
 * answer costs about half the CPU it does through the web stream over it.
 */
function chunkReader(body: ReadableStream<Uint8Array>, response: Response): ChunkReader {
  const stream = nodeBodyOf(response);
  if (!stream) return body.getReader();
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return {
    read: () => chunks.next() as Promise<{ done: boolean; value?: Uint8Array }>,
    cancel: async () => {
      stream.destroy();
    },
  };
}

export async function readBodyCapped(response: Response, maxBytes: number, what: string, timeoutMs: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  await forEachBodyChunk(response, maxBytes, what, timeoutMs, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Hands each chunk of an HTTP response body to `onChunk` as it arrives, under the same size cap,
 * within `timeoutMs` of the start of the read. Failures of the transfer become SourceErrors; an
 * error thrown by `onChunk` cancels the stream and reaches the caller as it was thrown.
 */
export async function forEachBodyChunk(response: Response, maxBytes: number, what: string, timeoutMs: number, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new SourceError('bad_response', `${what}: answer of ${declared} bytes exceeds the limit of ${maxBytes}`, false);
  }
  if (!response.body) return;
  const reader = chunkReader(response.body, response);
  // Its own deadline: the request's abort signal does not end every read. Node 20's fetch leaves a
  // body that failed before it was read (Content-Encoding: gzip, and no gzip) pending for ever,
  // and one such answer held its tick, and every tick after it, without an error.
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceError('timeout', `${what}: the answer's body did not end within ${timeoutMs} ms`, true)), timeoutMs);
  });
  let size = 0;
  let refused: { error: unknown } | undefined;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), expired]);
      if (done || !value) break;
      size += value.byteLength;
      if (size > maxBytes) throw new SourceError('bad_response', `${what}: answer exceeds the limit of ${maxBytes} bytes`, false);
      try {
        onChunk(value);
      } catch (error) {
        refused = { error };
        break;
      }
    }
  } catch (error) {
    // Not awaited: a read that never settles may leave its cancel pending too.
    reader.cancel().catch(() => {});
    if (error instanceof SourceError) throw error;
    throw classifyFetchError(error, what, timeoutMs);
  } finally {
    clearTimeout(timer);
    expired.catch(() => {});
  }
  if (refused) {
    reader.cancel().catch(() => {});
    throw refused.error;
  }
}

/** Runs `jobs` with at most `limit` in flight. */
export async function runBounded(jobs: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
