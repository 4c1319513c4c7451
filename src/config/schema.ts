// The configuration schema: one place for every default and every validation rule.

import { z } from 'zod';
import { parseSelector } from '../core/selector.js';
import { gatesSection, peersSection } from './gates-schema.js';
import { checkHttpClient, checkSinkClientFields, httpClientFields, secretValue } from './http-client-schema.js';
import { muteSections } from './mute-schema.js';
import { durationField, timeoutField } from './duration-schema.js';
import { listenAddressField } from './listen-address-schema.js';
import { detectorOverrides, signalOverrideFields } from './signal-overrides-schema.js';

const duration = durationField;

const httpUrl = z.string({ error: 'expected a URL' }).refine((text) => {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}, { message: 'expected an http:// or https:// URL' });

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const labels = z.record(z.string().regex(labelName, { message: 'expected a label name like team or service_name' }), z.string({ error: 'expected a string label value' }));

/**
 * Labels a config gives alerts, less those stormwatch sets itself: one given was overwritten
 * without a word. A signal's alerts set alertname, severity and signal (a signal's `service` is
 * its own, and what deploys match); every alert's labels also meet deploy alerts' service and
 * version and probe alerts' probe.
 */
const labelsBesides = (own: readonly string[]) =>
  labels.superRefine((given, ctx) => {
    for (const key of Object.keys(given)) {
      if (own.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: `set by stormwatch on the alerts (${own.join(', ')}): a value here would be overwritten; use another name` });
    }
  });
const SIGNAL_ALERT_LABELS = ['alertname', 'severity', 'signal'];
const EVERY_ALERT_LABELS = [...SIGNAL_ALERT_LABELS, 'service', 'version', 'deploy_environment', 'probe'];

/** A signal input: a counter selector (every source), or a PromQL query (Prometheus source only). */
const signalInput = z.union(
  [
    z.string(),
    z.strictObject({ counter: z.string() }),
    z.strictObject({ query: z.string({ error: 'expected a PromQL string' }) }),
  ],
  { error: 'expected a counter selector string, {counter: SELECTOR} or {query: PROMQL}' },
).transform((input, ctx) => {
  const text = typeof input === 'string' ? input : 'counter' in input ? input.counter : undefined;
  if (text === undefined) return { query: (input as { query: string }).query };
  try {
    return { selector: parseSelector(text) };
  } catch (error) {
    // A function call before any label matcher (sum(rate(...))), not a parenthesis in a regex.
    const hint = text.split('{')[0]!.includes('(') ? '; for a PromQL expression write {query: ...} (Prometheus source only)' : '';
    ctx.addIssue({ code: 'custom', message: `${(error as Error).message}${hint}` });
    return z.NEVER;
  }
});

const signal = z.strictObject({
  name: z.string({ error: 'expected a signal name' }).regex(/^[a-zA-Z0-9_.-]+$/, { message: 'expected letters, digits, "_", "." or "-"' }),
  labels: labelsBesides(SIGNAL_ALERT_LABELS).default({}),
  requests: signalInput,
  errors: signalInput.optional(),
  downstream: signalInput.optional(),
  /** Client retry models (by name) this signal's clients may follow; default: all known models. */
  clients: z.array(z.string()).min(1).optional(),
  /** Split the signal into one series per value of these labels (every input must carry them). */
  by: z.array(z.string().regex(labelName, { message: 'expected a label name' })).min(1).optional(),
  /** Per-signal detector parameters, `for`, `keepFiringFor`, `classifyWithin` and annotations (signal-overrides-schema.ts). */
  ...signalOverrideFields,
});

const prometheusSource = z.strictObject({
  url: httpUrl,
  timeout: timeoutField.default(5000),
  /** History read with query_range at start-up so baselines are warm at once. */
  warmup: duration.default(3_600_000),
  /**
   * Further history read at start-up (at 5-minute steps, coarser past 10k series so the read
   * stays under 25M points; the request rate only) to learn each series' weekly profile, so the first tick already knows the time of day and the day of the
   * week. 0 turns it off.
   */
  seasonalHistory: duration.default(8 * 86_400_000),
  /** How counter selectors become PromQL: sum(<fn>(<selector>[<window>])). irate reacts fastest. */
  rateFunction: z.enum(['irate', 'rate']).default('irate'),
  rateWindow: duration.default(60_000),
  /**
   * Tick a moment after the watched targets' scrapes (learnt from their sample times at start-up
   * and hourly) rather than on the epoch's multiples of the interval, so each tick reads the newest
   * scrape as soon as it is stored: up to an interval sooner.
   */
  alignTicks: z.boolean().default(true),
  ...httpClientFields,
}).superRefine(checkHttpClient);

