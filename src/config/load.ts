// Loads and checks a configuration file: YAML -> schema -> presets and alert definitions resolved.
// Every problem is reported at once as `path: problem (line N)`.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parseAllDocuments, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { ALERTS_DIR, MODELS_DIR } from '../core/paths.js';
import type { Labels, SignalInput } from '../core/types.js';
import type { AlertDefinitions } from '../decisions/alert-decider.js';
import { type DefinitionKind, templateValuesFor } from '../decisions/alert-decider.js';
import { templateNames } from '../decisions/template.js';
import type { DetectorParams } from '../detectors/evidence-detector.js';
import { counterQuery } from '../source/counter-query.js';
import type { ClientModel } from '../detectors/retry-amplification.js';
import { type Selector, parseSelector } from '../source/selector.js';
import { alertDefinitions, clientModel, configSchema, detectorPresets } from './schema.js';
import { intervalToCron } from './schedule.js';
import { type HttpClientConfig, resolveHttpClient } from './http-client.js';
import { alertmanagerRouteKey } from '../decisions/route-key.js';
import { type Matcher, parseMatcher } from '../decisions/matchers.js';

export interface InputSpec {
  /** Set for counter selectors; scrape and replay sources need it. */
  selector?: Selector;
  /** The PromQL a Prometheus source runs for this input. */
  query: string;
}

export interface SignalConfig {
  name: string;
  labels: Labels;
  inputs: Partial<Record<SignalInput, InputSpec>>;
  /** The client retry models this signal's traffic is matched against. */
  clients: ClientModel[];
  /** Split into one series per value of these labels; empty: one series. */
  by: string[];
}

export type SourceConfig =
  | { kind: 'prometheus'; url: string; timeoutMs: number; warmupMs: number; http: HttpClientConfig; rateFunction?: 'irate' | 'rate'; rateWindowMs?: number }
  | { kind: 'scrape'; url: string; timeoutMs: number; maxBytes: number; http: HttpClientConfig }
  | { kind: 'replay'; file: string };

export type SinkKind = 'webhook' | 'alertmanager' | 'slack' | 'faro';

/** One delivery target. An Alertmanager sink with several URLs becomes one target per URL. */
export interface SinkConfig {
  name: string;
  kind: SinkKind;
  /** Where requests go; secrets resolved. */
  url: string;
  timeoutMs: number;
  headers: Record<string, string>;
  signingSecret?: string;
  /** Alertmanager: firing alerts are re-sent this often. */
  resendIntervalMs?: number;
  /** Faro: the app the events belong to. */
  app?: { name: string; environment?: string };
  /** The config marks the URL public: failures may show it. Otherwise logs name the host only. */
  publicUrl?: boolean;
}

