import { type Server, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/core/errors.js';
import { PrometheusClient } from '../../src/source/prometheus-client.js';

/** A fake Prometheus: answers each query with its body in small chunks, as a real one streams a large vector. */
const answers: Record<string, { status: number; body: string }> = {
  ok: { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { route: '/a', city: 'Zürich' }, value: [1, '2.5'] }, { metric: { route: '/b' }, value: [1, 'NaN'] }] }, infos: ['i'] }) },
  partial: { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { route: '/a' }, value: [1, '2.5'] }] }, warnings: ['partial response: store 10.0.0.7:10901 unavailable'] }) },
  histogram: { status: 200, body: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{"count":"2"}]}]}}' },
  bad: { status: 400, body: '{"status":"error","errorType":"bad_data","error":"parse error"}' },
  html: { status: 200, body: '<html>hello</html>' },
  cut: { status: 200, body: '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}' },
};

let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const answer = answers[new URLSearchParams(body).get('query')!]!;
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      const bytes = Buffer.from(answer.body);
      // Chunks of 5 bytes, cutting strings, escapes and multi-byte characters.
      let at = 0;
      const next = () => {
        if (at >= bytes.length) return res.end();
        res.write(bytes.subarray(at, (at += 5)), next);
      };
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function stream(query: string, maxBytes?: number): Promise<{ labels: unknown; value: number }[]> {
  const client = new PrometheusClient({ url, timeoutMs: 5000, ...(maxBytes ? { maxBytes } : {}) });
  const out: { labels: unknown; value: number }[] = [];
  await client.streamVector(query, 1000, { series: (b, s, e, value) => out.push({ labels: JSON.parse(Buffer.from(b.subarray(s, e)).toString('utf8')) as unknown, value }) });
  return out;
}

describe('PrometheusClient.streamVector against an HTTP server', () => {
  it('decodes the vector as it streams in', async () => {
    expect(await stream('ok')).toEqual([
      { labels: { route: '/a', city: 'Zürich' }, value: 2.5 },
      { labels: { route: '/b' }, value: Number.NaN },
    ]);
  });

  it('refuses a native histogram, naming the query', async () => {
    await expect(stream('histogram')).rejects.toThrow(/a native histogram series at byte \d+: .* \(query "histogram"\)$/);
  });

  it.each([
    ['bad', 'query_error', /bad_data: parse error \(query "bad"\)/],
    ['html', 'bad_response', /HTTP 200, body is not a Prometheus API answer: expected '\{' .* at byte 0 \(query "html"\)/],
    ['cut', 'bad_response', /the answer ends early at byte 89 \(query "cut"\)/],
    // A store that did not answer: the rest would read as a collapse.
    ['partial', 'partial_answer', /answered with warnings, read as no data: partial response: store 10\.0\.0\.7:10901 unavailable \(query "partial"\)/],
  ])('classifies a failed answer (%s)', async (query, reason, message) => {
    const error = await stream(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).reason).toBe(reason);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses an answer over the size limit', async () => {
    await expect(stream('ok', 20)).rejects.toThrow(/exceeds the limit of 20 bytes/);
  });
});

describe('PrometheusClient and Retry-After', () => {
  it('asks nothing until the time a 429 named (at most two minutes), then asks again', async () => {
    let clock = Date.parse('2026-12-04T12:00:00Z');
    const asked: string[] = [];
    let answer = () => new Response('{"status":"error","errorType":"too_many_requests","error":"slow down"}', { status: 429, headers: { 'retry-after': '30' } });
    const fetchFn = (async (_url: string, init: RequestInit) => {
      asked.push(new URLSearchParams(String(init.body)).get('query')!);
      return answer();
    }) as typeof fetch;
    const client = new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn, now: () => clock });
    await expect(client.instant('a', clock)).rejects.toMatchObject({ reason: 'http_status', retryable: true });
    clock += 29_000;
    await expect(client.instant('b', clock)).rejects.toThrow('HTTP 429 asked to wait (Retry-After) until 2026-12-04T12:00:30.000Z');
    expect(asked).toEqual(['a']);
    answer = () => new Response(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [0, '4'] }] } }), { status: 200 });
    clock += 1_000;
    expect(await client.instant('c', clock)).toBe(4);
    // A proxy asking for an hour is waited for two minutes.
    answer = () => new Response('busy', { status: 503, headers: { 'retry-after': '3600' } });
    await expect(client.instant('d', clock)).rejects.toBeInstanceOf(SourceError);
    clock += 120_000;
    await expect(client.instant('e', clock)).rejects.toThrow('HTTP 503');
    expect(asked).toEqual(['a', 'c', 'd', 'e']);
  });
});

describe('PrometheusClient and refused credentials', () => {
  it("says a 401 or 403 as refused credentials with the hint, though a proxy's body is Prometheus-like JSON", async () => {
    let status = 401;
    const fetchFn = (async () => new Response('{"status":"error","error":"unauthorized"}', { status, headers: { 'content-type': 'application/json' } })) as typeof fetch;
    const client = new PrometheusClient({ url: 'http://127.0.0.1:9', timeoutMs: 1000, fetch: fetchFn, setting: 'source.prometheus' });
    const hint = 'HTTP 401 (the credentials were missing or refused: see source.prometheus.bearerToken, basicAuth, oauth2 or headers, or the user:password in its url)';
    await expect(client.instant('up', 0)).rejects.toMatchObject({ reason: 'http_status', message: expect.stringContaining(hint) });
    await expect(client.streamVector('up', 0, { series: () => {} })).rejects.toMatchObject({ reason: 'http_status', message: expect.stringContaining(hint) });
    status = 403;
    await expect(client.instant('up', 0)).rejects.toThrow('HTTP 403 (the credentials were not allowed');
  });
});
