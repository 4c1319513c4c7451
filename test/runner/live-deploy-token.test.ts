// The deploy API token given as {file:} follows its file, as the sources' credentials do: after an
// atomic swap (write beside, rename over) the new token is taken and the old one refused at the next
// request, with no reload; a file that goes missing keeps the last good token.

import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';

let handle: LiveHandle | undefined;
let metrics: Server | undefined;
afterEach(async () => {
  await handle?.stop(1000);
  handle = undefined;
  await new Promise<void>((resolve) => (metrics ? metrics.close(() => resolve()) : resolve()));
  metrics = undefined;
});

describe('live: deploys.apiToken from a file', () => {
  it('takes a swapped token file at the next request, without a reload, for the deploy API, the gates and silences', async () => {
    metrics = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('a_total 1\n'));
    await new Promise<void>((resolve) => metrics!.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-deploy-token-'));
    const tokenFile = join(dir, 'deploy-token');
    writeFileSync(tokenFile, 'old-token-123456\n');
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(
      file,
      `interval: 1h\nsource:\n  scrape:\n    url: http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics\nserver:\n  listen: 127.0.0.1:0\n` +
        `deploys:\n  apiToken: {file: deploy-token}\ndelivery:\n  outboxDir: ${dir}\nsignals:\n  - name: a\n    requests: a_total\n`,
    );
    handle = await startLive(loadConfig(file), { logger: silentLogger });
    const base = handle.server!.url;
    const deploy = (token: string, version: string) =>
      fetch(`${base}/api/v1/deploys`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ service: 'checkout', version }) }).then((r) => r.status);
    const argo = (token: string) =>
      fetch(`${base}/api/v1/gates/argo`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ service: 'checkout', version: '9.9.9' }) }).then((r) => r.status);
    const silences = (token: string) => fetch(`${base}/api/v1/silences`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

    expect(await deploy('old-token-123456', '1.0.0')).toBe(201);
    // An atomic swap, as a secret manager's sidecar or a Kubernetes Secret volume does it.
    writeFileSync(join(dir, 'deploy-token.new'), 'new-token-654321\n');
    renameSync(join(dir, 'deploy-token.new'), tokenFile);

    expect(await deploy('new-token-654321', '1.0.1')).toBe(201);
    expect(await deploy('old-token-123456', '1.0.2')).toBe(403);
    expect(await argo('new-token-654321')).toBe(200);
    expect(await argo('old-token-123456')).toBe(403);
    expect(await silences('new-token-654321')).toBe(200);
    expect(await silences('old-token-123456')).toBe(403);

    // Gone for a moment (mid-rotation): the last good token still works.
    rmSync(tokenFile);
    expect(await deploy('new-token-654321', '1.0.3')).toBe(201);
  });
});
