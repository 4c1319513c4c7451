// When `stormwatch run` ticks against a Prometheus source: at a start it takes the offset that reads
// the targets' newest scrapes soonest, even where ticking on the epoch's multiples would be only a
// little later (the gain a later realignment needs is there so that running ticks do not hop).
// A small fake of the two questions asked (sample times, scrape durations); every other query
// answers empty.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';

let handle: LiveHandle | undefined;
let server: Server | undefined;
afterEach(async () => {
  await handle?.stop(1000);
  handle = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A Prometheus whose one target was last scraped at `phaseMs` into the 5 s interval, each scrape taking `durationS`. */
async function prometheus(phaseMs: number, durationS: number): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const params = new URLSearchParams(req.method === 'POST' ? body : (req.url ?? '').split('?')[1] ?? '');
      const query = params.get('query') ?? '';
      const timeS = Number(params.get('time') ?? Date.now() / 1000);
      const lastScrapeS = (Math.floor((timeS * 1000 - phaseMs) / 5000) * 5000 + phaseMs) / 1000;
      const value = query.includes('timestamp(') ? lastScrapeS : query.includes('scrape_duration_seconds') ? durationS : undefined;
      const result = value === undefined ? [] : [{ metric: { job: 'app', instance: '10.0.0.1:8080' }, value: [timeS, String(value)] }];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: req.url?.includes('query_range') ? 'matrix' : 'vector', result: req.url?.includes('query_range') ? [] : result } }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('tick offset at a start', () => {
  it('takes the best offset even when ticking at 0 would read the scrape only a little later', async () => {
    // Readable 0.25 s plus twice 5.6 ms after the scrape at 4.458 s: at 4.8 s the data is 0.34 s old,
    // at 0 (the next multiple) 0.54 s: a gain of 0.2 s, under the 0.5 s a realignment asks.
    const url = await prometheus(4458, 0.0056);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-offset-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `interval: 5s\nsource:\n  prometheus:\n    url: ${url}\n    warmup: 0s\n    seasonalHistory: 0s\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: downloads\n    requests: 'api_requests_total{route="download"}'\n`);
    const lines: Record<string, unknown>[] = [];
    handle = await startLive(loadConfig(file), { logger: createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) });
    const running = lines.find((l) => l.msg === 'stormwatch running');
    expect(running?.tickOffsetSeconds, JSON.stringify(lines)).toBe(4.8);
    expect(lines.find((l) => l.msg === "ticks aligned to the targets' scrapes")).toMatchObject({ offsetSeconds: 4.8, targets: 1 });
  });
});
