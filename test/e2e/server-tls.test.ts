// stormwatch's own server over HTTPS: a certificate of a throwaway CA (openssl), basic auth on top,
// plain HTTP refused, and a renewed certificate (new files at the same paths) served after a reload.

import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';
import { makeTestCerts } from '../helpers/certs.js';

/** GET over HTTPS trusting `ca`: the status and the server certificate's SHA-256 fingerprint. */
function get(url: string, ca: string[], headers: Record<string, string> = {}): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca, headers, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
  });
}

describe('the server over HTTPS', () => {
  let handle: LiveHandle | undefined;
  let metrics: Server | undefined;

  afterAll(async () => {
    await handle?.stop(1000);
    await new Promise<void>((r) => (metrics ? metrics.close(() => r()) : r()));
  });

  it('serves HTTPS with basic auth, refuses plain HTTP, and takes a renewed certificate at a reload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-server-tls-'));
    // Two throwaway CAs: the first certificate, and its renewal.
    mkdirSync(join(dir, 'first'));
    mkdirSync(join(dir, 'second'));
    const first = await makeTestCerts(join(dir, 'first'));
    const second = await makeTestCerts(join(dir, 'second'));
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    copyFileSync(first.serverCert, cert);
    copyFileSync(first.serverKey, key);
    metrics = createServer((_, res) => res.end('a_total 1\n'));
    await new Promise<void>((r) => metrics!.listen(0, '127.0.0.1', r));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(
      file,
      `interval: 1h\nsource:\n  scrape:\n    url: http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics\n` +
        `server:\n  listen: 127.0.0.1:0\n  basicAuth: {username: sre, password: tls-pass-1357}\n  tls: {certFile: ${cert}, keyFile: ${key}}\n` +
        `delivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: a\n    requests: a_total\n`,
    );
    handle = await startLive(loadConfig(file), { logger: silentLogger, loadConfig: () => loadConfig(file) });
    const url = handle.server!.url;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const cas = [readFileSync(first.caFile, 'utf8'), readFileSync(second.caFile, 'utf8')];
    const basic = { authorization: `Basic ${Buffer.from('sre:tls-pass-1357').toString('base64')}` };

    const live = await get(`${url}/livez`, cas);
    expect(live.status).toBe(200);
    expect((await get(`${url}/metrics`, cas)).status).toBe(401);
    expect((await get(`${url}/metrics`, cas, basic)).status).toBe(200);
    // Plain HTTP to the HTTPS port gets no answer of stormwatch's.
    await expect(fetch(url.replace('https://', 'http://') + '/livez')).rejects.toThrow();

    // Renewed: the same paths, new contents; a reload serves them to new connections.
    copyFileSync(second.serverCert, cert);
    copyFileSync(second.serverKey, key);
    expect(await handle.reload()).toMatchObject({ ok: true, changed: ['server.tls'] });
    const renewed = await get(`${url}/livez`, cas);
    expect(renewed.status).toBe(200);
    expect(renewed.fingerprint).not.toBe(live.fingerprint);
    expect(renewed.fingerprint).toBe(new X509Certificate(readFileSync(second.serverCert)).fingerprint256);

    // A key file that holds no key is a configuration problem naming its place.
    writeFileSync(key, 'not a key');
    expect(await handle.reload()).toMatchObject({ ok: false, problems: [expect.stringMatching(/^server\.tls\.keyFile: .*server\.key holds no PEM private key/)] });
  }, 60_000);
});
