// OAuth 2.0 client credentials (RFC 6749 §4.4), as Prometheus's own HTTP client config takes them
// (`oauth2`): a Prometheus behind an identity provider (Azure Monitor's managed Prometheus, a
// gateway that checks tokens) is read with an access token fetched from the token URL, kept until
// shortly before it expires and fetched again when the server refuses it.
//
// The client authenticates to the token URL as Go's x/oauth2 does by default: first with HTTP
// Basic (id and secret form-escaped, §2.3.1), then, when that is refused, with both in the body;
// the way that worked is kept.

import { untilAborted } from './until-aborted.js';
import type { Credential } from './http-auth.js';
import { currentCredential, noteNewCredentials } from './http-auth.js';
import { clip } from './clip.js';

export interface OAuth2Settings {
  clientId: string;
  clientSecret: Credential;
  tokenUrl: string;
  scopes: readonly string[];
  /** Extra form parameters of the token request (an `audience` or `resource`, say). */
  endpointParams: Readonly<Record<string, string>>;
}

/** A token is fetched again this long before it expires (Go's x/oauth2: 10 s). */
export const EXPIRY_MARGIN_MS = 10_000;

/** The form-escaped id:secret a Basic header to the token URL carries (base64). */
export function tokenEndpointBasic(clientId: string, clientSecret: string): string {
  return Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
}

/** The token could not be had: `status` is the token URL's refusal, undefined when it was not reached. */
export class OAuth2TokenError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'OAuth2TokenError';
  }
}

export class ClientCredentialsTokens {
  private token: { value: string; refreshAtMs: number } | undefined;
  private pending: Promise<string> | undefined;
  /** How the client authenticated at the token URL the last time it worked. */
  private style: 'header' | 'body' | undefined;

  constructor(
    readonly settings: OAuth2Settings,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = 10_000,
  ) {}

  /** An access token valid now: the kept one, or a new one (one request however many callers wait). */
  async get(): Promise<string> {
    if (this.token && this.now() < this.token.refreshAtMs) return this.token.value;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The server refused `value`: the next get fetches a new one (unless one already replaced it). */
  invalidate(value: string): void {
    if (this.token?.value === value) this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const secret = currentCredential(this.settings.clientSecret);
    const styles = this.style ? [this.style] : (['header', 'body'] as const);
    let refused: OAuth2TokenError | undefined;
    for (const style of styles) {
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      if (this.settings.scopes.length > 0) form.set('scope', this.settings.scopes.join(' '));
      for (const [k, v] of Object.entries(this.settings.endpointParams)) form.set(k, v);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (style === 'header') {
        const basic = tokenEndpointBasic(this.settings.clientId, secret);
        noteNewCredentials([basic]);
        headers.authorization = `Basic ${basic}`;
      } else {
        form.set('client_id', this.settings.clientId);
        form.set('client_secret', secret);
      }
      const startedMs = this.now();
      let response: Response;
      const deadline = AbortSignal.timeout(this.timeoutMs);
      try {
        response = await this.fetchFn(this.settings.tokenUrl, { method: 'POST', headers, body: form.toString(), signal: deadline });
      } catch (error) {
        throw new OAuth2TokenError(`OAuth2 token from ${this.where()}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
      }
      const text = await untilAborted(response.text(), deadline).catch(() => '');
      if (!response.ok) {
        refused = new OAuth2TokenError(`OAuth2 token from ${this.where()}: HTTP ${response.status}${describeTokenError(text)}`, response.status);
        // A client refused one way may be accepted the other (the first time only); a server error is not that.
        if (response.status >= 500) throw refused;
        continue;
      }
      const body = parseJson(text);
      const value = body?.access_token;
      if (typeof value !== 'string' || value === '') throw new OAuth2TokenError(`OAuth2 token from ${this.where()}: HTTP ${response.status}, no access_token in the answer`, response.status);
      const expiresIn = Number(body?.expires_in);
      noteNewCredentials([value]);
      this.style = style;
      this.token = { value, refreshAtMs: Number.isFinite(expiresIn) && expiresIn > 0 ? startedMs + Math.max(0, expiresIn * 1000 - EXPIRY_MARGIN_MS) : Number.POSITIVE_INFINITY };
      return value;
    }
    throw refused!;
  }

  /** The token URL as said in errors: without a query (it may carry parameters) or credentials. */
  private where(): string {
    const u = new URL(this.settings.tokenUrl);
    return `${u.origin}${u.pathname}`;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** ": invalid_client (description)" from an RFC 6749 §5.2 error answer, or a clipped body. */
function describeTokenError(text: string): string {
  const body = parseJson(text);
  if (typeof body?.error === 'string') return `: ${clip(body.error)}${typeof body.error_description === 'string' ? ` (${clip(body.error_description)})` : ''}`;
  return text.trim() === '' ? '' : `: ${JSON.stringify(clip(text.trim()))}`;
}
