// A source's answer read raw and inflated here (requestInflated), against a local HTTP server: the
// body as fetch would give it for each coding, what fetch does beside (redirects, aborts, failed
// connections thrown as fetch throws them), the Node stream under it for the source's own read,
// and fetchWith taking this path for a source's client (compression: gzip or none).

import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { nodeBodyOf, requestInflated } from '../../src/source/inflating-request.js';
import { fetchWith } from '../../src/source/http-options.js';
import { readBodyCapped } from '../../src/source/read-body.js';
import { classifyFetchError } from '../../src/core/errors.js';

const undici = createRequire(import.meta.url)('undici') as typeof import('undici');

/** A JSON answer of many pieces, larger than one inflated piece (256 KB). */
const ANSWER = JSON.stringify({ status: 'success', data: { result: Array.from({ length: 20_000 }, (_, i) => ({ metric: { route: `/r${i}` }, value: [1, String(i)] })) } });

describe('requestInflated', () => {
  let server: Server;
  let base = '';
  const seen: { url: string; method: string; encoding: string | undefined; body: string }[] = [];
  const endless = { closed: false };
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ url: req.url!, method: req.method!, encoding: req.headers['accept-encoding'], body: Buffer.concat(chunks).toString() });
        const body = Buffer.from(ANSWER);
        switch (req.url) {
          case '/gzip':
            res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' }).end(gzipSync(body));
            return;
          case '/deflate':
            res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync(body));
            return;
          case '/br':
            res.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }));
            return;
          case '/plain':
            res.writeHead(200).end(body);
            return;
          case '/unknown':
            res.writeHead(200, { 'content-encoding': 'zstd' }).end('as it came');
            return;
          case '/broken':
            res.writeHead(200, { 'content-encoding': 'gzip' }).end('this is not gzip at all');
            return;
          case '/cut': {
            // Half the gzipped answer, then the connection reset.
            const gz = gzipSync(body);
            res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(gz.length) });
            res.write(gz.subarray(0, gz.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
            return;
          }
          case '/plain-cut':
            // Half the uncompressed answer, then the connection reset.
            res.writeHead(200, { 'content-length': String(body.length) });
            res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
            return;
          case '/endless': {
            // The first half of a gzipped answer, and then nothing: the connection held open.
            const gz = gzipSync(body);
            endless.closed = false;
            res.socket?.once('close', () => (endless.closed = true));
            res.writeHead(200, { 'content-encoding': 'gzip' });
            res.write(gz.subarray(0, gz.length >> 1));
            return;
          }
          case '/moved':
            res.writeHead(307, { location: '/gzip' }).end();
            return;
          case '/empty':
            res.writeHead(204).end();
            return;
          case '/slow':
            return;
          case '/accepting':
            // As Prometheus: gzipped only when asked.
            if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(body));
            else res.writeHead(200).end(body);
            return;
          default:
            res.writeHead(404).end('no');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const ask = (path: string, init: RequestInit = {}) => requestInflated(undici, `${base}${path}`, init, new Headers({ 'accept-encoding': 'gzip' }));

  it('decodes gzip, deflate and br answers, and passes an uncompressed one through, each the bytes the server meant', async () => {
    for (const path of ['/gzip', '/deflate', '/br', '/plain']) {
      const response = await ask(path);
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe(ANSWER);
    }
    const gzip = await ask('/gzip');
    // The headers as they came, as fetch keeps them.
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
    expect(gzip.headers.get('content-type')).toBe('application/json');
    await gzip.body?.cancel();
  });

  it('hands the inflated answer over in large pieces, not zlib’s 16 KB ones', async () => {
    const response = await ask('/gzip');
    const sizes: number[] = [];
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) sizes.push(chunk.byteLength);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength(ANSWER));
    expect(Math.max(...sizes)).toBeGreaterThan(64 * 1024);
  });

  it('leaves a body of a coding it does not know as it came, as fetch does', async () => {
    expect(await (await ask('/unknown')).text()).toBe('as it came');
  });

  it('sends the method, the body and the headers given, and follows a redirect with them', async () => {
    seen.length = 0;
    const response = await ask('/moved', { method: 'POST', body: 'query=up' });
    expect(await response.text()).toBe(ANSWER);
    expect(seen).toEqual([
      { url: '/moved', method: 'POST', encoding: 'gzip', body: 'query=up' },
      { url: '/gzip', method: 'POST', encoding: 'gzip', body: 'query=up' },
    ]);
  });

  it('answers a status without a body with none', async () => {
    const response = await ask('/empty');
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
  });

  it('ends a broken gzip body with an error, which the source reads as a failed transfer, not a hang', async () => {
    const response = await ask('/broken');
    const failure = await readBodyCapped(response, 1 << 20, `${base}/broken`, 5000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ reason: 'connection' });
    expect(String((failure as Error).message)).toMatch(/header|gzip|data/i);
  });

  it('ends the decoded body with an error when the connection is lost midway, well before the read’s deadline', async () => {
    const response = await ask('/cut');
    const failure = await readBodyCapped(response, 1 << 20, `${base}/cut`, 5000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ reason: 'connection' });
  });

  it('lets the connection go when the decoded body is let go early (a read over its size cap)', async () => {
    const response = await ask('/endless');
    const failure = await readBodyCapped(response, 1024, `${base}/endless`, 5000).catch((e: unknown) => e);
    expect(failure).toMatchObject({ reason: 'bad_response' });
    // Bounded: the server sees its connection closed, not held until undici's body timeout (300 s).
    for (let i = 0; i < 100 && !endless.closed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(endless.closed).toBe(true);
  });

  it('hands the Node stream under its body to the source’s own read, once, and only while the web body is unread', async () => {
    const first = await ask('/gzip');
    const stream = nodeBodyOf(first);
    expect(stream).toBeInstanceOf(Readable);
    expect(nodeBodyOf(first)).toBeUndefined();
    // The web body over it is spent: reading it fails rather than reading half an answer.
    await expect(first.text()).rejects.toThrow();
    const chunks: Buffer[] = [];
    for await (const chunk of stream!) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe(ANSWER);
    // Read through the web body first: no Node stream to hand out.
    const second = await ask('/plain');
    const reader = second.body!.getReader();
    await reader.read();
    expect(nodeBodyOf(second)).toBeUndefined();
    await reader.cancel();
    // Not one of its Responses.
    expect(nodeBodyOf(new Response('x'))).toBeUndefined();
    // The source's read takes the Node stream, and reads what the web body would.
    for (const path of ['/plain', '/gzip']) expect(await readBodyCapped(await ask(path), 1 << 20, path, 5000), path).toBe(ANSWER);
  });

  it('fails the read of a body whose connection was lost before anyone read it, as a lost connection', async () => {
    for (const path of ['/plain-cut', '/cut']) {
      const response = await ask(path);
      // The connection is reset 20 ms after the first half: well before this read.
      await new Promise((r) => setTimeout(r, 200));
      const failure = await readBodyCapped(response, 1 << 20, `${base}${path}`, 5000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure, path).toMatchObject({ reason: 'connection' });
    }
  });

  it('lets go of a body nobody read without an error thrown in no one’s hands (the abort undici reports then)', async () => {
    for (const path of ['/plain', '/gzip']) {
      const stream = nodeBodyOf(await ask(path));
      stream!.destroy();
      const web = await ask(path);
      await web.body!.cancel();
    }
    // An error emitted with no listener would reach vitest as an unhandled one, failing the run.
    await new Promise((r) => setTimeout(r, 100));
  });

  it('fails a request answered with a status no answer can have, as fetch does, rather than throwing from Response', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const odd = createNetServer((socket) => {
      sockets.add(socket);
      socket.end('HTTP/1.1 600 Odd\r\ncontent-length: 2\r\n\r\nno');
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    try {
      const failure = await requestInflated(undici, `http://127.0.0.1:${(odd.address() as AddressInfo).port}/`, {}, new Headers()).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(TypeError);
      expect((failure as Error).message).toBe('fetch failed');
      expect(classifyFetchError(failure, 'odd', 100).reason).toBe('connection');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => odd.close(() => r()));
    }
  });

  it('throws an abort and a timeout as they came, and a refused connection as fetch does', async () => {
    const timeout = await ask('/slow', { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((timeout as Error).name).toBe('TimeoutError');
    expect(classifyFetchError(timeout, `${base}/slow`, 100).reason).toBe('timeout');
    const controller = new AbortController();
    const aborted = ask('/slow', { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(((await aborted) as Error).name).toBe('AbortError');
    // A port just freed: nothing listens there.
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    const closed = `http://127.0.0.1:${(spare.address() as AddressInfo).port}/`;
    await new Promise<void>((r) => spare.close(() => r()));
    const refused = await requestInflated(undici, closed, {}, new Headers()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as Error).message).toBe('fetch failed');
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    // The same reason and detail as fetch's own failure.
    const viaFetch = await fetch(closed).catch((e: unknown) => e);
    expect(classifyFetchError(refused, closed, 100).message).toBe(classifyFetchError(viaFetch, closed, 100).message);
  });

  it('is the path fetchWith takes for compression: gzip, asking for gzip; a header given, or a fetch given in its place, is left as it was', async () => {
    seen.length = 0;
    const gzip = fetchWith({ headers: {}, compression: 'gzip' });
    const response = await gzip(`${base}/accepting`, { method: 'POST', body: 'query=up' });
    expect(await response.text()).toBe(ANSWER);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(seen.at(-1)).toEqual({ url: '/accepting', method: 'POST', encoding: 'gzip', body: 'query=up' });
    // A coding the user asks for goes through fetch as given.
    await (await fetchWith({ headers: { 'accept-encoding': 'identity' }, compression: 'gzip' })(`${base}/accepting`)).text();
    expect(seen.at(-1)?.encoding).toBe('identity');
    // A fetch given in the global one's place (as tests give one) is used.
    let used = 0;
    const given = (async (input: string | URL | Request, init?: RequestInit) => {
      used++;
      return fetch(input, init);
    }) as typeof fetch;
    expect(await (await fetchWith({ headers: {}, compression: 'gzip' }, given)(`${base}/accepting`)).text()).toBe(ANSWER);
    expect(used).toBe(1);
  });

  it('is the path fetchWith takes for compression: none too, asking for an uncompressed answer; a client without the setting (a sink’s) goes through fetch', async () => {
    seen.length = 0;
    const none = await fetchWith({ headers: {}, compression: 'none' })(`${base}/accepting`, { method: 'POST', body: 'query=up' });
    expect(seen.at(-1)).toEqual({ url: '/accepting', method: 'POST', encoding: 'identity', body: 'query=up' });
    expect(none.headers.get('content-encoding')).toBeNull();
    expect(nodeBodyOf(none)).toBeInstanceOf(Readable);
    const sink = await fetchWith({ headers: {} })(`${base}/plain`);
    expect(nodeBodyOf(sink)).toBeUndefined();
    expect(await sink.text()).toBe(ANSWER);
  });
});
