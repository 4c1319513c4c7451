// A continuous anomaly score in [0, 1] per series and tick: how surprising the current counts are
// under the band, with the evidence the sequential tests have gathered, on one scale. Dashboards,
// reports and benchmarks rank moments by it; pages stay on the sequential tests' own alarms.
//
// Two quantities in nats, both with the same false-alarm meaning under the model:
// - the tick's surprise S = −ln P(a healthy tick is at least this far out): the normal tail of the
//   check's standardised residual (the detector's σ: counting noise, dispersion φ, demand's wobble),
//   two-sided for the request rate (a rise and a collapse both matter), one-sided for the ratios.
//   P(S ≥ s) = e^−s under the band, by definition of a p-value: S is Exp(1), mean 1 nat.
// - the CUSUM evidence E of each check: under the baseline, P(E ever reaches e) ≤ e^−e per excursion
//   (Wald's inequality; Lorden 1971).
// So a value v of either is an event of probability at most e^−v, and the detector's threshold h
// (ln(6 × ticks a year / false alarms a year)) is where it pages.
//
// Real series are heavier-tailed than any count model (bursty mentions, half-hourly backups,
// clumped builds), so a model p-value overstates surprise by an amount that differs per series.
// The detector therefore reads a tick through the series' own tail (tail-record.ts: the largest
// values of each of the last two weeks' days, peaks over threshold with an exponential excess):
// V* = −ln P̂(V ≥ v) among the series' own ticks, and the score is V*/(V* + 15 nats), 0.5 for a tick
// with probability e^−15 (3e-7) among the series' own ticks. There V is the tick's surprise S, and the CUSUM
// evidence only at the tick an alarm starts (evidence reaching h): an alarm's onset is an event, its
// continuation is not (on real series the CUSUM sits at its cap for hours, and a plateau would tie
// every such hour with the onset). A young series (under MIN_TAIL_TICKS ticks) is judged by the model,
// V = max(S, E), against h (anomalyScore). Missing data has no score (NaN), never 0.
//
// The score's scale is one for every series (SCORE_SCALE_NATS), not the paging threshold h: h grows
// with the ticks a year, so reading V* against h gave a 30-minute series' tick a higher score than a
// 5-minute series' tick of the same tail probability (2.3x likelier at the same score), and one
// threshold over many series (a dashboard's, NAB's) then meant a different rarity on each.
//
// Repeats count half (weighRepeat): a score that is no news is halved. News beats both the record
// of the series' past episodes (their highest score of about the last day, decaying) and the
// current episode's last news by a margin. An episode starts at a news tick and ends when its score
// falls below the past record or to a repeat's weight of its news; only then does it join the record.
// Outside an episode the record follows the tick's own view, not the slow view (below), whose rise
// over hours is news; inside one, the slow view's rise is news at most once per its time constant.
// So an episode of anomaly is news at its onset and at each clear new high, a burst no larger than
// yesterday's ranks below the next new event, and a score that creeps up slowly (a drift widening
// over hours, a ramp) is news again each time it has risen by the margin over its last news, where a
// record that followed every tick absorbed the creep and never called it news (non-maximum
// suppression in time; NAB's scorer too counts the first detection in a window and penalises each
// further one outside it).
// The detector adds a slow view (level-drift.ts): the last two hours' drift from the weekly profile,
// read through a tail record of its own; the score is the larger of the two readings.
// Memory: the tail record (240 bytes, see tail-record.ts), the record, the episode's news, its time
// and the last evidence (four numbers); the slow view's drift (three numbers) and its tail record (240 bytes).

import type { Evaluation } from '../../core/types.js';

/** A repeat's weight: a score that is no news counts this much; an episode ends when its score falls to this much of its news. */
export const REPEAT_WEIGHT = 0.5;
/** A score is news when it exceeds the past record and the episode's last news by this much. */
export const REPEAT_MARGIN = 0.03;
/** The tail surprise (nats) that scores 0.5, on every series: about the paging threshold h at 5-minute ticks (15.7). */
export const SCORE_SCALE_NATS = 15;
/** The record decays with this time constant: a day (yesterday's bursts are repeats, last week's are news again). */
export const REPEAT_MEMORY_MS = 86_400_000;

