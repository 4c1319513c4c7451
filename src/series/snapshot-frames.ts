// Builds Frames from snapshots of raw counter samples (a scrape, or one timestamp of a replay file):
// routes each sample to the signal inputs whose selector matches it, splits split signals by their
// `by` labels, and turns counters into rates.

import { detached } from '../core/detached.js';
import type { AbsentErrorMetric, Frame, Labels, MarkerSeries, SeriesInfo, SignalInput } from '../core/types.js';
import { type Selector, matchesSelector, requiredLabels, selectorMetricName } from '../core/selector.js';
import { CounterRates } from './counter-rate.js';
import { SeriesIndex, SeriesInfos, SpareSamples } from './frame-samples.js';
import { pickLabels, seriesIdOf, seriesKey } from './series-key.js';
import type { HeldRate } from '../core/types.js';

const NONE_HELD: readonly HeldRate[] = [];

export interface SignalSelectors {
  name: string;
  inputs: Partial<Record<SignalInput, Selector>>;
  /** Split by these labels; empty or absent: one series. */
  by?: readonly string[];
}

export interface MarkerSelector {
  name: string;
  selector: Selector;
}

interface Group {
  id: string;
  labels: Labels;
  /** Its group in the builder's CounterRates. */
  counter: number;
  /** Set when the group is forgotten: resolutions that point at it are stale. */
  forgotten: boolean;
  /** What a frame says of this group's series (split signals): one object for every frame. */
  info: SeriesInfo | undefined;
  /** The group's series' slot in the frames' columns (see `FrameColumns`). */
  slot: number;
}

/** What frames share while no group comes or goes: the series' slots, their identities, the errors a series starts with. */
interface FrameColumns {
  index: SeriesIndex;
  errors: Float64Array;
  series: SeriesInfos | undefined;
  /**
   * Each route's groups (by the builder's routes' order) as their numbers in the CounterRates and
   * their slots: end() reads two arrays, not a Map's entries and an object a group.
   */
  counters: Int32Array[];
  slots: Int32Array[];
}

/** Where one series (a metric name and a label set) goes: resolved once, reused every snapshot. */
interface Resolution {
  name: string;
  /** The label set resolved (for a frozen set, the one object its cache hands out every time). */
  readonly labels: Labels;
  /**
   * The groups it feeds: the first (most series feed one: a route's counter of a signal split by
   * route), the second (a route's error-status series feeds its requests and its errors), then any
   * others. An array of one group took a series 56 bytes per input, and the second group in an
   * array cost a scrape's read two objects' first reads a series.
   */
  readonly group: Group | undefined;
  readonly group2: Group | undefined;
  /**
   * Its member of each of those groups in the builder's CounterRates (-1: none yet; made at its
   * first sample, and again when a compaction let it go), and its number as their owner. A series
   * is known by its resolution, so by its label set object: a LabelSetCache hands out one per label
   * set, whatever order an exporter writes its labels in from scrape to scrape.
   */
  member: number;
  member2: number;
  readonly serial: number;
  /** Groups past the second and the markers it feeds: most series have neither (one field, not three). */
  readonly more: MoreRoutes | undefined;
  /** The resolution of the same label set under another metric name. */
  next: Resolution | undefined;
  /** The builder's count of forgotten groups when this was last known fresh (see `stale`). */
  forgottenSeen: number;
  /** The snapshot (the builder's count of begin()s) that last offered this series through offerOnce, and on which line. */
  offeredIn: number;
  offeredLine: number;
}

/** A series' groups past its first two, its members of them (as Resolution's), and the markers it feeds. */
interface MoreRoutes {
  readonly groups: readonly Group[];
  readonly members: number[];
  readonly markers: readonly MarkerSelector[];
}

/** A label set of a split signal unseen this long is forgotten (per-pod or per-version labels churn). */
export const FORGET_GROUP_AFTER_MS = 2 * 3_600_000;

