// Turns successive snapshots of a set of counters into one summed per-second rate, as PromQL's
// sum(irate(...)) does, but without its blind spot at restarts: an increment across a counter reset
// is unknown, not the new value. A restarted pod lost what it counted between the last snapshot and
// its restart, so summing its new value undercounts, and during a rolling restart of the
// downstream pods that reads as lost completions. Here:
// - a series that reset is estimated from its neighbours: its own previous increment, scaled by how
//   the series that did not reset changed since (pods behind one load balancer share the load), at
//   least its new value;
// - a series that is new since the last snapshot counts its value (it started from 0), at most the
//   largest increment of a neighbour (a series first seen late, not newly born, is no burst);
// - a series that is back after missing snapshots (a failed scrape) counts what it counted since it
//   was last seen, spread evenly over the snapshots in between: its whole count since it was born
//   (an error series' lifetime of errors at once) or a neighbour's increment paged storms on one
//   missing line; if it reset meanwhile (a restarted pod whose series are made at their first
//   count), it counts as a series first seen: read as unknown, every rolling restart at 1 s ticks
//   lost a tick of its group's data for each of its pods;
// - a series that vanished since the last snapshot makes the increment unknown: what it counted
//   before it went is lost, and no neighbour can tell how long it lived. After that it is gone (a
//   pod that ended: its load moved to its neighbours) unless its neighbours did not take its load
//   over: then its scrape was missed while it served, and until it is back (for at most
//   MISSED_FOR_MS, or until a series first seen in its group may be it) it counts its share of
//   its neighbours (smoothed increments) times what they count now. A missed
//   downstream pod read as gone undercounted completions by its share and paged an Outage;
// - with no neighbour to learn from, an incomplete increment is unknown (NaN): no data, never zero.
// Error counters are kinder: they are often born with the first error, an undercount of errors
// pages nobody falsely, so their new series and resets count their value, like irate. One missed
// is held at its own smoothed increment while its pod's traffic is (it follows their verdict),
// scaled as that traffic changed: a neighbour's error regression is not the missed pod's.

export type CounterKind = 'traffic' | 'errors';

// A group is one summed rate (a route's requests, say); its members are the counter series that
// feed it (the route's status codes, a service's pods). Every group's and member's numbers live in
// a few typed arrays shared by all of them, interleaved a group (or member) at a time: no object, no
// array and no key string per group or member. A tracker object per group, with its numbers in a
// JS array and its series known by their key strings, cost a scraped series about 0.9 KB in three
// trackers; here its three groups and four members take about 0.5 KB, all of it numbers.

/**
 * A group's doubles: the last snapshot's time, this snapshot's Σ of complete increments, Σ of the
 * same series' previous increments and largest increment, and the time of the last snapshot a
 * member was added to.
 */
const PREVIOUS_TIME = 0;
const COMPLETE_SUM = 1;
const COMPLETE_PREV_SUM = 2;
const COMPLETE_MAX = 3;
const LAST_MATCHED = 4;
/** This snapshot's Σ of the increments of members back after missing snapshots (see add). */
const RETURNED_SUM = 5;
/** The latest time a member's sample of this snapshot was taken at (NaN: none given; see add). */
const SAMPLED_AT = 6;
/** The weight a member's increment is folded into its smoothed increment with (see SMOOTH), from the last interval. */
const SMOOTHING = 7;
const GROUP_DOUBLES = 8;
/**
 * A group's integers: the number of the snapshot being taken and of the last one ended (-2: none
 * yet; members' unwritten stamps are -1), its members touched this snapshot and the last one, its
 * complete increments this snapshot, its member count and first member (a chain through members'
 * NEXT), its lists of resets and of births this snapshot (first and last entry, -1: none; and the
 * resets' count), and its flags.
 */
const CURRENT = 0;
const PREVIOUS = 1;
const TOUCHED = 2;
const PREVIOUS_TOUCHED = 3;
const COMPLETE_COUNT = 4;
const MEMBER_COUNT = 5;
const FIRST_MEMBER = 6;
const RESET_FIRST = 7;
const RESET_LAST = 8;
const RESET_COUNT = 9;
const FRESH_FIRST = 10;
const FRESH_LAST = 11;
const FLAGS = 12;
/** Members of the group read as missed, not gone (see MissedSeries). */
const MISSED_COUNT = 13;
const GROUP_INTS = 14;
/** Flags: which of a member's two numbers of a field is this snapshot's (the other is the last one's), the kind, and what was seen. */
const NOW = 1;
const ERRORS = 2;
const SEEN_ANY = 4;
const EVER_MATCHED = 8;
/**
 * A member's doubles: its value and its increment, each for two snapshots (at +0 and +1, by the
 * group's NOW), and its smoothed increment: an exponentially weighted mean of its increments up to
 * the last snapshot's (NaN: none yet), folded in as it is next read. A missed member is estimated
 * from it, not from its last increment alone (see missedCount).
 */
const VALUE = 0;
const INCREMENT = 2;
const SMOOTH = 4;
const MEMBER_DOUBLES = 5;
/**
 * A member's integers: the stamps of its value and increment (the snapshot that wrote each), its
 * group, the next member of the group, its owner (the caller's number; -1: free), and how many
 * snapshots in a row its increments have been 0, up to its latest (see heldIncrement).
 */
const VALUE_AT = 0;
const INCREMENT_AT = 2;
const GROUP = 4;
const NEXT = 5;
const OWNER = 6;
const QUIET_RUN = 7;
const MEMBER_INTS = 8;

/**
 * Summed per-second rates of groups of counters, from successive snapshots. A snapshot of a group
 * is the add()s of its members since its last end(), ended by end(): each group keeps its own
 * snapshots (a group made mid-snapshot starts then). Members are kept for as long as they feed
 * their group: one that missed the last snapshot may be let go at an end() (compaction), after which
 * `owns` says so and its caller asks for a new one; a new member reads as a series first seen (a
 * member let go forgets what it had counted).
 */
