import { mkdtempSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Deliverer } from '../../src/sinks/deliverer.js';
import { HttpSink } from '../../src/sinks/http-sink.js';
import { Outbox } from '../../src/sinks/outbox.js';

const BACKOFF = { baseMs: 1000, capMs: 60_000 };

describe('Deliverer', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('lets a request waiting for an answer go at stop: the entry stays in the outbox, nothing waits for the sink timeout', { timeout: 10_000 }, async () => {
    // A receiver that accepts and never answers.
    const sockets: Socket[] = [];
    let closedByClient: () => void = () => {};
    const clientLetGo = new Promise<void>((r) => (closedByClient = r));
    server = createServer((socket) => {
      sockets.push(socket);
      socket.on('close', () => closedByClient());
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { outbox } = Outbox.open(mkdtempSync(join(tmpdir(), 'stormwatch-deliverer-')));
    const deliverer = new Deliverer(new HttpSink({ name: 'w', url, timeoutMs: 60_000, headers: {} }), outbox, { concurrency: 1, maxAgeMs: 3_600_000, backoff: BACKOFF });
    outbox.add({ sink: 'w', key: 'k1', orderKey: 'g', body: '{}', headers: {}, createdAtMs: Date.now() });
    deliverer.kick();
    await new Promise<void>((r) => {
      const poll = setInterval(() => sockets.length > 0 && (clearInterval(poll), r()), 10);
    });
    deliverer.stop();
    // The sink waits 60 s for an answer; this test gives up after 10.
    await clientLetGo;
    expect(deliverer.pending).toBe(1);
    expect(await deliverer.drain(10)).toBe(1);
    outbox.close();
  });
});
