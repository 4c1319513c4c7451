// Fits a series' points to a chart's width: outside the windows to keep (around alerts and
// deploys) points are grouped into one bucket per pixel column, keeping each column's min and
// max, so a one-tick spike or drop still shows; inside them every point is kept. Pure.

import type { SeriesPoints } from './series-ring.js';

export interface Downsampled {
  /** One time (ms) per output point: the first point of its bucket. */
  times: number[];
  /** Per column, the lowest and highest value in each output point (equal at full resolution); NaN: no data. */
  min: number[][];
  max: number[][];
}

export interface DownsampleOptions {
  /** Buckets across [fromMs, toMs]; about the chart's width in pixels. */
  buckets: number;
  fromMs: number;
  toMs: number;
  /** [from, to] ms windows kept at full resolution. */
  keep?: readonly (readonly [number, number])[];
}

export function downsample(points: SeriesPoints, options: DownsampleOptions): Downsampled {
  const { times, columns } = points;
  const ncol = columns.length;
  const out: Downsampled = { times: [], min: columns.map(() => []), max: columns.map(() => []) };
  const width = Math.max(1, (options.toMs - options.fromMs) / Math.max(1, options.buckets));
  const keep = [...(options.keep ?? [])].sort((a, b) => a[0] - b[0]);
  let k = 0;
  let bucket = Number.NaN;
  let bucketTime = 0;
  const lo = new Array<number>(ncol).fill(Number.NaN);
  const hi = new Array<number>(ncol).fill(Number.NaN);
  const flush = () => {
    if (Number.isNaN(bucket)) return;
    out.times.push(bucketTime);
    for (let c = 0; c < ncol; c++) {
      out.min[c]!.push(lo[c]!);
      out.max[c]!.push(hi[c]!);
      lo[c] = Number.NaN;
      hi[c] = Number.NaN;
    }
    bucket = Number.NaN;
  };
  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    if (t < options.fromMs || t > options.toMs) continue;
    while (k < keep.length && keep[k]![1] < t) k++;
    const kept = k < keep.length && keep[k]![0] <= t;
    const b = kept ? Number.NaN : Math.floor((t - options.fromMs) / width);
    if (kept || b !== bucket) {
      flush();
      bucket = kept ? -1 : b;
      bucketTime = t;
    }
    for (let c = 0; c < ncol; c++) {
      const v = columns[c]![i]!;
      if (Number.isNaN(v)) continue;
      if (!(v >= lo[c]!)) lo[c] = v;
      if (!(v <= hi[c]!)) hi[c] = v;
    }
    if (kept) flush();
  }
  flush();
  return out;
}
