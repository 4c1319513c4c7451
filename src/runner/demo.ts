// `stormwatch demo`: no external service needed. Starts a local webhook receiver on loopback,
// replays the bundled 2023-07-20 scenario through the full pipeline, and prints what arrives.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { FIXTURES_DIR } from '../core/paths.js';
import type { WebhookPayload } from '../sinks/payloads/webhook.js';
import { runReplay } from './replay.js';

export const DEMO_CONFIG = join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml');

export async function runDemo(options: { logger: Logger; out: (text: string) => void }): Promise<{ received: WebhookPayload[] }> {
  const received: WebhookPayload[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookPayload;
      received.push(payload);
      for (const alert of payload.alerts) {
        const subject = alert.labels.signal !== undefined ? `signal=${alert.labels.signal}` : `service=${alert.labels.service} version=${alert.labels.version}`;
        options.out(
          `\n[receiver] ${alert.status.toUpperCase()} ${alert.labels.alertname} (${alert.labels.severity}) ${subject}\n` +
            `  startsAt ${alert.startsAt}${alert.status === 'resolved' ? `  endsAt ${alert.endsAt}` : ''}\n` +
            `  ${alert.annotations.summary}\n` +
            (alert.status === 'firing' ? `  ${alert.annotations.description}\n` : '') +
            `  idempotency-key ${req.headers['idempotency-key']}\n`,
        );
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  try {
    const config = loadConfig(DEMO_CONFIG);
    config.sinks = [{ name: 'demo-receiver', kind: 'webhook', url, timeoutMs: 5000, headers: {} }];
    config.routes = [{ sinks: ['demo-receiver'], match: {}, groupBy: ['alertname', 'signal'], groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 4 * 3_600_000 }];
    options.out(`Replaying ${config.source.kind === 'replay' ? config.source.file : ''}\nthrough the full pipeline; alerts go to a local receiver at ${url}\n`);
    await runReplay(config, {
      logger: options.logger,
      onTransition: (t) => options.out(`[stormwatch] ${t.status} ${t.labels.alertname} at data time ${new Date(t.evaluatedAtMs).toISOString()}\n`),
    });
    options.out(`\n${received.length} notification(s) received.\n`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return { received };
}