export interface RouteConfig {
  /** The receiver named in webhook payloads (default alerting.receiver). */
  receiver?: string;
  /** The route's Alertmanager route key (for groupKey); default "{}", the root route. */
  key?: string;
  sinks: string[];
  match: Labels;
  /** Alertmanager-style matchers (=, !=, =~, !~), all of which must hold, besides `match`. */
  matchers?: Matcher[];
  groupBy: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface DeliveryConfig {
  outboxDir: string;
  maxAgeMs: number;
  concurrency: number;
  backoff: { baseMs: number; capMs: number };
}

export interface MarkerConfig {
  name: string;
  service: string;
  environment: string;
  label?: string;
  /** For scrape and replay sources. */
  selector?: Selector;
  /** For a Prometheus source: PromQL whose series mark deploys. */
  query: string;
}

export interface RollbackConfig {
  service: string;
  url: string;
  publicUrl?: boolean;
  timeoutMs: number;
  headers: Record<string, string>;
  body: string;
}

export interface DeploysConfig {
  windowMs: number;
  earlyAlpha: number;
  alpha: number;
  minPostSamples: number;
  apiToken?: string;
  publicReads: boolean;
  retentionMs: number;
  maxRecords: number;
  maxBodyBytes: number;
  markers: MarkerConfig[];
  rollback: RollbackConfig[];
  /** What gates do with an inconclusive verdict. */
  inconclusive: 'fail' | 'pass';
  /** Base URLs of the other HA replicas, which get every deploy this one learns. */
  peers: string[];
}

export interface ProbeConfig {
  name: string;
  service: string;
  url: string;
  intervalMs: number;
  timeoutMs: number;
  maxRedirects: number;
  expect: { status: number; bodyBytes?: number; sha256?: string };
  resolve: Record<string, string>;
  strictResolve: boolean;
}

export interface StormwatchConfig {
  file: string;
  intervalMs: number;
  cron: string;
  source: SourceConfig;
  /**
   * New evidence per tick, 0-1: below 1 when a Prometheus source reads rate() over a window longer
   * than the interval, so consecutive ticks share requests (irate reads the last two samples only).
   */
  evidenceWeight: number;
  listen?: string;
  detector: DetectorParams;
  alerting: { forMs: number; classifyWithinMs?: number; keepFiringForMs: number; updateIntervalMs?: number; labels: Labels; externalURL: string; receiver: string };
  sinks: SinkConfig[];
  routes: RouteConfig[];
  delivery: DeliveryConfig;
  deploys?: DeploysConfig;
  probes: ProbeConfig[];
  signals: SignalConfig[];
  definitions: AlertDefinitions;
}

function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** Formats a schema path as users write it: ['signals', 2, 'requests'] -> signals[2].requests. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Reads a YAML file into plain data, or throws ConfigError naming the line. */
export function readYaml(file: string): { data: unknown; lineOf: (path: readonly PropertyKey[]) => number | undefined } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`),
    );
  }
  const lineOf = (path: readonly PropertyKey[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { data: doc.toJS(), lineOf };
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[], lineOf?: (path: readonly PropertyKey[]) => number | undefined): string[] {
  return issues.map((issue) => {
    const line = lineOf?.(issue.path);
    return `${formatPath(issue.path)}: ${issue.message}${line === undefined ? '' : ` (line ${line})`}`;
  });
}

/** Maps preset or override keys (durations already in ms) to detector parameters; absent keys stay absent. */
function toDetectorParams(p: { baselineWindow?: number; baselineResolution?: number; relearnAfter?: number } & Omit<Partial<DetectorParams>, 'baselineWindowMs' | 'baselineResolutionMs' | 'relearnAfterMs'>): Partial<DetectorParams> {
  const { baselineWindow, baselineResolution, relearnAfter, ...rest } = p;
  const out: Partial<DetectorParams> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  if (baselineWindow !== undefined) out.baselineWindowMs = baselineWindow;
  if (baselineResolution !== undefined) out.baselineResolutionMs = baselineResolution;
  if (relearnAfter !== undefined) out.relearnAfterMs = relearnAfter;
  return out;
}

/** Reads client retry models from a YAML file holding one model per document. */
export function readClientModels(file: string): ClientModel[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  const docs = parseAllDocuments(text);
  const models: ClientModel[] = [];
  const problems: string[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length > 0) {
      problems.push(...doc.errors.map((e) => `document ${i + 1}: ${e.message.split('\n')[0]}`));
      return;
    }
    const parsed = clientModel.safeParse(doc.toJS());
    if (parsed.success) models.push(parsed.data);
    else problems.push(...issuesToProblems(parsed.error.issues).map((p) => `document ${i + 1}: ${p}`));
  });
  if (problems.length > 0) throw new ConfigError(file, problems);
  return models;
}

/** The client retry models that ship in models/clients/. */
export function loadBundledClientModels(): ClientModel[] {
  const dir = join(MODELS_DIR, 'clients');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => readClientModels(join(dir, f)));
}

/** Loads the detector presets and alert definitions that ship with stormwatch. */
export function loadBundledModels(): { presets: Record<string, Omit<DetectorParams, never>>; definitions: AlertDefinitions } {
  const presetsFile = join(MODELS_DIR, 'detector-presets.yaml');
  const presets = detectorPresets.safeParse(readYaml(presetsFile).data);
  if (!presets.success) throw new ConfigError(presetsFile, issuesToProblems(presets.error.issues));
  const definitionsFile = join(ALERTS_DIR, 'definitions.yaml');
  const definitions = alertDefinitions.safeParse(readYaml(definitionsFile).data);
  if (!definitions.success) throw new ConfigError(definitionsFile, issuesToProblems(definitions.error.issues));
  const problems: string[] = [];
  for (const [kind, def] of Object.entries(definitions.data)) {
    for (const field of ['summary', 'description'] as const) {
      for (const name of templateNames(def[field])) {
        if (!templateValuesFor(kind as DefinitionKind).includes(name)) problems.push(`${kind}.${field}: unknown template value {{${name}}}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(definitionsFile, problems);
  const resolved: Record<string, DetectorParams> = {};
  for (const [name, p] of Object.entries(presets.data)) resolved[name] = toDetectorParams(p) as DetectorParams;
  return { presets: resolved, definitions: definitions.data as AlertDefinitions };
}

