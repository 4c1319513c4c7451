import { describe, expect, it } from 'vitest';
import { parseSelector } from '../../src/core/selector.js';
import { MAX_NARROWED_TARGETS, type MissedSpec, missedQuery, missedQueryFor, withMatchers } from '../../src/source/counter-query.js';

// The queries' results are checked by a real Prometheus (test/e2e/counter-query.test.ts); these
// check which series the missed query's five-minute reads are narrowed to.

function spec(selector: string, gate = selector): MissedSpec {
  const s = parseSelector(selector);
  return { selector: s, gate: gate === selector ? s : parseSelector(gate), fn: 'irate', windowMs: 60_000, by: [] };
}

/** The selectors of a query's reads of failing targets' series: five and ten minutes, and the returning ones' count in the window. */
function recentReads(query: string): string[] {
  return [...new Set([...query.matchAll(/(?:irate|deriv|resets)\(([^[]+)\[(?:300|600)s\]\)|count_over_time\(([^[]+)\[60s\]\)/g)].map((m) => (m[1] ?? m[2])!))];
}

const RECENT_READS = /(?:(?:irate|deriv|resets)\([^[]+\[(?:300|600)s\]\)|count_over_time\([^[]+\[60s\]\))/g;

describe('withMatchers', () => {
  it('adds matchers to a selector whatever its shape', () => {
    expect(withMatchers('r', 'job="a"')).toBe('r{job="a"}');
    expect(withMatchers('r{}', 'job="a"')).toBe('r{job="a"}');
    expect(withMatchers(' r{code=~"5.."} ', 'job="a"')).toBe('r{code=~"5..", job="a"}');
    expect(withMatchers('{__name__="r",}', 'job="a"')).toBe('{__name__="r",job="a"}');
  });
});

describe('missedQueryFor', () => {
  it('reads only the series of the targets down, instances as literals', () => {
    const query = missedQueryFor(spec('r{job="api"}'), [
      { job: 'api', instance: '10.0.0.1:8080' },
      { job: 'api', instance: '10.0.0.2:8080' },
    ])!;
    expect(recentReads(query)).toEqual(['r{job="api", job="api", instance=~"10\\\\.0\\\\.0\\\\.1:8080|10\\\\.0\\\\.0\\\\.2:8080"}']);
    // Everything else is the query unnarrowed: the same rates in the window, the same filters.
    const whole = missedQuery('r{job="api"}', 'irate', 60_000);
    expect(query.replace(RECENT_READS, '')).toBe(whole.replace(RECENT_READS, ''));
  });

  it("asks nothing when no target down can be one of the selector's, judged by its job and instance matchers", () => {
    expect(missedQueryFor(spec('r{job="api"}'), [{ job: 'batch', instance: 'a' }])).toBeUndefined();
    expect(missedQueryFor(spec('r{job=~"api|web"}'), [{ job: 'batch', instance: 'a' }])).toBeUndefined();
    expect(missedQueryFor(spec('r{instance!="a"}'), [{ job: 'api', instance: 'a' }])).toBeUndefined();
    expect(missedQueryFor(spec('r{job=~"api|web"}'), [{ job: 'web', instance: 'a' }, { job: 'batch', instance: 'b' }])).toContain('irate(r{job=~"api|web", job="web", instance="a"}[300s])');
    // Without a job matcher any target down can hold its series.
    expect(recentReads(missedQueryFor(spec('r'), [{ job: 'batch', instance: 'b' }, { job: 'web', instance: 'a' }])!)).toEqual(['r{job=~"batch|web", instance=~"b|a"}']);
  });

  it('narrows the selector and the gate apart, leaving whole one that has no target down while the other has', () => {
    const errorsOfWeb = spec('errors_total{job="web"}', 'requests_total{job="web"}');
    expect(recentReads(missedQueryFor(errorsOfWeb, [{ job: 'web', instance: 'a' }])!)).toEqual(['errors_total{job="web", job="web", instance="a"}', 'requests_total{job="web", job="web", instance="a"}']);
    const apart = spec('errors_total{job="edge"}', 'requests_total{job="web"}');
    expect(recentReads(missedQueryFor(apart, [{ job: 'web', instance: 'a' }])!)).toEqual(['errors_total{job="edge"}', 'requests_total{job="web", job="web", instance="a"}']);
  });

  it('reads every watched series when the targets down are unknown or too many', () => {
    expect(recentReads(missedQueryFor(spec('r{job="api"}'), undefined)!)).toEqual(['r{job="api"}']);
    const many = Array.from({ length: MAX_NARROWED_TARGETS + 1 }, (_, i) => ({ job: 'api', instance: `pod-${i}` }));
    expect(recentReads(missedQueryFor(spec('r{job="api"}'), many)!)).toEqual(['r{job="api"}']);
    expect(recentReads(missedQueryFor(spec('r{job="api"}'), many.slice(1))!)[0]).toContain('pod-1|pod-2');
  });
});