export class CounterRates {
  private readonly groups = new NumberRows(GROUP_INTS, GROUP_DOUBLES);
  private readonly freeGroups: number[] = [];
  private readonly members = new NumberRows(MEMBER_INTS, MEMBER_DOUBLES);
  private readonly freeMembers: number[] = [];
  /**
   * This snapshot's resets and births of every group: the member and the next entry of its
   * group's list (-1: last), and the value. Entries are let go when their group ends; the pool
   * starts afresh once none is left (every group ended). Every series is born once, few ever reset.
   */
  private readonly pending = new NumberRows(2, 1);
  private pendingLive = 0;
  /** The most entries the pool held at once since it last started afresh. */
  private pendingPeak = 0;
  /** Members read as missed, not gone, by member number: few at any time, none most of the time. */
  private readonly missed = new Map<number, MissedSeries>();
  /** The cohorts of members that went together (see noteVanished), by when they went, while any is missed. */
  private readonly cohorts = new Map<number, MissedCohort>();

  /** Makes a group (its first snapshot begun) and returns its number. */
  addGroup(kind: CounterKind = 'traffic'): number {
    const g = this.freeGroups.pop() ?? this.groups.add();
    const d = this.groups.doubles;
    const at = g * GROUP_DOUBLES;
    d[at + PREVIOUS_TIME] = Number.NaN;
    d[at + COMPLETE_SUM] = 0;
    d[at + COMPLETE_PREV_SUM] = 0;
    d[at + COMPLETE_MAX] = 0;
    d[at + LAST_MATCHED] = Number.NaN;
    d[at + RETURNED_SUM] = 0;
    d[at + SAMPLED_AT] = Number.NaN;
    d[at + SMOOTHING] = 1;
    const i = this.groups.ints;
    const ai = g * GROUP_INTS;
    i.fill(0, ai, ai + GROUP_INTS);
    i[ai + PREVIOUS] = -2;
    i[ai + FIRST_MEMBER] = -1;
    i[ai + RESET_FIRST] = -1;
    i[ai + RESET_LAST] = -1;
    i[ai + FRESH_FIRST] = -1;
    i[ai + FRESH_LAST] = -1;
    i[ai + FLAGS] = kind === 'errors' ? ERRORS : 0;
    return g;
  }

  /** Lets a group and its members go; its number may be handed out again. */
  removeGroup(g: number): void {
    const i = this.groups.ints;
    const ai = g * GROUP_INTS;
    this.releasePending(g);
    // Its number may be handed out again: no cohort may judge the next group by its part.
    for (const cohort of this.cohorts.values()) cohort.parts.delete(g);
    for (let m = i[ai + FIRST_MEMBER]!; m >= 0; ) {
      const next = this.members.ints[m * MEMBER_INTS + NEXT]!;
      this.freeMember(m);
      m = next;
    }
    i[ai + FIRST_MEMBER] = -1;
    i[ai + MEMBER_COUNT] = 0;
    i[ai + FLAGS] = 0;
    this.freeGroups.push(g);
  }

  /** Makes a member of group `g` for `owner` (a non-negative number of the caller's) and returns its number. */
  addMember(g: number, owner: number): number {
    const m = this.freeMembers.pop() ?? this.members.add();
    const d = this.members.doubles;
    d.fill(0, m * MEMBER_DOUBLES, (m + 1) * MEMBER_DOUBLES);
    d[m * MEMBER_DOUBLES + SMOOTH] = Number.NaN;
    const i = this.members.ints;
    const at = m * MEMBER_INTS;
    i[at + VALUE_AT] = -1;
    i[at + VALUE_AT + 1] = -1;
    i[at + INCREMENT_AT] = -1;
    i[at + INCREMENT_AT + 1] = -1;
    i[at + GROUP] = g;
    i[at + QUIET_RUN] = 0;
    const gi = this.groups.ints;
    const ag = g * GROUP_INTS;
    i[at + NEXT] = gi[ag + FIRST_MEMBER]!;
    i[at + OWNER] = owner;
    gi[ag + FIRST_MEMBER] = m;
    gi[ag + MEMBER_COUNT]!++;
    return m;
  }

  /**
   * Groups first matched (a member added) since the last takeGroupsMatched(): its caller tells a
   * snapshot that matched every group from one that left some out without walking them.
   */
  private groupsMatched = 0;

  /** The groups first matched since the last call, counted afresh from now. */
  takeGroupsMatched(): number {
    const matched = this.groupsMatched;
    this.groupsMatched = 0;
    return matched;
  }

  /** The interval of the last smoothing weight computed (see SMOOTHING), and the weight. */
  private smoothingDtMs = Number.NaN;
  private readonly smoothing = new Float64Array(1);

  /** Whether a member was added to group `g` since its last end(). */
  matched(g: number): boolean {
    return this.groups.ints[g * GROUP_INTS + TOUCHED]! > 0;
  }

  /** The time of the last snapshot of group `g` that a member was added to (NaN: none yet). */
  lastMatchedMs(g: number): number {
    return this.groups.doubles[g * GROUP_DOUBLES + LAST_MATCHED]!;
  }

  /** Whether member `m` (-1: none) is still the one made for `owner` (not let go by a compaction since). */
  owns(m: number, owner: number): boolean {
    return m >= 0 && this.members.ints[m * MEMBER_INTS + OWNER] === owner;
  }

