// POSTs a notification body to an HTTP endpoint (a webhook, Alertmanager, Slack, a Faro receiver)
// and classifies the answer. Secret headers and the signature are added here, at send time, so
// they are never written to the outbox. Its failure details name the target's host only (the whole
// URL when the config marks it public): a URL's path and query often are the credential.

import { untilAborted } from '../core/until-aborted.js';
import { deadlineSignal } from '../core/deadline-signal.js';
import { describeTarget } from '../core/secrets.js';
import type { OutboxEntry } from './outbox.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';
import type { SendResult, Sink } from './sink.js';
import { parseRetryAfter } from '../core/retry-after.js';
import { blockedPortDetail, connectionHint, refusedCredentialsHint } from '../core/errors.js';

export interface HttpSinkOptions {
  name: string;
  url: string;
  timeoutMs: number;
  /** Headers for every request, secrets already resolved. */
  headers: Record<string, string>;
  /** HMAC-SHA256 signing secret: adds X-Stormwatch-Signature. */
  signingSecret?: string;
  /** The config marks the URL public: failures may show it (without credentials). Default: host only. */
  publicUrl?: boolean;
  fetch?: typeof fetch;
  now?: () => number;
  /** Where the sink is in the configuration (sinks[0].alertmanager): named in failure hints. */
  setting?: string;
}

/** fetch() refuses URLs with credentials: move user:password into a Basic Authorization header. */
export function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { url, headers: {} };
  const token = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64');
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), headers: { authorization: `Basic ${token}` } };
}

export class HttpSink implements Sink {
  readonly name: string;
  private readonly fetchFn: typeof fetch;
  private readonly target: { url: string; headers: Record<string, string> };
  /** What failures say about the target, decided once. */
  private readonly where: string;

  constructor(private readonly options: HttpSinkOptions) {
    this.name = options.name;
    this.fetchFn = options.fetch ?? fetch;
    this.target = splitCredentials(options.url);
    this.where = describeTarget(options.url, options.publicUrl === true);
  }

  async send(notification: OutboxEntry, signal?: AbortSignal): Promise<SendResult> {
    const where = this.where;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': notification.key, ...notification.headers, ...this.target.headers, ...this.options.headers };
    if (this.options.signingSecret !== undefined) {
      headers[SIGNATURE_HEADER] = signBody(this.options.signingSecret, notification.body, Math.floor((this.options.now ?? Date.now)() / 1000));
    }
    let response: Response;
    const deadline = deadlineSignal(this.options.timeoutMs, signal);
    try {
      response = await this.fetchFn(this.target.url, {
        method: 'POST',
        headers,
        body: notification.body,
        // Never followed: a sink's headers (API keys) and signature go to its configured URL only;
        // fetch strips Authorization on a cross-origin redirect, not the rest.
        redirect: 'manual',
        signal: deadline.signal,
      });
      await untilAborted(response.arrayBuffer(), deadline.signal);
    } catch (error) {
      const name = (error as Error).name;
      if (signal?.aborted) return { ok: false, reason: 'connection', retryable: true, detail: `${where}: let go at shutdown before an answer` };
      if (name === 'TimeoutError' || name === 'AbortError') {
        return { ok: false, reason: 'timeout', retryable: true, detail: `${where}: no answer within ${this.options.timeoutMs} ms` };
      }
      // The error code only: fetch's messages may quote the URL.
      const cause = (error as { cause?: { code?: string } }).cause;
      const hint = connectionHint(cause?.code, this.options.setting, this.target.url.startsWith('https:'));
      // A blocked port said as one, or the code: never fetch's message, which may quote the URL.
      const said = blockedPortDetail(error, this.target.url) ?? cause?.code ?? ((error as Error).name || 'connection failed');
      return { ok: false, reason: 'connection', retryable: true, detail: `${where}: ${said}${hint}` };
    } finally {
      deadline.done();
    }
    if (response.ok) return { ok: true };
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    if (status >= 300 && status < 400) {
      return { ok: false, reason: 'http_4xx', retryable: false, detail: `${where}: HTTP ${status}, a redirect: not followed (the sink's headers and signature go only to its configured URL); configure the URL it redirects to` };
    }
    const detail = `${where}: HTTP ${status}`;
    if (status === 429) return { ok: false, reason: 'http_429', retryable: true, detail, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    // 408 is the receiver's own timeout: worth another try, unlike other 4xx.
    if (status >= 500 || status === 408) return { ok: false, reason: 'http_5xx', retryable: true, detail, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    // Credentials refused: kept and tried again until maxAge. A secret read from a file is read
    // again at each attempt, and one rotated there (or mended by a reload) delivers what was
    // queued; given up at once, the notifications decided during a rotation were lost.
    if (status === 401 || status === 403) return { ok: false, reason: 'http_4xx', retryable: true, detail: `${detail}${refusedCredentialsHint(status, this.options.setting, 'bearerToken, basicAuth or headers')}; kept and tried again until maxAge` };
    return { ok: false, reason: 'http_4xx', retryable: false, detail: `${detail}${refusedCredentialsHint(status, this.options.setting, 'bearerToken, basicAuth or headers')}` };
  }
}
