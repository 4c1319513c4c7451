// POSTs a notification body to an HTTP webhook and classifies the answer.

import { redactUrl } from '../core/log.js';
import type { Notification, SendResult, Sink } from './sink.js';

export interface WebhookSinkOptions {
  name: string;
  url: string;
  timeoutMs: number;
  headers: Record<string, string>;
  fetch?: typeof fetch;
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
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

export class WebhookSink implements Sink {
  readonly name: string;
  private readonly fetchFn: typeof fetch;
  private readonly target: { url: string; headers: Record<string, string> };

  constructor(private readonly options: WebhookSinkOptions) {
    this.name = options.name;
    this.fetchFn = options.fetch ?? fetch;
    this.target = splitCredentials(options.url);
  }

  async send(notification: Notification): Promise<SendResult> {
    const where = redactUrl(this.options.url);
    let response: Response;
    try {
      response = await this.fetchFn(this.target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': notification.idempotencyKey, ...this.target.headers, ...this.options.headers },
        body: notification.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.arrayBuffer();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return { ok: false, reason: 'timeout', retryable: true, detail: `${where}: no answer within ${this.options.timeoutMs} ms` };
      }
      const cause = (error as { cause?: { code?: string } }).cause;
      return { ok: false, reason: 'connection', retryable: true, detail: redactUrl(`${where}: ${cause?.code ?? (error as Error).message}`) };
    }
    if (response.ok) return { ok: true };
    const status = response.status;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    const detail = `${where}: HTTP ${status}`;
    if (status === 429) return { ok: false, reason: 'http_429', retryable: true, detail, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    // 408 is the receiver's own timeout: worth another try, unlike other 4xx.
    if (status >= 500 || status === 408) return { ok: false, reason: 'http_5xx', retryable: true, detail, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    return { ok: false, reason: 'http_4xx', retryable: false, detail };
  }
}
