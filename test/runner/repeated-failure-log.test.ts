import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { RepeatedFailureLog, sameErrorsOnce } from '../../src/runner/repeated-failure-log.js';

describe('RepeatedFailureLog', () => {
  it('logs a failure that repeats once a minute with how many were not logged, a new one at once, the stack only at debug', () => {
    const lines: Record<string, unknown>[] = [];
    let clock = 0;
    const log = new RepeatedFailureLog(createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)), 'tick failed; the loop goes on', 60_000, () => clock);
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    for (let s = 0; s < 61; s++, clock += 1000) log.failed(full);
    expect(lines.map((l) => [l.error, l.code, l.sameFailuresNotLogged, 'stack' in l])).toEqual([
      ['ENOSPC: no space left on device, write', 'ENOSPC', undefined, false],
      ['ENOSPC: no space left on device, write', 'ENOSPC', 59, false],
    ]);
    log.failed(new Error('EISDIR: illegal operation on a directory'));
    expect(lines).toHaveLength(3);
    const debug: Record<string, unknown>[] = [];
    new RepeatedFailureLog(createLogger('debug', (l) => debug.push(JSON.parse(l) as Record<string, unknown>)), 'x', 60_000, () => 0).failed(full);
    expect(String(debug[0]!.stack)).toContain('ENOSPC');
  });
});

describe('sameErrorsOnce', () => {
  it("says a message every query of a read failed with once, with how many, and different ones each", () => {
    const refused = { reason: 'http_status', message: 'query http://127.0.0.1:9090: HTTP 401 (the credentials were missing or refused)' };
    const slow = { reason: 'timeout', message: 'query http://127.0.0.1:9090: no answer within 1000 ms' };
    expect(sameErrorsOnce([refused, refused, slow, refused])).toEqual([{ ...refused, queries: 3 }, slow]);
    expect(sameErrorsOnce([slow])).toEqual([slow]);
  });
});
