// Resolves maintenance windows and inhibition rules: matchers parsed (each bad one at its path),
// times to milliseconds.

import type { InhibitRule } from '../decisions/inhibition.js';
import type { MaintenanceWindow } from '../decisions/maintenance-windows.js';
import { resolveMatchers } from './resolve-delivery.js';
import type { ResolveContext } from './resolve-context.js';

export function resolveMaintenanceWindows(ctx: ResolveContext): MaintenanceWindow[] {
  const names = new Set<string>();
  return ctx.raw.maintenanceWindows.map((w, i) => {
    if (names.has(w.name)) ctx.at(['maintenanceWindows', i, 'name'], `duplicate window name ${JSON.stringify(w.name)}`);
    names.add(w.name);
    const matchers = resolveMatchers(ctx, w.matchers, ['maintenanceWindows', i, 'matchers']);
    if (w.start !== undefined && w.end !== undefined) return { name: w.name, matchers, once: { startMs: Date.parse(w.start), endMs: Date.parse(w.end) } };
    const [hh, mm] = w.time!.split(':').map(Number) as [number, number];
    return { name: w.name, matchers, weekly: { weekdays: w.weekdays!, startMinute: hh * 60 + mm, durationMs: w.duration!, ...(w.timeZone !== undefined ? { timeZone: w.timeZone } : {}) } };
  });
}

export function resolveInhibitRules(ctx: ResolveContext): InhibitRule[] {
  return ctx.raw.inhibitRules.map((r, i) => ({
    sourceMatchers: resolveMatchers(ctx, r.sourceMatchers, ['inhibitRules', i, 'sourceMatchers']),
    targetMatchers: resolveMatchers(ctx, r.targetMatchers, ['inhibitRules', i, 'targetMatchers']),
    equal: r.equal,
  }));
}
