// Fault injection, secrets: every sink kind fails (500, 503 with a 35-day Retry-After, 400, a closed
// port) while each carries secrets in its URL's userinfo, path and query and in its headers. Not one
// of them may appear in any log line, the outbox, the saved state or /metrics; failures name the sink
// and its host. The 35-day Retry-After is clamped to the backoff cap: retried, neither never nor in
// a loop. Real processes on loopback: the CLI, a scraped service, a receiver.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAST_DETECTOR, type FaultyService, type RunningStormwatch, logLines, metricValue, startFaultyService, startStormwatch, stopQuietly, tempDir, terminate, waitUntil } from '../helpers/fault-rig.js';
import { freePort } from '../helpers/ports.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

const SECRETS = {
  webhookUser: 'hookuser1x',
  webhookPassword: 'Pa55w0rdUser',
  webhookPath: 'T0SECRETPATH1',
  webhookQuery: 'QuerySecret1',
  webhookHeader: 'HeaderSecret1',
  signing: 'SigningSecret1',
  amPassword: 'AmPassw0rd2',
  amPath: 'AmPathSecret2',
  amHeader: 'HeaderSecret2',
  slackTeam: 'T0AB12CD',
  slackChannel: 'B0EF34GH',
  slackSecret: 'SlackSecret3xyz',
  faroPath: 'FaroSecret4',
  faroQuery: 'FaroKey4',
  faroHeader: 'HeaderSecret4',
  apiToken: 'ApiTokenSecret5',
  rollbackPath: 'RollbackSecret6',
  rollbackQuery: 'RollbackToken6',
  rollbackHeader: 'RollbackHeader6',
  wrongToken: 'WrongTokenGuess7',
};

describe('fault injection: no secret is ever written', () => {
  let service: FaultyService;
  let receiver: Receiver;
  let sw: RunningStormwatch | undefined;

  afterAll(async () => {
    await stopQuietly(sw);
    await service?.close();
    await receiver?.close();
  });

  it('every sink kind failing with secrets in userinfo, path, query and headers: none in logs, outbox, state or /metrics', async () => {
    service = await startFaultyService();
    receiver = await startReceiver();
    receiver.respond = (req) => {
      if (req.path.startsWith('/am/')) return { status: 503, headers: { 'retry-after': '3000000' } };
      if (req.path.startsWith('/services/')) return { status: 400 };
      return { status: 500 };
    };
    const r = new URL(receiver.url);
    const closed = await freePort();
    const dir = tempDir('secrets');
    const s = SECRETS;
    sw = await startStormwatch(
      dir,
      `interval: 1s
source:
  scrape:
    url: ${service.url}
server:
  listen: 127.0.0.1:0
${FAST_DETECTOR}
sinks:
  - name: hook
    webhook:
      url: http://${s.webhookUser}:${s.webhookPassword}@${r.host}/hooks/${s.webhookPath}?code=${s.webhookQuery}
      headers: {Authorization: 'Bearer ${s.webhookHeader}'}
      signingSecret: ${s.signing}
  - name: am
    alertmanager:
      urls: [http://amuser:${s.amPassword}@${r.host}/am/${s.amPath}]
      headers: {X-Scope-OrgID: ${s.amHeader}}
  - name: chat
    slack:
      url: {env: TEST_SLACK_URL}
  - name: grafana
    faro:
      url: http://127.0.0.1:${closed}/collect/${s.faroPath}?api_key=${s.faroQuery}
      headers: {X-Api-Key: ${s.faroHeader}}
routes:
  - groupInterval: 1s
delivery:
  outboxDir: ${join(dir, 'state')}
  backoffBase: 200ms
  backoffCap: 2s
deploys:
  apiToken: {env: TEST_DEPLOY_TOKEN}
  rollback:
    - service: crates-io
      url: http://${r.host}/rollback/${s.rollbackPath}?token=${s.rollbackQuery}
      headers: {Authorization: 'Bearer ${s.rollbackHeader}'}
signals:
  - name: downloads
    labels: {service: crates-io}
    requests: api_requests_total
    downstream: 'static_requests_total{code="200"}'
`,
      { TEST_SLACK_URL: `http://${r.host}/services/${s.slackTeam}/${s.slackChannel}/${s.slackSecret}`, TEST_DEPLOY_TOKEN: s.apiToken },
    );

    // Refused deploy calls: logged and counted, the token never written.
    const deploy = (token: string) => fetch(`${sw!.url}/api/v1/deploys`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"service":"crates-io","version":"9.9.9"}' });
    expect((await deploy(s.wrongToken)).status).toBe(403);
    expect((await deploy(s.apiToken)).status).toBe(201);

    // Warm up, then break the service: an alert fires and every sink fails to take it.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    service.state.broken = true;
    const failedSinks = () => new Set(logLines(sw!.proc.stderr()).lines.filter((l) => l.msg === 'notification attempt failed; will retry if it can').map((l) => l.sink));
    await waitUntil(() => ['hook', 'am', 'chat', 'grafana'].every((n) => failedSinks().has(n)), 30_000, 'a failed delivery on every sink');
    // The 35-day Retry-After waits the 2 s cap: a few more attempts in 5 s, not none and not thousands.
    const amAttempts = () => metricValue(sw!.url, 'stormwatch_notification_attempts_total{sink="am",outcome="http_5xx"}');
    const before = await amAttempts();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const during = (await amAttempts()) - before;
    expect(during).toBeGreaterThanOrEqual(1);
    expect(during).toBeLessThanOrEqual(4);

    const metrics = await (await fetch(`${sw.url}/metrics`)).text();
    expect(metrics).toMatch(/stormwatch_http_refused_total\{reason="forbidden"\} 1/);
    const { code } = await terminate(sw);
    expect(code).toBe(0);

    const { lines, notJson } = logLines(sw.proc.stderr());
    expect(notJson).toEqual([]);
    // Failures name the sink and its host, nothing more of the URL.
    const details = new Map(lines.filter((l) => l.msg === 'notification attempt failed; will retry if it can').map((l) => [String(l.sink), String(l.detail)]));
    expect(details.get('hook')).toBe(`${r.host}: HTTP 500`);
    expect(details.get('am')).toBe(`${r.host}: HTTP 503`);
    expect(details.get('chat')).toBe(`${r.host}: HTTP 400`);
    expect(details.get('grafana')).toBe(`127.0.0.1:${closed}: ECONNREFUSED`);
    expect(lines.find((l) => l.msg === 'http request refused')).toMatchObject({ reason: 'forbidden', status: 403, method: 'POST', path: '/api/v1/deploys' });

    const stateDir = join(dir, 'state');
    const written: [string, string][] = [
      ['stderr', sw.proc.stderr()],
      ['stdout', sw.proc.stdout()],
      ['/metrics', metrics],
      ...readdirSync(stateDir).map((f) => [f, readFileSync(join(stateDir, f), 'utf8')] as [string, string]),
    ];
    expect(written.map(([name]) => name)).toEqual(expect.arrayContaining(['outbox.jsonl', 'state.bin', 'firing.json']));
    // The slack sink's 400 was given up: its reason is in the outbox too, naming the host only.
    expect(readFileSync(join(stateDir, 'outbox.jsonl'), 'utf8')).toContain(`"outcome":"gave_up","reason":"not_retryable: ${r.host}: HTTP 400"`);
    for (const [where, text] of written) {
      for (const [what, secret] of Object.entries(SECRETS)) expect(text.includes(secret), `${what} written to ${where}`).toBe(false);
    }
  }, 120_000);
});
