import { describe, expect, it } from 'vitest';
import { classifyFetchError, connectionHint, refusedCredentialsHint } from '../../src/core/errors.js';

describe('connection failures name the settings to look at', () => {
  it('says which TLS key a certificate code points at', () => {
    expect(connectionHint('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'source.prometheus', true)).toContain('give source.prometheus.tls.caFile the CA that signed it');
    expect(connectionHint('ERR_TLS_CERT_ALTNAME_INVALID', 'source.scrape', true)).toContain('source.scrape.tls.serverName');
    expect(connectionHint('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'source.scrape', true)).toContain('source.scrape.tls.certFile and tls.keyFile');
    // A closed connection hints at a client certificate over TLS only.
    expect(connectionHint('UND_ERR_SOCKET', 'source.scrape', true)).toContain('requires a client certificate');
    expect(connectionHint('UND_ERR_SOCKET', 'source.scrape', false)).toBe('');
    // A code that says enough, or no setting to name: nothing added.
    expect(connectionHint('ECONNREFUSED', 'source.scrape', true)).toBe('');
    expect(connectionHint('UNABLE_TO_VERIFY_LEAF_SIGNATURE', undefined, true)).toBe('');
  });

  it('adds the hint to a fetch failure of an https URL', () => {
    const error = Object.assign(new TypeError('fetch failed'), { cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } });
    expect(classifyFetchError(error, 'https://prom:9090/api/v1/query', 1000, 'source.prometheus').message).toBe(
      "https://prom:9090/api/v1/query: SELF_SIGNED_CERT_IN_CHAIN (the server's certificate is not signed by a CA trusted here: give source.prometheus.tls.caFile the CA that signed it)",
    );
  });

  it('says a 401 or 403 is about the credentials, naming where they are set', () => {
    expect(refusedCredentialsHint(401, 'source.prometheus')).toBe(' (the credentials were missing or refused: see source.prometheus.bearerToken, basicAuth, oauth2 or headers, or the user:password in its url)');
    expect(refusedCredentialsHint(403, 'source.scrape')).toContain('not allowed');
    expect(refusedCredentialsHint(500, 'source.scrape')).toBe('');
  });
});
