// The data of a series page's charts: downsampled columns (min/max per pixel bucket, full
// resolution around alerts, deploys and the moment asked for), alert intervals, deploy markers and
// the explanation. The live UI serves it as JSON and the report inlines it. Pure.

import type { Labels } from '../core/types.js';
import type { DeployRecord, SignalEvidence } from '../deploys/types.js';
import { COL } from './chart-point.js';
import { type Downsampled, downsample } from './downsample.js';
import type { AlertInterval } from './history-store.js';
import type { SeriesPoints } from './series-ring.js';

/** Chart arrays by name; null is a gap. Times are unix seconds (what uPlot takes). */
export interface SeriesChartData {
  id: string;
  signal: string;
  labels: Labels;
  fromMs: number;
  toMs: number;
  atMs: number | null;
  fingerprint: string | null;
  points: number;
  t: number[];
  req: (number | null)[];
  reqMax: (number | null)[];
  base: (number | null)[];
  bandLo: (number | null)[];
  bandHi: (number | null)[];
  err: (number | null)[];
  errBase: (number | null)[];
  comp: (number | null)[];
  compBase: (number | null)[];
  amp: (number | null)[];
  /** The anomaly score, the highest of each bucket. */
  anomaly: (number | null)[];
  alerts: { alertname: string; severity: string; fingerprint: string; startsAtMs: number; firedAtMs: number; endsAtMs: number | null; summary: string; description: string; mutedBy: string[]; releasedAtMs: number | null }[];
  deploys: { id: string; service: string; version: string; startedAtMs: number; verdict: string; decidedAtMs: number | null; reasons: string[]; evidence: SignalEvidence[] }[];
  explanation: { atMs: number; text: string; current?: boolean; alertOpenAt?: number } | null;
}

export interface SeriesChartInput {
  id: string;
  signal: string;
  labels: Labels;
  points: SeriesPoints;
  alerts: readonly AlertInterval[];
  deploys: readonly DeployRecord[];
  explanation?: { atMs: number; text: string; current?: boolean; alertOpenAt?: number } | undefined;
  /** Chart width in buckets (pixels). */
  width: number;
  atMs?: number;
  fingerprint?: string;
  /** Full resolution this long either side of alerts and of the moment asked for. */
  detailMarginMs?: number;
  /** And this long after each deploy (its window). */
  deployWindowMs?: number;
}

/** Four significant digits: charts need no more, and the report stays small. */
function round(x: number): number | null {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : null;
}

export function seriesChartData(input: SeriesChartInput): SeriesChartData {
  const { points } = input;
  const fromMs = points.times.length > 0 ? points.times[0]! : Number.NaN;
  const toMs = points.times.length > 0 ? points.times[points.times.length - 1]! : Number.NaN;
  const margin = input.detailMarginMs ?? 15 * 60_000;
  const keep: [number, number][] = [];
  for (const a of input.alerts) keep.push([a.startsAtMs - margin, (a.endsAtMs ?? toMs) + margin]);
  for (const d of input.deploys) keep.push([d.startedAtMs - 5 * 60_000, d.startedAtMs + (input.deployWindowMs ?? 30 * 60_000)]);
  if (input.atMs !== undefined) keep.push([input.atMs - margin, input.atMs + margin]);
  const merged = mergeWindows(keep);
  const ds: Downsampled = points.times.length > 0 ? downsample(points, { buckets: input.width, fromMs, toMs, keep: merged }) : { times: [], min: [], max: [] };
  const col = (name: keyof typeof COL, pick: 'min' | 'max' | 'mid') => {
    const lo = ds.min[COL[name]] ?? [];
    const hi = ds.max[COL[name]] ?? [];
    return lo.map((l, i) => {
      const h = hi[i]!;
      if (pick === 'min') return round(l);
      if (pick === 'max') return round(h);
      return round((l + h) / 2);
    });
  };
  return {
    id: input.id,
    signal: input.signal,
    labels: input.labels,
    fromMs,
    toMs,
    atMs: input.atMs ?? null,
    fingerprint: input.fingerprint ?? null,
    points: points.times.length,
    t: ds.times.map((t) => t / 1000),
    req: col('requests', 'min'),
    reqMax: col('requests', 'max'),
    base: col('requestsBaseline', 'mid'),
    bandLo: col('bandLow', 'min'),
    bandHi: col('bandHigh', 'max'),
    err: col('errorRatio', 'max'),
    errBase: col('errorRatioBaseline', 'mid'),
    comp: col('completion', 'min'),
    compBase: col('completionBaseline', 'mid'),
    amp: col('amplification', 'max'),
    anomaly: col('anomaly', 'max'),
    alerts: input.alerts.map((a) => ({ alertname: a.alertname, severity: a.severity, fingerprint: a.fingerprint, startsAtMs: a.startsAtMs, firedAtMs: a.firedAtMs, endsAtMs: a.endsAtMs ?? null, summary: a.summary, description: a.description, mutedBy: a.mutedBy ?? [], releasedAtMs: a.releasedAtMs ?? null })),
    deploys: input.deploys.map((d) => ({ id: d.id, service: d.service, version: d.version, startedAtMs: d.startedAtMs, verdict: d.verdict, decidedAtMs: d.decidedAtMs ?? null, ...ofSeries(d, input.id) })),
    explanation: input.explanation ?? null,
  };
}

/**
 * A deploy's reasons and evidence as one series' chart shows them: its own and the deploy's
 * (probes, a verdict's summary), the other series' counted. A deploy of a service split 5,000
 * ways carries 5,000 series' evidence, and a report copied all of it into every chart (9 of its
 * 10.6 MB); the deploys table keeps the whole.
 */
function ofSeries(d: DeployRecord, id: string): { reasons: string[]; evidence: SignalEvidence[] } {
  const others = new Set<string>();
  const evidence: SignalEvidence[] = [];
  for (const e of d.evidence) {
    if (e.signal === '' || e.signal === id) evidence.push(e);
    else if (e.regressed) others.add(e.metric === 'incident' ? e.detail : `${e.signal}: ${e.detail}`);
  }
  if (others.size === 0) return { reasons: d.reasons, evidence };
  const reasons = d.reasons.filter((r) => !others.has(r));
  const left = d.reasons.length - reasons.length;
  if (left > 0) reasons.push(`and ${left} on other series`);
  return { reasons, evidence };
}

/** Sorted, overlapping windows joined. */
export function mergeWindows(windows: readonly (readonly [number, number])[]): [number, number][] {
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
