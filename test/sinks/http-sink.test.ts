import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpSink } from '../../src/sinks/http-sink.js';
import type { OutboxEntry } from '../../src/sinks/outbox.js';
import { verifySignature } from '../../src/sinks/signature.js';
import { freePort } from '../helpers/ports.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

const entry = (body = '{"a":1}', key = 'fp:2023:firing'): OutboxEntry => ({ id: '1', sink: 'w', key, orderKey: 'g', body, headers: {}, createdAtMs: 0 });

describe('HttpSink', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const sink = (url: string, headers: Record<string, string> = {}, signingSecret?: string) =>
    new HttpSink({ name: 'w', url, timeoutMs: 2000, headers, ...(signingSecret ? { signingSecret } : {}), now: () => Date.parse('2023-07-20T12:17:30Z') });

  it('POSTs the body as JSON with the idempotency key and custom headers', async () => {
    const result = await sink(`${receiver.url}/hook`, { 'x-team': 'crates' }).send(entry());
    expect(result).toEqual({ ok: true });
    expect(receiver.received[0]).toMatchObject({ path: '/hook', body: '{"a":1}', json: { a: 1 } });
    expect(receiver.received[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'idempotency-key': 'fp:2023:firing', 'x-team': 'crates' });
  });

  it('signs the timestamp and body so a receiver can verify them', async () => {
    await sink(receiver.url, {}, 'hunter2').send(entry('{"alerts":[]}'));
    const header = receiver.received[0]!.headers['x-stormwatch-signature'] as string;
    expect(header).toMatch(/^t=1689855450,v1=[0-9a-f]{64}$/);
    const now = Date.parse('2023-07-20T12:17:40Z') / 1000;
    expect(verifySignature('hunter2', header, '{"alerts":[]}', now)).toBe(true);
    expect(verifySignature('hunter2', header, '{"alerts":[1]}', now)).toBe(false); // body changed
    expect(verifySignature('wrong', header, '{"alerts":[]}', now)).toBe(false);
    expect(verifySignature('hunter2', header, '{"alerts":[]}', now + 3600)).toBe(false); // replayed an hour later
  });

  it.each([
    [500, {}, { ok: false, reason: 'http_5xx', retryable: true }],
    [408, {}, { ok: false, reason: 'http_5xx', retryable: true }],
    [400, {}, { ok: false, reason: 'http_4xx', retryable: false }],
    // Credentials refused: a secret being rotated, or mended by a reload; tried again until maxAge.
    [401, {}, { ok: false, reason: 'http_4xx', retryable: true }],
    [403, {}, { ok: false, reason: 'http_4xx', retryable: true }],
    [429, { 'retry-after': '3' }, { ok: false, reason: 'http_429', retryable: true, retryAfterMs: 3000 }],
  ] as [number, Record<string, string>, object][])('classifies HTTP %d', async (status, headers, expected) => {
    receiver.respond = () => ({ status, headers });
    expect(await sink(receiver.url).send(entry())).toMatchObject(expected);
  });

  it('sends credentials in the URL as a Basic Authorization header', async () => {
    const url = new URL(receiver.url);
    url.username = 'am';
    url.password = 's3cret';
    expect(await sink(url.toString()).send(entry())).toEqual({ ok: true });
    expect(receiver.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('am:s3cret').toString('base64')}`);
  });

  it('reports a refused connection as retryable, naming the host only', async () => {
    const port = await freePort();
    const result = await sink(`http://user:secret@127.0.0.1:${port}/services/T0001/B0002/XyZsecretPath?code=abc`).send(entry());
    expect(result).toEqual({ ok: false, reason: 'connection', retryable: true, detail: `127.0.0.1:${port}: ECONNREFUSED` });
  });

  it("says a port fetch() never connects to (the Fetch standard's blocked ports), not a bare TypeError", async () => {
    const result = await sink('http://127.0.0.1:6000/hook?token=abcdef123456').send(entry());
    expect(result).toEqual({ ok: false, reason: 'connection', retryable: true, detail: "127.0.0.1:6000: bad port: fetch() never connects to port 6000 (the Fetch standard's blocked ports): use another port" });
  });

  it('never follows a redirect: the secret headers and signature reach no other URL, and the failure says why', async () => {
    const other = await startReceiver();
    try {
      let asked = 0;
      receiver.respond = () => (asked++, { status: 307, headers: { location: `${other.url}/stolen` } });
      const s = sink(`${receiver.url}/alerts`, { 'x-api-key': 'HEADER-SECRET-1' }, 'signing-secret');
      const result = await s.send(entry());
      expect(result).toMatchObject({ ok: false, reason: 'http_4xx', retryable: false });
      expect((result as { detail: string }).detail).toContain('HTTP 307, a redirect: not followed');
      expect(asked).toBe(1);
      expect(other.received).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('names the host only in HTTP failures, the whole URL (without credentials) when the config marks it public', async () => {
    receiver.respond = () => ({ status: 503 });
    const host = new URL(receiver.url).host;
    const secret = new HttpSink({ name: 'w', url: `${receiver.url}/hooks/T0001/SeCrEt?sig=abc`, timeoutMs: 2000, headers: {} });
    expect(await secret.send(entry())).toMatchObject({ detail: `${host}: HTTP 503` });
    const open = new HttpSink({ name: 'w', url: `http://u:p4ss@${host}/alerts`, timeoutMs: 2000, headers: {}, publicUrl: true });
    expect(await open.send(entry())).toMatchObject({ detail: `http://${host}/alerts: HTTP 503` });
  });
});

// A timeout signal combined with the shutdown signal by AbortSignal.any can be collected before it
// fires on Node 20 (nodejs/node#57736): a slow receiver then held the sink until it answered.
describe('HttpSink timeout', () => {
  it('gives up after its timeout while garbage collection runs, with a shutdown signal given', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // Answers 200 after 3 s: a sink whose timeout was collected reads that as delivered.
    const server = createServer((_, res) => void setTimeout(() => res.writeHead(200).end('ok'), 3000));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const collecting = setInterval(gc, 20);
    try {
      const sink = new HttpSink({ name: 'slow', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, timeoutMs: 300, headers: {} });
      const result = await sink.send(entry(), new AbortController().signal);
      expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    } finally {
      clearInterval(collecting);
      server.closeAllConnections();
      server.close();
    }
  }, 10_000);
});
