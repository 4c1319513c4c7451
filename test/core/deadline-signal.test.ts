import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../src/core/deadline-signal.js';

describe('deadlineSignal', () => {
  it('aborts with a TimeoutError after its timeout', async () => {
    const { signal } = deadlineSignal(20);
    await new Promise((r) => setTimeout(r, 60));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).name).toBe('TimeoutError');
  });

  it("aborts with the outer signal's reason, at once when it is already aborted", () => {
    const outer = new AbortController();
    const live = deadlineSignal(10_000, outer.signal);
    outer.abort(new Error('shutdown'));
    expect((live.signal.reason as Error).message).toBe('shutdown');
    live.done();
    expect((deadlineSignal(10_000, outer.signal).signal.reason as Error).message).toBe('shutdown');
  });

  it('never aborts once done', async () => {
    const outer = new AbortController();
    const d = deadlineSignal(20, outer.signal);
    d.done();
    outer.abort();
    await new Promise((r) => setTimeout(r, 60));
    expect(d.signal.aborted).toBe(false);
  });
});
