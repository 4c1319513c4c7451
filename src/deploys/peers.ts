// HA pair agreement on deploys: a replica forwards each deploy it learns (API, CLI, gates) to its
// peers with the same id and start time, so a poll of either replica finds the same deploy and,
// since both read the same signals, reaches the same verdict. Best effort with a few retries: a
// peer down for longer misses the deploy (logged); gate requests that reach it later record it then.

import type { Logger } from '../core/log.js';
import type { DeployEvent } from './types.js';

export interface ForwardOptions {
  token: string;
  logger: Logger;
  timeoutMs?: number;
  attempts?: number;
  /** First retry delay; doubles each time. */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

/** Forwards `event` to every peer; resolves with the peers that never accepted it. */
export async function forwardToPeers(peers: readonly string[], event: DeployEvent, options: ForwardOptions): Promise<string[]> {
  const { token, logger, timeoutMs = 5000, attempts = 4, retryDelayMs = 1000 } = options;
  const fetchFn = options.fetch ?? fetch;
  const failed: string[] = [];
  await Promise.all(
    peers.map(async (peer) => {
      let last = '';
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          const res = await fetchFn(`${peer}/api/v1/gates/peer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(event),
            signal: AbortSignal.timeout(timeoutMs),
          });
          await res.body?.cancel();
          if (res.ok) return;
          last = `HTTP ${res.status}`;
          // A 4xx will not change on retry (wrong token, old peer without the endpoint).
          if (res.status < 500 && res.status !== 429) break;
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause;
          last = cause?.code ?? (error as Error).message;
        }
        if (attempt < attempts) await new Promise((r) => setTimeout(r, retryDelayMs * 2 ** (attempt - 1)));
      }
      failed.push(peer);
      logger.log('warn', 'could not forward a deploy to an HA peer; it will record the deploy only if a gate asks it', { peer, deploy: event.id, error: last });
    }),
  );
  return failed;
}