  /**
   * Adds member `m`'s counter value to its group's snapshot. `sampledAtMs`: when the sample was
   * taken, if not at the snapshot's time: a replay's targets are scraped at their own offsets, and
   * a group's rate is its increase over its own samples' interval (the latest of its members').
   */
  add(m: number, value: number, sampledAtMs = Number.NaN): void {
    const mi = this.members.ints;
    const md = this.members.doubles;
    const at = m * MEMBER_INTS;
    const ad = m * MEMBER_DOUBLES;
    const g = mi[at + GROUP]!;
    const gi = this.groups.ints;
    const gd = this.groups.doubles;
    const ag = g * GROUP_INTS;
    const agd = g * GROUP_DOUBLES;
    const now = gi[ag + FLAGS]! & NOW;
    const before = 1 - now;
    const previous = gi[ag + PREVIOUS]!;
    const current = gi[ag + CURRENT]!;
    // Not a count (negative, or past where doubles count by ones): as if the series had not been read.
    if (!(value >= 0 && value <= MAX_COUNT)) return;
    if (mi[at + VALUE_AT + before] !== previous) {
      // Its last value, if it had one: the later of its two stamps (both older than the last snapshot).
      const last = mi[at + VALUE_AT + now]! > mi[at + VALUE_AT + before]! ? now : before;
      const lastAt = mi[at + VALUE_AT + last]!;
      if (lastAt < 0 || lastAt >= current) this.pend(ag + FRESH_FIRST, m, value);
      else if (value >= md[ad + VALUE + last]!) {
        const increment = (value - md[ad + VALUE + last]!) / (current - lastAt);
        gd[agd + RETURNED_SUM] = gd[agd + RETURNED_SUM]! + increment;
        md[ad + INCREMENT + now] = increment;
        mi[at + INCREMENT_AT + now] = current;
        mi[at + QUIET_RUN] = increment > 0 ? 0 : mi[at + QUIET_RUN]! + current - lastAt;
      } else if (wentBack(value, md[ad + VALUE + last]!)) return;
      else if ((gi[ag + FLAGS]! & ERRORS) !== 0) {
        gd[agd + RETURNED_SUM] = gd[agd + RETURNED_SUM]! + value;
      } else this.pend(ag + FRESH_FIRST, m, value);
    } else if (value < md[ad + VALUE + before]!) {
      if (wentBack(value, md[ad + VALUE + before]!)) return;
      this.pend(ag + RESET_FIRST, m, value);
      gi[ag + RESET_COUNT]!++;
    } else {
      const increment = value - md[ad + VALUE + before]!;
      gd[agd + COMPLETE_SUM] = gd[agd + COMPLETE_SUM]! + increment;
      gd[agd + COMPLETE_PREV_SUM] = gd[agd + COMPLETE_PREV_SUM]! + (mi[at + INCREMENT_AT + before] === previous ? md[ad + INCREMENT + before]! : Number.NaN);
      if (increment > gd[agd + COMPLETE_MAX]!) gd[agd + COMPLETE_MAX] = increment;
      gi[ag + COMPLETE_COUNT]!++;
      md[ad + INCREMENT + now] = increment;
      mi[at + INCREMENT_AT + now] = current;
      mi[at + QUIET_RUN] = increment > 0 ? 0 : mi[at + QUIET_RUN]! + 1;
    }
    if (mi[at + VALUE_AT + now] !== current) {
      mi[at + VALUE_AT + now] = current;
      if (gi[ag + TOUCHED]!++ === 0) this.groupsMatched++;
      // Read this snapshot: its last snapshot's increment joins its smoothed one. smoothed()
      // written out: add() is too large for V8 to inline it into, and the call made a number
      // object of each of its three doubles and of its result, a member a tick.
      if (mi[at + INCREMENT_AT + before] === previous) {
        const mean = md[ad + SMOOTH]!;
        const increment = md[ad + INCREMENT + before]!;
        md[ad + SMOOTH] = Number.isNaN(mean) ? increment : mean + gd[agd + SMOOTHING]! * (increment - mean);
      }
    }
    md[ad + VALUE + now] = value;
    if (!(sampledAtMs <= gd[agd + SAMPLED_AT]!)) gd[agd + SAMPLED_AT] = sampledAtMs;
  }

  /**
   * Ends group `g`'s snapshot taken at `snapshotMs` (or at its members' latest sample time, when
   * add was told it) and returns its summed increase per second since the previous one. NaN (no
   * data) for the first snapshot, when time did not move forward, when nothing matched (a traffic
   * selector that matched before and now matches nothing is missing data, not zero traffic), and
   * when an increment cannot be known (see above).
   */
  end(g: number, snapshotMs: number): number {
    this.endInto(g, snapshotMs, this.rate, 0);
    return this.rate[0]!;
  }
  private readonly rate = new Float64Array(1);

