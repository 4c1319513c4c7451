// Smoke probes of services behind TLS with client certificates and tokens: a loopback HTTPS server
// signed by a throwaway CA (openssl) that wants a client certificate and a bearer token. The probe
// reaches it with its config's CA, certificate, key and token file; without them the failure says
// which part is missing; a redirect to another origin gets neither the token nor the certificate.
// Through an HTTP proxy (a loopback one that tunnels CONNECT and forwards absolute-form requests),
// the same probes pass, the proxy sees only host and port of an https:// hop and its own credentials.

import { type IncomingMessage, type Server, type ServerResponse, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runProbe } from '../../src/probes/http-probe.js';
import { type TestCerts, makeTestCerts } from '../helpers/certs.js';

describe('probes with TLS client certificates and credentials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-probe-tls-'));
  let certs: TestCerts;
  let secure: Server;
  let elsewhere: Server;
  const seen: { path: string; authorization?: string; clientCN?: string }[] = [];
  const seenElsewhere: { authorization?: string }[] = [];
  let secureUrl = '';
  let elsewhereUrl = '';

  beforeAll(async () => {
    certs = await makeTestCerts(dir);
    writeFileSync(join(dir, 'token'), 'probe-token-1\n');
    secure = createHttpsServer(
      { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.caFile), requestCert: true, rejectUnauthorized: true },
      (req: IncomingMessage, res: ServerResponse) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        seen.push({ path: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(peer?.subject?.CN ? { clientCN: String(peer.subject.CN) } : {}) });
        if (req.headers.authorization !== 'Bearer probe-token-1') return void res.writeHead(401).end();
        if (req.url === '/away') return void res.writeHead(302, { location: `${elsewhereUrl}/file` }).end();
        res.writeHead(200).end('ok');
      },
    );
    elsewhere = createHttpServer((req, res) => {
      seenElsewhere.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      res.writeHead(200).end('file');
    });
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
    secureUrl = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
    elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const socket of tunnels) socket.destroy();
    for (const server of [secure, elsewhere, proxy]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  /** What the loopback proxy was asked: CONNECT targets and absolute-form URLs, with their Proxy-Authorization. */
  const proxied: { method: string; target: string; auth?: string }[] = [];
  let proxy: Server | undefined;
  let refuseConnect = false;
  /** The proxy's tunnels' sockets (a server's close() does not end them). */
  const tunnels: Duplex[] = [];
  async function startProxy(): Promise<string> {
    proxy = createHttpServer((req, res) => {
      proxied.push({ method: req.method ?? '', target: req.url ?? '', ...(req.headers['proxy-authorization'] ? { auth: req.headers['proxy-authorization'] } : {}) });
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      const upstream = httpRequest(req.url!, { method: req.method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end();
    });
    proxy.on('connect', (req: IncomingMessage, client, head: Buffer) => {
      proxied.push({ method: 'CONNECT', target: req.url ?? '', ...(req.headers['proxy-authorization'] ? { auth: String(req.headers['proxy-authorization']) } : {}) });
      tunnels.push(client);
      if (refuseConnect) return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))];
      const upstream = netConnect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      tunnels.push(upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  }

  /** The probe `options` (YAML lines under the probe) describe, as the config loader resolves it. */
  function probeWith(path: string, options: string) {
    const file = join(dir, `probe-${seen.length}-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `interval: 15s\nsource:\n  scrape:\n    url: http://127.0.0.1:9/metrics\nprobes:\n  - name: home\n    service: internal\n    url: ${secureUrl}${path}\n${options}signals:\n  - name: a\n    requests: a_total\n`,
    );
    return loadConfig(file).probes[0]!;
  }

  const full = `    bearerToken: { file: ${join(dir, 'token')} }\n    tls:\n      caFile: ${join(dir, 'ca.crt')}\n      certFile: ${join(dir, 'client.crt')}\n      keyFile: ${join(dir, 'client.key')}\n`;

  it('passes with the CA, the client certificate and the token, which the server saw', async () => {
    const result = await runProbe(probeWith('/health', full));
    expect(result).toMatchObject({ ok: true });
    expect(seen.at(-1)).toEqual({ path: '/health', authorization: 'Bearer probe-token-1', clientCN: 'stormwatch' });
  });

  it('says which part is missing: the CA, then the client certificate', async () => {
    const noCa = await runProbe(probeWith('/health', ''));
    expect(noCa.ok).toBe(false);
    expect(noCa.failure).toMatch(/^request to 127\.0\.0\.1:\d+: server certificate not accepted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\): see the probe's tls\.caFile/);
    const noCert = await runProbe(probeWith('/health', `    tls:\n      caFile: ${join(dir, 'ca.crt')}\n`));
    expect(noCert.ok).toBe(false);
    // The server's alert names the missing certificate; a reset that beats it to the client says less.
    expect(noCert.failure).toMatch(/^request to 127\.0\.0\.1:\d+: (the server refused the TLS handshake \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\): see the probe's tls\.certFile and tls\.keyFile|connection reset)$/);
  });

  it('sends neither the token nor the certificate to a redirect on another origin', async () => {
    const result = await runProbe(probeWith('/away', full));
    expect(result).toMatchObject({ ok: true });
    expect(result.hops.map((h) => h.status)).toEqual([302, 200]);
    expect(seen.at(-1)).toMatchObject({ path: '/away', authorization: 'Bearer probe-token-1' });
    expect(seenElsewhere).toEqual([{}]);
  });

  it('a CA file that cannot be read, or a certificate without its key, is a configuration problem naming its place', () => {
    expect(() => probeWith('/health', `    tls:\n      caFile: ${join(dir, 'missing.crt')}\n`)).toThrow(/probes\[0\]\.tls\.caFile: cannot read .*missing\.crt: ENOENT/);
    expect(() => probeWith('/health', `    tls:\n      certFile: ${join(dir, 'client.crt')}\n`)).toThrow(/probes\[0\]\.tls: certFile and keyFile go together/);
  });

  it('goes through an HTTP proxy: a tunnel for https:// (the proxy sees host and port only), absolute form for http://, the proxy\'s credentials to the proxy alone', async () => {
    const proxyUrl = (await startProxy()).replace('http://', 'http://egress:proxy-pass-778899@');
    const before = seen.length;
    const tunnelled = await runProbe(probeWith('/away', `${full}    proxyUrl: ${proxyUrl}\n`));
    expect(tunnelled).toMatchObject({ ok: true });
    const secureHost = secureUrl.replace('https://', '');
    const auth = `Basic ${Buffer.from('egress:proxy-pass-778899').toString('base64')}`;
    // The https:// hop in a tunnel, then the redirect's http:// hop in absolute form, both through the proxy.
    expect(proxied).toEqual([{ method: 'CONNECT', target: secureHost, auth }, { method: 'GET', target: `${elsewhereUrl}/file`, auth }]);
    expect(seen.slice(before)).toEqual([{ path: '/away', authorization: 'Bearer probe-token-1', clientCN: 'stormwatch' }]);
    expect(seenElsewhere.at(-1)).toEqual({});

    refuseConnect = true;
    const refused = await runProbe(probeWith('/health', `${full}    proxyUrl: ${proxyUrl}\n`));
    expect(refused.failure).toBe(`request to ${secureHost}: proxy ${proxyUrl.replace('http://egress:proxy-pass-778899@', '')} answered 403 to CONNECT ${secureHost}`);
    const closed = await runProbe(probeWith('/health', `${full}    proxyUrl: http://127.0.0.1:9\n`));
    expect(closed.failure).toBe(`request to ${secureHost}: proxy 127.0.0.1:9: connection refused`);
  });
});
