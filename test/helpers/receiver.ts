// A local webhook receiver on 127.0.0.1 that records every request; its answers can be scripted.

import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
  /** Wall-clock time the request arrived. */
  receivedAtMs: number;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** Decides the status (and headers) of the next answers; default 200. */
  respond: (req: ReceivedRequest) => { status: number; headers?: Record<string, string> };
  waitFor(predicate: (all: ReceivedRequest[]) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Partial<Receiver> & { received: ReceivedRequest[] } = { received: [] };
  receiver.respond = () => ({ status: 200 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const request = { path: req.url ?? '/', headers: req.headers, body, json, receivedAtMs: Date.now() };
      const answer = receiver.respond!(request);
      if (answer.status >= 200 && answer.status < 300) receiver.received.push(request);
      res.writeHead(answer.status, answer.headers ?? {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.waitFor = async (predicate, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(receiver.received)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms; got ${receiver.received.length} request(s)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver as Receiver;
}
