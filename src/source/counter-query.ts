// The PromQL a counter selector becomes for a Prometheus source: the per-second rate of the
// selected series, summed (by the signal's `by` labels), with restarts accounted for.
//
// PromQL's irate() and rate() count a restarted pod's new value as its increase: what it counted
// between the last scrape and its restart is lost, so a rolling restart of the downstream pods
// reads as lost completions. Here a series that reset within the last two ticks contributes its rate
// from before the restart instead, scaled by how the series that did not reset changed since (a
// rollback mid-storm changes the load), the scale held to [0.5, 2] (the neighbours left may be a few
// tiny series, such as one pod's 5xx counter). A reset series with no such neighbour or no such
// history contributes what irate()/rate() say. Series that appeared are as Prometheus has them.
//
// A series whose target's scrapes fail (`up == 0`) is left out of the sum at once (its last two
// samples would stay in the rate window for one window, a frozen rate, then drop out: five of six
// pods whose /metrics broke while they served read as traffic falling to a sixth and paged an
// Outage). missedQuery adds what such series carried, as the replay and scrape sources do
// (docs/how-it-decides.md, "Missing data is never zero"), and what series that left a page still
// scraped carried (an exporter that stopped writing one label set read as its traffic lost).

import { promqlDuration } from '../core/duration.js';
import { type Selector, matchesSelector } from '../core/selector.js';
import { MISSED_FOR_MS } from '../series/counter-rate.js';

export type RateFunction = 'irate' | 'rate';

/** The targets whose last scrape failed, matched on job and instance. */
const TARGET_DOWN = 'on(job, instance) (up == 0)';

/**
 * @param intervalMs stormwatch's tick, which should be the scrape interval: resets are looked for in
 *   the last two ticks (two scrapes at least), and "before" is two ticks back
 */
export function counterQuery(selector: string, fn: RateFunction, windowMs: number, intervalMs: number, by: readonly string[] = []): string {
  const w = promqlDuration(windowMs);
  const r = promqlDuration(2 * intervalMs);
  const now = `${fn}(${selector}[${w}])`;
  const before = `${fn}(${selector}[${w}] offset ${r})`;
  const reset = `resets(${selector}[${r}]) > 0`;
  const labels = by.join(', ');
  const grouping = by.length > 0 ? ` by (${labels})` : '';
  // Neighbours are series with no reset in the span both rates cover (three ticks): a neighbour that
  // itself restarted two ticks ago would read its own "before" short.
  const calm = `resets(${selector}[${promqlDuration(3 * intervalMs)}]) > 0`;
  const growth = `clamp(sum${grouping}(${now} unless ${calm}) / sum${grouping}(${before} unless ${calm}), 0.5, 2)`;
  // Precedence: * over comparisons over and/unless over or. Series of targets whose scrapes fail
  // are left out (missedQuery holds them): their last samples stay in the window for its length,
  // and a sparse counter's last irate is often 0 (a 1 req/s signal whose only target failed read
  // 0/s for a minute and paged an Outage).
  return `sum${grouping}((${now} unless ${reset} or (${before} and ${reset}) * on(${labels}) group_left() (${growth}) or ${now}) unless ${TARGET_DOWN})`;
}

/**
 * Targets whose scrapes failed within the rate window (down now, or back since): the Prometheus
 * source asks for missedQuery only while some of them can hold a watched series, and reads only
 * theirs (missedQueryFor).
 */
export function targetsDownQuery(windowMs: number): string {
  return `count by (job, instance) (min_over_time(up[${promqlDuration(windowMs)}]) == 0)`;
}

/**
 * Targets up now of which a series of `reads` (selectors, each with its rate window) is missing from
 * the window: there five minutes or a window ago, with fewer than two samples in the window now.
 * What the missed query reads of series that left a page is narrowed to them. It reads two samples
 * of each watched series and its window, not five minutes of them: against a real Prometheus with
 * 10k watched series, 71k samples and 145-190 ms against one counterQuery's 390k and 470-530 ms
 * (a series' own overhead dominates: reading its latest timestamp instead of the window took as
 * long). A series younger than five minutes is listed only in the window after it left, so the
 * source keeps what it lists for MISSED_FOR_MS.
 */
