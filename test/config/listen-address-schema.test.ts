import { describe, expect, it } from 'vitest';
import { listenAddressField } from '../../src/config/listen-address-schema.js';
import { listenHostPort } from '../../src/core/listen-address.js';

const problemOf = (value: unknown) => listenAddressField.safeParse(value).error?.issues.map((issue) => issue.message);

describe('listenAddressField', () => {
  it('takes HOST:PORT addresses', () => {
    expect(listenAddressField.parse('0.0.0.0:9464')).toBe('0.0.0.0:9464');
    expect(listenAddressField.parse('[::1]:0')).toBe('[::1]:0');
  });

  it('takes :PORT, every interface, as Prometheus and its exporters write it', () => {
    expect(listenAddressField.parse(':9464')).toBe(':9464');
    expect(problemOf(':65536')).toEqual(['expected a port 0-65535 in an address like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got ":65536"']);
    expect(problemOf(':')).toHaveLength(1);
  });

  it('says what it got when given a number (an unquoted port)', () => {
    expect(problemOf(9464)).toEqual(['expected an address like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got the number 9464']);
  });

  it('says what it got for text of the wrong shape, and for a port out of range', () => {
    expect(problemOf('localhost')).toEqual(['expected an address like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got "localhost"']);
    expect(problemOf('127.0.0.1:99999')).toEqual(['expected a port 0-65535 in an address like "0.0.0.0:9464" (every interface) or "127.0.0.1:9464", got "127.0.0.1:99999"']);
  });
});

describe('listenHostPort', () => {
  it.each([
    ['127.0.0.1:9464', '127.0.0.1', 9464],
    ['[::1]:0', '::1', 0],
    ['localhost:80', 'localhost', 80],
    [':9464', undefined, 9464],
  ])('%s -> host %s, port %d', (listen, host, port) => {
    expect(listenHostPort(listen)).toEqual({ host, port });
  });
});
