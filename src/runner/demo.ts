// `stormwatch demo`: no external service needed. Starts a local webhook receiver on loopback,
// replays the bundled 2023-07-20 scenario through the full pipeline, and prints what arrives.
// The UI is served on loopback while it runs (with --serve, until Ctrl-C), and the backtest
// report of the replay is written to a file whose path ends the output. The server answers the
// links the alerts carry: the UI's, and the deploy verdicts' (read-only: the demo has no token, so
// nothing can be recorded over HTTP).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { FIXTURES_DIR } from '../core/paths.js';
import { SummaryCounter, countRelease } from '../report/summary.js';
import { writeReport } from '../report/write-report.js';
import type { WebhookPayload } from '../sinks/payloads/webhook.js';
import { startHttpServer } from '../telemetry/http-server.js';
import { HistoryStore } from '../ui/history-store.js';
import type { DeployReads } from './backtest.js';
import { runReplay } from './replay.js';
import { BAND_SIGMAS } from '../ui/band.js';

export const DEMO_CONFIG = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');

export interface DemoOptions {
  logger: Logger;
  out: (text: string) => void;
  /** Keep serving the UI after the replay until `stopServing` resolves (the CLI: until Ctrl-C). */
  serve?: boolean;
  stopServing?: Promise<void>;
  /** Where the report goes; default: stormwatch-demo/ under the temporary directory. */
  reportFile?: string;
}

export async function runDemo(options: DemoOptions): Promise<{ received: WebhookPayload[]; reportFile: string; uiURL: string }> {
  const received: WebhookPayload[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload;
      received.push(payload);
      for (const alert of payload.alerts) {
        const subject = alert.labels.signal !== undefined ? `signal=${alert.labels.signal}` : `service=${alert.labels.service} version=${alert.labels.version}`;
        // An update re-reads a firing alert (same fingerprint and startsAt): not a new incident.
        const update = String(req.headers['idempotency-key'] ?? '').includes(':update-');
        options.out(
          `\n[receiver] ${update ? 'UPDATE' : alert.status.toUpperCase()} ${alert.labels.alertname} (${alert.labels.severity}) ${subject}\n` +
            `  startsAt ${alert.startsAt}${alert.status === 'resolved' ? `  endsAt ${alert.endsAt}` : ''}\n` +
            `  ${alert.annotations.summary}\n` +
            (alert.status === 'firing' ? `  ${alert.annotations.description}\n  see ${alert.generatorURL}\n` : '') +
            `  idempotency-key ${req.headers['idempotency-key']}\n`,
        );
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  // The UI reads the replay's history; until the replay starts it shows an empty one.
  const config = loadConfig(DEMO_CONFIG);
  let store = new HistoryStore({ capacity: 2, eagerSeries: 0, maxSeries: 0, zThreshold: BAND_SIGMAS, signals: config.signals });
  const ui = { get store() { return store; }, intervalMs: config.intervalMs, ...(config.deploys ? { deployWindowMs: config.deploys.windowMs } : {}) };
  // The replay's deploys, once it starts: a deploy alert's "Verdict and evidence" link reads them.
  let deploys: DeployReads | undefined;
  const http = await startHttpServer('127.0.0.1:0', {
    registry: new Registry(),
    health: () => ({ ok: true, detail: {} }),
    firingAlerts: () => [...store.open.values()],
    ui,
    ...(config.deploys
      ? {
          deploys: {
            maxBodyBytes: config.deploys.maxBodyBytes,
            now: () => Date.now(),
            // Never called: without a token every POST is refused first.
            add: () => {
              throw new Error('the demo records no deploys over HTTP');
            },
            get: (id: string) => deploys?.get(id),
            list: () => deploys?.list() ?? [],
          },
        }
      : {}),
  });
  const uiURL = `${http.url}/ui/`;
  const reportFile = options.reportFile ?? join(tmpdir(), 'stormwatch-demo', 'crates-2023-07-20-report.html');
  try {
    config.alerting.externalURL = http.url;
    config.sinks = [{ name: 'demo-receiver', kind: 'webhook', url, timeoutMs: 5000, headers: {} }];
    config.routes = [{ sinks: ['demo-receiver'], match: {}, groupBy: ['alertname', 'signal'], groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 4 * 3_600_000 }];
    options.out(`Replaying ${config.source.kind === 'replay' ? config.source.file : ''}\nthrough the full pipeline; alerts go to a local receiver at ${url}\n`);
    options.out(`Live UI while it runs: ${uiURL}\n`);
    const counter = new SummaryCounter();
    const replay = await runReplay(config, {
      logger: options.logger,
      keepHistory: true,
      onStart: (info) => {
        if (info.history) store = info.history;
        deploys = info.deploys;
      },
      onTick: (r, muted) => counter.add(r, muted),
      onRelease: (t, atMs) => {
        countRelease(counter, t, atMs);
        options.out(`[stormwatch] firing ${t.labels.alertname} sent at data time ${new Date(atMs).toISOString()}: its muting ended while it still fires\n`);
      },
      // An update is the same incident read again (a client named, the estimate moved): said as one,
      // so the line does not read as a second page.
      onTransition: (t, muted) => options.out(`[stormwatch] ${t.update !== undefined ? `update ${t.update} of` : t.status} ${t.labels.alertname} at data time ${new Date(t.evaluatedAtMs).toISOString()}${t.update !== undefined && t.annotations.summary ? `: ${t.annotations.summary}` : ''}${muted?.length ? ` (not sent: ${muted.map((m) => m.by).join('; ')})` : ''}\n`),
    });
    options.out(`\n${received.length} notification(s) received.\n`);
    const written = writeReport(reportFile, config, config.source.kind === 'replay' ? config.source.file : undefined, replay.backtest, counter);
    if (options.serve) {
      options.out(`\nServing the UI at ${uiURL} until Ctrl-C.\n`);
      await (options.stopServing ?? new Promise<void>(() => {}));
    }
    options.out(`\nReport of the replay (open it in a browser): ${written.file}\n`);
  } finally {
    await http.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { received, reportFile, uiURL };
}
