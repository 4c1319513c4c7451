// What the overview shows of every series at the latest tick (state, scores, kind, requests), kept
// as columns: about 30 bytes a series. Keeping the tick's reports themselves (each with its
// evaluations, assessment and sample objects) cost about 1.2 KB a series, and made every tick's
// reports survive into the old generation.

import type { SignalReport } from '../pipeline.js';

/** One series' overview fields. `failing` and `surge` as the assessment has them (undefined: not judged). */
export interface LatestRow {
  id: string;
  failing: boolean | undefined;
  surge: boolean | undefined;
  /** The incident kind the assessment names ('' when none). */
  kind: string;
  /** The check score farthest from zero (signed robust z); NaN when none judged. */
  score: number;
  /** How unusual the tick is, in [0, 1] (the anomaly score); NaN when no check could judge it. */
  anomaly: number;
  requests: number;
}

/** A tri-state as 0 (undefined), 1 (false), 2 (true). */
function code(b: boolean | undefined): number {
  return b === undefined ? 0 : b ? 2 : 1;
}

function decode(c: number): boolean | undefined {
  return c === 0 ? undefined : c === 2;
}

/** The check score farthest from zero; NaN when none judged. */
function scoreOf(report: SignalReport): number {
  let score = Number.NaN;
  for (const e of report.evaluations) if (Number.isFinite(e.score) && !(Math.abs(e.score) <= Math.abs(score))) score = e.score;
  return score;
}

export class LatestRows {
  /** Series ids in the tick's order (the pipeline's own strings). */
  private ids: string[] = [];
  private scores = new Float64Array(0);
  private anomalies = new Float32Array(0);
  private requests = new Float64Array(0);
  /** failing's code + 3 × surge's code. */
  private states = new Uint8Array(0);
  private kindIndex = new Uint16Array(0);
  /** Kinds seen, by index (a handful of names). */
  private readonly kinds: string[] = [''];
  private readonly kindOf = new Map<string, number>([['', 0]]);
  private lastKind = '';
  private lastKindCode = 0;

  /** Takes a tick's reports in place of the last tick's. */
  record(signals: ReadonlyMap<string, SignalReport>): void {
    const n = signals.size;
    if (this.scores.length < n || this.scores.length > 4 * n + 64) this.grow(n);
    // Written by index and cut to length after: emptying the array first gave its 100k slots back
    // and every tick grew them again.
    let i = 0;
    // forEach, not for-of: a for-of over a map makes an entry array per series (100k a tick at scale).
    signals.forEach((report, id) => {
      const a = report.assessment;
      this.ids[i] = id;
      this.scores[i] = scoreOf(report);
      this.anomalies[i] = report.anomalyScore ?? Number.NaN;
      this.requests[i] = report.sample.requests;
      this.states[i] = code(a.failing) + 3 * code(a.surge);
      this.kindIndex[i] = this.kindCode(a.kind ?? '');
      i++;
    });
    this.ids.length = i;
  }

  private grow(n: number): void {
    const capacity = Math.max(16, Math.ceil(n * 1.25));
    this.scores = new Float64Array(capacity);
    this.anomalies = new Float32Array(capacity);
    this.requests = new Float64Array(capacity);
    this.states = new Uint8Array(capacity);
    this.kindIndex = new Uint16Array(capacity);
  }

  private kindCode(kind: string): number {
    // Most series of a tick share one kind: the last one's code is asked first, no map lookup.
    if (kind === this.lastKind) return this.lastKindCode;
    let k = this.kindOf.get(kind);
    if (k === undefined) {
      // Kinds are a closed set of names; a bound keeps a malformed stream from growing this.
      if (this.kinds.length >= 0xffff) return 0;
      k = this.kinds.length;
      this.kinds.push(kind);
      this.kindOf.set(kind, k);
    }
    this.lastKind = kind;
    this.lastKindCode = k;
    return k;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Whether a series was in the latest tick (a scan: only page requests ask). */
  has(id: string): boolean {
    return this.ids.includes(id);
  }

  /** The series of the latest tick, in its order. */
  seriesIds(): readonly string[] {
    return this.ids;
  }

  /** Every series' row, in the tick's order. */
  *rows(): Generator<LatestRow> {
    for (let i = 0; i < this.ids.length; i++) {
      const s = this.states[i]!;
      yield { id: this.ids[i]!, failing: decode(s % 3), surge: decode(Math.floor(s / 3)), kind: this.kinds[this.kindIndex[i]!]!, score: this.scores[i]!, anomaly: this.anomalies[i]!, requests: this.requests[i]! };
    }
  }

  /** The rows of a tick's reports (tests, and callers holding reports). */
  static of(signals: ReadonlyMap<string, SignalReport>): LatestRows {
    const rows = new LatestRows();
    rows.record(signals);
    return rows;
  }
}