export function targetsLeftQuery(reads: readonly { selector: string; windowMs: number }[]): string {
  const lookback = promqlDuration(MISSED_FOR_MS);
  const terms = reads.map(({ selector, windowMs }) => {
    const w = promqlDuration(windowMs);
    return `((${selector} offset ${lookback} or ${selector} offset ${w}) unless count_over_time(${selector}[${w}]) > 1)`;
  });
  return `count by (job, instance) ((${terms.join(' or ')}) and on(job, instance) ${steadyTargets(`${promqlDuration(Math.max(...reads.map((r) => r.windowMs)))}`)})`;
}

/**
 * A held series' rate from its `last` rate and its `mean` (PromQL vectors of the same series): the
 * mean where the last is within [mean/2, 1.5 mean] (noise), else the last, with no step between:
 * last / clamp(last / mean, 0.5, 1.5), that is the mean held to [2/3 last, 2 last]. The tiny
 * addends read a series idle in both as 0, not 0/0; where the mean is missing (a reset), the last.
 */
export function carriedRate(last: string, mean: string): string {
  return `(${last} / clamp((${last} + 1e-9) / (${mean} + 1e-9), 0.5, 1.5) or ${last})`;
}

/**
 * Targets scraped throughout the window `w` (PromQL duration) and up now: not failing, not back
 * from failing, not ended (an ended target's `up` is stale at once, or, with no staleness markers,
 * has no sample in the window).
 */
function steadyTargets(w: string): string {
  return `(min_over_time(up[${w}]) == 1 and on(job, instance) (up == 1))`;
}

/** A target the probe found down (now, or within the rate window), by the labels `up` has. */
export interface DownTarget {
  job: string;
  instance: string;
}

/**
 * Down targets a five-minute read is narrowed to at most: past it the read takes every watched
 * series. Each narrowed query repeats its targets' matchers a dozen times; measured against a real
 * Prometheus (640 targets, 3 series each), narrowing to 100 took 241 ms against 332 ms for the
 * whole query (a 40 KB query), to 300 about the same, and to 512 longer than the whole (a 200 KB
 * query, a tick of 24 such queries 6-10 s against 5-7 s).
 */
export const MAX_NARROWED_TARGETS = 100;

/** What an input's missedQuery is made of, kept so that each tick can narrow it to the targets down. */
export interface MissedSpec {
  selector: Selector;
  /** The series the scale, the load moved and the majority are judged on (missedQuery's `gate`). */
  gate: Selector;
  fn: RateFunction;
  windowMs: number;
  by: readonly string[];
}

/**
 * What counterQuery's sum lacks for the series of targets whose scrapes fail (`up == 0`, matched on
 * job and instance), and for series that left the page of a target still scraped (an exporter
 * that stopped writing one label set: the scrape source holds such a series too, see
 * counter-rate.ts): each series that has dropped out of the rate window but has two samples in the
 * last five minutes (Prometheus's lookback, the scrape source's MISSED_FOR_MS) counts what it
 * carried (its mean rate over the last ten, held near its last rate: carriedRate), scaled as the
 * targets still scraped changed (at most 2x, and down to nothing: a collapse of the scraped
 * targets is a collapse of the failing ones' share too) - unless those targets gained at
 * least half of what the failing ones last carried: then the failing pods' load moved to them (a
 * crash loop; a pod that ended has no `up` at all) and nothing is added. Where the failing targets
 * carried more than the scraped ones did and are more targets, or carried over 1.5 times as much
 * (most of the group), the group is no data (NaN): most of
 * it would be estimate, and a majority that stopped serving (wedged pods) reads like one whose
 * /metrics broke. With no target of the group still scraped nothing is added, and the group is no
 * data once its last series drops out. Series whose job and instance are not those of their target
 * (recording rules, federation) never match `up` and are as Prometheus has them.
 *
 * A target back from failing scrapes has one sample in the rate window at its first scrape, so no
 * rate there: its series count their rate over the gap (irate over the lookback: from the last
 * sample before the failure to the first after) until the second scrape. Without it the tick
 * pods came back at read as their traffic lost (five of six back read a sixth).
 *
 * The scale, the load moved and the majority are judged on `gate`'s series (the signal's request
 * selector for its errors: an error series alone cannot tell load that moved from errors that
 * rose, and errors dropped while requests are held read as an error ratio a fraction of the real
 * one), on the input's own otherwise.
 *
 * "Before" is the scraped targets' rate five minutes ago, when every failing series was still
 * scraped, less the series that left since. Where Prometheus has no rate that old (young pods or a
 * young Prometheus) it is what the failing targets last carried per target times the scraped
 * targets' count (pods behind one load balancer share its load); with no target failing either,
 * what the series still there carry now.
 *
 * A series that left while others took its place (a relabel: the load moved) is held only until
 * the new series has two samples in the window; one that left idle (an exporter's expiry of
 * series not written for a while) is held at its last rate, 0.
 */
