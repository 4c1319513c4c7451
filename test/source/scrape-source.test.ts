import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalConfig } from '../../src/config/load.js';
import type { AlertTransition } from '../../src/core/types.js';
import { Pipeline } from '../../src/pipeline.js';
import { toTextExposition } from '../../scripts/sim/openmetrics-writer.js';
import { readReplayFile } from '../../src/source/replay-source.js';
import { ScrapeSource } from '../../src/source/scrape-source.js';
import { parseSelector } from '../../src/core/selector.js';
import { FAMILIES } from '../../scripts/generate-fixtures-families.js';
import { brief, replayConfig, replayTransitions, scenarioFile } from '../helpers/scenarios.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves whatever `page()` returns at /metrics on a loopback port. */
async function serve(page: () => { status?: number; body: string; delayMs?: number; contentType?: string }): Promise<string> {
  server = createServer((_, res) => {
    const answer = page();
    setTimeout(() => res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'text/plain; version=0.0.4' }).end(answer.body), answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

const signal: SignalConfig = {
  name: 'downloads',
  labels: {},
  inputs: {
    requests: { selector: parseSelector('api_requests_total'), query: '' },
    downstream: { selector: parseSelector('static_requests_total{code="200"}'), query: '' },
  },
  clients: [],
  by: [],
};

/** Requests and their 500s, from one counter. */
const errorsSignal: SignalConfig = {
  name: 'api',
  labels: {},
  inputs: { requests: { selector: parseSelector('http_requests_total'), query: '' }, errors: { selector: parseSelector('http_requests_total{code="500"}'), query: '' } },
  clients: [],
  by: [],
};

describe('ScrapeSource', () => {
  it('turns scraped counters into rates; across a reset of the only pod the increment is unknown, then known again', async () => {
    const pages = [
      'api_requests_total{pod="a"} 100\nstatic_requests_total{code="200"} 90\n',
      'api_requests_total{pod="a"} 400\nstatic_requests_total{code="200"} 390\n',
      'api_requests_total{pod="a"} 60\nstatic_requests_total{code="200"} 690\n',
      'api_requests_total{pod="a"} 360\nstatic_requests_total{code="200"} 990\n',
    ];
    let i = 0;
    const url = await serve(() => ({ body: pages[i++]! }));
    const source = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [signal]);
    expect((await source.read(0)).frame.signals.get('downloads')!.requests).toBeNaN();
    expect((await source.read(15_000)).frame.signals.get('downloads')).toMatchObject({ requests: 20, downstream: 20 });
    expect((await source.read(30_000)).frame.signals.get('downloads')).toMatchObject({ requests: Number.NaN, downstream: 20 });
    expect((await source.read(45_000)).frame.signals.get('downloads')).toMatchObject({ requests: 20, downstream: 20 });
  });

  it('reports malformed lines of other metrics with their numbers and still reads the good ones', async () => {
    const url = await serve(() => ({ body: 'api_requests_total{pod="a"} 1\nother_total{pod="b"} NaN\ngarbage here\n' }));
    const read = await new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [signal]).read(0);
    expect(read.errors).toEqual([]);
    expect(read.problems).toEqual([
      { line: 2, message: 'other_total: value NaN is not a finite number; sample skipped' },
      { line: 3, message: 'garbage: value "here" is not a number; line skipped' },
    ]);
  });

  it('reads no data from a page with a malformed line of a watched metric (it may be a watched series), never the rest as the whole', async () => {
    // The 200s' line lost its brace: read without it, the signal would be all 500s (a false outage).
    const url = await serve(() => ({ body: 'noise 1\napi_requests_total{pod="a",code="200" 6329\napi_requests_total{pod="a",code="500"} 4\n' }));
    const read = await new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [signal]).read(0);
    expect(read.errors.map((e) => [e.reason, e.message])).toEqual([
      ['unreadable', expect.stringContaining('1 line(s) of watched metrics malformed or not finite: the page is not read, as Prometheus fails such a scrape (first: line 2: api_requests_total:')],
    ]);
    expect(read.frame.signals.get('downloads')!.requests).toBeNaN();
  });

  it('reads no data from a page cut short inside a watched value (no newline after it), and the next good page spans the gap', async () => {
    // 4071 cut to `40`: read as a number it was a counter restart, and the next page's 4,100 a storm.
    let page = 'api_requests_total{pod="a"} 4000\nstatic_requests_total{code="200"} 4000\n';
    const url = await serve(() => ({ body: page }));
    const source = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [signal]);
    await source.read(0);
    page = 'api_requests_total{pod="a"} 4300\nstatic_requests_total{code="200"} 40';
    const cut = await source.read(15_000);
    expect(cut.errors.map((e) => [e.reason, e.message])).toEqual([['unreadable', expect.stringContaining('line 2: static_requests_total: the page ends inside this line (no newline after it): cut short; line skipped')]]);
    expect(cut.frame.signals.get('downloads')!.downstream).toBeNaN();
    page = 'api_requests_total{pod="a"} 4600\nstatic_requests_total{code="200"} 4600\n';
    expect((await source.read(30_000)).frame.signals.get('downloads')).toMatchObject({ requests: 20, downstream: 20 });
    // A page of other metrics cut short is a problem reported, not a failed read.
    page = 'api_requests_total{pod="a"} 4900\nstatic_requests_total{code="200"} 4900\nprocess_cpu_seconds_total 1';
    const other = await source.read(45_000);
    expect(other.errors).toEqual([]);
    expect(other.problems.map((p) => p.message)).toEqual(['process_cpu_seconds_total: the page ends inside this line (no newline after it): cut short; line skipped']);
    expect(other.frame.signals.get('downloads')).toMatchObject({ requests: 20, downstream: 20 });
  });

  it.each([
    ['an HTTP error', { status: 503, body: 'down' }, 'http_status', 1000],
    ['a slow target', { body: 'api_requests_total 1\n', delayMs: 1500 }, 'timeout', 200],
    ['an oversized page', { body: 'x'.repeat(5000) }, 'bad_response', 1000],
  ])('returns %s as an error with a reason, and NaN data', async (_, answer, reason, timeoutMs) => {
    const url = await serve(() => answer);
    const read = await new ScrapeSource({ url, timeoutMs, maxBytes: 1000 }, [signal]).read(0);
    expect(read.errors.map((e) => e.reason)).toEqual([reason]);
    expect(read.frame.signals.get('downloads')!.requests).toBeNaN();
  });

  it.each([
    ['an HTML error page with status 200', { body: '<!doctype html><html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }, 'not_exposition'],
    ['HTML served as text/plain', { body: '\n  <html>maintenance</html>' }, 'not_exposition'],
    ['a JSON answer', { body: '{"status":"ok"}', contentType: 'application/json' }, 'not_exposition'],
    ['every watched line NaN', { body: 'api_requests_total{pod="a"} NaN\nstatic_requests_total{code="200"} +Inf\nup 1\n' }, 'unreadable'],
    ['every watched line garbage', { body: 'api_requests_total{pod="a" 12\nstatic_requests_total{code="200"} twelve\n' }, 'unreadable'],
    ['a page of garbage', { body: 'hello world\nthis is not metrics\n' }, 'unreadable'],
    ['a page without the watched series', { body: 'process_cpu_seconds_total 12\nstatic_requests_total{code="500"} 3\n' }, 'no_watched_series'],
    ['an empty page', { body: '' }, 'no_watched_series'],
  ])('reads %s as a failed read with a reason and NaN data, never zero traffic', async (_, answer, reason) => {
    let bad = false;
    let api = 100;
    const url = await serve(() => (bad ? answer : { body: `api_requests_total{pod="a"} ${api}\nstatic_requests_total{code="200"} ${api}\n` }));
    const source = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [signal]);
    await source.read(0);
    api = 400;
    expect((await source.read(15_000)).frame.signals.get('downloads')).toMatchObject({ requests: 20, downstream: 20 });
    bad = true;
    const read = await source.read(30_000);
    expect(read.errors.map((e) => e.reason)).toEqual([reason]);
    expect(read.errors[0]!.message).toMatch(/^scrape http:\/\/127\.0\.0\.1:\d+\/metrics: /);
    const sample = read.frame.signals.get('downloads')!;
    expect([sample.requests, sample.errors, sample.downstream]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    // The bad page never reached the counters: the next good page's rate spans the gap.
    bad = false;
    api = 1000;
    expect((await source.read(45_000)).frame.signals.get('downloads')).toMatchObject({ requests: 20, downstream: 20 });
  });

  it('parses a page as it streams in: pieces cut mid-line and mid-character read as the whole page; a transfer broken midway is a failed read', async () => {
    let api = 100;
    let breakAfter = Number.POSITIVE_INFINITY;
    const page = () => `# TYPE api_requests_total counter\napi_requests_total{pod="a",note="größe \\"x\\""} ${api}\r\n${'filler_metric{i="1"} 1\n'.repeat(200)}static_requests_total{code="200",note="größe \\"x\\""} ${api}\n`;
    server = createServer((_, res) => {
      const bytes = Buffer.from(page(), 'utf8');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      // Pieces of 7 bytes, each written on its own turn so they arrive as separate chunks.
      let at = 0;
      const next = () => {
        if (at >= breakAfter) return void res.destroy();
        if (at >= bytes.length) return void res.end();
        res.write(bytes.subarray(at, (at += 7)));
        setImmediate(next);
      };
      next();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    const source = new ScrapeSource({ url, timeoutMs: 5000, maxBytes: 1e6 }, [{ ...signal, by: ['note'] }]);
    const first = await source.read(0);
    expect(first.errors).toEqual([]);
    expect([...first.frame.signals.keys()]).toEqual(['downloads{note="größe \\"x\\""}']);
    api = 400;
    expect((await source.read(15_000)).frame.signals.get('downloads{note="größe \\"x\\""}')).toMatchObject({ requests: 20, downstream: 20 });
    breakAfter = 700;
    api = 700;
    const broken = await source.read(30_000);
    expect(broken.errors.map((e) => e.reason)).toEqual(['connection']);
    expect(broken.frame.signals.get('downloads')!.requests).toBeNaN();
    // The half page never reached the counters: the next whole page's rate spans the gap.
    breakAfter = Number.POSITIVE_INFINITY;
    api = 1000;
    expect((await source.read(45_000)).frame.signals.get('downloads{note="größe \\"x\\""}')).toMatchObject({ requests: 20, downstream: 20 });
  });

  it('reads a series whose labels the exporter writes in another order each scrape as one series: rates go on, errors do not jump, and the same set twice on a page is a duplicate', async () => {
    // An exporter that writes labels from a hash map: their order changes from scrape to scrape.
    const line = (order: number, code: string, value: number) => (order % 2 ? `http_requests_total{code="${code}",route="/x"} ${value}` : `http_requests_total{route="/x",code="${code}"} ${value}`);
    const pages = [0, 1, 2, 3].map((k) => `${line(k, '200', 1000 + 150 * k)}\n${line(k + 1, '500', 5000 + 15 * k)}\n`);
    pages.push(`${pages[3]!}${line(3, '200', 9999)}\n`);
    let i = 0;
    const url = await serve(() => ({ body: pages[i++]! }));
    const source = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [errorsSignal]);
    expect((await source.read(0)).frame.signals.get('api')!.requests).toBeNaN();
    for (const t of [15_000, 30_000, 45_000]) expect((await source.read(t)).frame.signals.get('api')).toMatchObject({ requests: (150 + 15) / 15, errors: 1 });
    // The last page repeats the code="200" series in its other order: dropped and reported, not summed.
    const last = await source.read(60_000);
    expect(last.duplicates).toBe(1);
    expect(last.frame.signals.get('api')).toMatchObject({ requests: 0, errors: 0 });
  });

  it('keeps the first of duplicate series and reports the rest, as Prometheus does, never summing them', async () => {
    let api = 100;
    const url = await serve(() => ({ body: `api_requests_total{pod="a"} ${api}\nstatic_requests_total{code="200"} ${api}\napi_requests_total{pod="a"} ${api * 7}\n` }));
    const source = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [signal]);
    await source.read(0);
    api = 400;
    const read = await source.read(15_000);
    expect(read.errors).toEqual([]);
    expect(read.frame.signals.get('downloads')).toMatchObject({ requests: 20, downstream: 20 });
    expect(read.duplicates).toBe(1);
    expect(read.problems).toEqual([{ line: 3, message: 'duplicate series api_requests_total{pod="a"} (first on line 1): sample dropped, the first one kept, as Prometheus does' }]);
  });

  it('reads a page of thousands of pods exactly, and a bad page between two good ones changes nothing', async () => {
    // More samples than the first size of the buffer the page is held in until it is judged.
    const pods = 5000;
    const pageAt = (step: number) => Array.from({ length: pods }, (_, p) => `api_requests_total{pod="p${p}"} ${(p % 7) * 100 + step * (p % 3)}`).join('\n') + '\nstatic_requests_total{code="200"} ' + step * 50 + '\n';
    let body = pageAt(0);
    const url = await serve(() => ({ body }));
    const source = new ScrapeSource({ url, timeoutMs: 5000, maxBytes: 1e8 }, [signal]);
    await source.read(0);
    body = '<html>maintenance</html>';
    expect((await source.read(15_000)).errors).toHaveLength(1);
    body = pageAt(30);
    // Each pod grew by 30 × (p mod 3) over the 30 s since the last good page.
    let grown = 0;
    for (let p = 0; p < pods; p++) grown += 30 * (p % 3);
    const read = await source.read(30_000);
    expect(read.errors).toEqual([]);
    expect(read.frame.signals.get('downloads')).toMatchObject({ requests: grown / 30, downstream: 50 });
  });

  it('fills a handed-back frame\'s columns again, never one that was not handed back, and new columns when the series change', async () => {
    const split: SignalConfig = { ...signal, by: ['pod'] };
    const pages = [
      'api_requests_total{pod="a"} 100\napi_requests_total{pod="b"} 10\nstatic_requests_total{code="200",pod="a"} 90\n',
      'api_requests_total{pod="a"} 400\napi_requests_total{pod="b"} 40\nstatic_requests_total{code="200",pod="a"} 390\n',
      'api_requests_total{pod="b"} 70\napi_requests_total{pod="a"} 700\nstatic_requests_total{code="200",pod="a"} 690\n',
      'api_requests_total{pod="a"} 1000\napi_requests_total{pod="b"} 100\napi_requests_total{pod="c"} 5\nstatic_requests_total{code="200",pod="a"} 990\n',
    ];
    let k = 0;
    const url = await serve(() => ({ body: pages[Math.floor(k++ / 2)]! }));
    // Two sources read each page in turn: one hands its frames back, one never does.
    const recycling = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [split]);
    const plain = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [split]);
    const both = async (t: number) => [(await recycling.read(t)).frame, (await plain.read(t)).frame] as const;
    const [f0, p0] = await both(0);
    expect([...f0.signals]).toEqual([...p0.signals]);
    recycling.recycle(f0);
    const [f1, p1] = await both(15_000);
    expect(f1.signals).toBe(f0.signals);
    expect([...f1.signals]).toEqual([...p1.signals]);
    // A split series without the downstream input reads it as unknown, in reused columns as in new ones.
    expect(f1.signals.get('downloads{pod="b"}')).toEqual({ requests: 2, errors: 0, downstream: Number.NaN });
    // f1 is not handed back: the next read leaves it as it was.
    const kept = [...f1.signals];
    const [f2, p2] = await both(30_000);
    expect(f2.signals).not.toBe(f1.signals);
    expect([...f1.signals]).toEqual(kept);
    expect([...f2.signals]).toEqual([...p2.signals]);
    // Handed back, but the next page has another series (a new index): new columns.
    recycling.recycle(f2);
    const [f3, p3] = await both(45_000);
    expect(f3.signals).not.toBe(f2.signals);
    expect([...f3.signals]).toEqual([...p3.signals]);
    expect(f3.signals.get('downloads{pod="c"}')!.requests).toBeNaN();
  });

  it('reads a series back on the page after 45 s away as the same series: while away its errors as its neighbours\', back its errors and requests since spread over the gap, not its lifetime at once', async () => {
    // Four pods at 50/s, each with an error now and then; pod b's lines leave the page for 45
    // scrapes. Read as a new series on its return, its error counter counted its whole value (600
    // errors in one second) and its requests a neighbour's increment on top of the held estimate.
    let second = 0;
    const page = () => {
      let body = '';
      for (const pod of ['a', 'b', 'c', 'd']) {
        if (pod === 'b' && second >= 100 && second < 145) continue;
        body += `http_requests_total{pod="${pod}",code="200"} ${10_000 + 49 * second}\nhttp_requests_total{pod="${pod}",code="500"} ${600 + second}\n`;
      }
      return { body };
    };
    const url = await serve(() => ({ body: page().body }));
    const source = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [errorsSignal]);
    const read: { requests: number; errors: number; held: number; heldErrors: number }[] = [];
    for (second = 0; second < 160; second++) {
      const r = await source.read(second * 1000);
      const s = r.frame.signals.get('api')!;
      const held = (input: string) => r.held?.find((h) => h.signal === 'api' && h.input === input)?.rate ?? 0;
      read.push({ requests: s.requests, errors: s.errors, held: held('requests'), heldErrors: held('errors') });
    }
    // While away, b's requests are held at its share, and its errors taken to be as its
    // neighbours' (3 read over 150 requests: 1 more), both said to be estimates. Read alone, the
    // three pods' errors over four pods' requests read the ratio a quarter short.
    for (const at of [110, 130, 144]) {
      expect(read[at]!.requests, `second ${at}`).toBeCloseTo(200, 6);
      expect(read[at]!.held, `second ${at}`).toBeCloseTo(50, 6);
      expect(read[at]!.errors, `second ${at}`).toBeCloseTo(4, 6);
      expect(read[at]!.heldErrors, `second ${at}`).toBeCloseTo(1, 6);
    }
    for (const at of [99, 145, 150]) expect(read[at]!.held + read[at]!.heldErrors, `second ${at}`).toBe(0);
    // Back at 145: what b counted in the 46 s since it was last read, spread over them.
    for (const at of [145, 146]) expect(read[at]!.errors, `second ${at}`).toBeCloseTo(4, 6);
    for (const at of [145, 146]) expect(read[at]!.requests, `second ${at}`).toBeCloseTo(200, 6);
  });

  it('reads a restarted pod whose series come back from 0 within seconds as new ones: no tick without data after the one it left in', async () => {
    // Pod b restarts at 100 s; a client library makes its series at their first count, 3 s later.
    let second = 0;
    const page = () => {
      let body = '';
      for (const pod of ['a', 'b', 'c', 'd']) {
        if (pod === 'b' && second >= 100 && second < 103) continue;
        const served = pod === 'b' && second >= 103 ? 50 * (second - 100) : 10_000 + 50 * second;
        body += `api_requests_total{pod="${pod}"} ${served}\nstatic_requests_total{code="200",pod="${pod}"} ${served}\n`;
      }
      return body;
    };
    const url = await serve(() => ({ body: page() }));
    const source = new ScrapeSource({ url, timeoutMs: 1000, maxBytes: 1e6 }, [signal]);
    const read: number[] = [];
    for (second = 0; second < 110; second++) read.push((await source.read(second * 1000)).frame.signals.get('downloads')!.requests);
    // The tick it left in is unknown; every other tick reads the four pods' 200/s.
    expect(read[100]).toBeNaN();
    for (let at = 101; at < 110; at++) expect(read[at], `second ${at}`).toBeCloseTo(200, 6);
  });

  it('does not show credentials of the scrape URL in its errors', async () => {
    const url = await serve(() => ({ status: 503, body: 'down' }));
    const read = await new ScrapeSource({ url: url.replace('http://', 'http://scraper:hunter22@'), timeoutMs: 1000, maxBytes: 1e6, fetch: (u, init) => fetch(String(u).replace('scraper:hunter22@', ''), init) }, [signal]).read(0);
    expect(read.errors[0]!.message).not.toContain('hunter22');
  });

  it('gives the same alerts as the replay source on the same scenario', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const data = readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect'));
    let current = 0;
    const url = await serve(() => ({ body: toTextExposition({ timeMs: 0, samples: data.snapshots[current]![1] }, FAMILIES) }));
    const source = new ScrapeSource({ url, timeoutMs: 5000, maxBytes: 1e8 }, config.signals, config.deploys?.markers ?? []);
    const pipeline = new Pipeline(config);
    const scraped: AlertTransition[] = [];
    for (current = 0; current < data.snapshots.length; current++) {
      const read = await source.read(data.snapshots[current]![0]);
      expect(read.errors).toEqual([]);
      scraped.push(...pipeline.step(read.frame).transitions);
    }
    const replayed = await replayTransitions(config);
    expect(replayed.length).toBeGreaterThan(0);
    expect(scraped.map(brief)).toEqual(replayed.map(brief));
    // 1,801 real HTTP scrapes: give a loaded 2-core machine room.
  }, 90_000);
});
