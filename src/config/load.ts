// Loads and checks a configuration file: YAML -> schema -> presets, alert definitions, secrets and
// sections resolved (each by its own module). Every problem is reported at once as
// `path: problem (line N)`.

import { isAbsolute, join, dirname, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { DetectorParams } from '../detectors/evidence-detector.js';
import { loadBundledModels } from './bundled-models.js';
import type { SourceConfig, StormwatchConfig } from './config-types.js';
import { toDetectorParams } from './detector-params.js';
import { resolveHttpClient } from './http-client.js';
import { createResolveContext } from './resolve-context.js';
import { resolveDelivery, resolveRoutes, resolveSinks } from './resolve-delivery.js';
import { resolveDeploys, resolveProbes } from './resolve-deploys.js';
import { externalURLOf, resolveServer } from './resolve-server.js';
import { applySignalOverrides } from './resolve-overrides.js';
import { resolveInhibitRules, resolveMaintenanceWindows } from './resolve-muting.js';
import { resolveClientModels, resolveSignals } from './resolve-signals.js';
import { intervalToCron } from './schedule.js';
import { configJsonSchema } from './json-schema.js';
import { knownKeysAt } from './key-suggestions.js';
import { configSchema } from './schema.js';
import { issuesToProblems, readYaml } from './yaml-file.js';

export type * from './config-types.js';
export { formatPath, readYaml } from './yaml-file.js';
export { loadBundledClientModels, loadBundledModels, readClientModels } from './bundled-models.js';

export interface LoadOptions {
  /**
   * Check only what the file itself says (CI lint): secrets ({env:}, {file:}) and TLS files are
   * not read, so the check needs neither production environment nor secret files.
   */
  lint?: boolean;
}

/** Loads, validates and resolves a configuration file. Throws ConfigError listing every problem. */
export function loadConfig(file: string, options: LoadOptions = {}): StormwatchConfig {
  const { data, lineOf } = readYaml(file);
  // The issues carry what was given, so a type error can name its kind (never quoted: issuesToProblems).
  const parsed = configSchema.safeParse(data ?? {}, { reportInput: true });
  if (!parsed.success) {
    const schema = configJsonSchema();
    throw new ConfigError(file, issuesToProblems(parsed.error.issues, lineOf, (path) => knownKeysAt(schema, path)));
  }
  const raw = parsed.data;
  const problems: string[] = [];
  const warnings: string[] = [];
  const base = dirname(resolve(file));
  const ctx = createResolveContext(raw, base, lineOf, options.lint === true, problems, warnings);
  const { at } = ctx;

  const { presets, definitions } = loadBundledModels();
  const preset = presets[raw.detector.preset];
  if (!preset) at(['detector', 'preset'], `unknown preset ${JSON.stringify(raw.detector.preset)}; known: ${Object.keys(presets).join(', ')}`);

  const cron = intervalToCron(raw.interval);
  if (raw.interval < 1000 || raw.interval % 1000 !== 0) at(['interval'], `expected a whole number of seconds (at least 1s), got ${raw.interval} ms`);
  // A timer holds at most 24.8 days: past it Node fires at once, a tick loop without pause.
  else if (raw.interval > 86_400_000) at(['interval'], `expected at most 1d, got ${raw.interval / 3_600_000}h`);

  const resolvedSignals = resolveSignals(ctx, resolveClientModels(ctx));
  const sinks = resolveSinks(ctx);
  const routes = resolveRoutes(ctx, sinks);
  const deploys = resolveDeploys(ctx);
  const httpContext = { base, readSecret: ctx.readSecret, problem: at, ...(options.lint ? { skipFiles: true } : {}) };
  const probes = resolveProbes(ctx, httpContext);
  const delivery = resolveDelivery(ctx);
  const maintenanceWindows = resolveMaintenanceWindows(ctx);
  const inhibitRules = resolveInhibitRules(ctx);

  const promHttp = raw.source.prometheus ? resolveHttpClient(raw.source.prometheus, ['source', 'prometheus'], httpContext) : undefined;
  const scrapeHttp = raw.source.scrape ? resolveHttpClient(raw.source.scrape, ['source', 'scrape'], httpContext) : undefined;

  const server = resolveServer(ctx);
  const { preset: _presetName, ...overrides } = raw.detector;
  const detector: DetectorParams = { ...(preset ?? ({} as DetectorParams)), ...toDetectorParams(overrides) };
  const signals = applySignalOverrides(ctx, resolvedSignals, presets, detector);
  if (problems.length > 0 || !preset) throw new ConfigError(file, problems);

  let source: SourceConfig;
  if (raw.source.prometheus && promHttp) {
    const p = raw.source.prometheus;
    source = { kind: 'prometheus', url: promHttp.url.replace(/\/+$/, ''), timeoutMs: p.timeout, warmupMs: p.warmup, seasonalHistoryMs: p.seasonalHistory, http: promHttp.client, rateFunction: p.rateFunction, rateWindowMs: p.rateWindow, alignTicks: p.alignTicks };
  } else if (raw.source.scrape && scrapeHttp) {
    source = { kind: 'scrape', url: scrapeHttp.url, timeoutMs: raw.source.scrape.timeout, maxBytes: raw.source.scrape.maxBytes, http: scrapeHttp.client };
  } else {
    const f = raw.source.replay!.file;
    source = { kind: 'replay', file: isAbsolute(f) ? f : join(base, f) };
  }
  return {
    file,
    ...(warnings.length > 0 ? { warnings } : {}),
    intervalMs: raw.interval,
    ...(cron !== undefined ? { cron } : {}),
    source,
    ...server,
    detector,
    evidenceWeight: raw.source.prometheus?.rateFunction === 'rate' ? Math.min(1, raw.interval / raw.source.prometheus.rateWindow) : 1,
    alerting: { forMs: raw.alerting.for, classifyWithinMs: raw.alerting.classifyWithin, keepFiringForMs: raw.alerting.keepFiringFor, updateIntervalMs: raw.alerting.updateInterval, labels: raw.alerting.labels, ...externalURLOf(raw.alerting.externalURL, server), receiver: raw.alerting.receiver, muteRecurring: raw.alerting.muteRecurring },
    sinks,
    routes,
    delivery,
    ...(deploys ? { deploys } : {}),
    probes,
    maintenanceWindows,
    inhibitRules,
    signals,
    definitions,
  };
}