const scrapeSource = z.strictObject({
  url: httpUrl,
  timeout: timeoutField.default(5000),
  /** Larger pages are refused rather than read into memory. */
  maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
  ...httpClientFields,
}).superRefine(checkHttpClient);

const replaySource = z.strictObject({ file: z.string({ error: 'expected a file path' }) });

const source = z
  .strictObject({ prometheus: prometheusSource.optional(), scrape: scrapeSource.optional(), replay: replaySource.optional() })
  .superRefine((value, ctx) => {
    const given = Object.entries(value).filter(([, v]) => v !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'expected exactly one of prometheus, scrape, replay' });
  });

/** A secret: given inline (discouraged), or read from an environment variable or a file at start. */
const secret = z.union([z.string(), z.strictObject({ env: z.string() }), z.strictObject({ file: z.string() })], {
  error: 'expected a string, {env: VARIABLE} or {file: PATH}',
});
const headers = z.record(z.string().regex(/^[A-Za-z0-9-]+$/, { message: 'expected an HTTP header name' }), secret).default({});

/**
 * A receiver behind TLS of a private CA, client certificates or auth (an Alertmanager started with
 * --web.config.file): the sources' client options, but oauth2. Credentials sent at send time only.
 */
const sinkClientFields = {
  bearerToken: httpClientFields.bearerToken,
  basicAuth: httpClientFields.basicAuth,
  tls: httpClientFields.tls,
  proxyUrl: httpClientFields.proxyUrl,
};

const webhookSink = z.strictObject({
  url: secret,
  timeout: timeoutField.default(5000),
  headers,
  ...sinkClientFields,
  /** HMAC-SHA256 secret: each request carries X-Stormwatch-Signature over its timestamp and body. */
  signingSecret: secret.optional(),
  /** The URL carries no secret: failures may show it whole (credentials still removed). Default: host only. */
  publicUrl: z.boolean().default(false),
}).superRefine((v, ctx) => checkSinkClientFields(v, [v.url], ctx));

const alertmanagerSink = z.strictObject({
  /** Every URL (an HA cluster's members) gets every alert. */
  urls: z.array(httpUrl).min(1, { message: 'expected at least one Alertmanager URL' }),
  timeout: timeoutField.default(5000),
  /** Firing alerts are re-sent this often, well inside Alertmanager's resolve_timeout. */
  resendInterval: duration.default(60_000),
  headers,
  ...sinkClientFields,
  /** The URL carries no secret: failures may show it whole (credentials still removed). Default: host only. */
  publicUrl: z.boolean().default(false),
}).superRefine((v, ctx) => checkSinkClientFields(v, v.urls, ctx));

const slackSink = z.strictObject({ url: secret, timeout: timeoutField.default(5000), publicUrl: z.boolean().default(false) });

const faroSink = z.strictObject({
  url: secret,
  timeout: timeoutField.default(5000),
  headers,
  ...sinkClientFields,
  app: z.strictObject({ name: z.string().default('stormwatch'), environment: z.string().optional() }).default({ name: 'stormwatch' }),
  /** The URL carries no secret: failures may show it whole (credentials still removed). Default: host only. */
  publicUrl: z.boolean().default(false),
}).superRefine((v, ctx) => checkSinkClientFields(v, [v.url], ctx));

const sink = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, { message: 'expected letters, digits, "_", "." or "-"' }).optional(),
    webhook: webhookSink.optional(),
    alertmanager: alertmanagerSink.optional(),
    slack: slackSink.optional(),
    faro: faroSink.optional(),
  })
  .superRefine((value, ctx) => {
    const kinds = ['webhook', 'alertmanager', 'slack', 'faro'].filter((k) => value[k as keyof typeof value] !== undefined);
    if (kinds.length !== 1) ctx.addIssue({ code: 'custom', message: 'expected exactly one of webhook, alertmanager, slack, faro' });
  });

