// A series the pipeline watches (a signal, or one series of a split signal): what it is, its
// detector and ramp recorder, and its report of the last tick, rewritten in place each tick.
//
// One object a series: an identity object, a report object and a sample object beside it (the
// sample's three rates boxed numbers of their own), and the score and the data time last seen as
// fields (boxed too) cost every series about 230 bytes of heap (mem-breakdown at 20k series, less
// the 32 bytes of buffer the rates and that time take now). The record is its own
// identity (what the decider reads), report and sample; the rates and the data time last seen
// live in 32 bytes of the pipeline's shared slabs (core/slab.ts), and 32 more hold where a
// collapse would be measured from.

import { type SlabPool, allocateRegion, releaseDoubles, slabViews } from './core/slab.js';
import type { Evaluation, Labels, SignalSample } from './core/types.js';
import type { SignalConfig } from './config/load.js';
import type { SignalIdentity } from './decisions/alert-decider.js';
import type { HoldParams } from './decisions/alert-state.js';
import type { Assessment } from './decisions/assess.js';
import { SeriesAssessment } from './decisions/series-assessment.js';
import type { EvidenceDetector } from './detectors/evidence-detector.js';
import type { RampRecorder } from './detectors/ramp-fit.js';
import type { SeriesIndex } from './series/frame-samples.js';

export interface SignalReport {
  sample: SignalSample;
  evaluations: Evaluation[];
  assessment: Assessment;
  /** How unusual this tick is, in [0, 1] (detectors/stats/anomaly-score.ts); NaN while no check can judge. */
  anomalyScore?: number;
}

/**
 * The region's doubles: the tick's three rates, the data time the series was last present, and
 * where a collapse is measured from (decisions/moved-traffic.ts): the last tick with no evidence of
 * one and the last at or above what was expected of the series, each with its request rate.
 */
const REQUESTS = 0;
const ERRORS = 1;
const DOWNSTREAM = 2;
const LAST_SEEN = 3;
const MARKS = 4;
const REGION_DOUBLES = 8;

/**
 * The ticks a split series' collapse is measured from (decisions/moved-traffic.ts): its last with
 * no evidence of a collapse (QUIET_MARK), and its last at or above what was expected of it (LEVEL_MARK).
 */
export type CollapseMark = typeof QUIET_MARK | typeof LEVEL_MARK;
export const QUIET_MARK = 0;
export const LEVEL_MARK = 1;

export class WatchedSignal implements SignalIdentity, SignalReport, SignalSample {
  /**
   * The series' slot in the frames' columns (-1: not in them) and the index it was found in: frames
   * share an index while no series comes or goes, so the slot is looked up by id once, not per tick.
   */
  slot = -1;
  slotIndex: SeriesIndex | undefined = undefined;
  evaluations: Evaluation[] = [];
  readonly assessment: SeriesAssessment;
  /** The whole slab's Float64 view, and where the series' four doubles start in it (after release: an array of its own). */
  private doubles: Float64Array;
  private at: number;

  constructor(
    /** The series id: the signal's name, or name{labels} for a series of a split signal. */
    readonly id: string,
    /** The signal's labels and the series' group labels (the source's own object where the signal adds none). */
    public labels: Labels,
    /** Its signal's config: its name, overrides and client models, and whether it is split. */
    readonly signal: SignalConfig,
    /** The signal's own `for` / `keepFiringFor` (one object for all its series), when it overrides the config-wide ones. */
    readonly hold: HoldParams | undefined,
    readonly detector: EvidenceDetector,
    /** The multipliers before and since a failure's onset, for fitting client retry ramps. */
    readonly ramp: RampRecorder,
    regions: SlabPool,
  ) {
    const region = allocateRegion(REGION_DOUBLES * Float64Array.BYTES_PER_ELEMENT, regions);
    this.doubles = slabViews(region.buffer).f64;
    this.at = region.byteOffset / Float64Array.BYTES_PER_ELEMENT;
    this.doubles.fill(Number.NaN, this.at, this.at + REGION_DOUBLES);
    this.assessment = new SeriesAssessment(this);
  }

  /**
   * Gives its regions back to `regions` (the pool they came from), its detector's and ramp
   * recorder's too: the series is forgotten. Its last sample moves to an array of its own, as its
   * detector's evaluations do (a report read late reads its own numbers, not those of the series
   * the region goes to next).
   */
  release(regions: SlabPool): void {
    this.detector.release();
    this.ramp.release(regions);
    this.doubles = releaseDoubles(regions, this.doubles, this.at, REGION_DOUBLES);
    this.at = 0;
  }

  /** The tick's sample: the record itself (its rates are read and written in place). NaN: not known at this tick. */
  get sample(): SignalSample {
    return this;
  }
  get requests(): number {
    return this.doubles[this.at + REQUESTS]!;
  }
  set requests(v: number) {
    this.doubles[this.at + REQUESTS] = v;
  }
  get errors(): number {
    return this.doubles[this.at + ERRORS]!;
  }
  set errors(v: number) {
    this.doubles[this.at + ERRORS] = v;
  }
  get downstream(): number {
    return this.doubles[this.at + DOWNSTREAM]!;
  }
  set downstream(v: number) {
    this.doubles[this.at + DOWNSTREAM] = v;
  }
  /** Series of split signals: data time last present in a frame (forgotten when long absent); NaN: never yet. */
  get lastSeenMs(): number {
    return this.doubles[this.at + LAST_SEEN]!;
  }
  set lastSeenMs(v: number) {
    this.doubles[this.at + LAST_SEEN] = v;
  }

  /** Series of split signals: the data time of a tick a collapse would be measured from (NaN: none yet; see CollapseMark). */
  markedAtMs(mark: CollapseMark): number {
    return this.doubles[this.at + MARKS + 2 * mark]!;
  }
  /** That tick's request rate. */
  markedRequests(mark: CollapseMark): number {
    return this.doubles[this.at + MARKS + 2 * mark + 1]!;
  }
  /** Records this tick as the latest of its kind. */
  mark(mark: CollapseMark, timeMs: number, requests: number): void {
    this.doubles[this.at + MARKS + 2 * mark] = timeMs;
    this.doubles[this.at + MARKS + 2 * mark + 1] = requests;
  }

  /** Its identity as the decider reads it: the signal's name, classifyWithin and annotations, from its config. */
  get name(): string {
    return this.signal.name;
  }
  get classifyWithinMs(): number | undefined {
    return this.signal.classifyWithinMs;
  }
  get annotations(): Labels | undefined {
    return this.signal.annotations;
  }

  /** How unusual its last tick was (the detector's, read when asked). */
  get anomalyScore(): number {
    return this.detector.anomalyScore;
  }
  /** The highest score of the anomaly episode its last tick belongs to (0: none open). */
  get anomalyEpisodePeak(): number {
    return this.detector.anomalyEpisodePeak;
  }
  /** Sets a floor under the last tick's anomaly score (the decider's, while the series' incident holds). */
  holdAnomalyScore(floor: number): void {
    this.detector.holdScore(floor);
  }

  /** The report alone, as a plain object (logs, JSON): not the detector behind it. */
  toJSON(): SignalReport {
    return { sample: { requests: this.requests, errors: this.errors, downstream: this.downstream }, evaluations: this.evaluations, assessment: this.assessment, anomalyScore: this.anomalyScore };
  }
}
