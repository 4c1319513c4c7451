import { describe, expect, it } from 'vitest';
import { serverBaseUrl } from '../../src/config/resolve-server.js';

describe('serverBaseUrl', () => {
  it.each([
    [{ listen: '127.0.0.1:9464' }, 'http://127.0.0.1:9464'],
    [{ listen: '0.0.0.0:9464', serverScheme: 'https' as const }, 'https://127.0.0.1:9464'],
    [{ listen: '[::]:9464', serverScheme: 'http' as const }, 'http://[::1]:9464'],
    [{}, undefined],
  ])('%j -> %s', (config, url) => {
    expect(serverBaseUrl(config)).toBe(url);
  });
});
