// Fault injection, sources: the scraped page turns into an HTML error page with status 200,
// garbage, NaN, an empty page, a page with every series twice, and a dropped connection. Each bad
// page is a source error with its reason, counted, makes /readyz 503 (never /livez), and never reads
// as zero traffic: nothing pages, and a deploy window open through them keeps its verdict pending
// and calls no rollback hook. /readyz is not 200 before the first good read. Real processes on
// loopback: the CLI, the scraped service, a receiver.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postDeploy } from '../../src/deploys/deploy-client.js';
import { FAST_DETECTOR, type FaultyService, type PageMode, type RunningStormwatch, logLines, metricValue, startFaultyService, startStormwatch, status, stopQuietly, tempDir, terminate, waitUntil } from '../helpers/fault-rig.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

describe('fault injection: sources tell the truth', () => {
  let service: FaultyService;
  let receiver: Receiver;
  let sw: RunningStormwatch | undefined;

  afterAll(async () => {
    await stopQuietly(sw);
    await service?.close();
    await receiver?.close();
  });

  it('bad pages are source errors with reasons, not ready but live; nothing pages, no deploy fails, no rollback is called', async () => {
    service = await startFaultyService();
    receiver = await startReceiver();
    service.state.page = 'html';
    const dir = tempDir('source');
    sw = await startStormwatch(
      dir,
      `interval: 1s
source:
  scrape:
    url: ${service.url}
    timeout: 2s
server:
  listen: 127.0.0.1:0
deploys:
  window: 5m
  apiToken: {env: STORMWATCH_TEST_DEPLOY_TOKEN}
  rollback:
    - service: crates-io
      url: ${receiver.url}/rollback
${FAST_DETECTOR}
sinks:
  - name: oncall
    webhook:
      url: ${receiver.url}/alerts
delivery:
  outboxDir: ${join(dir, 'state')}
signals:
  - name: downloads
    labels: {service: crates-io}
    requests: api_requests_total
    downstream: 'static_requests_total{code="200"}'
`,
      { STORMWATCH_TEST_DEPLOY_TOKEN: 'deploy-token-for-tests' },
    );
    const url = sw.url;
    const errors = (reason: string) => metricValue(url, `stormwatch_source_errors_total{reason="${reason}"}`);
    // Before any good read: live, never ready.
    expect(await status(`${url}/livez`)).toBe(200);
    expect(await status(`${url}/readyz`)).toBe(503);
    await waitUntil(async () => (await errors('not_exposition')) >= 2, 10_000, 'HTML pages counted as not_exposition');
    const readyz = (await (await fetch(`${url}/readyz`)).json()) as { status: string; checks: { source: { ok: boolean; problem: string } } };
    expect(readyz.status).toBe('not ready');
    // The reason only: /readyz asks no credentials, and a message may quote the upstream's body.
    expect(readyz.checks.source.problem).toBe('not_exposition');
    expect(await status(`${url}/livez`)).toBe(200);

    service.state.page = 'ok';
    await waitUntil(async () => (await status(`${url}/readyz`)) === 200, 10_000, 'ready after the first good read');
    // Baselines warm on good data; then a deploy, whose window stays open through every bad page.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(await postDeploy(url, 'deploy-token-for-tests', { service: 'crates-io', version: '1.0.1', id: 'deploy-7' })).toMatchObject({ verdict: 'pending' });

    const faults: [PageMode, string][] = [
      ['html', 'not_exposition'],
      ['garbage', 'unreadable'],
      ['nan', 'unreadable'],
      ['empty', 'no_watched_series'],
      ['down', 'connection'],
    ];
    for (const [mode, reason] of faults) {
      const before = await errors(reason);
      service.state.page = mode;
      await waitUntil(async () => (await errors(reason)) >= before + 2, 10_000, `${mode} counted as ${reason}`);
      expect(await status(`${url}/readyz`), mode).toBe(503);
      expect(await status(`${url}/livez`), mode).toBe(200);
    }
    // A long upstream outage: /healthz says so after three intervals; still live.
    await waitUntil(async () => (await status(`${url}/healthz`)) === 503, 15_000, '/healthz 503 in a long outage');
    expect(await status(`${url}/livez`)).toBe(200);

    // Duplicate series: the first sample kept, the rest dropped and counted; no false surge.
    service.state.page = 'duplicates';
    await waitUntil(async () => (await metricValue(url, 'stormwatch_scrape_duplicate_samples_total')) >= 4, 10_000, 'duplicates counted');
    expect(await status(`${url}/readyz`)).toBe(200);
    service.state.page = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 5000));

    // Nothing paged: no bad page read as a collapse of traffic, no duplicate as a surge; the deploy
    // is still pending, with nothing against it, and no rollback was asked for (same receiver).
    expect(receiver.received).toEqual([]);
    const deploy = (await (await fetch(`${url}/api/v1/deploys/deploy-7`)).json()) as { verdict: string; reasons?: string[] };
    expect(deploy.verdict, JSON.stringify(deploy)).toBe('pending');
    expect(deploy.reasons ?? []).toEqual([]);
    expect(sw.proc.stdout()).not.toContain('"status":"firing"');
    expect(await metricValue(url, 'stormwatch_ticks_total{outcome="degraded"}')).toBeGreaterThanOrEqual(10);
    const { code } = await terminate(sw);
    expect(code).toBe(0);
    const { lines, notJson } = logLines(sw.proc.stderr());
    expect(notJson).toEqual([]);
    // One line per change of the failure, not one per tick.
    const failures = lines.filter((l) => l.msg === 'source read failed; the loop goes on');
    expect(failures.length).toBeGreaterThanOrEqual(6);
    expect(failures.length).toBeLessThanOrEqual(20);
    expect(lines.filter((l) => l.msg === 'exposition lines skipped').length).toBeLessThanOrEqual(6);
  }, 120_000);
});
