// The UI's history across a restart of the live loop with a scrape source (which has no history to
// read again): the charts, closed alerts and explanations come back from the state directory, and a
// file that cannot be read is moved aside without stopping the start.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** A /metrics page of two routes' counters, growing at every scrape; a config whose ticks the test runs (ten-minute ticks: charts of 18 points). */
async function setUp(): Promise<{ dir: string; file: string }> {
  let n = 0;
  server = createServer((_, res) => {
    n += 1;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`api_requests_total{route="/a"} ${100 * n}\napi_requests_total{route="/b"} ${50 * n}\n`);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-ui-history-'));
  const file = join(dir, 'stormwatch.yaml');
  writeFileSync(file, `interval: 10m\nsource:\n  scrape:\n    url: http://127.0.0.1:${(server!.address() as AddressInfo).port}/metrics\ndelivery:\n  outboxDir: ${dir}\nsignals:\n  - name: api\n    requests: api_requests_total\n    by: [route]\n`);
  return { dir, file };
}

async function start(file: string): Promise<{ logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  handle = await startLive(loadConfig(file), { logger: createLogger('info', (l) => logs.push(JSON.parse(l) as Record<string, unknown>)) });
  return { logs };
}

const points = (h: LiveHandle) => Object.fromEntries([...h.history.rings].map(([id, ring]) => [id, Array.from(ring.range().times)]));

describe('UI history across a restart', () => {
  it('charts start with what the last run showed', async () => {
    const { dir, file } = await setUp();
    await start(file);
    for (let i = 0; i < 4; i++) {
      await handle!.tick();
      await new Promise((r) => setTimeout(r, 5));
    }
    const shown = points(handle!);
    const n = shown['api{route="/a"}']!.length;
    expect(n).toBeGreaterThanOrEqual(3); // the first scrape has no rate yet
    expect(Object.keys(shown)).toEqual(['api{route="/a"}', 'api{route="/b"}']);
    await handle!.stop(1000);
    handle = undefined;
    expect(existsSync(join(dir, 'ui-history.bin'))).toBe(true);

    const { logs } = await start(file);
    expect(points(handle!)).toEqual(shown);
    expect(logs.find((l) => l.msg === 'UI history restored')).toMatchObject({ series: 2, points: 2 * n });
    // The new run's first scrape has no rate yet; its second adds a point after the restored ones.
    await handle!.tick();
    await new Promise((r) => setTimeout(r, 5));
    await handle!.tick();
    for (const [id, times] of Object.entries(points(handle!))) {
      expect(times.slice(0, n)).toEqual(shown[id]);
      expect(times.length).toBeGreaterThan(n);
    }
  });

  it('a file that cannot be read is moved aside, named in one log line, and the loop starts with empty charts', async () => {
    const { dir, file } = await setUp();
    writeFileSync(join(dir, 'ui-history.bin'), `SWUIHIS\u0001 cut short${' '.repeat(40)}`);
    const { logs } = await start(file);
    const warning = logs.find((l) => l.msg === 'UI history could not be read; its charts start empty');
    expect(String(warning?.problem)).toMatch(/ui-history\.bin moved to .*ui-history\.bin\.bad: corrupt or truncated/);
    expect(readFileSync(join(dir, 'ui-history.bin.bad'), 'utf8')).toContain('cut short');
    expect(handle!.history.rings.size).toBe(0);
    await handle!.tick();
    expect(handle!.history.rings.size).toBe(2);
  });
});
