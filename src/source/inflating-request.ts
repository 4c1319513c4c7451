// A source's request, read raw, inflated here in large pieces when gzipped, and handed back as the
// Response fetch would give. Fetch inflates through its web stream in zlib's 16 KB pieces, with a
// flush at every network chunk: at 100k series a tick's three answers (25 MB of JSON, 4 MB
// gzipped) cost 0.42-0.58 s of CPU to read that way, against 0.12-0.19 s read raw with undici's
// request and inflated 256 KB at a time, and 0.12-0.16 s read uncompressed through fetch. An
// uncompressed answer costs less raw too: 0.06-0.09 s read as Node's stream, 0.10-0.14 s through
// a web stream made of it. So the body is both: the Response's web stream for any reader, and the
// Node stream under it for the source's own read (nodeBodyOf), whichever is read first.
// What fetch would do beside is kept: redirects followed (at most 20), the abort signal, a
// failed connection thrown as fetch throws it (TypeError "fetch failed", the cause kept). Where it
// differs: a POST redirected by a 301 or 302 is sent again as a POST (fetch sends a GET, which a
// Prometheus query does not want), and the ports fetch refuses (its blocked list, 6000 among
// them) are asked like any other.

import { type Readable, type Transform, pipeline } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';

type Undici = typeof import('undici');

/** Bytes a piece of the inflated answer: a body read in few pieces costs little beyond the inflating. */
const INFLATED_PIECE_BYTES = 256 * 1024;
/** As fetch: redirects beyond these are an error. */
const MAX_REDIRECTIONS = 20;

/** The decoder for one content coding, or undefined for none (identity, or one not known: the bytes as they came, as fetch leaves them). */
function decoderFor(coding: string): Transform | undefined {
  // Lenient with a truncated end, as fetch is (Z_SYNC_FLUSH): a body cut short is read as far as it goes.
  const options = { chunkSize: INFLATED_PIECE_BYTES, flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };
  if (coding === 'gzip' || coding === 'x-gzip') return createGunzip(options);
  if (coding === 'deflate') return createInflate(options);
  if (coding === 'br') return createBrotliDecompress({ chunkSize: INFLATED_PIECE_BYTES });
  return undefined;
}

/** The Node stream under a Response made here, until either body is read. */
const nodeBodies = new WeakMap<Response, { stream: Readable; taken: boolean }>();

/**
 * The Node stream of a Response requestInflated made, for a reader of its own, when its web body
 * was not read yet (then it never will be: reading it fails); undefined for any other Response.
 */
export function nodeBodyOf(response: Response): Readable | undefined {
  const body = nodeBodies.get(response);
  if (!body || body.taken) return undefined;
  body.taken = true;
  return body.stream;
}

/**
 * A web stream of `stream`'s chunks that touches it only when read (a high-water mark of 0: no
 * chunk is asked for ahead), so that nodeBodyOf can hand the Node stream out instead. Readable.toWeb
 * listens for data at once, and copies every chunk besides (as fetch's own stream does): 25 MB of
 * new buffers a 100k tick, which started a full collection of the heap at every tick.
 */
function lazyWebStream(stream: Readable, body: { taken: boolean }): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!chunks) {
          if (body.taken) throw new TypeError('the answer\'s body was already read');
          body.taken = true;
          chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
        }
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        stream.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The answer's headers as a Headers (a repeated header's values joined, as fetch joins them). */
function headersOf(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/**
 * Sends the request with `headers` as they are (the caller says which codings it takes) through
 * `dispatcher` (undici's global one when undefined) and answers with the body decoded. `init.body`
 * is a string or absent: the sources send nothing else.
 */
export async function requestInflated(undici: Undici, url: string, init: RequestInit, headers: Headers, dispatcher?: Dispatcher): Promise<Response> {
  if (init.body !== undefined && init.body !== null && typeof init.body !== 'string') throw new TypeError('requestInflated sends a string body only');
  let answer: Dispatcher.ResponseData;
  try {
    answer = await undici.request(url, {
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: Object.fromEntries(headers),
      body: init.body ?? undefined,
      signal: init.signal ?? undefined,
      maxRedirections: MAX_REDIRECTIONS,
      ...(dispatcher ? { dispatcher } : {}),
    });
  } catch (error) {
    // An abort or timeout is thrown as it came (its name says which); anything else as fetch throws it.
    const name = (error as { name?: string } | null)?.name;
    if (name === 'AbortError' || name === 'TimeoutError') throw error;
    throw new TypeError('fetch failed', { cause: error });
  }
  const responseHeaders = headersOf(answer.headers);
  // Codings listed in the order applied: undone last first. No body for a status that has none.
  const codings = (responseHeaders.get('content-encoding') ?? '').split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  const noBody = answer.statusCode === 204 || answer.statusCode === 304 || init.method === 'HEAD';
  // A coding not known leaves the body as it came, as fetch leaves it.
  const decoders = noBody ? [] : codings.reverse().map(decoderFor);
  let body: Readable = answer.body;
  if (decoders.length > 0 && decoders.every((d) => d !== undefined)) {
    // pipeline, not pipe: an error of any part (a broken gzip stream, a connection lost) ends the
    // decoded body with it, and a body let go early (a read over its size cap, a cancel) lets the
    // connection go too, rather than holding it until undici's body timeout.
    body = pipeline([answer.body, ...(decoders as Transform[])], () => {}) as unknown as Readable;
  }
  if (noBody) answer.body.resume();
  // A status a Response cannot carry (outside 200-599) is a failed request, as fetch reads it.
  if (!(answer.statusCode >= 200 && answer.statusCode <= 599)) {
    // Let go, its connection with it; its error on the way (the request aborted) is no news.
    body.on('error', () => {});
    body.destroy();
    throw new TypeError('fetch failed', { cause: new Error(`HTTP status ${answer.statusCode} is not one an answer can have`) });
  }
  if (noBody) return new Response(null, { status: answer.statusCode, headers: responseHeaders });
  // A body that fails before anyone reads it (the connection lost) must not throw in no one's
  // hands: the stream keeps the error, and its reader gets it at its first read.
  body.on('error', () => {});
  const held = { stream: body, taken: false };
  const response = new Response(lazyWebStream(body, held), { status: answer.statusCode, headers: responseHeaders });
  nodeBodies.set(response, held);
  return response;
}
