import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { editDistance, knownKeysAt, suggestKey } from '../../src/config/key-suggestions.js';

describe('key suggestions', () => {
  it.each([
    ['a swap is one edit', 'lables', 'labels', 1],
    ['a missing letter', 'timout', 'timeout', 1],
    ['an extra letter', 'intervall', 'interval', 1],
    ['unrelated: 3 substitutions and 4 insertions', 'foo', 'signals', 7],
  ])('editDistance: %s', (_, a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it('finds the keys allowed at a path through arrays and unions', () => {
    const schema = configJsonSchema();
    expect(knownKeysAt(schema, ['source', 'prometheus'])).toContain('rateWindow');
    expect(knownKeysAt(schema, ['signals', 0])).toEqual(expect.arrayContaining(['name', 'labels', 'requests', 'by', 'detector', 'alerting']));
    // sinks[i] is one object of four optional kinds.
    expect(knownKeysAt(schema, ['sinks', 3, 'webhook'])).toContain('signingSecret');
  });

  it('suggests only near keys', () => {
    const known = ['interval', 'source', 'signals', 'sinks'];
    expect(suggestKey('intervall', known)).toBe('interval');
    expect(suggestKey('Signal', known)).toBe('signals');
    expect(suggestKey('xyz', known)).toBeUndefined();
    // One edit in a two-letter word is half of it: too short to guess.
    expect(suggestKey('ab', ['a', 'ab2'])).toBeUndefined();
  });

  it("names stormwatch's key for one of Prometheus's own HTTP client keys", () => {
    const source = ['url', 'headers', 'bearerToken', 'basicAuth', 'oauth2', 'tls', 'proxyUrl'];
    expect(suggestKey('tls_config', source)).toBe('tls');
    expect(suggestKey('proxy_url', source)).toBe('proxyUrl');
    expect(suggestKey('bearer_token_file', source)).toBe('bearerToken');
    expect(suggestKey('authorization', source)).toBe('bearerToken');
    expect(suggestKey('insecure_skip_verify', ['caFile', 'insecureSkipVerify'])).toBe('insecureSkipVerify');
    expect(suggestKey('client_secret_file', ['clientId', 'clientSecret', 'tokenUrl'])).toBe('clientSecret');
    // Only where the key it names is known there.
    expect(suggestKey('tls_config', ['url', 'timeout'])).toBeUndefined();
  });
});
