import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { RefusalLog } from '../../src/telemetry/refusal-log.js';

describe('RefusalLog', () => {
  it('logs the first refusal of a reason at once, then at most one line a second with the count left out', () => {
    const lines: Record<string, unknown>[] = [];
    let t = 0;
    const log = new RefusalLog(createLogger('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)), 1000, () => t);
    const refusal = { reason: 'forbidden' as const, status: 403, method: 'POST', path: '/api/v1/deploys', remote: '127.0.0.1' };
    for (t = 0; t < 2500; t += 100) log.note(refusal);
    log.note({ ...refusal, reason: 'too_large', status: 413 });
    expect(lines.map((l) => [l.reason, l.alsoRefusedSinceLastLine])).toEqual([
      ['forbidden', undefined],
      ['forbidden', 9],
      ['forbidden', 9],
      ['too_large', undefined],
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/authorization|bearer/i);
  });
});