interface Route {
  signal: string;
  input: SignalInput;
  selector: Selector;
  by: readonly string[];
  /** One tracker per group; an unsplit signal has a single group. */
  groups: Map<string, Group>;
  /** Whether any series offered so far matched its selector. */
  matched: boolean;
  /** Whether any series offered so far had its selector's metric name (routes by name only). */
  nameSeen: boolean;
  /**
   * Errors routes whose selector requires labels (requiredLabels): the label names of the series
   * of its metric offered so far, to tell a misspelt label. Undefined on other routes.
   */
  labelsSeen: Set<string> | undefined;
}

export class SnapshotFrameBuilder {
  private readonly routesByName = new Map<string, Route[]>();
  private readonly unnamedRoutes: Route[] = [];
  private readonly routes: Route[] = [];
  private markerSeries = new Map<string, MarkerSeries[]>();
  private wanted: Set<string> | 'all' | undefined;
  /**
   * Resolutions of label sets a parser's LabelSetCache handed out (frozen objects that come back for
   * every sample of the same series), by label set and metric name. Labels that are not frozen are
   * found by their series key (plainResolved).
   */
  private resolved = new WeakMap<Labels, Resolution>();
  /** Resolutions of series offered by number (offerSeries), by number. */
  private readonly bySeriesNumber: (Resolution | undefined)[] = [];
  /** Groups forgotten so far: a resolution made since none was forgotten cannot be stale. */
  private forgottenCount = 0;
  /** The frames' columns while no group comes or goes (undefined: index again at the next frame). */
  private columns: FrameColumns | undefined;
  /** Snapshots begun so far: offerOnce's stamp. */
  private snapshots = 0;
  /** offerOnce's first lines of series whose label sets are not frozen (no resolution is kept for them), this snapshot. */
  private plainFirstLines: Map<string, number> | undefined;
  /**
   * The resolutions of the frozen label sets offerOnce met, in the order the last snapshot offered
   * them, and this snapshot's place in that order. A page lists its series in the same order scrape
   * after scrape, so the resolution at the same place is almost always the one wanted: an array
   * read and two comparisons instead of a WeakMap lookup and an isFrozen call, 300k of each a
   * scrape at 100k series.
   */
  private sequence: Resolution[] = [];
  private sequenceAt = 0;
  /** The columns of a frame handed back (recycle), for the next. */
  private readonly spare = new SpareSamples();
  /** Every group's rate and every series' counter, in columns. */
  private readonly rates = new CounterRates();
  /** Resolutions made so far: the next one's owner number. */
  private serials = 0;
  /**
   * Resolutions of label sets that are not frozen (resolved by their series key), offered this
   * snapshot and the last one: a series' member must be the same from one snapshot to the next.
   */
  private plainResolved = new Map<string, { r: Resolution; seenIn: number }>();
  /** Label sets that are not frozen offered this snapshot. */
  private plainOffered = 0;

  constructor(
    signals: readonly SignalSelectors[],
    private readonly markers: readonly MarkerSelector[] = [],
    private readonly forgetAfterMs = FORGET_GROUP_AFTER_MS,
  ) {
    for (const signal of signals) {
      const by = signal.by ?? [];
      for (const [input, selector] of Object.entries(signal.inputs) as [SignalInput, Selector][]) {
        const required = input === 'errors' && requiredLabels(selector).length > 0;
        const route: Route = { signal: signal.name, input, selector, by, groups: new Map(), matched: false, nameSeen: false, labelsSeen: required ? new Set() : undefined };
        if (by.length === 0) route.groups.set(signal.name, { id: signal.name, labels: {}, counter: this.rates.addGroup(input === 'errors' ? 'errors' : 'traffic'), forgotten: false, info: undefined, slot: -1 });
        const metric = selectorMetricName(selector);
        if (metric === undefined) this.unnamedRoutes.push(route);
        else this.routesByName.set(metric, [...(this.routesByName.get(metric) ?? []), route]);
        this.routes.push(route);
      }
    }
  }

  /**
   * Whether samples of this metric name can matter (a selector names it, or some selector names no
   * metric): the parser skips building the labels of the rest.
   */
  wants(name: string): boolean {
    const wanted = this.wantedNames();
    return wanted === 'all' || wanted.has(name);
  }

