// A real Alertmanager behind its --web.config.file: TLS from a private CA that asks for a client
// certificate, and basic auth. The sink's tls and basicAuth (from the configuration, as a user
// writes them) deliver to it; without the CA, or with a wrong password, the failure names the keys
// to look at, and no password is in it.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { Notifier } from '../../src/runner/notify.js';
import { fetchWith } from '../../src/source/http-options.js';
import { type RunningAlertmanager, startAlertmanager } from '../helpers/alertmanager.js';
import { type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { notifierConfig, transition } from '../helpers/notifier-config.js';

const USER = 'stormwatch';
const PASSWORD = 'sw-test-password';
// bcrypt of PASSWORD (cost 4), as Alertmanager's web config wants it; made with crypt(3) $2b$.
const PASSWORD_BCRYPT = '$2b$04$1uW2o1mMTsNLwSOfCRx0feLkuApa5jrdAuGASpm7eee6a2UVFWp4C';

describe('Alertmanager sink to an Alertmanager behind TLS, client certificates and basic auth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-am-tls-'));
  let certs: TestCerts;
  let am: RunningAlertmanager;
  let asAdmin: typeof fetch;

  beforeAll(async () => {
    certs = await makeTestCerts(dir);
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    asAdmin = fetchWith({
      headers: {},
      auth: { kind: 'basic', username: USER, password: { value: PASSWORD } },
      tls: { ca: readFileSync(certs.caFile, 'utf8'), cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8'), insecureSkipVerify: false },
    });
    am = await startAlertmanager('http://127.0.0.1:9/unused', undefined, {
      scheme: 'https',
      config: `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${certs.caFile}\nbasic_auth_users:\n  ${USER}: '${PASSWORD_BCRYPT}'\n`,
      isReady: async (url) => (await asAdmin(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok,
    });
  }, 60_000);
  afterAll(async () => {
    await am?.stop();
  });

  /** The sinks of a configuration whose one Alertmanager sink has `extra` keys. */
  function sinksWith(name: string, extra: string) {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `source:\n  scrape: {url: 'http://127.0.0.1:9/metrics'}\nsignals:\n  - name: a\n    requests: a_total\nsinks:\n  - name: am\n    alertmanager:\n      urls: ['${am.url}']\n${extra}`);
    return loadConfig(file).sinks;
  }

  async function deliver(name: string, extra: string): Promise<{ left: number; lines: string[] }> {
    const lines: string[] = [];
    const notifier = new Notifier({ ...notifierConfig(sinksWith(name, extra), { backoffCapMs: 200 }), delivery: { outboxDir: mkdtempSync(join(dir, 'outbox-')), maxAgeMs: 1_000, concurrency: 1, backoff: { baseMs: 100, capMs: 200 }, stateSaveIntervalMs: 60_000 } }, { logger: createLogger('info', (l) => lines.push(l)) });
    const t0 = Date.now();
    notifier.handle([transition(name, 'firing', t0 - 15_000, t0)], t0);
    const left = await notifier.drain(5_000);
    notifier.close();
    return { left, lines };
  }

  it('delivers with the sink tls (CA, client certificate) and basicAuth from a password file', async () => {
    const { left } = await deliver('ok', `      tls: {caFile: ${certs.caFile}, certFile: ${certs.clientCert}, keyFile: ${certs.clientKey}}\n      basicAuth: {username: ${USER}, password: {file: password}}\n`);
    expect(left).toBe(0);
    const alerts = (await (await asAdmin(`${am.url}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[];
    expect(alerts.map((a) => a.labels.signal)).toContain('ok');
  }, 30_000);

  it('names the key to look at when the CA is missing or the password wrong, never the password', async () => {
    const noCa = await deliver('no-ca', `      basicAuth: {username: ${USER}, password: {file: password}}\n`);
    expect(noCa.lines.join('\n')).toContain('give sinks[0].alertmanager.tls.caFile the CA that signed it');
    writeFileSync(join(dir, 'wrong'), 'not-the-password-77\n');
    const wrong = await deliver('wrong', `      tls: {caFile: ${certs.caFile}, certFile: ${certs.clientCert}, keyFile: ${certs.clientKey}}\n      basicAuth: {username: ${USER}, password: {file: wrong}}\n`);
    const said = wrong.lines.join('\n');
    expect(said).toContain('HTTP 401 (the credentials were missing or refused: see sinks[0].alertmanager.bearerToken, basicAuth or headers, or the user:password in its url)');
    expect(said).not.toContain('not-the-password-77');
    expect(noCa.lines.join('\n')).not.toContain(PASSWORD);
  }, 30_000);
});