export function missedQuery(selector: string, fn: RateFunction, windowMs: number, by: readonly string[] = [], gate = selector, recent: { selector: string; gate: string } = { selector, gate }): string {
  const w = promqlDuration(windowMs);
  const lookback = promqlDuration(MISSED_FOR_MS);
  const grouping = by.length > 0 ? ` by (${by.join(', ')})` : '';
  const perTarget = ` by (${[...new Set([...by, 'job', 'instance'])].join(', ')})`;
  const down = 'on(job, instance) (up == 0)';
  // Every five-minute read is of failing targets' series (`and down`): `recent` may narrow it to them.
  const last = (s: string) => `irate(${s}[${lookback}])`;
  // What a missed series carried: its mean rate over its samples of the last ten minutes (a
  // least-squares slope, deriv()), held to between 2/3 and 2x its last two samples' rate (irate();
  // that alone where it reset), while it has two samples in the last five (carriedRate). Not its
  // last rate alone: that is one scrape's noise, held for minutes (at 1 s scrapes two of four pods
  // held at their last irate read completions 5 % short for as long, and paged an
  // ErrorRegression). Nor the mean alone: a pod drained before it went (its last rate 0) was held
  // at the traffic it no longer had. Ten minutes: a mean of the last five would shrink to those two
  // samples as they age.
  const carried = (s: string) => carriedRate(last(s), `(deriv(${s}[${promqlDuration(2 * MISSED_FOR_MS)}]) unless resets(${s}[${promqlDuration(2 * MISSED_FOR_MS)}]) > 0)`);
  const inWindow = (s: string) => `${fn}(${s}[${w}])`;
  // Every series of a failing target, in the window or not: counterQuery leaves them all out.
  // A series of a target scraped throughout the window with two samples in five minutes but fewer
  // than two in the window: it left a page still scraped.
  const left = (s: string) => `((${carried(s)} unless count_over_time(${s}[${w}]) > 1) and on(job, instance) ${steadyTargets(w)})`;
  // Every series counterQuery's sum lacks: of failing targets, and left ones.
  const absent = (s: string) => `((${carried(s)} and ${down}) or ${left(s)})`;
  const dropped = `sum${grouping}(${absent(recent.selector)})`;
  const scraped = `sum${grouping}(${inWindow(gate)} unless ${down})`;
  const failingCarried = `sum${grouping}(${absent(recent.gate)})`;
  const downCarried = `sum${grouping}(${carried(recent.gate)} and ${down})`;
  const targets = (series: string) => `count${grouping}(sum${perTarget}(${series}))`;
  // Counted, not summed: the series' last rates say which there are, at a fraction of the reads.
  const shareBefore = `${downCarried} / ${targets(`${last(recent.gate)} and ${down}`)} * ${targets(`${inWindow(gate)} unless ${down}`)}`;
  // Five minutes ago the series that left were still there: they are not what the rest carried.
  // With no rate that old and no target down (series that left a young target), the rest is taken as unchanged.
  const before = `(sum${grouping}(${fn}(${gate}[${w}] offset ${lookback}) unless ${down} unless ${left(recent.gate)}) or ${shareBefore} or ${scraped})`;
  const held = `(${dropped} * clamp(${scraped} / ${before}, 0, 2) unless ${scraped} - ${before} >= ${failingCarried} / 2)`;
  const back = `on(job, instance) (up == 1 and on(job, instance) min_over_time(up[${w}]) == 0)`;
  const returning = `sum${grouping}((${last(recent.selector)} and count_over_time(${recent.selector}[${w}]) == 1) and ${back})`;
  // Most of the group: the missed targets carried more than the rest did and outnumber them, or
  // carried more than 1.5 times as much (a few pods that carry most). Not the rates alone: two of
  // four like pods carry half, and one tick's noise either way read the group as no data at
  // random (a real Prometheus at 1 s scrapes: one tick in ten).
  const outnumbered = `(${targets(absent(recent.gate))} > bool ${targets(`${inWindow(gate)} unless ${down}`)} or ${targets(absent(recent.gate))} * 0 + 1)`;
  const most = `(${failingCarried} > ${before} * (1.5 - 0.5 * ${outnumbered}))`;
  // Precedence: * and / over - over comparisons over unless and or (parenthesised).
  const missed = `(${held} unless ${most}) or ${most} * NaN`;
  // Summed apart from it: the same groups' label sets would make `or` keep one of the two.
  const part = (expr: string, name: string) => `label_replace(${expr}, "stormwatch_part", "${name}", "", "")`;
  return `sum${grouping}(${part(missed, 'held')} or ${part(returning, 'back')})`;
}

