// A check's evaluation as a detector hands it out, rewritten in place every tick. Its kind, status,
// reason and run are fields; its seven numbers live in the detector's doubles (a region of a shared
// slab, core/slab.ts). V8 holds a double kept in an object field as a number object of its own (16
// bytes beside the field's slot, reached through a pointer): four checks a series held 28 of them,
// about 0.45 KB a series at 100k series. Read through the Evaluation interface like any other.
//
// The numbers are the detector's: an evaluation is valid for as long as its detector is (the
// pipeline's reports are read before its next step, which is when a forgotten series' region can
// be handed to another detector).

import type { Evaluation, FindingKind } from '../core/types.js';

/** Doubles one evaluation takes in its detector's region. */
export const EVALUATION_DOUBLES = 7;
const SCORE = 0;
const OBSERVED = 1;
const BASELINE = 2;
const SIGMA = 3;
const EVIDENCE = 4;
const THRESHOLD = 5;
const LATE_SHARE = 6;

export class CheckEvaluation implements Evaluation {
  status: Evaluation['status'] = 'unknown';
  reason: string | undefined = undefined;
  run: Evaluation['run'] = undefined;

  /** Its numbers are `doubles[at … at + EVALUATION_DOUBLES)`, set to NaN (absent) here. */
  constructor(
    readonly kind: FindingKind,
    private doubles: Float64Array,
    private at: number,
  ) {
    doubles.fill(Number.NaN, at, at + EVALUATION_DOUBLES);
  }

  /** Moves its numbers into an array of its own: its detector's region is about to go to another series. */
  detach(): void {
    this.doubles = this.doubles.slice(this.at, this.at + EVALUATION_DOUBLES);
    this.at = 0;
  }

  get score(): number {
    return this.doubles[this.at + SCORE]!;
  }
  set score(v: number) {
    this.doubles[this.at + SCORE] = v;
  }
  get observed(): number {
    return this.doubles[this.at + OBSERVED]!;
  }
  set observed(v: number) {
    this.doubles[this.at + OBSERVED] = v;
  }
  get baseline(): number {
    return this.doubles[this.at + BASELINE]!;
  }
  set baseline(v: number) {
    this.doubles[this.at + BASELINE] = v;
  }
  get sigma(): number {
    return this.doubles[this.at + SIGMA]!;
  }
  set sigma(v: number) {
    this.doubles[this.at + SIGMA] = v;
  }
  get evidence(): number {
    return this.doubles[this.at + EVIDENCE]!;
  }
  set evidence(v: number) {
    this.doubles[this.at + EVIDENCE] = v;
  }
  get threshold(): number {
    return this.doubles[this.at + THRESHOLD]!;
  }
  set threshold(v: number) {
    this.doubles[this.at + THRESHOLD] = v;
  }
  get lateShare(): number {
    return this.doubles[this.at + LATE_SHARE]!;
  }
  set lateShare(v: number) {
    this.doubles[this.at + LATE_SHARE] = v;
  }

  /** The evaluation as a plain object (logs, JSON), without its storage. */
  toJSON(): Evaluation {
    return {
      kind: this.kind,
      status: this.status,
      score: this.score,
      observed: this.observed,
      baseline: this.baseline,
      sigma: this.sigma,
      reason: this.reason,
      evidence: this.evidence,
      threshold: this.threshold,
      run: this.run,
      lateShare: this.lateShare,
    };
  }
}
