// The UI history's file at its cap, as `stormwatch run` writes it every ten minutes and reads it at a
// start: RINGS rings of three hours at 15 s (the live budget's most at 15 s), every point distinct,
// written and read back ROUNDS times; CPU seconds of each, and the file's bytes. Asserts nothing but
// that every ring comes back.
//
//   node dist/bench/ui-history-save.js [RINGS] [ROUNDS]

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUiHistory, writeUiHistory } from '../src/runner/ui-history-file.js';
import { COLUMN_COUNT } from '../src/ui/chart-point.js';
import { HistoryStore } from '../src/ui/history-store.js';
import { SeriesRing } from '../src/ui/series-ring.js';
import { cpuSecondsSince } from './measure.js';

const rings = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 5);
const points = (3 * 3_600_000) / 15_000;
const options = { capacity: points, eagerSeries: rings, maxSeries: rings, zThreshold: 3, signals: [{ name: 'api', by: ['route'], labels: {} }] };
const store = new HistoryStore(options);
const point = new Float32Array(COLUMN_COUNT);
for (let s = 0; s < rings; s++) {
  const ring = new SeriesRing(points);
  for (let t = 0; t < points; t++) {
    for (let c = 0; c < COLUMN_COUNT; c++) point[c] = 100 + s + 0.37 * t + c;
    ring.push(1_700_000_000_000 + t * 15_000, point);
  }
  store.rings.set(`api{route="/r${s}"}`, ring);
}
const dir = mkdtempSync(join(tmpdir(), 'stormwatch-ui-history-'));
try {
  const file = join(dir, 'ui-history.bin');
  const writes: number[] = [];
  const reads: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const c0 = process.cpuUsage();
    writeUiHistory(file, store, 1_700_000_000_000);
    writes.push(cpuSecondsSince(c0));
    const back = new HistoryStore(options);
    const c1 = process.cpuUsage();
    readUiHistory(file, back, 0, () => true);
    reads.push(cpuSecondsSince(c1));
    if (back.rings.size !== rings) throw new Error(`${back.rings.size} rings read back of ${rings}`);
  }
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)} s`;
  console.log(`${rings} rings of ${points} points: file ${(statSync(file).size / 1e6).toFixed(1)} MB; write ${range(writes)}, read ${range(reads)} CPU (${rounds} of each)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
