// A heap snapshot's bytes by what holds them: self sizes summed by node type and constructor name
// (objects), or by type alone (strings, code, arrays of a hidden class), largest first, per series.
// Run: node dist/bench/heap-summary.js FILE.heapsnapshot SERIES [ROWS]

import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: (string[] | string)[] } };
  nodes: number[];
  strings: string[];
}

const [file, seriesText, rowsText] = process.argv.slice(2);
const series = Number(seriesText ?? 1);
const snap = JSON.parse(readFileSync(file!, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0] as string[];
const stride = fields.length;
const typeAt = fields.indexOf('type');
const nameAt = fields.indexOf('name');
const sizeAt = fields.indexOf('self_size');
const totals = new Map<string, { bytes: number; count: number }>();
let all = 0;
for (let i = 0; i < snap.nodes.length; i += stride) {
  const type = types[snap.nodes[i + typeAt]!]!;
  const size = snap.nodes[i + sizeAt]!;
  const name = snap.strings[snap.nodes[i + nameAt]!]!;
  const key = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'array' ? `${type} ${name.slice(0, 60)}` : type;
  const t = totals.get(key) ?? { bytes: 0, count: 0 };
  t.bytes += size;
  t.count++;
  totals.set(key, t);
  all += size;
}
console.log(`total ${(all / 1e6).toFixed(1)} MB, ${(all / series).toFixed(0)} B per series`);
for (const [key, t] of [...totals].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(rowsText ?? 40))) {
  console.log(`${(t.bytes / series).toFixed(1).padStart(8)} B/series ${String(t.count).padStart(9)} nodes  ${key}`);
}
