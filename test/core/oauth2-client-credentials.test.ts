// OAuth 2.0 client credentials against a small token endpoint on loopback: the request as RFC 6749
// §4.4 has it, the token kept until shortly before it expires, Basic first and the body after.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientCredentialsTokens, EXPIRY_MARGIN_MS, OAuth2TokenError, type OAuth2Settings } from '../../src/core/oauth2-client-credentials.js';

interface TokenRequest {
  authorization: string | undefined;
  form: Record<string, string>;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A token endpoint answering each request with `answer(request, n)` (status and JSON body). */
async function tokenEndpoint(answer: (req: TokenRequest, n: number) => [number, unknown]): Promise<{ url: string; requests: TokenRequest[] }> {
  const requests: TokenRequest[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const r = { authorization: req.headers.authorization, form: Object.fromEntries(new URLSearchParams(body)) };
      requests.push(r);
      const [status, json] = answer(r, requests.length);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token?tenant=t1`, requests };
}

const settings = (tokenUrl: string, extra: Partial<OAuth2Settings> = {}): OAuth2Settings => ({
  clientId: 'stormwatch app',
  clientSecret: { value: 's3cr+t/with&marks' },
  tokenUrl,
  scopes: ['https://prometheus.monitor.azure.com/.default', 'read'],
  endpointParams: { audience: 'prom' },
  ...extra,
});

describe('ClientCredentialsTokens', () => {
  it('asks the token URL with Basic auth (id and secret form-escaped), the grant, scopes and extra parameters', async () => {
    const { url, requests } = await tokenEndpoint(() => [200, { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 }]);
    const tokens = new ClientCredentialsTokens(settings(url));
    expect(await tokens.get()).toBe('tok-1');
    expect(requests).toEqual([
      {
        authorization: `Basic ${Buffer.from('stormwatch%20app:s3cr%2Bt%2Fwith%26marks').toString('base64')}`,
        form: { grant_type: 'client_credentials', scope: 'https://prometheus.monitor.azure.com/.default read', audience: 'prom' },
      },
    ]);
  });

  it('keeps a token until shortly before it expires, one request however many wait, and a new one after', async () => {
    const { url, requests } = await tokenEndpoint((_, n) => [200, { access_token: `tok-${n}`, expires_in: 60 }]);
    let now = 1_000_000;
    const tokens = new ClientCredentialsTokens(settings(url), fetch, () => now);
    expect(await Promise.all([tokens.get(), tokens.get(), tokens.get()])).toEqual(['tok-1', 'tok-1', 'tok-1']);
    now += 60_000 - EXPIRY_MARGIN_MS - 1;
    expect(await tokens.get()).toBe('tok-1');
    now += 1;
    expect(await tokens.get()).toBe('tok-2');
    expect(requests).toHaveLength(2);
  });

  it('fetches a new token when the one it had was refused, not when another already replaced it', async () => {
    const { url, requests } = await tokenEndpoint((_, n) => [200, { access_token: `tok-${n}` }]);
    const tokens = new ClientCredentialsTokens(settings(url));
    expect(await tokens.get()).toBe('tok-1');
    tokens.invalidate('tok-1');
    expect(await tokens.get()).toBe('tok-2');
    tokens.invalidate('tok-1');
    expect(await tokens.get()).toBe('tok-2');
    expect(requests).toHaveLength(2);
  });

  it('sends id and secret in the body when Basic is refused, and keeps to what worked', async () => {
    const { url, requests } = await tokenEndpoint((r) => (r.authorization ? [401, { error: 'invalid_client' }] : [200, { access_token: 'tok-body', expires_in: 1 }]));
    const tokens = new ClientCredentialsTokens(settings(url));
    expect(await tokens.get()).toBe('tok-body');
    expect(requests[1]!.form).toMatchObject({ client_id: 'stormwatch app', client_secret: 's3cr+t/with&marks', grant_type: 'client_credentials' });
    await new Promise((r) => setTimeout(r, 5));
    // expires_in 1 s is within the margin: asked again, straight in the body.
    expect(await tokens.get()).toBe('tok-body');
    expect(requests.map((r) => r.authorization === undefined)).toEqual([false, true, true]);
  });

  it("says the token URL's refusal (RFC 6749 §5.2), without its query or the secret", async () => {
    const { url } = await tokenEndpoint(() => [400, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }]);
    const tokens = new ClientCredentialsTokens(settings(url));
    const error = await tokens.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuth2TokenError);
    expect((error as OAuth2TokenError).status).toBe(400);
    expect((error as Error).message).toBe(`OAuth2 token from ${url.split('?')[0]}: HTTP 400: invalid_client (AADSTS7000215: Invalid client secret provided.)`);
    expect((error as Error).message).not.toContain('s3cr');
  });

  it('refuses an answer without an access token, and says an unreachable token URL', async () => {
    const { url } = await tokenEndpoint(() => [200, { token_type: 'Bearer' }]);
    await expect(new ClientCredentialsTokens(settings(url)).get()).rejects.toThrow(/HTTP 200, no access_token in the answer/);
    server!.close();
    server = undefined;
    await expect(new ClientCredentialsTokens(settings(url)).get()).rejects.toThrow(/^OAuth2 token from http:\/\/127\.0\.0\.1:\d+\/oauth2\/token: /);
  });
});
