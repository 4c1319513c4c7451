import { describe, expect, it } from 'vitest';
import { seriesIdOfAlert } from '../../src/ui/series-id.js';
import { alertLink } from '../../src/ui/links.js';

describe('series ids', () => {
  it('finds the series of an alert from its labels and the signal `by`', () => {
    const signals = [{ name: 'api', by: ['route'] }, { name: 'dl', by: [] }];
    expect(seriesIdOfAlert({ signal: 'api', route: '/x', team: 't' }, signals)).toBe('api{route="/x"}');
    expect(seriesIdOfAlert({ signal: 'dl' }, signals)).toBe('dl');
    expect(seriesIdOfAlert({ service: 's' }, signals)).toBeUndefined();
  });

  it('links an alert to its series page at startsAt', () => {
    const t = { status: 'firing' as const, labels: { signal: 'api', route: '/x' }, annotations: {}, fingerprint: 'ab', startsAtMs: Date.parse('2023-07-20T12:17:15Z'), evaluatedAtMs: 0 };
    const url = new URL(alertLink(t, 'http://h:1', [{ name: 'api', by: ['route'] }]));
    expect(url.pathname).toBe('/ui/series');
    expect(url.searchParams.get('id')).toBe('api{route="/x"}');
    expect(url.searchParams.get('at')).toBe('2023-07-20T12:17:15.000Z');
    expect(url.searchParams.get('fingerprint')).toBe('ab');
  });
});