  /** The metric names wants() admits, or 'all' when a selector names no metric. */
  wantedNames(): ReadonlySet<string> | 'all' {
    this.wanted ??= this.unnamedRoutes.length > 0 || this.markers.some((m) => selectorMetricName(m.selector) === undefined) ? 'all' : new Set([...this.routesByName.keys(), ...this.markers.map((m) => selectorMetricName(m.selector)!)]);
    return this.wanted;
  }

  begin(): void {
    this.snapshots++;
    this.plainFirstLines = undefined;
    this.sequenceAt = 0;
    // Each tracker began its snapshot at its last end() (or when made): a snapshot begun is ended
    // (end()) before the next begins, or its samples count in the next.
    this.markerSeries = new Map(this.markers.map((m) => [m.name, []]));
  }

  offer(name: string, labels: Labels, value: number): void {
    // Only frozen label sets are ever resolved and kept, so a hit needs no isFrozen call (a builtin).
    const first = this.resolved.get(labels);
    if (first === undefined && !Object.isFrozen(labels)) {
      this.apply(this.plainResolution(name, labels), labels, value);
      return;
    }
    this.apply(this.resolution(name, labels, first), labels, value);
  }

  /** The kept resolution of a frozen label set under `name` (made, or made again when stale, in front of the set's chain). */
  private resolution(name: string, labels: Labels, first = this.resolved.get(labels)): Resolution {
    let r = first;
    while (r !== undefined && r.name !== name) r = r.next;
    if (r === undefined || (r.forgottenSeen !== this.forgottenCount && stale(r, this.forgottenCount))) {
      // New, or one of its groups was forgotten since: resolve again, in front of the chain.
      r = this.resolve(name, labels, first);
      this.resolved.set(labels, r);
    }
    return r;
  }

  /**
   * The resolution of a label set that is not frozen, by its series key: kept while its series
   * is seen (as a frozen one is), so a series back after a missed snapshot is the same member of
   * its groups, not a new one (CounterRates reads the two differently).
   */
  private plainResolution(name: string, labels: Labels): Resolution {
    const key = seriesKey(name, labels);
    let known = this.plainResolved.get(key);
    if (known === undefined || (known.r.forgottenSeen !== this.forgottenCount && stale(known.r, this.forgottenCount))) {
      known = { r: this.resolve(name, labels, undefined), seenIn: 0 };
      this.plainResolved.set(key, known);
    }
    if (known.seenIn !== this.snapshots) {
      known.seenIn = this.snapshots;
      this.plainOffered++;
    }
    return known.r;
  }

  /**
   * offer(), unless the snapshot already offered this series (the same name and label set) through
   * offerOnce: then the sample is dropped and the line of the first returns (undefined: offered).
   * Prometheus's rule for a page that repeats a series (scrape/scrape.go: a series already seen in
   * this scrape is ErrDuplicateSampleForTimestamp, the sample dropped, the page still ingested). A
   * label set from a LabelSetCache (frozen) is known by its resolution, which keeps the stamp: no
   * map of the page's series is built. Others are keyed by their text as written, as Prometheus keys
   * them.
   */
  offerOnce(name: string, labels: Labels, value: number, line: number): number | undefined {
    const at = this.sequenceAt;
    const expected = this.sequence[at];
    // The same label set at the same place: frozen (only frozen sets enter the sequence).
    if (expected !== undefined && expected.labels === labels && expected.name === name && (expected.forgottenSeen === this.forgottenCount || !stale(expected, this.forgottenCount))) {
      this.sequenceAt = at + 1;
      return this.offerResolved(expected, labels, value, line);
    }
    if (!Object.isFrozen(labels)) {
      let key = name;
      for (const k in labels) key += `\u0000${k}\u0001${labels[k]}`;
      this.plainFirstLines ??= new Map();
      const first = this.plainFirstLines.get(key);
      if (first !== undefined) return first;
      this.plainFirstLines.set(key, line);
      this.apply(this.plainResolution(name, labels), labels, value);
      return undefined;
    }
    const r = this.resolution(name, labels);
    // Kept at this place for the next snapshot (at most one past the sequence's end: it grows by one).
    this.sequence[at] = r;
    this.sequenceAt = at + 1;
    return this.offerResolved(r, labels, value, line);
  }

