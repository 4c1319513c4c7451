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
  });
});