/** Loads, validates and resolves a configuration file. Throws ConfigError listing every problem. */
export interface LoadOptions {
  /**
   * Check only what the file itself says (CI lint): secrets ({env:}, {file:}) and TLS files are
   * not read, so the check needs neither production environment nor secret files.
   */
  lint?: boolean;
}

export function loadConfig(file: string, options: LoadOptions = {}): StormwatchConfig {
  const { data, lineOf } = readYaml(file);
  const parsed = configSchema.safeParse(data ?? {});
  if (!parsed.success) throw new ConfigError(file, issuesToProblems(parsed.error.issues, lineOf));
  const raw = parsed.data;
  const problems: string[] = [];
  const at = (path: PropertyKey[], message: string) => {
    const line = lineOf(path);
    problems.push(`${formatPath(path)}: ${message}${line === undefined ? '' : ` (line ${line})`}`);
  };

  const { presets, definitions } = loadBundledModels();
  const preset = presets[raw.detector.preset];
  if (!preset) at(['detector', 'preset'], `unknown preset ${JSON.stringify(raw.detector.preset)}; known: ${Object.keys(presets).join(', ')}`);

  const cron = intervalToCron(raw.interval);
  if (cron === undefined) at(['interval'], `${raw.interval} ms cannot be scheduled evenly; use a whole number of seconds dividing 60s, or of minutes dividing 60m`);

  const kind = raw.source.prometheus ? 'prometheus' : raw.source.scrape ? 'scrape' : 'replay';
  const base = dirname(resolve(file));
  const models = loadBundledClientModels();
  for (const extra of raw.clientModels) {
    for (const model of readClientModels(isAbsolute(extra) ? extra : join(base, extra))) {
      const at = models.findIndex((m) => m.name === model.name);
      if (at >= 0) models[at] = model;
      else models.push(model);
    }
  }
  const names = new Set<string>();
  const signals: SignalConfig[] = raw.signals.map((s, i) => {
    if (names.has(s.name)) at(['signals', i, 'name'], `duplicate signal name ${JSON.stringify(s.name)}`);
    names.add(s.name);
    const inputs: SignalConfig['inputs'] = {};
    for (const input of ['requests', 'errors', 'downstream'] as const) {
      const spec = s[input];
      if (!spec) continue;
      if ('query' in spec) {
        if (kind !== 'prometheus') at(['signals', i, input], `a ${kind} source reads counters: give a selector, not a PromQL query`);
        inputs[input] = { query: spec.query as string };
      } else {
        const p = raw.source.prometheus;
        const query = p ? counterQuery(spec.selector.text, p.rateFunction, p.rateWindow, raw.interval, s.by ?? []) : spec.selector.text;
        inputs[input] = { selector: spec.selector, query };
      }
    }
    let clients = models;
    if (s.clients) {
      const unknownNames = s.clients.filter((n) => !models.some((m) => m.name === n));
      if (unknownNames.length > 0) at(['signals', i, 'clients'], `unknown client model(s) ${unknownNames.map((n) => JSON.stringify(n)).join(', ')}; known: ${models.map((m) => m.name).join(', ')}`);
      clients = models.filter((m) => s.clients!.includes(m.name));
    }
    return { name: s.name, labels: s.labels, inputs, clients, by: s.by ?? [] };
  });

  // Secrets are read here, once; a missing one is a configuration problem that names its place.
  const readSecret = (value: string | { env: string } | { file: string }, path: PropertyKey[]): string => {
    if (typeof value === 'string') return value;
    if (options.lint) return '';
    if ('env' in value) {
      const v = process.env[value.env];
      if (v === undefined || v === '') at(path, `environment variable ${value.env} is not set`);
      return v ?? '';
    }
    const secretFile = isAbsolute(value.file) ? value.file : join(base, value.file);
    try {
      return readFileSync(secretFile, 'utf8').trim();
    } catch (error) {
      at(path, `cannot read secret file ${value.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return '';
    }
  };
  const readHeaders = (h: Record<string, string | { env: string } | { file: string }>, path: PropertyKey[]) =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), readSecret(v, [...path, k])]));

  const sinkNames = new Set<string>();
  const sinks: SinkConfig[] = [];
  raw.sinks.forEach((s, i) => {
    const kind = (['webhook', 'alertmanager', 'slack', 'faro'] as const).find((k) => s[k] !== undefined)!;
    const name = s.name ?? `${kind}-${i}`;
    if (sinkNames.has(name)) at(['sinks', i, 'name'], `duplicate sink name ${JSON.stringify(name)}`);
    sinkNames.add(name);
    const path = ['sinks', i, kind];
    if (s.webhook) {
      sinks.push({
        name,
        kind,
        url: readSecret(s.webhook.url, [...path, 'url']),
        timeoutMs: s.webhook.timeout,
        headers: readHeaders(s.webhook.headers, [...path, 'headers']),
        ...(s.webhook.signingSecret !== undefined ? { signingSecret: readSecret(s.webhook.signingSecret, [...path, 'signingSecret']) } : {}),
        ...(s.webhook.publicUrl ? { publicUrl: true } : {}),
      });
    } else if (s.alertmanager) {
      const am = s.alertmanager;
      am.urls.forEach((u, j) => {
        sinks.push({ name: am.urls.length === 1 ? name : `${name}[${j}]`, kind, url: `${u.replace(/\/+$/, '')}/api/v2/alerts`, timeoutMs: am.timeout, headers: readHeaders(am.headers, [...path, 'headers']), resendIntervalMs: am.resendInterval, ...(am.publicUrl ? { publicUrl: true } : {}) });
      });
    } else if (s.slack) {
      sinks.push({ name, kind, url: readSecret(s.slack.url, [...path, 'url']), timeoutMs: s.slack.timeout, headers: {}, ...(s.slack.publicUrl ? { publicUrl: true } : {}) });
    } else if (s.faro) {
      sinks.push({ name, kind, url: readSecret(s.faro.url, [...path, 'url']), timeoutMs: s.faro.timeout, headers: readHeaders(s.faro.headers, [...path, 'headers']), app: s.faro.app, ...(s.faro.publicUrl ? { publicUrl: true } : {}) });
    }
    const url = sinks.at(-1)?.url ?? '';
    if (url !== '' && !isHttpUrl(url)) {
      // The URL may be a secret (a Slack webhook): say where, never print it.
      at([...path, 'url'], 'expected an http:// or https:// URL');
    }
  });
  const routes: RouteConfig[] = (raw.routes ?? [{ receiver: undefined, matchers: [], match: {}, groupBy: ['alertname', 'signal'], groupWait: 0, groupInterval: 60_000, repeatInterval: 4 * 3_600_000 }]).map((r, i) => {
    for (const n of r.sinks ?? []) if (!sinkNames.has(n)) at(['routes', i, 'sinks'], `unknown sink ${JSON.stringify(n)}; known: ${[...sinkNames].join(', ') || '(none)'}`);
    const wanted = r.sinks ?? [...sinkNames];
    const matchers: Matcher[] = [];
    (r.matchers ?? []).forEach((text, j) => {
      try {
        matchers.push(parseMatcher(text));
      } catch (error) {
        at(['routes', i, 'matchers', j], (error as Error).message);
      }
    });
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
  let deploys: DeploysConfig | undefined;
  if (raw.deploys) {
    const dp = raw.deploys;
    const markers: MarkerConfig[] = [];
    dp.markers.forEach((m, i) => {
      let selector: Selector | undefined;
      if (m.selector !== undefined) {
        try {
          selector = parseSelector(m.selector);
        } catch (error) {
          at(['deploys', 'markers', i, 'selector'], (error as Error).message);
        }
      } else if (kind !== 'prometheus') {
        at(['deploys', 'markers', i, 'query'], `a ${kind} source reads series: give a selector, not a PromQL query`);
      }
      markers.push({ name: m.name, service: m.service, environment: m.environment, ...(m.label !== undefined ? { label: m.label } : {}), ...(selector ? { selector } : {}), query: m.query ?? m.selector ?? '' });
    });
    const rollback = dp.rollback.map((r, i) => {
      const url = readSecret(r.url, ['deploys', 'rollback', i, 'url']);
      if (url !== '' && !isHttpUrl(url)) at(['deploys', 'rollback', i, 'url'], 'expected an http:// or https:// URL');
      return { service: r.service, url, timeoutMs: r.timeout, headers: readHeaders(r.headers, ['deploys', 'rollback', i, 'headers']), body: r.body, ...(r.publicUrl ? { publicUrl: true } : {}) };
    });
    if (dp.peers.length > 0 && dp.apiToken === undefined) at(['deploys', 'peers'], 'peers need deploys.apiToken: the replicas send deploys to each other with it');
    deploys = {
      windowMs: dp.window,
      earlyAlpha: dp.earlyAlpha,
      alpha: dp.alpha,
      minPostSamples: dp.minPostSamples,
      ...(dp.apiToken !== undefined ? { apiToken: readSecret(dp.apiToken, ['deploys', 'apiToken']) } : {}),
      publicReads: dp.publicReads,
      retentionMs: dp.retention,
      maxRecords: dp.maxRecords,
      maxBodyBytes: dp.maxBodyBytes,
      markers,
      rollback,
      inconclusive: dp.gates.inconclusive,
      peers: dp.peers.map((u) => u.replace(/\/+$/, '')),
    };
  }
  const probes: ProbeConfig[] = raw.probes.map((p) => ({
    name: p.name,
    service: p.service,
    url: p.url,
    intervalMs: p.interval,
    timeoutMs: p.timeout,
    maxRedirects: p.maxRedirects,
    expect: p.expect,
    resolve: p.resolve,
    strictResolve: p.strictResolve,
  }));
  const d = raw.delivery;
  const delivery: DeliveryConfig = {
    outboxDir: isAbsolute(d.outboxDir) ? d.outboxDir : join(base, d.outboxDir),
    maxAgeMs: d.maxAge,
    concurrency: d.concurrency,
    backoff: { baseMs: d.backoffBase, capMs: d.backoffCap },
  };

  const httpContext = { base, readSecret, problem: at, ...(options.lint ? { skipFiles: true } : {}) };
  const promHttp = raw.source.prometheus ? resolveHttpClient(raw.source.prometheus, ['source', 'prometheus'], httpContext) : undefined;
  const scrapeHttp = raw.source.scrape ? resolveHttpClient(raw.source.scrape, ['source', 'scrape'], httpContext) : undefined;

  if (problems.length > 0 || !preset || cron === undefined) throw new ConfigError(file, problems);

  let source: SourceConfig;
  if (raw.source.prometheus && promHttp) {
    const p = raw.source.prometheus;
    source = { kind: 'prometheus', url: promHttp.url.replace(/\/+$/, ''), timeoutMs: p.timeout, warmupMs: p.warmup, http: promHttp.client, rateFunction: p.rateFunction, rateWindowMs: p.rateWindow };
  } else if (raw.source.scrape && scrapeHttp) {
    source = { kind: 'scrape', url: scrapeHttp.url, timeoutMs: raw.source.scrape.timeout, maxBytes: raw.source.scrape.maxBytes, http: scrapeHttp.client };
  } else {
    const f = raw.source.replay!.file;
    source = { kind: 'replay', file: isAbsolute(f) ? f : join(base, f) };
  }
  const { preset: _presetName, ...overrides } = raw.detector;
  const detector: DetectorParams = { ...preset, ...toDetectorParams(overrides) };
  return {
    file,
    intervalMs: raw.interval,
    cron,
    source,
    ...(raw.server ? { listen: raw.server.listen } : {}),
    detector,
    evidenceWeight: raw.source.prometheus?.rateFunction === 'rate' ? Math.min(1, raw.interval / raw.source.prometheus.rateWindow) : 1,
    alerting: { forMs: raw.alerting.for, classifyWithinMs: raw.alerting.classifyWithin, keepFiringForMs: raw.alerting.keepFiringFor, updateIntervalMs: raw.alerting.updateInterval, labels: raw.alerting.labels, externalURL: raw.alerting.externalURL.replace(/\/+$/, ''), receiver: raw.alerting.receiver },
    sinks,
    routes,
    delivery,
    ...(deploys ? { deploys } : {}),
    probes,
    signals,
    definitions,
  };
}
