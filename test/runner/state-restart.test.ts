// A restart from saved state is exact: a pipeline saved mid-bucket and mid-incident, loaded and
// restored, judges the rest of the day exactly as the one that never stopped.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/types.js';
import { Pipeline, type TickResult } from '../../src/pipeline.js';
import { toColumns } from '../../src/runner/state-columns.js';
import { loadState, saveState } from '../../src/runner/state-file.js';
import { ReplaySource, readReplayFile } from '../../src/source/replay-source.js';
import { replayConfig, scenarioFile } from '../helpers/scenarios.js';

/** What a tick decided, in a comparable form (NaN and all). */
const decided = (r: TickResult) => JSON.stringify({ t: r.timeMs, transitions: r.transitions, signals: [...r.signals] }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

describe('restart from saved state', () => {
  it.each([
    ['in the middle of a baseline bucket (a partial bucket saved)', '2023-07-20T12:10:15Z', false, 'binary'],
    ['three minutes into an incident, its alert firing', '2023-07-20T12:20:15Z', true, 'binary'],
    ['three minutes into an incident, in the JSON file of an older stormwatch (columns, tail records in nats)', '2023-07-20T12:20:15Z', true, 'older JSON'],
  ])('continues exactly as a pipeline that never stopped, saved %s', async (_what, at, firing, format) => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const data = readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect'));
    const frames: Frame[] = [];
    for await (const f of new ReplaySource(data, config.signals, config.deploys?.markers ?? []).history(-Infinity, Infinity)) frames.push(f);
    let cut = frames.findIndex((f) => f.timeMs === Date.parse(at));
    expect(cut).toBeGreaterThan(0);
    const steady = new Pipeline(config);
    for (const f of frames.slice(0, cut)) steady.step(f);
    // Before the incident, go on to the next tick that leaves a bucket half full (within a minute).
    for (let k = 0; !firing && k < 4 && !JSON.stringify(steady.snapshot(0).detectors).includes('"partial"'); k++) steady.step(frames[cut++]!);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-restart-'));
    try {
      const file = join(dir, 'state.json');
      const snapshot = steady.snapshot(frames[cut - 1]!.timeMs);
      if (!firing) expect(JSON.stringify(snapshot.detectors)).toContain('"partial"');
      if (format === 'binary') {
        // Saved as runner/live.ts saves: each series' state written as it is encoded.
        saveState(file, (section) => steady.snapshot(frames[cut - 1]!.timeMs, section));
      } else {
        // As the JSON saves before the binary file wrote it: base64 columns, tail records as values in nats.
        const older = JSON.parse(JSON.stringify(snapshot)) as typeof snapshot;
        for (const state of Object.values(older.detectors) as Record<string, { codes?: number[]; values?: number[] }>[]) {
          for (const tail of [state.tail!, state.driftTail!]) {
            tail.values = tail.codes!.map((q) => Math.expm1(q / 2048));
            delete tail.codes;
          }
        }
        writeFileSync(file, JSON.stringify({ ...older, detectors: toColumns(older.detectors), ramps: toColumns(older.ramps!) }));
      }
      const loaded = loadState(file);
      expect(loaded.quarantined).toEqual([]);
      // The columns load back to exactly what the snapshot gives through JSON.
      if (format === 'binary') expect(loaded.snapshot!.detectors).toEqual(JSON.parse(JSON.stringify(snapshot.detectors)));
      expect(loaded.snapshot!.ramps).toEqual(JSON.parse(JSON.stringify(snapshot.ramps)));
      expect(steady.firing().length > 0).toBe(firing);
      const restarted = new Pipeline(config);
      restarted.restore(loaded.snapshot!);
      expect(restarted.firing()).toEqual(steady.firing());
      for (const f of frames.slice(cut)) expect(decided(restarted.step(f))).toBe(decided(steady.step(f)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