  /**
   * end(), the rate written into `out[at]`: a double returned from a call too large to inline is a
   * number object made, 300k of them a tick at 100k series.
   */
  endInto(g: number, snapshotMs: number, out: Float64Array, at: number): void {
    const gi = this.groups.ints;
    const gd = this.groups.doubles;
    const ag = g * GROUP_INTS;
    const agd = g * GROUP_DOUBLES;
    const matched = gi[ag + TOUCHED]! > 0;
    // A traffic group that matched nothing this time is no data, and no snapshot: the next one it
    // matches is read over the whole interval since the last (each series complete, not back).
    if (!matched && (gi[ag + FLAGS]! & (ERRORS | SEEN_ANY)) === SEEN_ANY) {
      out[at] = Number.NaN;
      return;
    }
    const sampledAt = gd[agd + SAMPLED_AT]!;
    const timeMs = Number.isNaN(sampledAt) ? snapshotMs : sampledAt;
    gd[agd + SAMPLED_AT] = Number.NaN;
    const dtMs = timeMs - gd[agd + PREVIOUS_TIME]!;
    if (matched) {
      gi[ag + FLAGS]! |= EVER_MATCHED;
      gd[agd + LAST_MATCHED] = timeMs;
    }
    const increase = (gi[ag + FLAGS]! & SEEN_ANY) !== 0 && dtMs > 0 ? this.increase(g, matched, timeMs) : Number.NaN;
    // What its missed members were counted at, per second, to be said (heldRate); not when the rate is unknown.
    if (gi[ag + MISSED_COUNT]! > 0) {
      const current = gi[ag + CURRENT]!;
      for (const missed of this.missed.values()) {
        if (missed.group === g && missed.countedIn === current) missed.counted = Number.isNaN(increase) ? 0 : (missed.counted * 1000) / dtMs;
      }
    }
    // This snapshot becomes the previous one; the fields of the one before are written over by the next.
    gi[ag + FLAGS]! ^= NOW;
    gi[ag + FLAGS]! |= SEEN_ANY;
    gi[ag + PREVIOUS_TOUCHED] = gi[ag + TOUCHED]!;
    gi[ag + PREVIOUS] = gi[ag + CURRENT]!;
    gd[agd + PREVIOUS_TIME] = timeMs;
    if (dtMs > 0) {
      // Every group of a snapshot has the same interval: its exp once, not once a group (about 6 %
      // of a 100k-series scrape's read in a profile). Here, not in a method: a double returned is
      // a number object made.
      if (dtMs !== this.smoothingDtMs) {
        this.smoothingDtMs = dtMs;
        this.smoothing[0] = 1 - Math.exp(-dtMs / SMOOTHED_OVER_MS);
      }
      gd[agd + SMOOTHING] = this.smoothing[0]!;
    }
    // Series that came and went (pods of past deploys) leave members behind: past twice the live
    // count, those that missed this snapshot are let go.
    if (gi[ag + MEMBER_COUNT]! > 2 * gi[ag + PREVIOUS_TOUCHED]! + 64) this.compact(g);
    // The next snapshot begins: nothing is cleared, stamps tell its values apart.
    gi[ag + CURRENT]!++;
    gd[agd + COMPLETE_SUM] = 0;
    gd[agd + COMPLETE_PREV_SUM] = 0;
    gd[agd + COMPLETE_MAX] = 0;
    gd[agd + RETURNED_SUM] = 0;
    gi[ag + COMPLETE_COUNT] = 0;
    gi[ag + TOUCHED] = 0;
    this.releasePending(g);
    out[at] = (increase * 1000) / dtMs;
  }

  private increase(g: number, matched: boolean, timeMs: number): number {
    const gi = this.groups.ints;
    const gd = this.groups.doubles;
    const ag = g * GROUP_INTS;
    const agd = g * GROUP_DOUBLES;
    const values = this.pending.doubles;
    const links = this.pending.ints;
    const resets = gi[ag + RESET_FIRST]!;
    const fresh = gi[ag + FRESH_FIRST]!;
    const errors = (gi[ag + FLAGS]! & ERRORS) !== 0;
    if (errors && !matched && (gi[ag + FLAGS]! & EVER_MATCHED) === 0) return 0;
    if (!errors && !matched) return Number.NaN;
    const mi = this.members.ints;
    const md = this.members.doubles;
    const now = gi[ag + FLAGS]! & NOW;
    const before = 1 - now;
    const previous = gi[ag + PREVIOUS]!;
    const current = gi[ag + CURRENT]!;
    // A series of the last snapshot is gone: what it counted before it went is unknown. Whether
    // it ended or its scrape was missed, its neighbours' load tells (see the top of this file).
    if (gi[ag + PREVIOUS_TOUCHED]! > gi[ag + COMPLETE_COUNT]! + gi[ag + RESET_COUNT]! && this.noteVanished(g, timeMs) && !errors) return Number.NaN;
    if (errors) {
      // Errors are counted as irate does, and those of series missed held (their pod's verdict).
      let sum = gd[agd + COMPLETE_SUM]! + gd[agd + RETURNED_SUM]! + (gi[ag + MISSED_COUNT]! > 0 ? this.missedCount(g, timeMs) : 0);
      for (let k = resets; k >= 0; k = links[2 * k + 1]!) sum += values[k]!;
      for (let k = fresh; k >= 0; k = links[2 * k + 1]!) sum += values[k]!;
      return sum;
    }
    const missed = gi[ag + MISSED_COUNT]! > 0 ? this.missedCount(g, timeMs) : 0;
    // A series first seen while others are missed may be one of them back (its label set made anew
    // after a gap): from the next snapshot, when its own increase is read, counting both counted it
    // twice, and its increase in the others' sum scaled the estimates by it (100x a true rate for 5
    // minutes). A new series and a missed one cannot be told apart here, so the estimates end after
    // this snapshot (which counts the new one at most a neighbour's increment): at worst a pod
    // started while another's scrape failed reads without the missed one, as before estimates were made.
    if (fresh >= 0 && gi[ag + MISSED_COUNT]! > 0) this.forgetMissedOf(g);
    if (resets < 0 && fresh < 0) return gd[agd + COMPLETE_SUM]! + gd[agd + RETURNED_SUM]! + missed;
    if (gi[ag + COMPLETE_COUNT] === 0) return Number.NaN;
    let sum = gd[agd + COMPLETE_SUM]! + gd[agd + RETURNED_SUM]! + missed;
    if (resets >= 0) {
      // How the load changed since the last interval, read from the series that did not reset.
      const growth = gd[agd + COMPLETE_PREV_SUM]! > 0 ? gd[agd + COMPLETE_SUM]! / gd[agd + COMPLETE_PREV_SUM]! : Number.NaN;
      for (let k = resets; k >= 0; k = links[2 * k + 1]!) {
        const m = links[2 * k]!;
        const at = m * MEMBER_INTS;
        const ad = m * MEMBER_DOUBLES;
        const previousIncrement = mi[at + INCREMENT_AT + before] === previous ? md[ad + INCREMENT + before]! : Number.NaN;
        const estimate = Math.max(values[k]!, previousIncrement * growth);
        if (Number.isNaN(estimate)) return Number.NaN;
        sum += estimate;
        md[ad + INCREMENT + now] = estimate;
        mi[at + INCREMENT_AT + now] = current;
        mi[at + QUIET_RUN] = estimate > 0 ? 0 : 1;
      }
    }
    for (let k = fresh; k >= 0; k = links[2 * k + 1]!) {
      const m = links[2 * k]!;
      // A series born at its first count (a client library's error-status series) counts it though
      // its neighbours counted nothing: its first request was lost beside the error it counted.
      const counted = Math.min(values[k]!, Math.max(gd[agd + COMPLETE_MAX]!, 1));
      sum += counted;
      md[m * MEMBER_DOUBLES + INCREMENT + now] = counted;
      mi[m * MEMBER_INTS + INCREMENT_AT + now] = current;
      mi[m * MEMBER_INTS + QUIET_RUN] = counted > 0 ? 0 : 1;
    }
    return sum;
  }