  private offerResolved(r: Resolution, labels: Labels, value: number, line: number): number | undefined {
    if (r.offeredIn === this.snapshots) return r.offeredLine;
    r.offeredIn = this.snapshots;
    r.offeredLine = line;
    this.apply(r, labels, value);
    return undefined;
  }

  /**
   * Offers a sample of a series known by a number (its caller's: a replay file numbers its distinct
   * series). The number's resolution is kept in an array: no label-set lookup a sample.
   */
  /** `sampledAtMs`: when the sample was taken, if not at the snapshot's end time (CounterRates.add). */
  offerSeries(id: number, series: { name: string; labels: Labels }, value: number, sampledAtMs = Number.NaN): void {
    let r = this.bySeriesNumber[id];
    if (r === undefined || (r.forgottenSeen !== this.forgottenCount && stale(r, this.forgottenCount))) {
      // New, or one of its groups was forgotten since: resolve again.
      r = this.resolve(series.name, series.labels, undefined);
      while (this.bySeriesNumber.length < id) this.bySeriesNumber.push(undefined);
      this.bySeriesNumber[id] = r;
    }
    this.apply(r, series.labels, value, sampledAtMs);
  }

  /** The signals' inputs whose selectors no series offered so far has matched. */
  unmatchedInputs(): { signal: string; input: SignalInput; selector: Selector }[] {
    return this.routes.filter((r) => !r.matched).map(({ signal, input, selector }) => ({ signal, input, selector }));
  }

  /**
   * The errors inputs whose selector names a metric no series offered so far has had (one that
   * matched none of its series yet, a service without errors, is not one).
   */
  absentErrorMetrics(): AbsentErrorMetric[] {
    const absent: AbsentErrorMetric[] = [];
    for (const r of this.routes) {
      const metric = r.input === 'errors' ? selectorMetricName(r.selector) : undefined;
      if (metric === undefined) continue;
      const base = { signal: r.signal, metric, selector: r.selector.text };
      if (!r.nameSeen) absent.push(base);
      else if (r.labelsSeen && !r.matched) {
        const missingLabels = requiredLabels(r.selector).filter((l) => !r.labelsSeen!.has(l));
        if (missingLabels.length > 0) absent.push({ ...base, missingLabels, labelsSeen: [...r.labelsSeen].sort() });
      }
    }
    return absent;
  }

  /** Which groups and markers a series feeds: selector matching and keys, done once. */
  private resolve(name: string, labels: Labels, next: Resolution | undefined): Resolution {
    const groups: Group[] = [];
    const routes = this.routesByName.get(name);
    if (routes) {
      for (const route of routes) {
        route.nameSeen = true;
        // An empty value is no label (as Prometheus has it).
        if (route.labelsSeen) for (const label in labels) if (labels[label] !== '') route.labelsSeen.add(label);
        if (matchesSelector(route.selector, name, labels)) groups.push(this.groupOf(route, labels));
      }
    }
    for (const route of this.unnamedRoutes) if (matchesSelector(route.selector, name, labels)) groups.push(this.groupOf(route, labels));
    const markers = this.markers.filter((marker) => matchesSelector(marker.selector, name, labels));
    // Kept for as long as the series lives (three a series of a split signal): arrays of exact
    // length, not the 17 slots an array grown by push starts with (152 bytes for one group), and
    // for most series none at all.
    const moreGroups = exactly(groups.slice(2));
    const more = moreGroups.length > 0 || markers.length > 0 ? { groups: moreGroups, members: moreGroups.map(() => -1), markers: exactly(markers) } : undefined;
    this.serials = (this.serials + 1) & 0x3fffffff;
    return { name, labels, group: groups[0], group2: groups[1], member: -1, member2: -1, serial: this.serials, more, next, forgottenSeen: this.forgottenCount, offeredIn: 0, offeredLine: 0 };
  }

