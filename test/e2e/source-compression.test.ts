// The sources' `compression`, end to end: a real Prometheus (Debian's 2.42) gzips every answer a
// client accepts gzipped, and Node's fetch accepts gzip unless told. stormwatch asks a source on
// loopback for its answers uncompressed by default (`auto`: inflating them cost more CPU than
// decoding them at 100k series) and gzipped with `compression: gzip`; either way it reads the same
// vector. A /metrics target that gzips when asked (as Go's promhttp does) is read the same way.

import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { fetchWith } from '../../src/source/http-options.js';
import { PrometheusClient } from '../../src/source/prometheus-client.js';
import { ScrapeSource } from '../../src/source/scrape-source.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';

const ROUTES = 40;
const page = () => Array.from({ length: ROUTES }, (_, i) => `app_requests_total{route="/r${i}"} ${1000 + i}`).join('\n') + '\n';

describe('source compression', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-compression-'));
  let target: Server;
  let prometheus: RunningPrometheus;
  /** What stormwatch's scrapes asked of the target (Accept-Encoding), in order. */
  const asked: string[] = [];

  beforeAll(async () => {
    // Gzips when the request accepts it, as promhttp does; Prometheus scrapes it too.
    target = createServer((req, res) => {
      const accept = String(req.headers['accept-encoding'] ?? '');
      if (req.headers['user-agent']?.startsWith('Prometheus') !== true) asked.push(accept);
      const body = Buffer.from(page());
      if (/\bgzip\b/.test(accept)) res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' }).end(gzipSync(body));
      else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    prometheus = await startPrometheus({ scrapeTargets: [`127.0.0.1:${(target.address() as AddressInfo).port}`], scrapeInterval: '1s' });
    // Bounded: the first scrape lands within a few seconds.
    const probe = new PrometheusClient({ url: prometheus.url, timeoutMs: 5000 });
    for (let i = 0; i < 60 && (await probe.vector('app_requests_total', Date.now())).length < ROUTES; i++) await new Promise((r) => setTimeout(r, 250));
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  function configWith(name: string, source: string) {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, `interval: 15s\nsource:\n${source}\ndelivery: {outboxDir: ${join(dir, `state-${name}`)}}\nsignals:\n  - name: app\n    by: [route]\n    requests: app_requests_total\n`);
    return loadConfig(file);
  }

  /** Reads the vector through the fetch `stormwatch run` makes of the config, noting each answer's Content-Encoding. */
  async function readVector(compression: string) {
    const { source } = configWith(`prometheus-${compression || 'default'}`, `  prometheus:\n    url: ${prometheus.url}\n${compression ? `    compression: ${compression}\n` : ''}`);
    if (source.kind !== 'prometheus') throw new Error('prometheus source expected');
    const encodings: (string | null)[] = [];
    // The fetch run makes, its answers' Content-Encoding noted (a gzipped one is read through requestInflated).
    const made = fetchWith(source.http);
    const noting = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await made(input, init);
      encodings.push(response.headers.get('content-encoding'));
      return response;
    }) as typeof fetch;
    const client = new PrometheusClient({ url: source.url, timeoutMs: 5000, fetch: noting });
    const vector = await client.vector('app_requests_total', Date.now());
    return { encodings, vector: vector.map((s) => [s.labels.route, s.value]).sort() };
  }

  it('asks a Prometheus on loopback for uncompressed answers by default and gzipped ones with compression: gzip, and reads the same vector', async () => {
    const plain = await readVector('');
    const gzipped = await readVector('gzip');
    expect(plain.encodings).toEqual([null]);
    expect(gzipped.encodings).toEqual(['gzip']);
    expect(plain.vector).toHaveLength(ROUTES);
    expect(gzipped.vector).toEqual(plain.vector);
  });

  it('asks a /metrics target the same way, and reads both pages alike', async () => {
    const frames = [];
    for (const compression of ['', 'gzip']) {
      const { source, signals } = configWith(`scrape-${compression || 'default'}`, `  scrape:\n    url: http://127.0.0.1:${(target.address() as AddressInfo).port}/metrics\n${compression ? `    compression: ${compression}\n` : ''}`);
      if (source.kind !== 'scrape') throw new Error('scrape source expected');
      const scrape = new ScrapeSource({ url: source.url, timeoutMs: 5000, maxBytes: source.maxBytes, fetch: fetchWith(source.http) }, signals);
      const read = await scrape.read(Date.now());
      expect(read.errors).toEqual([]);
      frames.push(read.frame.signals.size);
    }
    expect(asked).toEqual(['identity', expect.stringMatching(/\bgzip\b/)]);
    expect(frames).toEqual([ROUTES, ROUTES]);
  });

  it('refuses a compression it does not know, naming the key', () => {
    expect(() => configWith('brotli', `  prometheus:\n    url: ${prometheus.url}\n    compression: br\n`)).toThrow(/source\.prometheus\.compression/);
  });
});