/** Which tail of each ratio check's residual is a failure (the rate is read two-sided). */
const DIRECTION: Record<'error_ratio' | 'funnel_drop', 1 | -1> = { error_ratio: 1, funnel_drop: -1 };

/**
 * −ln P(Z ≥ z) for a standard normal Z: the upper-tail surprise in nats, accurate far into the
 * tail (no underflow: computed in logs). Uses the complementary error function's Chebyshev fit of
 * Numerical Recipes (Press et al. 2007, §6.2.2, `erfccheb`'s predecessor `erfcc`: fractional error
 * below 1.2e-7 everywhere), whose form t·exp(−x² + poly(t)) gives the log directly. O(1).
 * Reference values: scipy.stats.norm.logsf (see the test).
 */
export function normalTailSurprise(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  // P(Z ≥ z) = 1 − P(Z ≥ −z) below 0: no cancellation problem on that side (the probability is ≥ 1/2).
  if (z < 0) return -Math.log1p(-Math.exp(-upperTailSurprise(-z)));
  return upperTailSurprise(z);
}

/**
 * The standard normal's Mills ratio P(Z ≥ z)/φ(z) for z ≥ 0: the mean excess over z of a Rayleigh
 * variable (√(2V), V ~ Exp(1): the residual scale of a model surprise), E[R − z | R > z]. About 1/z
 * far out. From normalTailSurprise, in logs. Reference values: scipy.stats.norm.sf(z)/norm.pdf(z).
 */
export function millsRatio(z: number): number {
  return Math.exp(z * z / 2 + 0.5 * Math.log(2 * Math.PI) - normalTailSurprise(z));
}

/** normalTailSurprise for z ≥ 0 (not recursive, so the per-tick path can inline it). */
function upperTailSurprise(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const lnErfc = Math.log(t) - x * x + poly;
  // P(Z ≥ z) = erfc(z/√2) / 2.
  return Math.LN2 - lnErfc;
}

/** A check's surprise this tick (nats; Exp(1) under the model), NaN when it has no residual. */
export function checkSurprise(e: Pick<Evaluation, 'kind' | 'score'>): number {
  if (!Number.isFinite(e.score)) return Number.NaN;
  // Two-sided for the rate: −ln(2·P(Z ≥ |z|)).
  if (e.kind === 'rate_spike' || e.kind === 'rate_drop') return Math.max(0, normalTailSurprise(Math.abs(e.score)) - Math.LN2);
  return normalTailSurprise(DIRECTION[e.kind] * e.score);
}

/** The most surprising check's max(surprise, CUSUM evidence) in nats, and its threshold; NaN when no check judged. */
function rawSurprise(evaluations: readonly Evaluation[], out: { nats: number; threshold: number }): void {
  let nats = Number.NaN;
  let threshold = Number.NaN;
  for (const e of evaluations) {
    if (e.status === 'unknown' || !(e.threshold !== undefined && e.threshold > 0)) continue;
    const surprise = checkSurprise(e);
    const v = Math.max(Number.isNaN(surprise) ? 0 : surprise, knownOrZero(e.evidence), 0);
    if (!(v / e.threshold <= nats / threshold)) {
      nats = v;
      threshold = e.threshold;
    }
  }
  out.nats = nats;
  out.threshold = threshold;
}

/** A check's evidence, 0 when it has none (absent or NaN). */
function knownOrZero(x: number | undefined): number {
  return x === undefined || Number.isNaN(x) ? 0 : x;
}

/** rawSurprise's answer (one thread): no object per series per tick. */
const raw = { nats: 0, threshold: 0 };

/**
 * The model's anomaly score of one tick from its checks' evaluations: V / (V + h), V the most
 * surprising check's max(surprise, evidence). NaN when no check could judge (warm-up, no data). O(checks).
 */
export function anomalyScore(evaluations: readonly Evaluation[]): number {
  rawSurprise(evaluations, raw);
  const { nats, threshold } = raw;
  return Number.isNaN(nats) ? Number.NaN : nats / (nats + threshold);
}

/** tickSurprise's answer: nats NaN when no check judged. */
export interface TickSurprise {
  nats: number;
  threshold: number;
  evidence: number;
}