const route = z.strictObject({
  /** The receiver name in this route's webhook payloads (default alerting.receiver). */
  receiver: z.string().min(1).optional(),
  /** Sink names; default every sink. */
  sinks: z.array(z.string()).optional(),
  /** Label equality matchers; default every alert. */
  match: labels.default({}),
  /** Alertmanager-style matchers, all of which must hold: severity=~"critical|warning", team!="db". */
  matchers: z.array(z.string()).default([]),
  groupBy: z.array(z.string()).min(1).default(['alertname', 'signal']),
  groupWait: duration.default(0),
  groupInterval: duration.default(60_000),
  repeatInterval: duration.default(4 * 3_600_000),
});

const delivery = z.strictObject({
  /** Where the durable outbox lives (relative paths: from the config file). */
  outboxDir: z.string().default('.stormwatch'),
  /** Notifications still failing after this long are given up (counted and logged). */
  maxAge: duration.default(24 * 3_600_000),
  /** Requests in flight per sink. */
  concurrency: z.number().int().min(1).max(64).default(4),
  backoffBase: duration.default(500),
  backoffCap: duration.default(300_000),
  /**
   * How often the state is saved while nothing changes (each transition and deploy saves at once).
   * Longer for a large fleet: at 100k series a save writes about 200 MB and takes a second of CPU.
   */
  stateSaveInterval: duration.refine((ms) => ms >= 1000 && ms <= 3_600_000, { message: 'expected at least 1s and at most 1h' }).default(60_000),
});

const marker = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]+$/),
    service: z.string(),
    environment: z.string().default('production'),
    /** A series selector (every source) or PromQL (Prometheus source) whose series mark deploys. */
    selector: z.string().optional(),
    query: z.string().optional(),
    /** A new value of this label marks a deploy (build_info's `version`); without it, a change of the value does. */
    label: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    if ((m.selector === undefined) === (m.query === undefined)) ctx.addIssue({ code: 'custom', message: 'expected exactly one of selector, query' });
  });

const rollback = z.strictObject({
  service: z.string(),
  url: secret,
  timeout: timeoutField.default(5000),
  headers,
  /** The URL carries no secret: failures may show it whole (credentials still removed). Default: host only. */
  publicUrl: z.boolean().default(false),
  /** The request body; {{service}}, {{version}}, {{environment}}, {{deployId}}, {{reason}}, {{verdictURL}} are JSON-escaped. */
  body: z.string().default('{"service":"{{service}}","version":"{{version}}","environment":"{{environment}}","deploy":"{{deployId}}","reason":"{{reason}}","verdict":"{{verdictURL}}"}'),
});

export const deploysSection = z.strictObject({
  /** How long after a deploy its window is watched. */
  window: duration.default(30 * 60_000),
  earlyAlpha: z.number().gt(0).lt(1).default(0.001),
  alpha: z.number().gt(0).lt(1).default(0.01),
  minPostSamples: z.number().int().min(2).default(4),
  /** Bearer token for POST /api/v1/deploys; without it the endpoint refuses every deploy (403). */
  apiToken: secret.optional(),
  /** GET /api/v1/deploys[/{id}] without a token (verdicts carry no secret; a CI gate needs none). false: the token is required. */
  publicReads: z.boolean().default(true),
  /** Decided deploys are forgotten after this long... */
  retention: duration.default(7 * 86_400_000),
  /** ...and beyond this many records, oldest first. */
  maxRecords: z.number().int().min(10).max(100_000).default(1000),
  maxBodyBytes: z.number().int().min(256).max(1_048_576).default(16_384),
  markers: z.array(marker).default([]),
  rollback: z.array(rollback).default([]),
  gates: gatesSection,
  peers: peersSection,
});

const probe = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/),
  service: z.string(),
  /** The deploy environment the probed URL belongs to: its failure fails that environment's windows only (absent: every environment's). */
  environment: z.string().min(1).max(100).optional(),
  url: httpUrl,
  interval: duration.default(60_000),
  timeout: timeoutField.default(5000),
  maxRedirects: z.number().int().min(0).max(20).default(5),
  expect: z.strictObject({ status: z.number().int().default(200), bodyBytes: z.number().int().min(0).optional(), sha256: z.string().regex(/^[0-9a-f]{64}$/).optional() }).default({ status: 200 }),
  /** Pins host names to addresses, as curl --resolve does. */
  resolve: z.record(z.string(), z.string()).default({}),
  /** Answer names missing from `resolve` as not found without asking DNS (sandboxes, tests). */
  strictResolve: z.boolean().default(false),
  /** Headers, bearer token or basic auth and TLS (CA, client certificate): sent to the probe URL's origin only, not to redirects elsewhere. */
  headers: httpClientFields.headers,
  bearerToken: httpClientFields.bearerToken,
  basicAuth: httpClientFields.basicAuth,
  tls: httpClientFields.tls,
  /** An HTTP proxy every hop goes through (CONNECT for https://); user:password@ in it is sent to the proxy only. */
  proxyUrl: httpClientFields.proxyUrl,
}).superRefine(checkHttpClient);

