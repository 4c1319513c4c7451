import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countSamples, medianRun, runReplayFloor, writeSplitReplayConfig } from '../../bench/backtest-bench.js';
import { writeReplayFile } from '../../bench/pages.js';
import { loadConfig } from '../../src/config/load.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import { readReplayFile } from '../../src/source/replay-source.js';

describe('backtest bench inputs', () => {
  it('counts the samples of a gzipped fixture as the replay reader reads them', () => {
    const file = join(FIXTURES_DIR, 'scenarios', 'low-traffic-1rps.om.gz');
    expect(countSamples(file)).toBe(readReplayFile(file).snapshots.reduce((n, [, s]) => n + s.length, 0));
  });

  it('writes a valid config that splits the generated file by route', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-test-'));
    try {
      const file = join(dir, 'day.om');
      await writeReplayFile(file, 2, 3, 15_000);
      const config = loadConfig(writeSplitReplayConfig(dir, file));
      expect(config.signals[0]!.by).toEqual(['route']);
      expect(config.source).toMatchObject({ kind: 'replay', file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("measures the replay floor as a process that reads every sample of the file, and refuses one that read another count", () => {
    const file = join(FIXTURES_DIR, 'scenarios', 'low-traffic-1rps.om.gz');
    const floorScript = resolve(FIXTURES_DIR, '..', 'dist', 'bench', 'replay-floor.js');
    const samples = countSamples(file);
    const { floor, nodeStart } = runReplayFloor(floorScript, file, samples);
    expect(floor.samples).toBe(samples);
    expect(floor.cpuS).toBeGreaterThan(0);
    // The floor's own peak, read as it exits: more than Node's start-up alone, which holds no replay.
    expect(floor.peakRssBytes).toBeGreaterThan(nodeStart.peakRssBytes);
    expect(nodeStart.wallS).toBeGreaterThan(0);
    expect(() => runReplayFloor(floorScript, file, samples + 1)).toThrow(`replay-floor read ${samples} samples of ${file}, the file holds ${samples + 1}`);
  });

  it('takes the run of median wall time, whole (its CPU and transitions with it), and the range of the runs', () => {
    const walls = [3, 1, 2];
    let i = 0;
    const figures = medianRun(3, () => {
      const wallS = walls[i++]!;
      return { samples: 10, wallS, cpuS: wallS * 10, transitions: wallS, peakRssBytes: wallS << 20 };
    });
    expect(i).toBe(3);
    expect(figures).toEqual({ samples: 10, wallS: 2, cpuS: 20, transitions: 2, peakRssBytes: 2 << 20, wallRangeS: [1, 3] });
  });
});
