import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/core/errors.js';
import { forEachBodyChunk, readBodyCapped, runBounded } from '../../src/source/read-body.js';

describe('runBounded', () => {
  it('never has more than `limit` jobs in flight, and runs them all', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    const jobs = Array.from({ length: 20 }, (_, i) => async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      inFlight--;
      done.push(i);
    });
    await runBounded(jobs, 4);
    expect(peak).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('readBodyCapped', () => {
  it('reads a body under the cap and refuses one over it, with a reason', async () => {
    expect(await readBodyCapped(new Response('hello'), 10, 'x', 1000)).toBe('hello');
    const big = new Response(new ReadableStream({ start: (c) => { c.enqueue(new Uint8Array(8)); c.enqueue(new Uint8Array(8)); c.close(); } }));
    await expect(readBodyCapped(big, 10, 'query', 1000)).rejects.toEqual(new SourceError('bad_response', 'query: answer exceeds the limit of 10 bytes', false));
  });
});

describe('forEachBodyChunk', () => {
  it('hands over each chunk; a chunk the caller refuses cancels the stream and reaches it as thrown', async () => {
    let cancelled = false;
    let pulls = 0;
    const body = () =>
      new Response(
        new ReadableStream({
          pull: (c) => {
            pulls++;
            if (pulls > 5) c.close();
            else c.enqueue(new Uint8Array([pulls]));
          },
          cancel: () => {
            cancelled = true;
          },
        }),
      );
    const seen: number[] = [];
    await forEachBodyChunk(body(), 100, 'q', 1000, (chunk) => seen.push(chunk[0]!));
    expect(seen).toEqual([1, 2, 3, 4, 5]);

    pulls = 0;
    const refusal = new Error('not an answer at byte 2');
    await expect(forEachBodyChunk(body(), 100, 'q', 1000, (chunk) => { if (chunk[0] === 2) throw refusal; })).rejects.toBe(refusal);
    expect(cancelled).toBe(true);
    expect(pulls).toBeLessThan(5);
  });

  it('names a broken transfer as a source error', async () => {
    const broken = new Response(new ReadableStream({ pull: (c) => c.error(new TypeError('terminated')) }));
    await expect(forEachBodyChunk(broken, 100, 'query up', 1000, () => {})).rejects.toBeInstanceOf(SourceError);
  });
});