/**
 * The missed query of `spec` for this tick, its five-minute reads narrowed to the series of
 * `targets` (down, from targetsDownQuery, or with series that left, from targetsLeftQuery) that its
 * selectors can select; undefined when none can (nothing would be added: the query is not asked).
 * With `targets` unknown (a probe failed) or more than MAX_NARROWED_TARGETS of them, the reads take
 * every watched series, as missedQuery does.
 *
 * Unnarrowed, every tick while any target anywhere was down read five minutes of every watched
 * series a dozen times (PromQL shares no subexpression); in a large Prometheus some target is
 * nearly always down.
 */
export function missedQueryFor(spec: MissedSpec, targets: readonly DownTarget[] | undefined): string | undefined {
  const selector = narrowed(spec.selector, targets);
  const gate = spec.gate === spec.selector ? selector : narrowed(spec.gate, targets);
  if (selector === null && gate === null) return undefined;
  // One of the two selects none of the targets (errors and requests from different jobs): left whole.
  const recent = { selector: selector ?? spec.selector.text, gate: gate ?? spec.gate.text };
  return missedQuery(spec.selector.text, spec.fn, spec.windowMs, spec.by, spec.gate.text, recent);
}

/**
 * `selector` with matchers for the jobs and instances of `targets` it can select (its own job and
 * instance matchers judge that); null when it can select none; its text when `targets` is unknown
 * or too many. Jobs and instances are matched apart (one selector): a series of another target at
 * an instance one of them has is read too, and the query's own `up` filters drop it.
 */
function narrowed(selector: Selector, targets: readonly DownTarget[] | undefined): string | null {
  if (targets === undefined) return selector.text;
  const own = { text: selector.text, matchers: selector.matchers.filter((m) => m.label === 'job' || m.label === 'instance') };
  const jobs = new Set<string>();
  const instances = new Set<string>();
  let count = 0;
  for (const target of targets) {
    if (!matchesSelector(own, '', { job: target.job, instance: target.instance })) continue;
    if (++count > MAX_NARROWED_TARGETS) return selector.text;
    jobs.add(target.job);
    instances.add(target.instance);
  }
  if (count === 0) return null;
  return withMatchers(selector.text, `${matcherOf('job', jobs)}, ${matcherOf('instance', instances)}`);
}

/** `label="v"` for one value, `label=~"a|b"` for several (each value a literal), as PromQL text. */
function matcherOf(label: string, values: Set<string>): string {
  if (values.size === 1) return `${label}=${JSON.stringify([...values][0])}`;
  return `${label}=~${JSON.stringify([...values].map(regexLiteral).join('|'))}`;
}

/** A regular expression (RE2) matching exactly `text`. */
function regexLiteral(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Selector text with more label matchers (`extra`, PromQL text) after its own. */
export function withMatchers(selector: string, extra: string): string {
  const text = selector.trim();
  if (!text.endsWith('}')) return `${text}{${extra}}`;
  const body = text.slice(text.indexOf('{') + 1, -1).trim();
  return `${text.slice(0, -1)}${body === '' || body.endsWith(',') ? '' : ', '}${extra}}`;
}