/**
 * What a tick tells the series' own tail: the largest check surprise, or the evidence of a check
 * whose alarm starts at this tick (its evidence reached h, the tick before the largest evidence was
 * below it: `previousEvidence`), whichever is larger; its threshold h; and the tick's largest
 * evidence (the next tick's `previousEvidence`). nats NaN when no check judged. O(checks).
 */
export function tickSurprise(evaluations: readonly Evaluation[], previousEvidence: number, out: TickSurprise = { nats: 0, threshold: 0, evidence: 0 }): TickSurprise {
  let nats = Number.NaN;
  let threshold = Number.NaN;
  let evidence = 0;
  // The rise and the collapse read one residual: its two-sided surprise is computed once.
  let rateScore = Number.NaN;
  let rateSurprise = Number.NaN;
  for (const e of evaluations) {
    if (e.status === 'unknown' || !(e.threshold !== undefined && e.threshold > 0)) continue;
    let surprise: number;
    if (e.kind === 'rate_spike' || e.kind === 'rate_drop') {
      if (e.score !== rateScore) {
        rateScore = e.score;
        rateSurprise = checkSurprise(e);
      }
      surprise = rateSurprise;
    } else surprise = checkSurprise(e);
    const ev = knownOrZero(e.evidence);
    evidence = Math.max(evidence, ev);
    const onset = ev >= e.threshold && !(previousEvidence >= e.threshold);
    const v = Math.max(Number.isNaN(surprise) ? 0 : surprise, onset ? ev : 0, 0);
    if (!(v <= nats)) {
      nats = v;
      threshold = e.threshold;
    }
  }
  out.nats = nats;
  out.threshold = threshold;
  out.evidence = evidence;
  return out;
}

/**
 * A tail surprise (nats, −ln of the tick's exceedance probability among the series' own) as a score
 * in [0, 1): V* / (V* + SCORE_SCALE_NATS), the same for the same probability on every series. NaN stays NaN.
 */
export function tailScore(nats: number): number {
  return nats / (nats + SCORE_SCALE_NATS);
}

/**
 * A series' repeat record (see weighRepeat): its past episodes' highest score, decaying; the current
 * episode's last news (0: none) and its data time (−∞: none).
 */
export interface RepeatRecord {
  record: number;
  episode: number;
  newsAtMs: number;
}

/**
 * A tick's score weighed against the series' repeat record, which it updates in place (`decay`: the
 * record's decay per tick): the score itself when it is news (it beats the decayed past record and
 * the episode's last news by REPEAT_MARGIN; it then becomes the episode's news), REPEAT_WEIGHT of it
 * otherwise. The episode ends, and its news joins the record, when a score falls below the past
 * record or to REPEAT_WEIGHT of the news. A NaN score returns NaN and changes nothing. O(1).
 *
 * `tickScore` is the tick's own view's score, `score` the larger of it and the slow view's (the
 * same when the slow view has nothing to say), `timeMs` the tick's data time and `slowMs` the slow
 * view's time constant. Outside an episode the record takes any higher score of the tick's view,
 * not the slow view's: the slow view rises smoothly over hours by construction, and a record that
 * followed it absorbed every such rise (a surge building over an afternoon was never news). Inside an
 * episode a rise of the slow view is news at most once per `slowMs` after the episode's last news:
 * within its own time constant the slow view says little new, and a level climbing to a new
 * plateau would otherwise be news at every margin of its climb.
 */
export function weighRepeat(score: number, r: RepeatRecord, decay: number, tickScore = score, timeMs = Number.NaN, slowMs = 0): number {
  if (Number.isNaN(score)) return score;
  let past = r.record * decay;
  let episode = r.episode;
  if (episode > 0 && score < Math.max(past, episode * REPEAT_WEIGHT)) {
    past = Math.max(past, episode);
    episode = 0;
  }
  const slowRise = score > tickScore && episode > 0 && timeMs - r.newsAtMs < slowMs;
  const news = !slowRise && score > Math.max(past, episode) + REPEAT_MARGIN;
  if (news) {
    episode = score;
    r.newsAtMs = timeMs;
  } else if (episode === 0 && tickScore > past) past = tickScore;
  r.record = past;
  r.episode = episode;
  return news ? score : score * REPEAT_WEIGHT;
}
