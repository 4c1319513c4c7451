// The bench's output: rows of (what, stormwatch, peer or target, ratio or note), printed as a table.

export interface BenchRow {
  what: string;
  stormwatch: string;
  peer: string;
  note: string;
}

/** A number with `digits` significant digits and thousands separators; n/a when not finite. */
export function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toLocaleString('en-US') : 'n/a';
}

/** The rows as an aligned plain-text table. */
export function renderTable(rows: readonly BenchRow[]): string {
  const header: BenchRow = { what: 'benchmark', stormwatch: 'stormwatch', peer: 'peer / target', note: 'ratio / note' };
  const all = [header, ...rows];
  const keys = ['what', 'stormwatch', 'peer', 'note'] as const;
  const widths = keys.map((k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: BenchRow) => keys.map((k, i) => r[k].padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
