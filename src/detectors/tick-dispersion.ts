// A detector's dispersion estimates (how much more its counts vary than Poisson or binomial ones)
// the late share's sums, the funnel's lag-one moments and its in-flight share's sums: twenty-seven numbers a series, read and written in place every tick. They
// live in the detector's doubles (a region of a shared slab, core/slab.ts), not in an object's
// fields: V8 holds each double field as a number object of its own (16 bytes beside its slot).

import type { LateShareState } from './stats/late-share.js';
import type { LagOneState } from './stats/lag-one-dispersion.js';
import type { InFlightState } from './stats/in-flight-share.js';

/** Tick-level dispersion estimates (mean squared Pearson residual of healthy ticks) per input. */
export interface Dispersion extends LateShareState, Partial<LagOneState>, Partial<InFlightState> {
  rate: number;
  errors: number;
  funnel: number;
  /** Ticks averaged so far (a running mean until the window is full, then exponential). */
  ticks: number;
  /**
   * The request count's dispersion over RUN_BLOCK_TICKS consecutive healthy ticks, and how many
   * such blocks it averages. Lower than the tick's when a rate read over two scrapes counts a
   * late scrape's requests in the next tick: over a run those cancel, and the run's multiplier
   * (which decides the kind of a failure) is judged with this one.
   */
  rateBlock?: number;
  blocks?: number;
  /** The block being gathered: its requests, expected requests and ticks. */
  blockN?: number;
  blockExpected?: number;
  blockTicks?: number;
  /**
   * The request count of the tick before (any tick with data, learnt or not; NaN after a gap): the
   * rate's dispersion is read from one tick to the next (stats/successive-dispersion.ts). Absent
   * in states saved before it: the first tick after their restore learns no rate residual.
   */
  ratePrevN?: number;
  // lag0 … lagPrev: the funnel's lost counts' lag-one moments (stats/lag-one-dispersion.ts).
  // Absent in states saved before them: learnt anew.
  /**
   * Funnel residuals averaged into `funnel` so far: its own count, since the funnel's baseline
   * fills after the rate's and `ticks` counts every learnt tick. Absent in states saved before it:
   * `ticks` (how those states were learnt).
   */
  funnelTicks?: number;
  /**
   * The failures of the tick before (NaN after a gap or when it had none): while the error ratio's
   * baseline warms up its dispersion is read from one tick to the next (successiveRatioResidual),
   * as the rate's is; the tick's requests are `ratePrevN`. Absent in states saved before it: none.
   */
  errorsPrevK?: number;
}

/** Doubles a DispersionView takes. */
export const DISPERSION_FIELDS = 27;
const RATE = 0;
const ERRORS = 1;
const FUNNEL = 2;
const TICKS = 3;
const LATE_NUM = 4;
const LATE_DEN = 5;
const LATE_PREV_N = 6;
const RATE_BLOCK = 7;
const BLOCKS = 8;
const BLOCK_N = 9;
const BLOCK_EXPECTED = 10;
const BLOCK_TICKS = 11;
const RATE_PREV_N = 12;
const LAG0 = 13;
const LAG1 = 14;
const LAG_TICKS = 15;
const LAG_PREV = 16;
const FUNNEL_TICKS = 17;
const ERRORS_PREV_K = 18;
const IN_NN = 19;
const IN_ND = 20;
const IN_DD = 21;
const IN_LN = 22;
const IN_LD = 23;
const IN_LL = 24;
const IN_W = 25;
const IN_PREV_N = 26;

/** The dispersion as a detector holds it: every field a number, NaN where the saved form has none (no block gathered, no block averaged). */
export class DispersionView implements Required<Dispersion> {
  /** Its numbers are `doubles[at … at + DISPERSION_FIELDS)`; starts as reset() leaves it. */
  constructor(
    private doubles: Float64Array,
    private at: number,
  ) {
    this.reset();
  }

  /** Points this object at another series' numbers (written by a view before): one view reads every series'. */
  rebase(doubles: Float64Array, at: number): this {
    this.doubles = doubles;
    this.at = at;
    return this;
  }

  /** As learnt from nothing (φ = 1 for every input), or from the counts saved; no previous tick. */
  reset(rate = 1, errors = 1, funnel = 1, ticks = 0, funnelTicks = ticks): void {
    const d = this.doubles;
    const at = this.at;
    d[at + RATE] = rate;
    d[at + ERRORS] = errors;
    d[at + FUNNEL] = funnel;
    d[at + TICKS] = ticks;
    // newLateShare()'s values: nothing learnt, no previous tick.
    d[at + LATE_NUM] = 0;
    d[at + LATE_DEN] = 0;
    d[at + LATE_PREV_N] = -1;
    d.fill(Number.NaN, at + RATE_BLOCK, at + LAG0);
    // newLagOne()'s values.
    d[at + LAG0] = 0;
    d[at + LAG1] = 0;
    d[at + LAG_TICKS] = 0;
    d[at + LAG_PREV] = Number.NaN;
    d[at + FUNNEL_TICKS] = funnelTicks;
    d[at + ERRORS_PREV_K] = Number.NaN;
    // newInFlight()'s values.
    d.fill(0, at + IN_NN, at + IN_PREV_N);
    d[at + IN_PREV_N] = -1;
  }

