import { describe, expect, it } from 'vitest';
import { untilAborted } from '../../src/core/until-aborted.js';

describe('untilAborted', () => {
  it('settles as the work does while the signal holds, and with the signal\'s reason once it aborts, the work still pending', async () => {
    const controller = new AbortController();
    expect(await untilAborted(Promise.resolve(7), controller.signal)).toBe(7);
    await expect(untilAborted(Promise.reject(new Error('broken')), controller.signal)).rejects.toThrow('broken');
    const never = new Promise<number>(() => {});
    const pending = untilAborted(never, controller.signal);
    controller.abort(new DOMException('no answer within 5 ms', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError', message: 'no answer within 5 ms' });
    // Already aborted: at once.
    await expect(untilAborted(never, controller.signal)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
