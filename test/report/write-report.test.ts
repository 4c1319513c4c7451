// What a report shows of its configuration: the file's text, with every secret given inline blanked.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { reportConfigText } from '../../src/report/write-report.js';

describe('report configuration text', () => {
  it('blanks inline secrets (sink URL, header, signing secret, API token, probe credentials, a proxy password) and keeps the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-report-config-'));
    const file = join(dir, 'stormwatch.yaml');
    const secrets = {
      hook: 'https://hooks.example.test/services/T0001/B0002/XyZsecretPath0123',
      header: 'Bearer header-token-98765',
      signing: 'signing-secret-abcdef',
      api: 'deploy-api-token-13579',
      probeToken: 'probe-bearer-24680',
      probePassword: 'probe-password-11223',
      sourcePassword: 'scrape-pass-55667',
      proxyPassword: 'proxy-pass-99001',
    };
    writeFileSync(
      file,
      `interval: 15s
source:
  scrape:
    url: http://watcher:${secrets.sourcePassword}@127.0.0.1:9/metrics
sinks:
  - name: hook
    webhook:
      url: ${secrets.hook}
      headers: {Authorization: '${secrets.header}'}
      signingSecret: ${secrets.signing}
deploys:
  apiToken: ${secrets.api}
probes:
  - name: health
    service: api
    url: https://127.0.0.1:8443/health
    bearerToken: ${secrets.probeToken}
  - name: login
    service: api
    url: https://127.0.0.1:8443/login
    basicAuth: {username: prober, password: ${secrets.probePassword}}
    proxyUrl: http://egress:${secrets.proxyPassword}@127.0.0.1:3128
signals:
  - name: api
    requests: api_requests_total
`,
    );
    const text = reportConfigText(loadConfig(file));
    for (const [what, secret] of Object.entries(secrets)) expect(text, what).not.toContain(secret);
    expect(text).not.toContain('XyZsecretPath0123');
    expect(text).toContain('headers: {Authorization: \'<secret>\'}');
    expect(text).toContain('apiToken: <secret>');
    expect(text).toContain('requests: api_requests_total');
    expect(text).toContain('username: prober');
  });
});
