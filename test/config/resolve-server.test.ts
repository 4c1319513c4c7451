import { describe, expect, it } from 'vitest';
import { boundBaseUrl, serverBaseUrl } from '../../src/config/resolve-server.js';

describe('serverBaseUrl', () => {
  it.each([
    [{ listen: '127.0.0.1:9464' }, 'http://127.0.0.1:9464'],
    [{ listen: '0.0.0.0:9464', serverScheme: 'https' as const }, 'https://127.0.0.1:9464'],
    [{ listen: '[::]:9464', serverScheme: 'http' as const }, 'http://[::1]:9464'],
    [{ listen: ':9464' }, 'http://127.0.0.1:9464'],
    [{}, undefined],
  ])('%j -> %s', (config, url) => {
    expect(serverBaseUrl(config)).toBe(url);
  });
});

describe('boundBaseUrl', () => {
  it.each([
    [{ listen: '127.0.0.1:0' }, 'http://127.0.0.1:41234'],
    [{ listen: '0.0.0.0:0', serverScheme: 'https' as const }, 'https://127.0.0.1:41234'],
    [{ listen: ':0' }, 'http://127.0.0.1:41234'],
    [{ listen: '[::]:0' }, 'http://[::1]:41234'],
    // A port that was given is the port: nothing to follow.
    [{ listen: '127.0.0.1:9464' }, undefined],
    [{ listen: '127.0.0.1:10' }, undefined],
  ])('%j bound to 41234 -> %s', (config, url) => {
    expect(boundBaseUrl(config, 41234)).toBe(url);
  });
});