  // The groups themselves are read only to make a member: a series' sample reads its resolution
  // and its members' numbers, not an object a group (a scrape at 100k series offers 300k samples).
  private apply(r: Resolution, labels: Labels, value: number, sampledAtMs = Number.NaN): void {
    const group = r.group;
    const more = r.more;
    if (group !== undefined) {
      const rates = this.rates;
      if (!rates.owns(r.member, r.serial)) r.member = rates.addMember(group.counter, r.serial);
      rates.add(r.member, value, sampledAtMs);
      const group2 = r.group2;
      if (group2 !== undefined) {
        if (!rates.owns(r.member2, r.serial)) r.member2 = rates.addMember(group2.counter, r.serial);
        rates.add(r.member2, value, sampledAtMs);
        if (more !== undefined) {
          const { groups: moreGroups, members } = more;
          for (let i = 0; i < moreGroups.length; i++) {
            if (!rates.owns(members[i]!, r.serial)) members[i] = rates.addMember(moreGroups[i]!.counter, r.serial);
            rates.add(members[i]!, value, sampledAtMs);
          }
        }
      }
    }
    if (more !== undefined) for (const marker of more.markers) this.markerSeries.get(marker.name)!.push({ labels, value });
  }

  end(timeMs: number): Frame {
    // Places past this snapshot's last are series it did not offer: let their resolutions go.
    if (this.sequence.length > this.sequenceAt) this.sequence.length = this.sequenceAt;
    // Series that came and went leave resolutions behind: past twice this snapshot's count (as
    // CounterRates lets members go), those it did not offer go.
    if (this.plainResolved.size > 2 * this.plainOffered + 64) for (const [key, known] of this.plainResolved) if (known.seenIn !== this.snapshots) this.plainResolved.delete(key);
    this.plainOffered = 0;
    let groups = 0;
    for (const route of this.routes) groups += route.groups.size;
    // When every group was touched (a scrape like the last), none can be forgotten: one walk over
    // the groups, not two. Each group's end() stamps it with the time when it was touched.
    const everyGroupTouched = this.rates.takeGroupsMatched() === groups;
    if (!everyGroupTouched) this.forgetUnseen(timeMs);
    const columns = (this.columns ??= this.indexGroups());
    const samples = this.spare.take(columns.index);
    samples.errors.set(columns.errors);
    const rates = this.rates;
    for (let k = 0; k < this.routes.length; k++) {
      const column = samples[this.routes[k]!.input];
      const counters = columns.counters[k]!;
      const slots = columns.slots[k]!;
      for (let j = 0; j < counters.length; j++) rates.endInto(counters[j]!, timeMs, column, slots[j]!);
    }
    this.heldRates = rates.anyMissed ? this.heldOf(samples) : NONE_HELD;
    const frame: Frame = { timeMs, signals: samples };
    if (columns.series) frame.series = columns.series;
    if (this.markers.length > 0) frame.markers = this.markerSeries;
    return frame;
  }

  /**
   * What the last frame's inputs counted of series read as missed (a pod whose series left the
   * page while its neighbours did not take its load over), per signal and input, summed over a
   * split signal's series: estimates, not readings, to be said as the Prometheus source says its own.
   */
  heldRates: readonly HeldRate[] = NONE_HELD;

  private heldOf(samples: ReturnType<SpareSamples['take']>): HeldRate[] {
    const held: HeldRate[] = [];
    for (const route of this.routes) {
      const column = samples[route.input];
      let sum = 0;
      for (const g of route.groups.values()) if (Number.isFinite(column[g.slot]!)) sum += this.rates.heldRate(g.counter);
      if (sum > 0) held.push({ signal: route.signal, input: route.input, rate: sum });
    }
    return held;
  }

  /** Takes back a frame this builder made, once its reader is done with it: the next end() may fill its columns again. */
  recycle(frame: Frame): void {
    this.spare.keep(frame.signals);
  }

