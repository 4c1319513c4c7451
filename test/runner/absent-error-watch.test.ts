import { describe, expect, it } from 'vitest';
import { parseSelector } from '../../src/core/selector.js';
import type { SignalConfig } from '../../src/config/load.js';
import { ABSENT_ERRORS_CHECK_MS, ABSENT_ERRORS_RETRY_MS, AbsentErrorWatch, errorMetricKeys } from '../../src/runner/absent-error-watch.js';

const api = { signal: 'api', metric: 'http_request_total', selector: 'http_request_total{code=~"5.."}' };
const web = { signal: 'web', metric: 'web_errors_total', selector: 'web_errors_total' };
const both = new Set(['api', 'web']);

describe('AbsentErrorWatch', () => {
  it('asks on the first tick and every interval after, never twice at once; sooner when it could not judge every signal', () => {
    const watch = new AbsentErrorWatch();
    expect(watch.due(0)).toBe(true);
    watch.begin();
    expect(watch.due(0)).toBe(false); // still asking
    watch.settle(0, [], both, true);
    expect(watch.due(ABSENT_ERRORS_CHECK_MS - 1)).toBe(false);
    expect(watch.due(ABSENT_ERRORS_CHECK_MS)).toBe(true);
    watch.begin();
    watch.settle(ABSENT_ERRORS_CHECK_MS, [], new Set(['api']), false);
    expect(watch.due(ABSENT_ERRORS_CHECK_MS + ABSENT_ERRORS_RETRY_MS)).toBe(true);
    watch.begin();
    watch.settle(0, undefined, both, true);
    expect(watch.due(ABSENT_ERRORS_RETRY_MS)).toBe(true);
  });

  it('asks again at the next tick while a signal could not be judged, when told asking is free (a scraped page)', () => {
    const watch = new AbsentErrorWatch(0);
    watch.begin();
    // The first scrape has no rate yet: no signal judged.
    watch.settle(1000, [], new Set(), false);
    expect(watch.due(2000)).toBe(true);
    watch.begin();
    watch.settle(2000, [], both, true);
    expect(watch.due(3000)).toBe(false);
    expect(watch.due(2000 + ABSENT_ERRORS_CHECK_MS)).toBe(true);
  });

  it('says an absent metric once, and once when it has series again; an answer that failed changes nothing', () => {
    const watch = new AbsentErrorWatch();
    expect(watch.settle(0, [api], both, true)).toEqual({ noticed: [api], found: [] });
    expect(watch.settle(1, [api, web], both, true)).toEqual({ noticed: [web], found: [] });
    expect(watch.settle(2, undefined, both, true)).toEqual({ noticed: [], found: [] });
    expect(watch.absent()).toEqual([api, web]);
    expect(watch.settle(3, [web], both, true)).toEqual({ noticed: [], found: [api] });
    expect(watch.absent()).toEqual([web]);
  });

  it('says it again when what is wrong changes: the metric appears without the label the selector requires', () => {
    const watch = new AbsentErrorWatch();
    const labelMissing = { ...api, missingLabels: ['code'], labelsSeen: ['route', 'status'] };
    expect(watch.settle(0, [api], both, true)).toEqual({ noticed: [api], found: [] });
    expect(watch.settle(1, [labelMissing], both, true)).toEqual({ noticed: [labelMissing], found: [] });
    expect(watch.settle(2, [labelMissing], both, true)).toEqual({ noticed: [], found: [] });
    expect(watch.settle(3, [], both, true)).toEqual({ noticed: [], found: [labelMissing] });
  });

  it('judges only the signals whose requests read data: the others keep what was known', () => {
    const watch = new AbsentErrorWatch();
    // An empty Prometheus answers both absent; only "web" has requests yet.
    expect(watch.settle(0, [api, web], new Set(['web']), false)).toEqual({ noticed: [web], found: [] });
    expect(watch.settle(1, [api], new Set(['api']), false)).toEqual({ noticed: [api], found: [] });
    expect(watch.absent()).toEqual([web, api]);
  });

  it('after a reload asks at once and forgets what is no longer configured, without saying it was found', () => {
    const signal = (name: string, errors: string) => ({ name, inputs: { errors: { selector: parseSelector(errors), query: '' } } }) as unknown as SignalConfig;
    const watch = new AbsentErrorWatch();
    watch.settle(0, [api, web], both, true);
    // "web" removed; "api"'s typo fixed (another metric).
    watch.reset(errorMetricKeys([signal('api', 'http_requests_total{code=~"5.."}')]));
    expect(watch.due(1)).toBe(true);
    expect(watch.absent()).toEqual([]);
    expect(watch.settle(2, [], new Set(['api']), true)).toEqual({ noticed: [], found: [] });
    // A signal still configured with the same metric keeps its state.
    watch.settle(3, [api], both, true);
    watch.reset(errorMetricKeys([signal('api', 'http_request_total{code=~"5.."}')]));
    expect(watch.absent()).toEqual([api]);
  });
});
