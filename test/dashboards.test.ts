// The Grafana dashboard in dashboards/: importable as is (a dashboard model, no unresolved inputs,
// every panel on the datasource variable) and every query names metrics stormwatch really exports.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/core/paths.js';
import { StormwatchMetrics } from '../src/telemetry/metrics.js';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { expr: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'dashboards', 'stormwatch.json'), 'utf8')) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; query: unknown }[] };
  annotations: { list: { expr?: string }[] };
  __inputs?: unknown;
};

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Every PromQL expression in the dashboard: panel targets, variables and annotations. */
function expressions(): string[] {
  const out = allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'object' && v.query !== null ? (v.query as { query: string }).query : undefined;
    if (q?.startsWith('label_values(')) out.push(q);
  }
  for (const a of dashboard.annotations.list) if (a.expr) out.push(a.expr);
  return out;
}

/** Metric names in PromQL: identifiers followed by a selector, a range or a closing call. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = withoutStrings.match(/\b(stormwatch|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return names;
}

describe('dashboards/stormwatch.json', () => {
  it('is a complete dashboard model that imports as is', () => {
    expect(dashboard).toMatchObject({ uid: 'stormwatch', title: 'stormwatch' });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toBeUndefined();
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'job', 'signal']));
    const ids = new Set<number>();
    for (const p of allPanels(dashboard.panels)) {
      expect(p.gridPos.w).toBeGreaterThan(0);
      if (p.type !== 'row') expect(p.datasource?.uid, p.title).toBe('${datasource}');
      ids.add((p as unknown as { id: number }).id);
    }
    expect(ids.size).toBe(allPanels(dashboard.panels).length);
  });

  it('queries only metrics stormwatch exports, and shows every stormwatch metric', async () => {
    const metrics = new StormwatchMetrics(true);
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set(expressions().flatMap(metricNames));
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      expect(exported.has(name) || exported.has(base), `${name} is not exported by stormwatch`).toBe(true);
    }
    const stormwatchOnes = [...exported].filter((n) => n.startsWith('stormwatch_'));
    const usedBases = new Set([...used].map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    expect(stormwatchOnes.filter((n) => !usedBases.has(n))).toEqual([]);
  });

  it('draws the band series: baseline and both band edges of each check', () => {
    const all = expressions().join('\n');
    for (const check of ['rate_spike', 'funnel_drop']) {
      for (const metric of ['stormwatch_signal_baseline', 'stormwatch_signal_band_low', 'stormwatch_signal_band_high']) expect(all).toContain(`${metric}{job=~"$job",signal=~"$signal",check="${check}"}`);
    }
  });

  it('every query parses as PromQL (promtool check rules, variables filled in)', () => {
    const filled = expressions()
      .filter((e) => !e.startsWith('label_values('))
      .map((e) => e.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*').replaceAll('$signal', '.*'));
    const rules = `groups:\n  - name: dashboard\n    rules:\n${filled.map((e, i) => `      - record: dashboard:query_${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`;
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-dashboard-')), 'rules.yml');
    writeFileSync(file, rules);
    expect(execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })).toContain(`SUCCESS: ${filled.length} rules found`);
  });
});