  /** Forgets split groups unseen for `forgetAfterMs` (not touched this snapshot, nor for that long before). */
  private forgetUnseen(timeMs: number): void {
    const rates = this.rates;
    for (const route of this.routes) {
      if (route.by.length === 0) continue;
      for (const g of route.groups.values()) {
        if (!rates.matched(g.counter) && timeMs - rates.lastMatchedMs(g.counter) > this.forgetAfterMs) {
          route.groups.delete(g.id);
          rates.removeGroup(g.counter);
          g.forgotten = true;
          this.forgottenCount++;
          this.columns = undefined;
        }
      }
    }
  }

  /**
   * Every group's slot in the frames' columns (a series fed by several routes has one), the series
   * of split signals, and each series' errors before its routes are read: a split series missing
   * an input reads its errors as none, the rest as unknown.
   */
  private indexGroups(): FrameColumns {
    const index = new SeriesIndex();
    const errors: number[] = [];
    let series: SeriesInfos | undefined;
    const counters: Int32Array[] = [];
    const slots: Int32Array[] = [];
    for (const route of this.routes) {
      const routeCounters = new Int32Array(route.groups.size);
      const routeSlots = new Int32Array(route.groups.size);
      let j = 0;
      for (const g of route.groups.values()) {
        const size = index.size;
        g.slot = index.add(g.id);
        routeCounters[j] = g.counter;
        routeSlots[j++] = g.slot;
        if (index.size === size) continue;
        errors.push(route.by.length > 0 ? 0 : Number.NaN);
        if (route.by.length > 0) (series ??= new SeriesInfos(index)).set(g.slot, (g.info ??= { signal: route.signal, labels: g.labels }));
      }
      counters.push(routeCounters);
      slots.push(routeSlots);
    }
    return { index, errors: Float64Array.from(errors), series, counters, slots };
  }

  /** The group `id` of another route of `route`'s signal (another input of the same series), if any. */
  private siblingGroup(route: Route, id: string): Group | undefined {
    for (const other of this.routes) {
      if (other === route || other.signal !== route.signal) continue;
      const group = other.groups.get(id);
      if (group) return group;
    }
    return undefined;
  }

  private groupOf(route: Route, labels: Labels): Group {
    route.matched = true;
    if (route.by.length === 0) return route.groups.values().next().value as Group;
    let groupLabels = pickLabels(labels, route.by);
    let id = seriesIdOf(route.signal, groupLabels);
    let group = route.groups.get(id);
    if (!group) {
      // The same series' group of another input of the signal lends its id and labels: one string
      // and one object a series, not one per input.
      const sibling = this.siblingGroup(route, id);
      if (sibling) {
        id = sibling.id;
        groupLabels = sibling.labels;
      } else id = detached(id); // flat: kept as long as the series, and built as a tree of its parts
      // A group first seen mid-snapshot starts its tracker now; its first rate is unknown.
      group = { id, labels: groupLabels, counter: this.rates.addGroup(route.input === 'errors' ? 'errors' : 'traffic'), forgotten: false, info: undefined, slot: -1 };
      route.groups.set(id, group);
      this.columns = undefined;
    }
    return group;
  }
}

/** The elements of `items` in an array of their own length (one shared empty array for none). */
function exactly<T>(items: T[]): readonly T[] {
  return items.length === 0 ? NO_ITEMS : items.slice();
}
const NO_ITEMS: readonly never[] = [];

/**
 * Whether a resolution points at a group that was forgotten (its series must be resolved again).
 * When not, it is marked fresh as of `forgottenCount`, and not looked at again until a group goes.
 */
function stale(r: Resolution, forgottenCount: number): boolean {
  if (r.group?.forgotten || r.group2?.forgotten) return true;
  const more = r.more?.groups ?? NO_ITEMS;
  for (let i = 0; i < more.length; i++) if (more[i]!.forgotten) return true;
  r.forgottenSeen = forgottenCount;
  return false;
}
