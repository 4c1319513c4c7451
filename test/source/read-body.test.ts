import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/core/errors.js';
import { readBodyCapped, runBounded } from '../../src/source/read-body.js';

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
