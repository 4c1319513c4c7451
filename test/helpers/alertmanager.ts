// Starts the real Alertmanager binary (Debian's prometheus-alertmanager) on 127.0.0.1 with a random
// port, a temp dir, clustering off, routing everything to a webhook URL; stops and cleans up after.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackBinary } from './loopback-binary.js';

export interface RunningAlertmanager {
  url: string;
  stop(): Promise<void>;
}

/** Alertmanager's --web.config.file (TLS, basic auth), with how to tell it is ready through them. */
export interface AlertmanagerWeb {
  config: string;
  scheme: 'http' | 'https';
  isReady: (url: string) => Promise<boolean>;
}

/** `config`: a whole alertmanager.yml instead of the one that routes everything to `webhookUrl`. */
export async function startAlertmanager(webhookUrl: string, config?: string, web?: AlertmanagerWeb): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-am-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    config ??
      `route:
  receiver: hook
  group_by: ['alertname', 'signal']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: '${webhookUrl}'
        send_resolved: true
`,
  );
  if (web) writeFileSync(join(dir, 'web.yml'), web.config);
  return startLoopbackBinary(
    'prometheus-alertmanager',
    (port) => [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', ...(web ? [`--web.config.file=${join(dir, 'web.yml')}`] : [])],
    dir,
    web ? { scheme: web.scheme, isReady: web.isReady } : {},
  );
}
