// Resolves the deploy watcher's section (markers, rollback hooks, API token, peers) and smoke probes.

import { isAbsolute, join } from 'node:path';
import { type Selector, parseSelector } from '../core/selector.js';
import { promqlSyntaxError } from './promql-syntax.js';
import type { DeploysConfig, MarkerConfig, ProbeConfig } from './config-types.js';
import { type ResolveContext as HttpResolveContext, resolveHttpClient } from './http-client.js';
import { type ResolveContext, isHttpUrl } from './resolve-context.js';

export function resolveDeploys(ctx: ResolveContext): DeploysConfig | undefined {
  const { raw, kind, at, readSecret, readHeaders } = ctx;
  if (!raw.deploys) return undefined;
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
    } else {
      const syntax = promqlSyntaxError(m.query ?? '');
      if (syntax) at(['deploys', 'markers', i, 'query'], syntax);
    }
    markers.push({ name: m.name, service: m.service, environment: m.environment, ...(m.label !== undefined ? { label: m.label } : {}), ...(selector ? { selector } : {}), query: m.query ?? m.selector ?? '' });
  });
  const rollback = dp.rollback.map((r, i) => {
    const url = readSecret(r.url, ['deploys', 'rollback', i, 'url']);
    if (url !== '' && !isHttpUrl(url)) at(['deploys', 'rollback', i, 'url'], 'expected an http:// or https:// URL');
    return { service: r.service, url, timeoutMs: r.timeout, headers: readHeaders(r.headers, ['deploys', 'rollback', i, 'headers']), body: r.body, ...(r.publicUrl ? { publicUrl: true } : {}) };
  });
  if (dp.peers.length > 0 && dp.apiToken === undefined) at(['deploys', 'peers'], 'peers need deploys.apiToken: the replicas send deploys to each other with it');
  return {
    windowMs: dp.window,
    earlyAlpha: dp.earlyAlpha,
    alpha: dp.alpha,
    minPostSamples: dp.minPostSamples,
    ...(dp.apiToken !== undefined ? { apiToken: readSecret(dp.apiToken, ['deploys', 'apiToken']) } : {}),
    ...(typeof dp.apiToken === 'object' && 'file' in dp.apiToken ? { apiTokenFile: isAbsolute(dp.apiToken.file) ? dp.apiToken.file : join(ctx.base, dp.apiToken.file) } : {}),
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

export function resolveProbes(ctx: ResolveContext, http: HttpResolveContext): ProbeConfig[] {
  return ctx.raw.probes.map((p, i) => {
    // user:password@ in the URL becomes basic auth, as for the sources.
    const { url, client } = resolveHttpClient(p, ['probes', i], http);
    const plain = Object.keys(client.headers).length === 0 && !client.auth && !client.tls && !client.proxyUrl;
    return {
      name: p.name,
      service: p.service,
      ...(p.environment === undefined ? {} : { environment: p.environment }),
      url,
      intervalMs: p.interval,
      timeoutMs: p.timeout,
      maxRedirects: p.maxRedirects,
      expect: p.expect,
      resolve: p.resolve,
      strictResolve: p.strictResolve,
      ...(plain ? {} : { http: client }),
    };
  });
}
