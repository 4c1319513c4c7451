// Writes simulated snapshots as OpenMetrics text with timestamps: one block per metric family (as
// OpenMetrics requires), samples in time order, `# EOF` last. promtool backfills it as it is.

import type { Snapshot } from './simulate.js';

export interface FamilyHelp {
  /** Sample name: a counter's with its _total suffix, a gauge's as it is. */
  sample: string;
  help: string;
  type?: 'counter' | 'gauge';
}

function labelText(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return names.length === 0 ? '' : `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}

export function toOpenMetrics(snapshots: readonly Snapshot[], families: readonly FamilyHelp[]): string {
  const out: string[] = [];
  for (const family of families) {
    const type = family.type ?? 'counter';
    const base = type === 'counter' ? family.sample.replace(/_total$/, '') : family.sample;
    out.push(`# HELP ${base} ${family.help}`, `# TYPE ${base} ${type}`);
    for (const snapshot of snapshots) {
      const seconds = snapshot.timeMs / 1000;
      for (const s of snapshot.samples) {
        if (s.name === family.sample) out.push(`${s.name}${labelText(s.labels)} ${s.value} ${seconds}`);
      }
    }
  }
  out.push('# EOF', '');
  return out.join('\n');
}

/** The same snapshot as plain text exposition (no timestamps), as a live /metrics page shows it. */
export function toTextExposition(snapshot: Snapshot, families: readonly FamilyHelp[]): string {
  const out: string[] = [];
  for (const family of families) {
    out.push(`# HELP ${family.sample} ${family.help}`, `# TYPE ${family.sample} ${family.type ?? 'counter'}`);
    for (const s of snapshot.samples) if (s.name === family.sample) out.push(`${s.name}${labelText(s.labels)} ${s.value}`);
  }
  out.push('');
  return out.join('\n');
}