  get rate(): number {
    return this.doubles[this.at + RATE]!;
  }
  set rate(v: number) {
    this.doubles[this.at + RATE] = v;
  }
  get errors(): number {
    return this.doubles[this.at + ERRORS]!;
  }
  set errors(v: number) {
    this.doubles[this.at + ERRORS] = v;
  }
  get funnel(): number {
    return this.doubles[this.at + FUNNEL]!;
  }
  set funnel(v: number) {
    this.doubles[this.at + FUNNEL] = v;
  }
  get ticks(): number {
    return this.doubles[this.at + TICKS]!;
  }
  set ticks(v: number) {
    this.doubles[this.at + TICKS] = v;
  }
  get lateNum(): number {
    return this.doubles[this.at + LATE_NUM]!;
  }
  set lateNum(v: number) {
    this.doubles[this.at + LATE_NUM] = v;
  }
  get lateDen(): number {
    return this.doubles[this.at + LATE_DEN]!;
  }
  set lateDen(v: number) {
    this.doubles[this.at + LATE_DEN] = v;
  }
  get latePrevN(): number {
    return this.doubles[this.at + LATE_PREV_N]!;
  }
  set latePrevN(v: number) {
    this.doubles[this.at + LATE_PREV_N] = v;
  }
  get rateBlock(): number {
    return this.doubles[this.at + RATE_BLOCK]!;
  }
  set rateBlock(v: number) {
    this.doubles[this.at + RATE_BLOCK] = v;
  }
  get blocks(): number {
    return this.doubles[this.at + BLOCKS]!;
  }
  set blocks(v: number) {
    this.doubles[this.at + BLOCKS] = v;
  }
  get blockN(): number {
    return this.doubles[this.at + BLOCK_N]!;
  }
  set blockN(v: number) {
    this.doubles[this.at + BLOCK_N] = v;
  }
  get blockExpected(): number {
    return this.doubles[this.at + BLOCK_EXPECTED]!;
  }
  set blockExpected(v: number) {
    this.doubles[this.at + BLOCK_EXPECTED] = v;
  }
  get ratePrevN(): number {
    return this.doubles[this.at + RATE_PREV_N]!;
  }
  set ratePrevN(v: number) {
    this.doubles[this.at + RATE_PREV_N] = v;
  }
  get blockTicks(): number {
    return this.doubles[this.at + BLOCK_TICKS]!;
  }
  set blockTicks(v: number) {
    this.doubles[this.at + BLOCK_TICKS] = v;
  }
  get lag0(): number {
    return this.doubles[this.at + LAG0]!;
  }
  set lag0(v: number) {
    this.doubles[this.at + LAG0] = v;
  }
  get lag1(): number {
    return this.doubles[this.at + LAG1]!;
  }
  set lag1(v: number) {
    this.doubles[this.at + LAG1] = v;
  }
  get lagTicks(): number {
    return this.doubles[this.at + LAG_TICKS]!;
  }
  set lagTicks(v: number) {
    this.doubles[this.at + LAG_TICKS] = v;
  }
  get lagPrev(): number {
    return this.doubles[this.at + LAG_PREV]!;
  }
  set lagPrev(v: number) {
    this.doubles[this.at + LAG_PREV] = v;
  }
  get funnelTicks(): number {
    return this.doubles[this.at + FUNNEL_TICKS]!;
  }
  set funnelTicks(v: number) {
    this.doubles[this.at + FUNNEL_TICKS] = v;
  }
  get errorsPrevK(): number {
    return this.doubles[this.at + ERRORS_PREV_K]!;
  }
  set errorsPrevK(v: number) {
    this.doubles[this.at + ERRORS_PREV_K] = v;
  }
  get inNN(): number {
    return this.doubles[this.at + IN_NN]!;
  }
  set inNN(v: number) {
    this.doubles[this.at + IN_NN] = v;
  }
  get inND(): number {
    return this.doubles[this.at + IN_ND]!;
  }
  set inND(v: number) {
    this.doubles[this.at + IN_ND] = v;
  }
  get inDD(): number {
    return this.doubles[this.at + IN_DD]!;
  }
  set inDD(v: number) {
    this.doubles[this.at + IN_DD] = v;
  }
  get inLN(): number {
    return this.doubles[this.at + IN_LN]!;
  }
  set inLN(v: number) {
    this.doubles[this.at + IN_LN] = v;
  }
  get inLD(): number {
    return this.doubles[this.at + IN_LD]!;
  }
  set inLD(v: number) {
    this.doubles[this.at + IN_LD] = v;
  }
  get inLL(): number {
    return this.doubles[this.at + IN_LL]!;
  }
  set inLL(v: number) {
    this.doubles[this.at + IN_LL] = v;
  }
  get inW(): number {
    return this.doubles[this.at + IN_W]!;
  }
  set inW(v: number) {
    this.doubles[this.at + IN_W] = v;
  }
  get inPrevN(): number {
    return this.doubles[this.at + IN_PREV_N]!;
  }
  set inPrevN(v: number) {
    this.doubles[this.at + IN_PREV_N] = v;
  }
}
