import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { announceCredentialFileProblems, announceNewCredentials, authorizationHeader, basicCredentials } from '../../src/core/http-auth.js';
import { createLogger } from '../../src/core/log.js';
import { secretValuesOf } from '../../src/config/secret-values.js';
import { ClientCredentialsTokens, tokenEndpointBasic } from '../../src/core/oauth2-client-credentials.js';

describe('credentials a log must never show', () => {
  afterEach(() => announceNewCredentials(undefined));

  it('announces a token rotated into its file, once, so a logger blanks it as it blanks the configured one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-auth-')), 'token');
    writeFileSync(file, 'first-token-123\n');
    const lines: string[] = [];
    const logger = createLogger('debug', (l) => lines.push(l));
    announceNewCredentials((values) => logger.protect(values));
    const client = { auth: { kind: 'bearer' as const, token: { value: 'first-token-123', file } } };
    expect(authorizationHeader(client)).toBe('Bearer first-token-123');
    writeFileSync(file, 'ROTATED-token-456\n');
    expect(authorizationHeader(client)).toBe('Bearer ROTATED-token-456');
    // An upstream echoing the credential it refused, as one did into a log line.
    logger.log('warn', 'source read failed', { message: 'HTTP 401: credentials Bearer ROTATED-token-456 refused' });
    expect(lines.join('')).not.toContain('ROTATED-token-456');
  });

  it("blanks a basic pair's base64 form (the header an upstream may echo), configured or first sent", () => {
    const encoded = basicCredentials('promuser', 'BASICPASS_secret_55');
    expect(Buffer.from(encoded, 'base64').toString()).toBe('promuser:BASICPASS_secret_55');
    const auth = { kind: 'basic' as const, username: 'promuser', password: { value: 'BASICPASS_secret_55' } };
    const values = secretValuesOf({ sinks: [], source: { kind: 'prometheus', url: 'http://127.0.0.1:9090', http: { headers: {}, auth } } as never });
    expect(values).toContain(encoded);
    const announced: string[] = [];
    announceNewCredentials((v) => announced.push(...v));
    expect(authorizationHeader({ auth })).toBe(`Basic ${encoded}`);
    expect(authorizationHeader({ auth })).toBe(`Basic ${encoded}`);
    expect(announced).toEqual([encoded]);
  });

  it("blanks an OAuth2 client's secret (as sent, escaped and in Basic) and every access token it is given", async () => {
    const oauth2 = { clientId: 'app', clientSecret: { value: 'OAUTH_secret/77' }, tokenUrl: 'http://idp/token', scopes: [], endpointParams: {} };
    const values = secretValuesOf({ sinks: [], source: { kind: 'prometheus', url: 'http://127.0.0.1:9090', http: { headers: {}, oauth2 } } as never });
    expect(values).toEqual(expect.arrayContaining(['OAUTH_secret/77', 'OAUTH_secret%2F77', tokenEndpointBasic('app', 'OAUTH_secret/77')]));
    const announced: string[] = [];
    announceNewCredentials((v) => announced.push(...v));
    const idp = (async () => new Response(JSON.stringify({ access_token: 'ACCESS-token-abc' }))) as unknown as typeof fetch;
    await new ClientCredentialsTokens(oauth2, idp).get();
    expect(announced).toContain('ACCESS-token-abc');
  });
});

describe('credential files that go missing or empty', () => {
  afterEach(() => announceCredentialFileProblems(undefined));

  it('keeps sending the last token read, and says once that the file is gone or empty, and once that it is back', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-auth-')), 'token');
    writeFileSync(file, 'token-one-123\n');
    const said: [string, string | undefined][] = [];
    announceCredentialFileProblems((f, problem) => said.push([f, problem]));
    const client = { auth: { kind: 'bearer' as const, token: { value: 'token-one-123', file } } };
    expect(authorizationHeader(client)).toBe('Bearer token-one-123');
    rmSync(file);
    expect(authorizationHeader(client)).toBe('Bearer token-one-123');
    expect(authorizationHeader(client)).toBe('Bearer token-one-123');
    // Rotated by truncating first: an empty token is never sent.
    writeFileSync(file, '\n');
    expect(authorizationHeader(client)).toBe('Bearer token-one-123');
    writeFileSync(file, 'token-two-456\n');
    expect(authorizationHeader(client)).toBe('Bearer token-two-456');
    expect(authorizationHeader(client)).toBe('Bearer token-two-456');
    expect(said).toEqual([
      [file, 'cannot be read (ENOENT)'],
      [file, 'is empty'],
      [file, undefined],
    ]);
  });
});
