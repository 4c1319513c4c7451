import { describe, expect, it } from 'vitest';
import { ABSENT_ERRORS_CHECK_MS, AbsentErrorWatch } from '../../src/runner/absent-error-watch.js';

const api = { signal: 'api', metric: 'http_request_total', selector: 'http_request_total{code=~"5.."}' };
const web = { signal: 'web', metric: 'web_errors_total', selector: 'web_errors_total' };

describe('AbsentErrorWatch', () => {
  it('asks on the first tick and every interval after, never twice at once', () => {
    const watch = new AbsentErrorWatch();
    expect(watch.due(0)).toBe(true);
    watch.begin(0);
    expect(watch.due(ABSENT_ERRORS_CHECK_MS)).toBe(false); // still asking
    watch.settle([]);
    expect(watch.due(ABSENT_ERRORS_CHECK_MS - 1)).toBe(false);
    expect(watch.due(ABSENT_ERRORS_CHECK_MS)).toBe(true);
  });

  it('says an absent metric once, and once when it has series again; an answer that failed changes nothing', () => {
    const watch = new AbsentErrorWatch();
    watch.begin(0);
    expect(watch.settle([api])).toEqual({ noticed: [api], found: [] });
    watch.begin(1);
    expect(watch.settle([api, web])).toEqual({ noticed: [web], found: [] });
    watch.begin(2);
    expect(watch.settle(undefined)).toEqual({ noticed: [], found: [] });
    expect(watch.absent()).toEqual([api, web]);
    watch.begin(3);
    expect(watch.settle([web])).toEqual({ noticed: [], found: [api] });
    expect(watch.absent()).toEqual([web]);
  });

  it('after a reload asks at once and forgets the signals removed, without saying they were found', () => {
    const watch = new AbsentErrorWatch();
    watch.begin(0);
    watch.settle([api, web]);
    watch.begin(1);
    watch.reset(['api']);
    expect(watch.due(2)).toBe(true);
    expect(watch.absent()).toEqual([api]);
    watch.begin(2);
    expect(watch.settle([api])).toEqual({ noticed: [], found: [] });
  });
});
