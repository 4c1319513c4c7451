// The source fetch wrapper: headers and credentials on every request (a {file:} credential read
// again each time), and a proxy that requests tunnel through (a local CONNECT proxy).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationHeader, fetchWith } from '../../src/source/http-options.js';

describe('fetchWith', () => {
  it('adds headers and auth to every request, re-reading a credential file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-cred-')), 'token');
    writeFileSync(file, 'one\n');
    const sent: Headers[] = [];
    const base = (async (_: unknown, init?: RequestInit) => {
      sent.push(new Headers(init?.headers));
      return new Response('ok');
    }) as typeof fetch;
    const f = fetchWith({ headers: { 'x-scope-orgid': 't1' }, auth: { kind: 'bearer', token: { value: 'one', file } } }, base);
    await f('http://x/', { headers: { accept: 'text/plain' } });
    writeFileSync(file, 'two\n');
    await f('http://x/');
    expect(sent.map((h) => [h.get('authorization'), h.get('x-scope-orgid'), h.get('accept')])).toEqual([
      ['Bearer one', 't1', 'text/plain'],
      ['Bearer two', 't1', null],
    ]);
    expect(authorizationHeader({ headers: {}, auth: { kind: 'basic', username: 'u', password: { value: 'p' } } })).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('asks for uncompressed answers when compression is none, unless a header says otherwise; leaves a client without the setting alone', async () => {
    const sent: (string | null)[] = [];
    const base = (async (_: unknown, init?: RequestInit) => {
      sent.push(new Headers(init?.headers).get('accept-encoding'));
      return new Response('ok');
    }) as typeof fetch;
    await fetchWith({ headers: {}, compression: 'none' }, base)('http://x/');
    await fetchWith({ headers: {}, compression: 'gzip' }, base)('http://x/');
    await fetchWith({ headers: { 'accept-encoding': 'br' }, compression: 'none' }, base)('http://x/');
    await fetchWith({ headers: {} }, base)('http://x/');
    expect(sent).toEqual(['identity', null, 'br', null]);
  });

  it('sends an OAuth2 access token, and on a 401 fetches a new one and asks once more', async () => {
    let issued = 0;
    let accepted = 'tok-1';
    const seen: string[] = [];
    const base = (async (input: string | URL | Request, init?: RequestInit) => {
      if (String(input).startsWith('http://idp/')) return new Response(JSON.stringify({ access_token: `tok-${++issued}`, expires_in: 3600 }), { status: 200 });
      const authorization = new Headers(init?.headers).get('authorization') ?? '';
      seen.push(authorization);
      return authorization === `Bearer ${accepted}` ? new Response('ok') : new Response('expired', { status: 401 });
    }) as typeof fetch;
    const f = fetchWith({ headers: {}, oauth2: { clientId: 'c', clientSecret: { value: 'secret-1' }, tokenUrl: 'http://idp/token', scopes: [], endpointParams: {} } }, base);
    expect((await f('http://prom/api/v1/query', { method: 'POST', body: 'query=up' })).status).toBe(200);
    expect((await f('http://prom/api/v1/query', { method: 'POST', body: 'query=up' })).status).toBe(200);
    // The server revokes it: one 401, a new token, the same request again.
    accepted = 'tok-2';
    expect((await f('http://prom/api/v1/query', { method: 'POST', body: 'query=up' })).status).toBe(200);
    expect(seen).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    // A server that refuses every token: its 401 is the answer (asked twice, not forever).
    accepted = 'none';
    expect((await f('http://prom/api/v1/query', { method: 'POST', body: 'query=up' })).status).toBe(401);
    expect(issued).toBe(3);
  });

  describe('through a proxy', () => {
    let target: Server;
    let proxy: Server;
    const tunnels: string[] = [];
    beforeAll(async () => {
      target = createServer((req, res) => res.end(`hello ${req.headers.authorization}`));
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
      proxy = createServer((_, res) => res.writeHead(405).end());
      proxy.on('connect', (req, socket, head) => {
        tunnels.push(String(req.url));
        const [host, port] = String(req.url).split(':');
        const upstream = connect(Number(port), host!, () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(head);
          upstream.pipe(socket);
          socket.pipe(upstream);
        });
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    });
    afterAll(async () => {
      proxy.closeAllConnections();
      target.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
      await new Promise<void>((r) => target.close(() => r()));
    });

    it('tunnels the request through proxyUrl with its credentials', async () => {
      const targetAddr = `127.0.0.1:${(target.address() as AddressInfo).port}`;
      const f = fetchWith({ headers: {}, auth: { kind: 'bearer', token: { value: 'tk' } }, proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      const res = await f(`http://${targetAddr}/metrics`);
      expect(await res.text()).toBe('hello Bearer tk');
      expect(tunnels).toEqual([targetAddr]);
    });

    it('tunnels a request for gzip (read raw and inflated by stormwatch) through the proxy too', async () => {
      tunnels.length = 0;
      const targetAddr = `127.0.0.1:${(target.address() as AddressInfo).port}`;
      const f = fetchWith({ headers: {}, auth: { kind: 'bearer', token: { value: 'tk' } }, proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, compression: 'gzip' });
      const res = await f(`http://${targetAddr}/metrics`);
      expect(await res.text()).toBe('hello Bearer tk');
      expect(tunnels).toEqual([targetAddr]);
    });
  });
});
