// Resolves the signals: inputs to selectors or PromQL, client retry models by name.

import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { ClientModel } from '../detectors/client-model.js';
import { counterQuery } from '../source/counter-query.js';
import { promqlSyntaxError } from './promql-syntax.js';
import { loadBundledClientModels, readClientModels } from './bundled-models.js';
import type { SignalConfig } from './config-types.js';
import type { ResolveContext } from './resolve-context.js';

/** The bundled client models with the config's own files added (a same-named model replaces one). */
export function resolveClientModels(ctx: ResolveContext): ClientModel[] {
  const models = loadBundledClientModels();
  for (const [i, extra] of ctx.raw.clientModels.entries()) {
    const file = isAbsolute(extra) ? extra : join(ctx.base, extra);
    let read: ClientModel[];
    try {
      read = readClientModels(file);
    } catch (error) {
      // Named at its key and line, beside every other problem, not as the whole load's failure.
      if (!(error instanceof ConfigError)) throw error;
      ctx.at(['clientModels', i], `${file}: ${error.problems.join('; ')}`);
      continue;
    }
    for (const model of read) {
      const at = models.findIndex((m) => m.name === model.name);
      if (at >= 0) models[at] = model;
      else models.push(model);
    }
  }
  return models;
}

export function resolveSignals(ctx: ResolveContext, models: ClientModel[]): SignalConfig[] {
  const { raw, kind, at } = ctx;
  const names = new Set<string>();
  return raw.signals.map((s, i) => {
    if (names.has(s.name)) at(['signals', i, 'name'], `duplicate signal name ${JSON.stringify(s.name)}`);
    names.add(s.name);
    const inputs: SignalConfig['inputs'] = {};
    for (const input of ['requests', 'errors', 'downstream'] as const) {
      const spec = s[input];
      if (!spec) continue;
      if ('query' in spec) {
        if (kind !== 'prometheus') at(['signals', i, input], `a ${kind} source reads counters: give a selector, not a PromQL query`);
        else {
          const syntax = promqlSyntaxError(spec.query as string);
          if (syntax) at(['signals', i, input, 'query'], syntax);
        }
        inputs[input] = { query: spec.query as string };
      } else {
        const p = raw.source.prometheus;
        const query = p ? counterQuery(spec.selector.text, p.rateFunction, p.rateWindow, raw.interval, s.by ?? []) : spec.selector.text;
        // Errors are judged on the requests' series (missedQuery's gate) when those are a selector too.
        const requests = s.requests && !('query' in s.requests) ? s.requests.selector : undefined;
        const gate = input === 'errors' ? (requests ?? spec.selector) : spec.selector;
        inputs[input] = p ? { selector: spec.selector, query, missed: { selector: spec.selector, gate, fn: p.rateFunction, windowMs: p.rateWindow, by: s.by ?? [] } } : { selector: spec.selector, query };
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
}