  /**
   * Reads group `g`'s members of the last snapshot missing from this one as missed, each held at its
   * smoothed increment (heldIncrement), and returns whether any went. The members of every group
   * that went in one snapshot (a pod's series, whose page failed) are judged together, one cohort:
   * its pod's rare route, a request in four seconds, is no load its neighbours could be seen to
   * take over alone, nor one error-status series beside 49 requests a second, and an error series
   * (its errors are no load to take over) follows its pod's verdict.
   */
  private noteVanished(g: number, timeMs: number): boolean {
    const gi = this.groups.ints;
    const gd = this.groups.doubles;
    const mi = this.members.ints;
    const md = this.members.doubles;
    const ag = g * GROUP_INTS;
    const agd = g * GROUP_DOUBLES;
    const now = gi[ag + FLAGS]! & NOW;
    const before = 1 - now;
    const previous = gi[ag + PREVIOUS]!;
    const current = gi[ag + CURRENT]!;
    const errors = (gi[ag + FLAGS]! & ERRORS) !== 0;
    let vanished = false;
    let othersSmooth = Number.NaN;
    let basis: Map<number, number> | undefined;
    let part: CohortPart | undefined;
    let cohort: MissedCohort | undefined;
    for (let m = gi[ag + FIRST_MEMBER]!; m >= 0; m = mi[m * MEMBER_INTS + NEXT]!) {
      if (mi[m * MEMBER_INTS + VALUE_AT + before] !== previous || mi[m * MEMBER_INTS + VALUE_AT + now] === current) continue;
      vanished = true;
      if (mi[m * MEMBER_INTS + INCREMENT_AT + before] !== previous) continue;
      // Its smoothed increment up to its last snapshot, held near its last; a traffic member's
      // neighbours' (read both times) up to the same one.
      const last = md[m * MEMBER_DOUBLES + INCREMENT + before]!;
      const increment = heldIncrement(smoothed(md[m * MEMBER_DOUBLES + SMOOTH]!, last, gd[agd + SMOOTHING]!), last, mi[m * MEMBER_INTS + QUIET_RUN]!);
      if (!errors && basis === undefined) {
        basis = new Map();
        othersSmooth = this.completeSmooth(g, basis);
      }
      if (!(increment > 0) || !(errors || othersSmooth > 0)) continue;
      // Still held from an earlier gap if it came back on a snapshot its group read as no data.
      this.forgetMissed(m);
      cohort ??= this.cohortAt(timeMs);
      if (!errors && part === undefined) {
        part = { increment: 0, othersBefore: othersSmooth, others: gd[agd + COMPLETE_SUM]!, seenIn: current, basis: basis! };
        cohort.parts.set(g, part);
      }
      if (part) part.increment += increment;
      cohort.members++;
      gi[ag + MISSED_COUNT]!++;
      this.missed.set(m, { group: g, increment, cohort, sinceMs: timeMs, counted: 0, countedIn: -1 });
    }
    if (part && cohort!.judging) {
      cohort!.evidence += tookOverEvidence(part.increment, part.othersBefore, part.others);
      if (cohort!.evidence <= -DECIDED) cohort!.judging = false;
    }
    return vanished;
  }

  /** The cohort of members that went at `timeMs` (see noteVanished), made when the first one goes. */
  private cohortAt(timeMs: number): MissedCohort {
    let cohort = this.cohorts.get(timeMs);
    if (cohort === undefined) this.cohorts.set(timeMs, (cohort = { timeMs, parts: new Map(), evidence: 0, judging: true, members: 0 }));
    return cohort;
  }

  /**
   * The Σ of the smoothed increments of group `g`'s members read both this snapshot and the last
   * (the members COMPLETE_PREV_SUM sums), each up to the last snapshot's; NaN where one has none.
   * Each such member and its smoothed increment go into `basis`.
   */
  private completeSmooth(g: number, basis: Map<number, number>): number {
    const gi = this.groups.ints;
    const mi = this.members.ints;
    const md = this.members.doubles;
    const ag = g * GROUP_INTS;
    const now = gi[ag + FLAGS]! & NOW;
    const previous = gi[ag + PREVIOUS]!;
    const current = gi[ag + CURRENT]!;
    let sum = 0;
    for (let m = gi[ag + FIRST_MEMBER]!; m >= 0; m = mi[m * MEMBER_INTS + NEXT]!) {
      const at = m * MEMBER_INTS;
      if (mi[at + VALUE_AT + 1 - now] !== previous || mi[at + INCREMENT_AT + now] !== current || mi[at + VALUE_AT + now] !== current) continue;
      sum += md[m * MEMBER_DOUBLES + SMOOTH]!;
      basis.set(m, md[m * MEMBER_DOUBLES + SMOOTH]!);
    }
    return sum;
  }