export { detectorOverrides } from './signal-overrides-schema.js';

export const configSchema = z.strictObject({
  interval: duration.default(15_000),
  source,
  server: z
    .strictObject({
      listen: listenAddressField,
      /** HTTP basic auth for what the server shows (the UI, /metrics, /api/v1/alerts); health checks and the token-guarded APIs stay as they are. */
      basicAuth: z.strictObject({ username: z.string().min(1), password: secretValue }).optional(),
      /** Serve HTTPS with this certificate and key (PEM files; read again at a reload, so a renewed certificate is taken up). */
      tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
    })
    .optional(),
  detector: detectorOverrides.default({ preset: 'default' }),
  alerting: z
    .strictObject({
      for: duration.default(0),
      classifyWithin: duration.default(15_000),
      keepFiringFor: duration.default(60_000),
      /** A firing incident's refreshed reading (client, attempts) is sent at most this often. */
      updateInterval: duration.default(30_000),
      labels: labelsBesides(EVERY_ALERT_LABELS).default({}),
      /** Where people reach stormwatch: the base of alert links (generatorURL). Unset: server.listen's address. */
      externalURL: z.string().regex(/^https?:\/\/[^/\s?#]+[^\s]*$/, { message: 'expected an absolute http(s) URL, like https://stormwatch.example.com' }).optional(),
      receiver: z.string().default('stormwatch'),
      /** An OrganicSurge (info) that fired at the same time of day on 2 of the last 3 days is muted, not sent (a daily job). */
      muteRecurring: z.boolean().default(true),
    })
    .default({ for: 0, classifyWithin: 15_000, keepFiringFor: 60_000, updateInterval: 30_000, labels: {}, receiver: 'stormwatch', muteRecurring: true }),
  sinks: z.array(sink).default([]),
  routes: z.array(route).optional(),
  delivery: delivery.default({ outboxDir: '.stormwatch', maxAge: 24 * 3_600_000, concurrency: 4, backoffBase: 500, backoffCap: 300_000, stateSaveInterval: 60_000 }),
  /** Extra client retry model files (YAML, one model per document), added to the bundled ones. */
  clientModels: z.array(z.string()).default([]),
  deploys: deploysSection.optional(),
  probes: z.array(probe).default([]),
  /** Maintenance windows and inhibition rules (mute-schema.ts). */
  ...muteSections,
  signals: z.array(signal).min(1, { message: 'expected at least one signal' }),
});

export const clientModel = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]+$/),
  versions: z.string().optional(),
  maxRetries: z.number().int().min(0).max(100),
  delaysSeconds: z.array(z.strictObject({ min: z.number().min(0), max: z.number().min(0) })),
  retryOn: z.array(z.string()),
  retriesRequestOriginalUrl: z.boolean().default(true),
  abortsOnFirstExhausted: z.boolean().default(false),
  generic: z.boolean().default(false),
});

export type RawConfig = z.output<typeof configSchema>;

/** A preset file entry: every parameter present. */
export const detectorPreset = z.strictObject({
  baselineWindow: duration,
  baselineResolution: duration,
  minBaselinePoints: z.number().int().min(3),
  spikeFactor: z.number().gt(1),
  collapseFactor: z.number().gt(0).lt(1),
  minErrorRatioIncrease: z.number().gt(0).lt(1),
  funnelDropFraction: z.number().gt(0).lt(1),
  minRequestsPerTick: z.number().min(0),
  relearnAfter: duration,
  falseAlarmsPerYear: z.number().positive(),
});

export const detectorPresets = z.record(z.string(), detectorPreset);

const alertDefinition = z.strictObject({
  alertname: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  severity: z.enum(['info', 'warning', 'critical']),
  summary: z.string(),
  description: z.string(),
});

export const alertDefinitions = z.strictObject({
  retry_storm: alertDefinition,
  outage: alertDefinition,
  error_regression: alertDefinition,
  organic_surge: alertDefinition,
  deploy_regression: alertDefinition,
  smoke_probe_failed: alertDefinition,
});
