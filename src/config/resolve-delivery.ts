// Resolves where alerts go: sinks (secrets read, one target per Alertmanager URL), routes (their
// matchers parsed, Alertmanager route keys computed) and the durable outbox.

import { isAbsolute, join } from 'node:path';
import { type Matcher, parseMatcher } from '../decisions/matchers.js';
import { alertmanagerRouteKey } from '../decisions/route-key.js';
import type { DeliveryConfig, RouteConfig, SinkConfig } from './config-types.js';
import { type ResolveContext, type SecretValue, isHttpUrl } from './resolve-context.js';
import { type HttpClientConfig, resolveHttpClient } from './http-client.js';

/**
 * A sink's TLS, credentials and proxy (resolveHttpClient: files read now, a {file:} credential
 * again at each request); undefined when it has none. Its headers and URL stay the sink's own.
 */
function sinkClient(fields: { bearerToken?: SecretValue | undefined; basicAuth?: { username: string; password: SecretValue } | undefined; tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined; serverName?: string | undefined; insecureSkipVerify: boolean } | undefined; proxyUrl?: string | undefined }, path: PropertyKey[], ctx: ResolveContext): HttpClientConfig | undefined {
  if (fields.bearerToken === undefined && fields.basicAuth === undefined && fields.tls === undefined && fields.proxyUrl === undefined) return undefined;
  const http = { base: ctx.base, readSecret: ctx.readSecret, problem: ctx.at, ...(ctx.lint ? { skipFiles: true } : {}) };
  // The URL is the sink's (user:password@ in it is moved into Basic by the sink itself).
  return resolveHttpClient({ ...fields, headers: {}, url: 'http://sink.invalid/' }, path, http).client;
}

/** Alertmanager's v2 alerts endpoint under `base` (its path prefix kept, a query string after it). */
function alertsEndpoint(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  return url.toString();
}

export function resolveSinks(ctx: ResolveContext): SinkConfig[] {
  const { raw, at, readSecret, readHeaders } = ctx;
  const sinkNames = new Set<string>();
  const sinks: SinkConfig[] = [];
  raw.sinks.forEach((s, i) => {
    const kind = (['webhook', 'alertmanager', 'slack', 'faro'] as const).find((k) => s[k] !== undefined)!;
    const name = s.name ?? `${kind}-${i}`;
    if (sinkNames.has(name)) at(['sinks', i, 'name'], `duplicate sink name ${JSON.stringify(name)}`);
    sinkNames.add(name);
    const path = ['sinks', i, kind];
    const clientFields = s.webhook ?? s.alertmanager ?? s.faro;
    const http = clientFields ? sinkClient(clientFields, path, ctx) : undefined;
    const setting = `sinks[${i}].${kind}`;
    if (s.webhook) {
      sinks.push({
        name,
        kind,
        url: readSecret(s.webhook.url, [...path, 'url']),
        timeoutMs: s.webhook.timeout,
        headers: readHeaders(s.webhook.headers, [...path, 'headers']),
        ...(s.webhook.signingSecret !== undefined ? { signingSecret: readSecret(s.webhook.signingSecret, [...path, 'signingSecret']) } : {}),
        ...(s.webhook.publicUrl ? { publicUrl: true } : {}),
        ...(http ? { http } : {}),
        setting,
      });
    } else if (s.alertmanager) {
      const am = s.alertmanager;
      am.urls.forEach((u, j) => {
        sinks.push({ name: am.urls.length === 1 ? name : `${name}[${j}]`, kind, url: alertsEndpoint(u), timeoutMs: am.timeout, headers: readHeaders(am.headers, [...path, 'headers']), resendIntervalMs: am.resendInterval, ...(am.publicUrl ? { publicUrl: true } : {}), ...(http ? { http } : {}), setting });
      });
    } else if (s.slack) {
      sinks.push({ name, kind, url: readSecret(s.slack.url, [...path, 'url']), timeoutMs: s.slack.timeout, headers: {}, ...(s.slack.publicUrl ? { publicUrl: true } : {}), setting });
    } else if (s.faro) {
      sinks.push({ name, kind, url: readSecret(s.faro.url, [...path, 'url']), timeoutMs: s.faro.timeout, headers: readHeaders(s.faro.headers, [...path, 'headers']), app: s.faro.app, ...(s.faro.publicUrl ? { publicUrl: true } : {}), ...(http ? { http } : {}), setting });
    }
    const url = sinks.at(-1)?.url ?? '';
    if (url !== '' && !isHttpUrl(url)) {
      // The URL may be a secret (a Slack webhook): say where, never print it.
      at([...path, 'url'], 'expected an http:// or https:// URL');
    }
  });
  return sinks;
}

/** Parses a list of matcher strings, reporting each bad one at its own path. */
export function resolveMatchers(ctx: ResolveContext, texts: readonly string[], path: PropertyKey[]): Matcher[] {
  const matchers: Matcher[] = [];
  texts.forEach((text, j) => {
    try {
      matchers.push(parseMatcher(text));
    } catch (error) {
      ctx.at([...path, j], (error as Error).message);
    }
  });
  return matchers;
}

export function resolveRoutes(ctx: ResolveContext, sinks: readonly SinkConfig[]): RouteConfig[] {
  const { raw, at } = ctx;
  const sinkNames = new Set(sinks.map((s) => s.name.replace(/\[\d+\]$/, '')));
  return (raw.routes ?? [{ receiver: undefined, matchers: [], match: {}, groupBy: ['alertname', 'signal'], groupWait: 0, groupInterval: 60_000, repeatInterval: 4 * 3_600_000 }]).map((r, i) => {
    for (const n of r.sinks ?? []) if (!sinkNames.has(n)) at(['routes', i, 'sinks'], `unknown sink ${JSON.stringify(n)}; known: ${[...sinkNames].join(', ') || '(none)'}`);
    const wanted = r.sinks ?? [...sinkNames];
    const matchers = resolveMatchers(ctx, r.matchers ?? [], ['routes', i, 'matchers']);
    return {
      receiver: r.receiver ?? raw.alerting.receiver,
      key: raw.routes ? alertmanagerRouteKey(r.match, matchers) : alertmanagerRouteKey(undefined),
      ...(matchers.length > 0 ? { matchers } : {}),
      sinks: sinks.filter((s) => wanted.includes(s.name.replace(/\[\d+\]$/, ''))).map((s) => s.name),
      match: r.match,
      groupBy: r.groupBy,
      groupWaitMs: r.groupWait,
      groupIntervalMs: r.groupInterval,
      repeatIntervalMs: r.repeatInterval,
    };
  });
}

export function resolveDelivery(ctx: ResolveContext): DeliveryConfig {
  const d = ctx.raw.delivery;
  if (d.backoffBase > d.backoffCap) ctx.at(['delivery', 'backoffBase'], `expected at most backoffCap (${d.backoffCap / 1000}s): the first retry's wait, which the later ones double up to the cap`);
  return {
    outboxDir: isAbsolute(d.outboxDir) ? d.outboxDir : join(ctx.base, d.outboxDir),
    maxAgeMs: d.maxAge,
    concurrency: d.concurrency,
    backoff: { baseMs: d.backoffBase, capMs: d.backoffCap },
    stateSaveIntervalMs: d.stateSaveInterval,
  };
}