  /**
   * What group `g`'s missed members counted this snapshot, estimated: each one's share of the
   * members read both times (their smoothed increments, up to its last snapshot; its own held near
   * its last increment: heldIncrement) times what they counted now. Not its last increment against
   * theirs then: one scrape's noise, held for minutes (at 1 s scrapes of four pods serving 50/s,
   * one missed read the group 25 % short for one pod in twenty). A member whose neighbours gained
   * its smoothed increment took its load over: it ended (a pod that went), as does one missed for
   * longer than MISSED_FOR_MS. Which of the two is judged over the snapshots since it went until
   * the evidence decides (tookOverEvidence); until then it is counted. Judged on one snapshot, its
   * noise read one missed pod of four as ended one time in twenty. A member back (its own increase
   * is read) is no longer missed.
   */
  private missedCount(g: number, timeMs: number): number {
    const mi = this.members.ints;
    const current = this.groups.ints[g * GROUP_INTS + CURRENT]!;
    // Those back or past MISSED_FOR_MS first: one back of several that went together counts among
    // the others now, and the rest are judged without it (its own increase would read as the
    // others taking theirs over), whichever order they are met in.
    for (const [m, missed] of this.missed) {
      if (missed.group !== g) continue;
      const at = m * MEMBER_INTS;
      const back = mi[at + VALUE_AT] === current || mi[at + VALUE_AT + 1] === current;
      if (!back && timeMs - missed.sinceMs <= MISSED_FOR_MS) continue;
      const part = back ? missed.cohort.parts.get(g) : undefined;
      if (part) {
        part.increment -= missed.increment;
        part.basis.set(m, missed.increment);
      }
      this.forgetMissed(m);
    }
    let sum = 0;
    for (const [m, missed] of this.missed) {
      // Not on the snapshot it went in (an error series: a traffic one's group reads no data then).
      if (missed.group !== g || missed.sinceMs === timeMs) continue;
      const cohort = missed.cohort;
      const part = cohort.parts.get(g);
      if (part && part.seenIn !== current) {
        part.seenIn = current;
        // Against the neighbours it was judged against when it went, those of them read now: one
        // back from a gap of its own counts again in the group's sum, but was no part of what it
        // was measured against then (a pod of three back beside one missed read it at twice its load).
        const read = this.readAgain(g, part.basis);
        if (read.before > 0) {
          part.others = read.now;
          part.othersBefore = read.before;
          if (cohort.judging) {
            cohort.evidence += tookOverEvidence(part.increment, part.othersBefore, part.others);
            // Enough that it still serves: from now on it is held, whatever its neighbours do.
            if (cohort.evidence <= -DECIDED) cohort.judging = false;
          }
        }
      }
      if (cohort.evidence >= DECIDED) {
        this.forgetMissed(m);
        continue;
      }
      // While undecided, what it serves is weighed by how likely it is still to serve (even odds
      // before any evidence): the estimate off the least either way. Scaled as its neighbours'
      // traffic changed (an error series as its pod's traffic groups'), not as their errors: one
      // neighbour's error regression is not the missed pod's.
      const serving = cohort.judging ? 1 / (1 + Math.exp(cohort.evidence)) : 1;
      missed.counted = serving * missed.increment * (part ? part.others / part.othersBefore : trafficScale(cohort));
      missed.countedIn = current;
      sum += missed.counted;
    }
    return sum;
  }

  /**
   * Of `basis` (members of group `g` and what each counted when it was taken), those with an
   * increment this snapshot: Σ of those increments (`now`) and of what they counted then (`before`).
   */
  private readAgain(g: number, basis: ReadonlyMap<number, number>): { now: number; before: number } {
    const mi = this.members.ints;
    const md = this.members.doubles;
    const side = this.groups.ints[g * GROUP_INTS + FLAGS]! & NOW;
    const current = this.groups.ints[g * GROUP_INTS + CURRENT]!;
    let now = 0;
    let before = 0;
    for (const [m, then] of basis) {
      if (mi[m * MEMBER_INTS + INCREMENT_AT + side] !== current) continue;
      now += md[m * MEMBER_DOUBLES + INCREMENT + side]!;
      before += then;
    }
    return { now, before };
  }

  /** Whether any member of any group is read as missed now (heldRate is then worth asking). */
  get anyMissed(): boolean {
    return this.missed.size > 0;
  }

  /**
   * What group `g`'s last ended snapshot counted of members read as missed, per second: the part of
   * its rate that is an estimate, not a reading (0: none).
   */
  heldRate(g: number): number {
    const ended = this.groups.ints[g * GROUP_INTS + PREVIOUS]!;
    let sum = 0;
    for (const missed of this.missed.values()) if (missed.group === g && missed.countedIn === ended) sum += missed.counted;
    return sum;
  }

  private forgetMissedOf(g: number): void {
    for (const [m, missed] of this.missed) if (missed.group === g) this.forgetMissed(m);
  }

  private forgetMissed(m: number): void {
    const missed = this.missed.get(m);
    if (missed === undefined) return;
    this.missed.delete(m);
    this.groups.ints[missed.group * GROUP_INTS + MISSED_COUNT]!--;
    if (--missed.cohort.members === 0 && this.cohorts.get(missed.cohort.timeMs) === missed.cohort) this.cohorts.delete(missed.cohort.timeMs);
  }

