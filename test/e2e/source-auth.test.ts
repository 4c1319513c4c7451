// Protected sources, end to end: a real Prometheus (Debian's 2.42) started with --web.config.file
// serving TLS and basic auth, and a /metrics target that wants a client certificate and a bearer
// token. stormwatch reaches both with its config's options (CA file, password file, token file,
// client certificate), re-reads a rotated token, and names what is wrong when it cannot.

import { type Server, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { SourceError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/log.js';
import { startLive } from '../../src/runner/live.js';
import { fetchWith } from '../../src/source/http-options.js';
import { PrometheusClient } from '../../src/source/prometheus-client.js';
import { type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { ScrapeSource } from '../../src/source/scrape-source.js';

const USER = 'stormwatch';
const PASSWORD = 'sw-test-password';
// bcrypt of PASSWORD (cost 4), as Prometheus's web config wants it; made with crypt(3) $2b$.
const PASSWORD_BCRYPT = '$2b$04$1uW2o1mMTsNLwSOfCRx0feLkuApa5jrdAuGASpm7eee6a2UVFWp4C';

const silent = createLogger('error', () => {});

describe('protected sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-auth-'));
  let certs: TestCerts;
  let prometheus: RunningPrometheus;
  let plainTarget: Server;
  let secureTarget: Server;
  const tokens = { accepted: 'token-one' };
  const seen: { authorization?: string; clientCN?: string; tenant?: string }[] = [];
  let requests = 0;

  const metricsPage = () => `app_requests_total ${(requests += 7)}\n`;

  beforeAll(async () => {
    certs = await makeTestCerts(dir);
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    writeFileSync(join(dir, 'token'), `${tokens.accepted}\n`);
    // What Prometheus scrapes (plain, local) so it has data to query.
    plainTarget = createHttpServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(metricsPage()));
    await new Promise<void>((r) => plainTarget.listen(0, '127.0.0.1', r));
    // What stormwatch scrapes directly: client certificate and bearer token required.
    secureTarget = createHttpsServer({ key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.caFile), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      seen.push({ authorization: req.headers.authorization, clientCN: String(peer.subject?.CN), tenant: String(req.headers['x-scope-orgid']) });
      if (req.headers.authorization !== `Bearer ${tokens.accepted}`) return res.writeHead(401).end('unauthorized');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsPage());
    });
    await new Promise<void>((r) => secureTarget.listen(0, '127.0.0.1', r));

    const ready = fetchWith({ headers: {}, auth: { kind: 'basic', username: USER, password: { value: PASSWORD } }, tls: { ca: readFileSync(certs.caFile, 'utf8'), insecureSkipVerify: false } });
    prometheus = await startPrometheus({
      scrapeTargets: [`127.0.0.1:${(plainTarget.address() as AddressInfo).port}`],
      scrapeInterval: '1s',
      web: {
        scheme: 'https',
        config: `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\nbasic_auth_users:\n  ${USER}: '${PASSWORD_BCRYPT}'\n`,
        isReady: async (url) => (await ready(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok,
      },
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((r) => (plainTarget ? plainTarget.close(() => r()) : r()));
    await new Promise<void>((r) => (secureTarget ? secureTarget.close(() => r()) : r()));
  });

  function configFile(name: string, source: string): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `interval: 1s\nsource:\n${source}\ndelivery: {outboxDir: ${join(dir, `state-${name}`)}}\nsignals:\n  - name: app\n    requests: app_requests_total\n`);
    return file;
  }

  const promSource = (extra: string) => `  prometheus:\n    url: ${prometheus.url}\n    warmup: 0s\n    rateWindow: 5s\n${extra}`;
  const tls = () => `    tls: {caFile: ${certs.caFile}}\n`;

  async function query(file: string): Promise<number | undefined> {
    const config = loadConfig(file);
    if (config.source.kind !== 'prometheus') throw new Error('expected a prometheus source');
    const client = new PrometheusClient({ url: config.source.url, timeoutMs: 5000, fetch: fetchWith(config.source.http), setting: 'source.prometheus' });
    return client.instant('sum(up)', Date.now());
  }

  async function failure(file: string): Promise<SourceError> {
    try {
      await query(file);
    } catch (error) {
      if (error instanceof SourceError) return error;
      throw error;
    }
    throw new Error('expected the query to fail');
  }

  it('Prometheus over TLS with basic auth (password file): the live loop reads the signal', async () => {
    const file = configFile('prom-ok', `${promSource(`    tls: {caFile: ${certs.caFile}}\n    basicAuth: {username: ${USER}, password: {file: password}}`)}`);
    const handle = await startLive(loadConfig(file), { logger: silent });
    try {
      let value = Number.NaN;
      for (let i = 0; i < 20 && !(value > 0); i++) {
        await new Promise((r) => setTimeout(r, 500));
        await handle.tick();
        const text = await handle.metrics.registry.metrics();
        value = Number(/stormwatch_signal_value\{signal="app",input="requests"\} (\S+)/.exec(text)?.[1]);
      }
      expect(value).toBeGreaterThan(0);
      expect(await handle.metrics.registry.metrics()).not.toMatch(/stormwatch_source_errors_total\{reason="[a-z_]+"\} [1-9]/);
    } finally {
      await handle.stop(1000);
    }
  }, 30_000);

  it('Prometheus: user:password@ in the URL works as basic auth; each mistake is named', async () => {
    const withUserinfo = prometheus.url.replace('https://', `https://${USER}:${PASSWORD}@`);
    expect(await query(configFile('prom-userinfo', `  prometheus:\n    url: ${withUserinfo}\n${tls()}`))).toBeGreaterThanOrEqual(1);
    const noAuth = await failure(configFile('prom-noauth', promSource(tls())));
    expect(noAuth.reason).toBe('http_status');
    expect(noAuth.message).toContain('HTTP 401 (the credentials were missing or refused: see source.prometheus.bearerToken, basicAuth, oauth2 or headers, or the user:password in its url)');
    const noCa = await failure(configFile('prom-noca', promSource(`    basicAuth: {username: ${USER}, password: {file: password}}`)));
    expect(noCa.reason).toBe('connection');
    expect(noCa.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
    expect(noCa.message).toContain('give source.prometheus.tls.caFile the CA that signed it');
    const wrongName = await failure(configFile('prom-name', promSource(`    tls: {caFile: ${certs.caFile}, serverName: prom.example}
    basicAuth: {username: ${USER}, password: {file: password}}`)));
    expect(wrongName.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(wrongName.message).toContain('set source.prometheus.tls.serverName to a name it has');
    // Skip-verify trades that check away (tests, trusted networks).
    expect(await query(configFile('prom-skip', promSource(`    tls: {insecureSkipVerify: true}\n    basicAuth: {username: ${USER}, password: {file: password}}`)))).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('Prometheus over TLS read gzipped (compression: gzip, read raw and inflated by stormwatch): the same answer, the same mistakes named', async () => {
    const auth = `    basicAuth: {username: ${USER}, password: {file: password}}\n    compression: gzip\n`;
    expect(await query(configFile('gz-ok', promSource(`${tls()}${auth}`)))).toBeGreaterThanOrEqual(1);
    const noAuth = await failure(configFile('gz-noauth', promSource(`${tls()}    compression: gzip\n`)));
    expect(noAuth.reason).toBe('http_status');
    expect(noAuth.message).toContain('HTTP 401 (the credentials were missing or refused');
    const noCa = await failure(configFile('gz-noca', promSource(auth)));
    expect(noCa.reason).toBe('connection');
    expect(noCa.message).toContain('give source.prometheus.tls.caFile the CA that signed it');
    const wrongName = await failure(configFile('gz-name', promSource(`    tls: {caFile: ${certs.caFile}, serverName: prom.example}\n${auth}`)));
    expect(wrongName.message).toContain('set source.prometheus.tls.serverName to a name it has');
  }, 30_000);

  it('a scrape target behind a client certificate and a bearer token file, rotated without a restart', async () => {
    const port = (secureTarget.address() as AddressInfo).port;
    const file = configFile(
      'scrape',
      `  scrape:\n    url: https://127.0.0.1:${port}/metrics\n    bearerToken: {file: token}\n    headers: {X-Scope-OrgID: {env: STORMWATCH_TEST_TENANT}}\n    tls: {caFile: ${certs.caFile}, certFile: ${certs.clientCert}, keyFile: ${certs.clientKey}}`,
    );
    process.env.STORMWATCH_TEST_TENANT = 'tenant-1';
    const handle = await startLive(loadConfig(file), { logger: silent });
    const errors = async () => Number(/stormwatch_source_errors_total\{reason="http_status"\} (\S+)/.exec(await handle.metrics.registry.metrics())?.[1] ?? 0);
    try {
      await handle.tick();
      await handle.tick();
      expect(seen.at(-1)).toEqual({ authorization: 'Bearer token-one', clientCN: 'stormwatch', tenant: 'tenant-1' });
      expect(await errors()).toBe(0);
      // The token rotates (a projected service-account token): the next request reads the new one.
      tokens.accepted = 'token-two';
      writeFileSync(join(dir, 'token'), 'token-two\n');
      await handle.tick();
      expect(seen.at(-1)!.authorization).toBe('Bearer token-two');
      expect(await errors()).toBe(0);
      // A token the target refuses is a source error, counted and logged; the loop goes on.
      tokens.accepted = 'token-three';
      await handle.tick();
      expect(await errors()).toBe(1);
    } finally {
      await handle.stop(1000);
    }
  }, 30_000);

  it('names the settings to look at when the target wants a client certificate and none is given, or refuses the token', async () => {
    const port = (secureTarget.address() as AddressInfo).port;
    const read = async (extra: string) => {
      const config = loadConfig(configFile('scrape-hints', `  scrape:\n    url: https://127.0.0.1:${port}/metrics\n    tls: {caFile: ${certs.caFile}${extra}}`));
      if (config.source.kind !== 'scrape') throw new Error('expected a scrape source');
      const source = new ScrapeSource({ url: config.source.url, timeoutMs: 5000, maxBytes: 1 << 20, fetch: fetchWith(config.source.http), setting: 'source.scrape' }, config.signals);
      return (await source.read(Date.now())).errors.map((e) => e.message).join('; ');
    };
    expect(await read('')).toMatch(/see source\.scrape\.tls\.certFile and tls\.keyFile/);
    expect(await read(`, certFile: ${certs.clientCert}, keyFile: ${certs.clientKey}`)).toContain('HTTP 401 (the credentials were missing or refused: see source.scrape.bearerToken, basicAuth, oauth2 or headers, or the user:password in its url)');
  }, 30_000);
});
