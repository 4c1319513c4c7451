// Source HTTP client options in the config: secrets from env and files, user:password@ moved into
// basic auth, TLS files read at load, and every wrong combination reported with its place.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { makeTestCerts } from '../helpers/certs.js';

function write(dir: string, source: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `source:\n${source}\nsignals:\n  - name: a\n    requests: x_total\n`);
  return file;
}

function problems(file: string): readonly string[] {
  try {
    loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('source HTTP client options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-http-config-'));
  writeFileSync(join(dir, 'token'), 'file-token\n');
  writeFileSync(join(dir, 'password'), 'file-password\n');
  const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(join(dir, 'ca.pem'), CA_PEM);
  process.env.STORMWATCH_TEST_TENANT = 'tenant-7';

  it('resolves compression auto to uncompressed for a near source and gzip for a far one; none and gzip as given', () => {
    const compressionOf = (source: string) => {
      const config = loadConfig(write(dir, source));
      return config.source.kind === 'replay' ? undefined : config.source.http.compression;
    };
    expect(compressionOf('  prometheus:\n    url: http://127.0.0.1:9090')).toBe('none');
    expect(compressionOf('  prometheus:\n    url: http://prometheus-operated.monitoring.svc:9090')).toBe('none');
    expect(compressionOf('  prometheus:\n    url: https://prometheus-prod-01-eu-west-0.grafana.net/api/prom')).toBe('gzip');
    expect(compressionOf('  prometheus:\n    url: https://prometheus-prod-01-eu-west-0.grafana.net/api/prom\n    compression: none')).toBe('none');
    expect(compressionOf('  scrape:\n    url: http://10.0.0.7:9100/metrics\n    compression: gzip')).toBe('gzip');
    expect(compressionOf('  scrape:\n    url: http://app:8080/metrics\n    compression: auto')).toBe('none');
    expect(problems(write(dir, '  prometheus:\n    url: http://127.0.0.1:9090\n    compression: br')).join('\n')).toMatch(/source\.prometheus\.compression/);
  });

  it('resolves headers, a bearer token file and TLS files for a scrape source', () => {
    const config = loadConfig(write(dir, `  scrape:\n    url: https://127.0.0.1:9100/metrics\n    headers: {X-Scope-OrgID: {env: STORMWATCH_TEST_TENANT}}\n    bearerToken: {file: token}\n    tls: {caFile: ca.pem, serverName: target.internal}`));
    expect(config.source).toMatchObject({
      kind: 'scrape',
      http: { headers: { 'x-scope-orgid': 'tenant-7' }, auth: { kind: 'bearer', token: { value: 'file-token', file: join(dir, 'token') } }, tls: { ca: CA_PEM, serverName: 'target.internal', insecureSkipVerify: false } },
    });
  });

  it('basic auth with a password file, and user:password@ in the URL becomes basic auth', () => {
    const a = loadConfig(write(dir, `  prometheus:\n    url: https://prom.example:9090\n    basicAuth: {username: sw, password: {file: password}}`));
    expect(a.source).toMatchObject({ url: 'https://prom.example:9090', http: { auth: { kind: 'basic', username: 'sw', password: { value: 'file-password' } } } });
    const b = loadConfig(write(dir, `  prometheus:\n    url: https://sw:p%40ss@prom.example:9090/`));
    expect(b.source).toMatchObject({ url: 'https://prom.example:9090', http: { auth: { kind: 'basic', username: 'sw', password: { value: 'p@ss' } } } });
  });

  it('OAuth2 client credentials: the secret from a file (read again at each token request), scopes and parameters', () => {
    writeFileSync(join(dir, 'client-secret'), 'oauth-client-secret-9\n');
    const config = loadConfig(
      write(dir, `  prometheus:\n    url: https://prom.example\n    oauth2:\n      clientId: app-1\n      clientSecret: {file: client-secret}\n      tokenUrl: https://login.example/t1/oauth2/v2.0/token\n      scopes: [https://prometheus.monitor.azure.com/.default]\n      endpointParams: {audience: prom}`),
    );
    expect(config.source).toMatchObject({
      http: { oauth2: { clientId: 'app-1', clientSecret: { value: 'oauth-client-secret-9', file: join(dir, 'client-secret') }, tokenUrl: 'https://login.example/t1/oauth2/v2.0/token', scopes: ['https://prometheus.monitor.azure.com/.default'], endpointParams: { audience: 'prom' } } },
    });
    expect(problems(write(dir, `  prometheus:\n    url: https://prom.example\n    bearerToken: t\n    oauth2: {clientId: a, clientSecret: s, tokenUrl: 'ftp://x/'}`))).toEqual([
      'source.prometheus.oauth2.tokenUrl: expected an http:// or https:// token URL (line 5)',
      'source.prometheus: give one way to authenticate, not bearerToken and oauth2 (line 3)',
    ]);
  });

  it('refuses a TLS file of the wrong kind and a certificate with another key, naming the place', async () => {
    const certs = await makeTestCerts(mkdtempSync(join(tmpdir(), 'stormwatch-http-certs-')));
    expect(problems(write(dir, `  prometheus:\n    url: https://prom.example\n    tls: {caFile: ${certs.clientKey}}`))).toEqual([`source.prometheus.tls.caFile: ${certs.clientKey} holds no PEM certificate (line 4)`]);
    expect(problems(write(dir, `  prometheus:\n    url: https://prom.example\n    tls: {certFile: ${certs.clientCert}, keyFile: ${certs.serverKey}}`))).toEqual([
      expect.stringMatching(new RegExp(`^source\\.prometheus\\.tls\\.keyFile: ${certs.serverKey} is not the key of ${certs.clientCert}: ERR_OSSL_X509_KEY_VALUES_MISMATCH \\(line 4\\)$`)),
    ]);
    expect(problems(write(dir, `  prometheus:\n    url: https://prom.example\n    tls: {caFile: ${certs.caFile}, certFile: ${certs.clientCert}, keyFile: ${certs.clientKey}}`))).toEqual([]);
  });

  it('reports every problem with its place', () => {
    expect(problems(write(dir, `  prometheus:\n    url: https://u:p@prom.example\n    bearerToken: t\n    tls: {certFile: c.pem}`))).toEqual([
      'source.prometheus: give one way to authenticate, not bearerToken and user:password@ in url (line 3)',
      'source.prometheus.tls: certFile and keyFile go together (line 5)',
    ]);
    expect(problems(write(dir, `  scrape:\n    url: https://127.0.0.1/metrics\n    bearerToken: {env: STORMWATCH_TEST_UNSET}\n    tls: {caFile: missing.pem}`))).toEqual([
      'source.scrape.bearerToken: environment variable STORMWATCH_TEST_UNSET is not set (line 4)',
      'source.scrape.tls.caFile: cannot read missing.pem: ENOENT (line 5)',
    ]);
  });
});