  /** Appends (member, value) to the group's list whose first entry is at `groupInts[firstAt]` (its last at firstAt + 1). */
  private pend(firstAt: number, m: number, value: number): void {
    const k = this.pending.add();
    if (k + 1 > this.pendingPeak) this.pendingPeak = k + 1;
    this.pendingLive++;
    this.pending.ints[2 * k] = m;
    this.pending.ints[2 * k + 1] = -1;
    this.pending.doubles[k] = value;
    const gi = this.groups.ints;
    const last = gi[firstAt + 1]!;
    if (last < 0) gi[firstAt] = k;
    else this.pending.ints[2 * last + 1] = k;
    gi[firstAt + 1] = k;
  }

  /** Lets the group's resets and births of this snapshot go. */
  private releasePending(g: number): void {
    const gi = this.groups.ints;
    const ag = g * GROUP_INTS;
    const links = this.pending.ints;
    for (let k = gi[ag + RESET_FIRST]!; k >= 0; k = links[2 * k + 1]!) this.pendingLive--;
    for (let k = gi[ag + FRESH_FIRST]!; k >= 0; k = links[2 * k + 1]!) this.pendingLive--;
    gi[ag + RESET_FIRST] = -1;
    gi[ag + RESET_LAST] = -1;
    gi[ag + FRESH_FIRST] = -1;
    gi[ag + FRESH_LAST] = -1;
    gi[ag + RESET_COUNT] = 0;
    if (this.pendingLive === 0 && (this.pending.count > 0 || this.pending.capacity > 4 * MIN_PENDING)) this.restartPending();
  }

  /**
   * Starts the pool afresh. Every series is born at the first snapshot, so the pool once held an
   * entry per series; past four times what this snapshot needed it is made small again, so it
   * does not keep 16 bytes a series for good.
   */
  private restartPending(): void {
    const room = 2 * Math.max(this.pendingPeak, MIN_PENDING);
    if (this.pending.capacity > 2 * room) this.pending.reset(room);
    else this.pending.count = 0;
    this.pendingPeak = 0;
  }

  /** Lets go of the members that missed the snapshot just ended (it is the previous one now). */
  private compact(g: number): void {
    const gi = this.groups.ints;
    const mi = this.members.ints;
    const ag = g * GROUP_INTS;
    const before = 1 - (gi[ag + FLAGS]! & NOW);
    const previous = gi[ag + PREVIOUS]!;
    let kept = -1;
    for (let m = gi[ag + FIRST_MEMBER]!; m >= 0; ) {
      const next = mi[m * MEMBER_INTS + NEXT]!;
      if (mi[m * MEMBER_INTS + VALUE_AT + before] === previous) {
        if (kept < 0) gi[ag + FIRST_MEMBER] = m;
        else mi[kept * MEMBER_INTS + NEXT] = m;
        kept = m;
      } else {
        this.freeMember(m);
        gi[ag + MEMBER_COUNT]!--;
      }
      m = next;
    }
    if (kept < 0) gi[ag + FIRST_MEMBER] = -1;
    else mi[kept * MEMBER_INTS + NEXT] = -1;
  }

  private freeMember(m: number): void {
    this.forgetMissed(m);
    // Its number may be handed out again: no cohort may measure by what the next one counts.
    for (const cohort of this.cohorts.values()) for (const part of cohort.parts.values()) part.basis.delete(m);
    this.members.ints[m * MEMBER_INTS + OWNER] = -1;
    this.members.ints[m * MEMBER_INTS + GROUP] = -1;
    this.freeMembers.push(m);
  }
}

/**
 * A member read as missed: its smoothed increment, the members it went with, and since when; and
 * what it was counted at (per second) and in which snapshot (-1: none yet), to be said.
 */
interface MissedSeries {
  group: number;
  increment: number;
  cohort: MissedCohort;
  sinceMs: number;
  counted: number;
  countedIn: number;
}

/**
 * The members that went in one snapshot, of every group (see noteVanished): when, each traffic
 * group's part, the evidence (nats) that their neighbours took their load over and whether that is
 * still being judged, and how many are still missed.
 */
interface MissedCohort {
  timeMs: number;
  parts: Map<number, CohortPart>;
  evidence: number;
  judging: boolean;
  members: number;
}

/**
 * A traffic group's members of a cohort: their Σ of smoothed increments, the group's other
 * members' then and at the snapshot last judged (which it was).
 */
interface CohortPart {
  increment: number;
  othersBefore: number;
  others: number;
  seenIn: number;
  /**
   * The other members it is measured against, each with what it counted when the cohort went: a
   * few numbers, and only while a member is missed. Those not read at a snapshot are left out of
   * both sides of it.
   */
  basis: Map<number, number>;
}

/** How a cohort's traffic groups' other members changed since it went (1: it has none). */
function trafficScale(cohort: MissedCohort): number {
  let now = 0;
  let before = 0;
  for (const part of cohort.parts.values()) {
    now += part.others;
    before += part.othersBefore;
  }
  return before > 0 ? now / before : 1;
}

/**
 * The log-likelihood ratio of one snapshot's `others` (the neighbours' Σ of increments) between a
 * missed member's neighbours having taken its load over (they count `othersBefore` + `increment`)
 * and not (`othersBefore`): Wald's sequential test of a normal mean, with the neighbours' count's
 * variance taken as Poisson's (`othersBefore`) plus a tenth of it again as the spread of real
 * traffic beyond counting. Judged on a fixed four snapshots at their midpoint, a pod missed among
 * four serving 0.25 requests a second read as ended in about 40 % of runs by that noise (a quarter
 * of its group lost), and 10 % at 5 a second: at such counts a snapshot's noise exceeds the load.
 */
export function tookOverEvidence(increment: number, othersBefore: number, others: number): number {
  const variance = othersBefore + (OVERDISPERSION * othersBefore) ** 2;
  return (increment * (others - othersBefore - increment / 2)) / variance;
}

/** The relative spread of a group's traffic a snapshot beyond its counting noise. */
const OVERDISPERSION = 0.1;

