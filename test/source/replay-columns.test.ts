import { describe, expect, it } from 'vitest';
import { ReplayColumnsBuilder, columnsOfSnapshots, snapshotsOfColumns } from '../../src/source/replay-columns.js';

const a = Object.freeze({ route: '/a' });
const b = Object.freeze({ route: '/b' });

describe('ReplayColumnsBuilder', () => {
  it('numbers each series (name and label set) once, in order of first sight', () => {
    const builder = new ReplayColumnsBuilder();
    for (const t of [0, 15_000]) {
      builder.add('r_total', a, t, t + 1);
      builder.add('r_total', b, t, t + 2);
      builder.add('c_total', a, t, t + 3);
    }
    // The order changes at the third timestamp: the prediction misses, the numbers stay.
    builder.add('c_total', a, 30_000, 7);
    builder.add('r_total', a, 30_000, 8);
    const columns = builder.finish([]);
    expect(columns.series).toEqual([
      { name: 'r_total', labels: a },
      { name: 'r_total', labels: b },
      { name: 'c_total', labels: a },
    ]);
    expect([...columns.timesMs]).toEqual([0, 15_000, 30_000]);
    expect([...columns.starts]).toEqual([0, 3, 6, 8]);
    expect([...columns.seriesIds]).toEqual([0, 1, 2, 0, 1, 2, 2, 0]);
    expect([...columns.values]).toEqual([1, 2, 3, 15_001, 15_002, 15_003, 7, 8]);
  });

  it('keeps the columns it reserved when the estimate held, and grows past one that fell short, the samples the same', () => {
    const fill = (builder: ReplayColumnsBuilder, samples: number) => {
      for (let i = 0; i < samples; i++) builder.add('r_total', i % 2 === 0 ? a : b, Math.floor(i / 2) * 15_000, i);
      return builder.finish([]);
    };
    const plain = fill(new ReplayColumnsBuilder(), 5_000);
    // Reserved a little over what comes: the columns are the reserved arrays themselves (no trimmed copy).
    const held = new ReplayColumnsBuilder();
    held.reserve(5_100);
    const kept = fill(held, 5_000);
    expect(kept.values.buffer.byteLength).toBe(5_100 * 8);
    // Reserved far too little, and far too much: grown, or trimmed to size.
    const short = new ReplayColumnsBuilder();
    short.reserve(100);
    const over = new ReplayColumnsBuilder();
    over.reserve(50_000);
    const trimmed = fill(over, 5_000);
    expect(trimmed.values.buffer.byteLength).toBe(5_000 * 8);
    for (const columns of [kept, fill(short, 5_000), trimmed]) {
      expect(snapshotsOfColumns(columns)).toEqual(snapshotsOfColumns(plain));
      expect(columns.values.length).toBe(5_000);
      expect(columns.seriesIds.length).toBe(5_000);
    }
  });

  it('groups samples by timestamp in ascending time, keeping the order they came in within one', () => {
    // Family by family, as OpenMetrics writes them: every timestamp of one metric, then the next;
    // the first series begins later than the others.
    const builder = new ReplayColumnsBuilder();
    builder.add('r_total', a, 30_000, 3);
    builder.add('c_total', a, 0, 10);
    builder.add('c_total', a, 15_000, 20);
    builder.add('c_total', a, 30_000, 30);
    builder.add('r_total', b, 0, 100);
    const columns = builder.finish([{ line: 9, message: 'x' }]);
    expect(snapshotsOfColumns(columns)).toEqual([
      [0, [{ name: 'c_total', labels: a, value: 10 }, { name: 'r_total', labels: b, value: 100 }]],
      [15_000, [{ name: 'c_total', labels: a, value: 20 }]],
      [30_000, [{ name: 'r_total', labels: a, value: 3 }, { name: 'c_total', labels: a, value: 30 }]],
    ]);
    expect(columns.problems).toEqual([{ line: 9, message: 'x' }]);
  });

  it('groups a file written family by family whose families miss and repeat timestamps', () => {
    // Each family's timestamps in ascending order, as a file written family by family has them;
    // the second family misses 15 000 (the next timestamp is not the predicted one) and the third
    // adds 45 000 (a timestamp first seen after the others).
    const builder = new ReplayColumnsBuilder();
    for (const t of [0, 15_000, 30_000]) builder.add('r_total', a, t, t + 1);
    for (const t of [0, 30_000]) builder.add('c_total', a, t, t + 2);
    for (const t of [0, 15_000, 30_000, 45_000]) builder.add('r_total', b, t, t + 3);
    const columns = builder.finish([]);
    expect(snapshotsOfColumns(columns)).toEqual([
      [0, [{ name: 'r_total', labels: a, value: 1 }, { name: 'c_total', labels: a, value: 2 }, { name: 'r_total', labels: b, value: 3 }]],
      [15_000, [{ name: 'r_total', labels: a, value: 15_001 }, { name: 'r_total', labels: b, value: 15_003 }]],
      [30_000, [{ name: 'r_total', labels: a, value: 30_001 }, { name: 'c_total', labels: a, value: 30_002 }, { name: 'r_total', labels: b, value: 30_003 }]],
      [45_000, [{ name: 'r_total', labels: b, value: 45_003 }]],
    ]);
  });

  it('gives back snapshots of objects as they were, an empty snapshot and a repeated timestamp included', () => {
    const snapshots: [number, { name: string; labels: Record<string, string>; value: number }[]][] = [
      [0, [{ name: 'r_total', labels: {}, value: 1 }]],
      [15_000, []],
      [30_000, [{ name: 'r_total', labels: {}, value: 4 }, { name: 'r_total', labels: { pod: 'x' }, value: 2 }]],
      [30_000, [{ name: 'r_total', labels: {}, value: 5 }]],
    ];
    const columns = columnsOfSnapshots(snapshots, []);
    expect([...columns.starts]).toEqual([0, 1, 1, 3, 4]);
    // Equal label sets in different objects are one series.
    expect(columns.series).toEqual([{ name: 'r_total', labels: {} }, { name: 'r_total', labels: { pod: 'x' } }]);
    expect(snapshotsOfColumns(columns)).toEqual(snapshots);
  });
});