/** The evidence, either way, that decides whether a missed member's load was taken over (ln 19: wrong about one time in twenty at most). */
export const DECIDED = Math.log(19);

/**
 * The time constant of a member's smoothed increment: at 1 s scrapes a minute of them (a pod
 * serving 50/s: a share known to a few per cent), at 15 s four.
 */
const SMOOTHED_OVER_MS = 60_000;

/**
 * What a missed member is held at: its smoothed increment `mean`, held to what its `last` one
 * allows (missedQuery's carriedRate, for a Prometheus source): the mean where the last is noise
 * about it, near the last where the member changed. The last allows [2/3, 2x] itself, or, wider
 * where it is a small count, the 90 % interval of a Poisson mean that counted it; after `quiet`
 * snapshots in a row that counted 0, at most what counts 0 that often one time in twenty
 * (−ln 0.05 / quiet). A pod drained before it went (its last increments 0) was held at the
 * traffic it no longer had, while its neighbours, which took that over during the drain, gained
 * nothing more when it went: one pod's share counted twice for 5 minutes of a rolling restart,
 * and a false ErrorRegression and RetryStorm at 1 s ticks. A pod serving 0.25 requests a second
 * counts 0 in most seconds: held at its last alone (0), its route read 25-32 % short at 1 s
 * scrapes while one of four pods was away.
 */
export function heldIncrement(mean: number, last: number, quiet: number): number {
  if (!(last > 0)) return Math.min(mean, ZERO_COUNT_BOUND / Math.max(1, quiet));
  return Math.min(Math.max(2 * last, poissonUpper(last)), Math.max(Math.min(last / 1.5, poissonLower(last)), mean));
}

/** The largest Poisson mean that counts 0 one time in twenty: −ln 0.05. */
const ZERO_COUNT_BOUND = -Math.log(0.05);

/** z of the one-sided 95 % bounds below. */
const Z95 = 1.6448536269514722;

/**
 * The upper one-sided 95 % bound of a Poisson mean that counted `x`, by Wilson and Hilferty's cube
 * root (Breslow & Day 1987, eq. 2.4): within 1 % of the exact χ² bound from 0 up (scipy:
 * chi2.ppf(0.95, 2 * (x + 1)) / 2 reads 2.995732 at 0, 4.743865 at 1, 10.51303 at 5, 118.0793 at 100).
 */
export function poissonUpper(x: number): number {
  const n = x + 1;
  return n * (1 - 1 / (9 * n) + Z95 / (3 * Math.sqrt(n))) ** 3;
}

/**
 * The lower one-sided 95 % bound of a Poisson mean that counted `x` > 0, likewise: within 1 % of
 * chi2.ppf(0.05, 2 * x) / 2 from 3 up (1.97015 at 5, 84.13928 at 100); at 1 it reads 0.0395 for
 * 0.0513, and at 2 0.345 for 0.355: lower, so the mean is kept a little more often.
 */
export function poissonLower(x: number): number {
  return Math.max(0, x * (1 - 1 / (9 * x) - Z95 / (3 * Math.sqrt(x))) ** 3);
}

/** `mean` with `increment` folded in at `weight` (in (0, 1]); `increment` where `mean` is NaN (none yet). Written out in add(). */
function smoothed(mean: number, increment: number, weight: number): number {
  return Number.isNaN(mean) ? increment : mean + weight * (increment - mean);
}

/**
 * How long a member whose scrape was missed is counted for: Prometheus's lookback (a series
 * without a sample for 5 minutes is stale), after which it ended after all.
 */
export const MISSED_FOR_MS = 5 * 60_000;

/** The largest count a double holds exactly (2^53): past it a "counter" counts nothing real. */
const MAX_COUNT = 2 ** 53;

/**
 * Whether a counter that fell from `last` to `value` went backwards rather than restarting: a
 * restarted process counts from 0, and one interval's count is under half of all it had counted.
 * A dip (two replicas behind one series, a broken exporter) read as a restart counted the whole
 * new value, and a dip of 3 % paged a 393x storm. Such a sample is read as not read at all: the
 * tick's count is unknown, and the next is counted from the last value before the dip.
 */
function wentBack(value: number, last: number): boolean {
  return value >= last / 2;
}

/** The pool's smallest room, in entries. */
const MIN_PENDING = 256;

/**
 * Rows of a few integers and a few doubles each, interleaved a row at a time in two typed arrays
 * grown by a quarter as rows are added. Doubling left up to half of the room unused (a scrape of
 * 10k series held 65,536 members' room for 40,000); a quarter more each time copies every number
 * at most five times, once.
 */
class NumberRows {
  ints: Int32Array;
  doubles: Float64Array;
  /** Rows added (the next one's number). */
  count = 0;

  constructor(
    private readonly intsPerRow: number,
    private readonly doublesPerRow: number,
    rows = 8,
  ) {
    this.ints = new Int32Array(intsPerRow * rows);
    this.doubles = new Float64Array(doublesPerRow * rows);
  }

  /** Rows there is room for. */
  get capacity(): number {
    return this.ints.length / this.intsPerRow;
  }

  /** Adds a row (its numbers as a row of that number was left, or 0) and returns its number. */
  add(): number {
    const row = this.count++;
    if (row === this.capacity) {
      const rows = Math.ceil(row * 1.25);
      const ints = new Int32Array(this.intsPerRow * rows);
      ints.set(this.ints);
      this.ints = ints;
      const doubles = new Float64Array(this.doublesPerRow * rows);
      doubles.set(this.doubles);
      this.doubles = doubles;
    }
    return row;
  }

  /** Lets every row go, with room for `rows`. */
  reset(rows: number): void {
    this.ints = new Int32Array(this.intsPerRow * rows);
    this.doubles = new Float64Array(this.doublesPerRow * rows);
    this.count = 0;
  }
}
