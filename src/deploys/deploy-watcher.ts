// The deploy-window watcher: at a deploy it freezes each affected signal's pre-deploy baseline,
// then compares the post-deploy window with it (Mann-Whitney U plus an effect size and a traffic
// guard, as Kayenta judges canaries) and gives a verdict: fail as soon as the evidence is
// overwhelming or an incident fires, pass or inconclusive when the window ends. Pure: time comes in.
//
// Windows are ordered by start time, not by arrival: a deploy ends only the windows of its service
// that started before it, and a record that arrives late slots into history (its own window ends
// where the next deploy began). Two records of one rollout (the deploy API and a build-info marker)
// are one deploy: same environment, service and version, starts within one window of each other;
// or, from two sources when one names no release (Flagger's checksum), starts within the time one
// rollout takes to show (TWIN_START_SKEW_MS).
// Environments never meet: a staging deploy neither ends, joins nor resolves production's. Decided records
// are pruned by age and count, so the state stays bounded however many deploys are posted.

import type { SignalSample } from '../core/types.js';
import { mannWhitneyFloor, mannWhitneyU } from '../detectors/stats/mann-whitney.js';
import type { DeployEvent, DeployRecord, SignalEvidence } from './types.js';

export interface DeployWindowParams {
  windowMs: number;
  intervalMs: number;
  /** Significance for an early fail while the window is open (overwhelming evidence)... */
  earlyAlpha: number;
  /** ...and at the end of the window. */
  alpha: number;
  /** Post-deploy samples needed before any comparison. */
  minPostSamples: number;
  funnelDropFraction: number;
  minErrorRatioIncrease: number;
  /** A post-deploy bucket is judged only when it pooled at least this many requests. */
  minRequestsPerTick: number;
  /**
   * Ticks pooled into one post-deploy value, as the baselines pool them: the pre-deploy values are
   * baseline buckets, and a test of per-tick ratios against pooled ones would compare noise of
   * different sizes (and a per-tick traffic guard would keep only the busiest ticks).
   */
  bucketTicks: number;
  /** Decided deploys older than this are forgotten (default 7 days)... */
  retentionMs?: number;
  /** ...and beyond this many records the oldest decided ones are (default 1000). */
  maxRecords?: number;
}

/** Requests, completions and errors pooled over the ticks of a bucket being filled. */
interface PostBucket {
  requests: number;
  completed: number;
  errors: number;
  ticks: number;
}

export const DEFAULT_DEPLOY_RETENTION_MS = 7 * 86_400_000;
export const DEFAULT_MAX_DEPLOY_RECORDS = 1000;

/** Post-deploy buckets a whole window holds: fewer than minPostSamples, no deploy can be judged. */
export function windowBuckets(p: Pick<DeployWindowParams, 'windowMs' | 'intervalMs' | 'bucketTicks'>): number {
  return Math.floor(p.windowMs / (p.bucketTicks * p.intervalMs));
}

export interface PreBaseline {
  completion: number[];
  errorRatio: number[];
}

export interface WatchedSignalInfo {
  name: string;
  service?: string;
}

export interface SignalTick {
  sample: SignalSample;
  /** The tick's anomaly score (0 to 1; NaN or absent: no check could judge it). */
  anomalyScore?: number;
  /** The signal's incident alert is firing, and since when. */
  incidentSinceMs?: number;
  incidentAlert?: string;
  /** Its summary as it reads at this tick (the numbers a deploy failed by it quotes). */
  incidentSummary?: string;
}

export interface DeployAlertChange {
  record: DeployRecord;
  status: 'firing' | 'resolved';
  /** Why it resolved (the alert's resolved_because). */
  because?: string;
}

/** Series named in a reason: a few, then how many more (a split signal's window holds thousands). */
function namedFew(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** Whether a failed deploy's regressions were all its signals' incidents (no probe, no comparison of its windows). */
function failedByIncidentsAlone(r: DeployRecord): boolean {
  let incidents = 0;
  for (const e of r.evidence) {
    if (!e.regressed) continue;
    if (e.metric !== 'incident') return false;
    incidents++;
  }
  return incidents > 0;
}

/** A comparison of one signal's metric, reused while its inputs stay the same. */
interface Comparison {
  before: readonly number[];
  beforeLength: number;
  afterLength: number;
  alpha: number;
  result: Omit<SignalEvidence, 'signal'>;
}

type Metric = 'completion_ratio' | 'error_ratio';

interface OpenWindow {
  record: DeployRecord;
  signals: string[];
  pre: Map<string, PreBaseline>;
  post: Map<string, PreBaseline>;
  /** Each signal's post-deploy bucket being filled. */
  filling: Map<string, PostBucket>;
  /** Post-deploy ticks left out as an earlier incident's (said when too few were left to judge; not saved). */
  incidentTicks?: number;
  probeFailures: string[];
  /** The regression alert is firing for this deploy. */
  alerting: boolean;
  /**
   * Each signal's last comparisons while the window is pending: a post-deploy value is added once a
   * bucket (a minute), and the same inputs give the same result (compare is pure).
   */
  compared: Record<Metric, Map<string, Comparison>>;
}

const NO_SIGNALS: ReadonlySet<string> = new Set();

export class DeployWatcher {
  private readonly windows = new Map<string, OpenWindow>();
  /** Other ids of the same rollout (an API id for a marker's deploy, or the reverse) -> the record's id. */
  private readonly aliases = new Map<string, string>();
  /**
   * The windows a tick still concerns (pending, or their regression alert firing), in the order of
   * `windows`: a window leaves once decided and quiet and never comes back, so with no deploy open
   * a tick does nothing here.
   */
  private readonly live = new Set<OpenWindow>();
  /** signalsInQuestion's last answer, and what it was made from (the signals' count, the services in question). */
  private inQuestion: ReadonlySet<string> = NO_SIGNALS;
  private questionKey = '';
  /** No decided window is old enough to be forgotten before this time (-Infinity: look again). */
  private pruneDueMs = Number.NEGATIVE_INFINITY;

  private readonly signals: WatchedSignalInfo[];
  /** Series with requests alone: no error or completion ratio to compare before and after a deploy. */
  private readonly requestsOnly = new Set<string>();

  constructor(
    private readonly params: DeployWindowParams,
    signals: readonly WatchedSignalInfo[],
  ) {
    this.signals = [...signals];
  }

  /** Adds a series that deploys can affect (series of split signals appear over time). */
  register(name: string, service: string | undefined, ratios = true): void {
    this.signals.push({ name, ...(service !== undefined ? { service } : {}) });
    if (!ratios) this.requestsOnly.add(name);
  }

  /** The signals a deploy of `service` can affect: those labelled with it, else all. */
  signalsOf(service: string): string[] {
    const own = this.signals.filter((s) => s.service === service).map((s) => s.name);
    return own.length > 0 ? own : this.signals.map((s) => s.name);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /**
   * The record of the same rollout, if one is known: same environment, service and version, started
   * within one window of `event`. The deploy API and a build-info marker both report a rollout; it is one deploy.
   * Flagger's ids name a revision (its spec's checksum): two of them are two revisions, whatever
   * version the Canary's static webhook metadata gives both.
   * Else its twin from another source when a version names no release (twinOf).
   */
  sameRollout(event: Pick<DeployEvent, 'id' | 'service' | 'version' | 'environment' | 'startedAtMs' | 'startedAfterMs' | 'source' | 'opaqueVersion'>): DeployRecord | undefined {
    for (const w of this.windows.values()) {
      const r = w.record;
      if (!sameEnvironment(r, event)) continue;
      if (event.source === 'flagger' && reportedBy(r, 'flagger') && r.id !== event.id) continue;
      if (r.service !== event.service || r.version !== event.version || startGap(r, event) > this.params.windowMs) continue;
      if (!this.rolledOverBetween(r, event.startedAtMs)) return r;
    }
    return this.twinOf(event);
  }

  /**
   * Whether another version of `record`'s service (its environment) started after it and by
   * `timeMs`: a report of `record`'s version then is a rollout of its own (a rollback to it), not
   * `record` reported again. Joined to the old record, a rollback within a window of it was never
   * judged, and answered with the old verdict (or the failure of the version it replaced).
   */
  rolledOverBetween(record: DeployRecord, timeMs: number): boolean {
    for (const w of this.windows.values()) {
      const o = w.record;
      if (o === record || o.service !== record.service || o.version === record.version || !sameEnvironment(o, record)) continue;
      if (o.startedAtMs > record.startedAtMs && o.startedAtMs <= timeMs) return true;
    }
    return false;
  }

  /**
   * The record another source made of the rollout `event` reports, when one of the two names it by
   * no release (opaqueVersion: Flagger's checksum, the README's advice, or a deploy-timestamp's
   * value), so versions cannot tell: same environment and service, not yet reported by `event`'s
   * source, started within TWIN_START_SKEW_MS (at most a window) of it; the nearest start of those.
   * A source reports each rollout once, so a second event from a source the record already has is
   * a rollout of its own (a revert, the next release) and still supersedes, as does one started
   * later than a rollout takes to show. Two release names that differ stay two rollouts.
   */
  private twinOf(event: Pick<DeployEvent, 'service' | 'environment' | 'startedAtMs' | 'startedAfterMs' | 'source' | 'opaqueVersion'>): DeployRecord | undefined {
    const skew = Math.min(this.params.windowMs, TWIN_START_SKEW_MS + this.params.intervalMs);
    let twin: DeployRecord | undefined;
    let twinGap = Number.POSITIVE_INFINITY;
    let twinNear = Number.POSITIVE_INFINITY;
    for (const w of this.windows.values()) {
      const r = w.record;
      if (r.service !== event.service || !sameEnvironment(r, event) || reportedBy(r, event.source) || !(event.opaqueVersion || r.opaqueVersion)) continue;
      const gap = startGap(r, event);
      // Of equal gaps (starts inside a marker's blind span), the one nearest its first look.
      const near = Math.abs(r.startedAtMs - event.startedAtMs);
      if (gap <= skew && (gap < twinGap || (gap === twinGap && near < twinNear))) {
        twin = r;
        twinGap = gap;
        twinNear = near;
      }
    }
    return twin;
  }

  /**
   * Records a deploy. A second record of a known rollout joins it (its id becomes an alias, its
   * source is added). Otherwise a window opens (`pre` is each signal's baseline frozen now), the
   * pending windows of the service that started before it end at its start ("superseded"), a failed
   * earlier deploy's alert resolves (the rollback came), and a late record's own window ends where
   * the next deploy of the service began: all within its environment only.
   */
  add(event: DeployEvent, pre: Map<string, PreBaseline>, nowMs?: number): { record: DeployRecord; changes: DeployAlertChange[]; joined: boolean } {
    const known = this.get(event.id) ?? this.sameRollout(event);
    if (known) {
      if (known.id !== event.id && !known.aliases?.includes(event.id)) {
        (known.aliases ??= []).push(event.id);
        this.aliases.set(event.id, known.id);
      }
      const sources = (known.sources ??= [known.source]);
      if (!sources.includes(event.source)) sources.push(event.source);
      return { record: known, changes: [], joined: true };
    }
    const changes: DeployAlertChange[] = [];
    const record: DeployRecord = { ...event, verdict: 'pending', windowEndsAtMs: event.startedAtMs + this.params.windowMs, reasons: [], evidence: [], ...(nowMs !== undefined ? { recordedAtMs: nowMs } : {}) };
    for (const w of this.windows.values()) {
      const r = w.record;
      if (r.service !== event.service || !sameEnvironment(r, event)) continue;
      if (r.startedAtMs <= event.startedAtMs) {
        if (w.alerting) {
          w.alerting = false;
          if (r.verdict !== 'pending') this.live.delete(w);
          changes.push({ record: r, status: 'resolved', because: `the next deploy of ${r.service} began (${event.version}, ${event.id}, at ${new Date(event.startedAtMs).toISOString()}): a rollback or a fix, judged on its own window` });
        }
        if (r.verdict === 'pending' && event.startedAtMs < r.windowEndsAtMs) {
          // Superseded before its window ended: judged on what was seen.
          r.windowEndsAtMs = event.startedAtMs;
          r.supersededBy = event.id;
        }
      } else if (r.startedAtMs < record.windowEndsAtMs) {
        // A late record: a newer deploy of the service already replaced this version.
        record.windowEndsAtMs = r.startedAtMs;
        record.supersededBy = r.id;
      }
    }
    const signals = this.signalsOf(event.service);
    if (signals.length > 0 && !this.signals.some((s) => s.service === event.service)) record.judgedOnAll = true;
    const w: OpenWindow = { record, signals, pre, post: new Map(signals.map((s) => [s, { completion: [], errorRatio: [] }])), filling: new Map(), probeFailures: [], alerting: false, compared: noComparisons() };
    this.windows.set(event.id, w);
    this.live.add(w);
    // Windows' ends may have moved (superseded): the next prune looks again.
    this.pruneDueMs = Number.NEGATIVE_INFINITY;
    return { record, changes, joined: false };
  }

  /**
   * A smoke probe of `service` failed: the open windows of that service fail at once, those of
   * `environment` only when the probe names one (a staging probe failing no production deploy).
   */
  probeFailed(service: string, detail: string, environment?: string): void {
    for (const w of this.windows.values()) {
      if (w.record.service !== service || w.record.verdict !== 'pending') continue;
      if (environment !== undefined && (w.record.environment ?? '') !== environment) continue;
      w.probeFailures.push(detail);
    }
  }

  /**
   * Forgets decided deploys older than the retention, then the oldest decided ones beyond the
   * maximum count. Pending windows and firing regression alerts are kept: they still matter.
   */
  prune(timeMs: number): void {
    const retentionMs = this.params.retentionMs ?? DEFAULT_DEPLOY_RETENTION_MS;
    const maxRecords = this.params.maxRecords ?? DEFAULT_MAX_DEPLOY_RECORDS;
    const removable = (w: OpenWindow) => w.record.verdict !== 'pending' && !w.alerting;
    let dueMs = Number.POSITIVE_INFINITY;
    for (const [id, w] of this.windows) {
      if (removable(w) && timeMs - w.record.windowEndsAtMs > retentionMs) this.forget(id);
      // Every window counts, pending ones too: one decided later is removable from its end's age.
      else dueMs = Math.min(dueMs, w.record.windowEndsAtMs + retentionMs);
    }
    this.pruneDueMs = dueMs;
    if (this.windows.size <= maxRecords) return;
    const oldestFirst = [...this.windows.values()].filter(removable).sort((a, b) => a.record.startedAtMs - b.record.startedAtMs);
    for (const w of oldestFirst.slice(0, this.windows.size - maxRecords)) this.forget(w.record.id);
  }

  private forget(id: string): void {
    const w = this.windows.get(id);
    for (const alias of w?.record.aliases ?? []) this.aliases.delete(alias);
    if (w) this.live.delete(w);
    this.windows.delete(id);
  }

  /**
   * The signals a deploy in question concerns (a window pending, or its alert firing): their error
   * bursts are not held (detectors/stats/error-bursts.ts). Empty with no deploy in question.
   */
  signalsInQuestion(): ReadonlySet<string> {
    if (this.live.size === 0) return NO_SIGNALS;
    // Read every tick a deploy is in question: made again only when the services in question or
    // the signals change (a window of a 100k-series service would otherwise make a set a tick).
    let key = `${this.signals.length}`;
    for (const w of this.live) key += `\n${w.record.service}`;
    if (key !== this.questionKey) {
      const out = new Set<string>();
      for (const w of this.live) for (const name of this.signalsOf(w.record.service)) out.add(name);
      this.questionKey = key;
      this.inQuestion = out;
    }
    return this.inQuestion;
  }

  /** Feeds one tick of every signal; returns records whose verdict changed and alert changes. */
  /** Whether a tick's signals concern any window (one pending, or its alert firing): else observe reads none of them. */
  get readsTicks(): boolean {
    return this.live.size > 0;
  }

  observe(timeMs: number, ticks: ReadonlyMap<string, SignalTick>): { changed: DeployRecord[]; alerts: DeployAlertChange[] } {
    const changed: DeployRecord[] = [];
    const alerts: DeployAlertChange[] = [];
    for (const w of this.live) {
      const r = w.record;
      if (timeMs < r.startedAtMs) continue;
      if (r.verdict === 'pending') {
        if (timeMs <= r.windowEndsAtMs) this.collect(w, ticks, timeMs);
        const before = r.verdict;
        this.judge(w, timeMs, ticks);
        if (r.verdict !== before) {
          changed.push(r);
          w.compared = noComparisons();
          if (r.verdict === 'fail') {
            w.alerting = true;
            alerts.push({ record: r, status: 'firing' });
          } else this.live.delete(w);
          this.pruneDueMs = Number.NEGATIVE_INFINITY;
        }
      } else if (w.alerting && (timeMs >= r.windowEndsAtMs || failedByIncidentsAlone(r)) && !w.signals.some((s) => ticks.get(s)?.incidentSinceMs !== undefined)) {
        // Its signals are healthy again, and the window is over or what failed it was their
        // incidents alone: those are over. The verdict stays. Held until the window's end, the
        // page (often the only one: it inhibits its incident's) said nothing of a recovery for 19
        // minutes of the static-404 replay. One failed by a probe or the windows' comparison
        // waits for the window's end.
        w.alerting = false;
        this.live.delete(w);
        const healthy = `${w.signals.length === 1 ? `${w.signals[0]} is` : 'its signals are'} healthy again (no incident)`;
        const because = timeMs >= r.windowEndsAtMs ? `its window ended at ${new Date(r.windowEndsAtMs).toISOString()} and ${healthy}: mended without a deploy` : `the incident that failed it is over: ${healthy} at ${new Date(timeMs).toISOString()}, its window open until ${new Date(r.windowEndsAtMs).toISOString()}; the verdict stays fail`;
        alerts.push({ record: r, status: 'resolved', because });
      }
    }
    // Nothing can be forgotten before the oldest window's end is older than the retention.
    if (timeMs > this.pruneDueMs || this.windows.size > (this.params.maxRecords ?? DEFAULT_MAX_DEPLOY_RECORDS)) this.prune(timeMs);
    return { changed, alerts };
  }

  /** A deploy by its id or by the id of another record of the same rollout. */
  get(id: string): DeployRecord | undefined {
    return this.windows.get(id)?.record ?? this.windows.get(this.aliases.get(id) ?? '')?.record;
  }

  /** Every deploy, newest start first (a late record sits where it happened, not where it arrived). */
  records(): DeployRecord[] {
    return [...this.windows.values()].map((w) => w.record).sort((a, b) => b.startedAtMs - a.startedAtMs);
  }

  get size(): number {
    return this.windows.size;
  }

  markRollbackRequested(id: string, timeMs: number): void {
    const w = this.windows.get(id);
    if (w) w.record.rollbackRequestedAtMs = timeMs;
  }

  /** The deploys whose regression alert is firing now (failed, and their window or incident not over). */
  alertingRecords(): DeployRecord[] {
    const out: DeployRecord[] = [];
    for (const w of this.windows.values()) if (w.alerting) out.push(w.record);
    return out;
  }

  snapshot(): unknown {
    return [...this.windows.values()].map((w) => ({ record: w.record, signals: w.signals, pre: [...w.pre], post: [...w.post], probeFailures: w.probeFailures, alerting: w.alerting }));
  }

  restore(snapshot: unknown): void {
    if (!Array.isArray(snapshot)) return;
    for (const s of snapshot as { record: DeployRecord; signals: string[]; pre: [string, PreBaseline][]; post: [string, PreBaseline][]; probeFailures: string[]; alerting: boolean }[]) {
      if (!s?.record?.id || this.windows.has(s.record.id)) continue;
      const w: OpenWindow = { record: s.record, signals: s.signals, pre: new Map(s.pre), post: new Map(s.post), filling: new Map(), probeFailures: s.probeFailures ?? [], alerting: s.alerting === true, compared: noComparisons() };
      this.windows.set(s.record.id, w);
      if (w.record.verdict === 'pending' || w.alerting) this.live.add(w);
      for (const alias of s.record.aliases ?? []) this.aliases.set(alias, s.record.id);
      this.pruneDueMs = Number.NEGATIVE_INFINITY;
    }
  }

  /** Adds this tick to the window's post-deploy buckets, and to its most unusual moment. */
  private collect(w: OpenWindow, ticks: ReadonlyMap<string, SignalTick>, timeMs: number): void {
    const perTick = this.params.intervalMs / 1000;
    const r = w.record;
    // No signal of the window read data (the source down, credentials refused): nothing was seen,
    // which is no evidence of too little traffic. The window waits as long again at most.
    if (w.signals.length > 0 && !w.signals.some((name) => (ticks.get(name)?.sample.requests ?? Number.NaN) >= 0)) {
      r.blindTicks = (r.blindTicks ?? 0) + 1;
      if (r.supersededBy === undefined) r.windowEndsAtMs = Math.min(r.startedAtMs + 2 * this.params.windowMs, r.windowEndsAtMs + this.params.intervalMs);
    }
    for (const name of w.signals) {
      const t = ticks.get(name);
      // Ticks of an incident that began before this deploy belong to that incident (a rollback
      // deployed while it still lasts), not to this deploy's effect: their score too, which holds
      // at the incident's worst while it pages.
      const earlierIncident = t?.incidentSinceMs !== undefined && t.incidentSinceMs < w.record.startedAtMs - this.params.intervalMs;
      // The highest anomaly score so far (the first tick of equal ones); NaN is no score.
      const score = t?.anomalyScore;
      if (!earlierIncident && score !== undefined && score > (r.peakAnomaly?.score ?? -1)) r.peakAnomaly = { signal: name, score, atMs: timeMs };
      if (!t || !(t.sample.requests >= 0)) continue;
      if (earlierIncident) {
        w.incidentTicks = (w.incidentTicks ?? 0) + 1;
        continue;
      }
      let b = w.filling.get(name);
      if (!b) w.filling.set(name, (b = { requests: 0, completed: 0, errors: 0, ticks: 0 }));
      b.requests += t.sample.requests * perTick;
      b.completed += t.sample.downstream * perTick;
      b.errors += t.sample.errors * perTick;
      if (++b.ticks < this.params.bucketTicks) continue;
      w.filling.delete(name);
      if (!(b.requests >= Math.max(this.params.minRequestsPerTick, 1))) continue;
      const post = w.post.get(name)!;
      if (Number.isFinite(b.completed)) post.completion.push(b.completed / b.requests);
      if (Number.isFinite(b.errors)) post.errorRatio.push(b.errors / b.requests);
    }
  }

  /** compare(), or its result at an earlier tick when the values and the significance are the same. */
  private compared(w: OpenWindow, name: string, metric: Metric, before: readonly number[], after: readonly number[], alpha: number): Omit<SignalEvidence, 'signal'> {
    const cache = w.compared[metric];
    const last = cache.get(name);
    // The value arrays only grow (a bucket pushed): same array and length, same values.
    if (last && last.before === before && last.beforeLength === before.length && last.afterLength === after.length && last.alpha === alpha) return last.result;
    const result = compare(metric, before, after, this.params, alpha);
    cache.set(name, { before, beforeLength: before.length, afterLength: after.length, alpha, result });
    return result;
  }

  private judge(w: OpenWindow, timeMs: number, ticks: ReadonlyMap<string, SignalTick>): void {
    const r = w.record;
    const p = this.params;
    const ended = timeMs >= r.windowEndsAtMs;
    const evidence: SignalEvidence[] = [];
    const reasons: string[] = [];
    for (const detail of w.probeFailures) {
      reasons.push(`smoke probe failed: ${detail}`);
      evidence.push({ signal: '', metric: 'probe', preMedian: Number.NaN, postMedian: Number.NaN, pValue: 0, nPre: 0, nPost: 0, regressed: true, detail });
    }
    let enoughData = false;
    // Whether some comparison could have shown a regression at deploys.alpha: samples so small that
    // even every bucket after below every one before stays above it judge nothing (4 against 4
    // cannot reach 0.01), and their "no regression" is no pass.
    let couldFail = false;
    let smallestFloor = 1;
    // The most of either side any signal had, to say which side was short when nothing could be compared.
    let preMost = 0;
    let postMost = 0;
    for (const name of w.signals) {
      const tick = ticks.get(name);
      // An incident that started after the deploy (less one tick: the deploy time is rounded) is decisive.
      if (tick?.incidentSinceMs !== undefined && tick.incidentSinceMs >= r.startedAtMs - p.intervalMs) {
        // With the incident's own numbers: the deploy's page is often the only one (it inhibits
        // the incident's), and its alert name alone gave the on-call nothing to act on.
        const detail = `${tick.incidentAlert ?? 'incident'} on ${name} since ${new Date(tick.incidentSinceMs).toISOString()}${tick.incidentSummary ? ` (${tick.incidentSummary})` : ''}`;
        reasons.push(detail);
        evidence.push({ signal: name, metric: 'incident', preMedian: Number.NaN, postMedian: Number.NaN, pValue: 0, nPre: 0, nPost: 0, regressed: true, detail });
      }
      const pre = w.pre.get(name);
      const post = w.post.get(name)!;
      for (const metric of ['completion_ratio', 'error_ratio'] as const) {
        const before = metric === 'completion_ratio' ? pre?.completion : pre?.errorRatio;
        const after = metric === 'completion_ratio' ? post.completion : post.errorRatio;
        preMost = Math.max(preMost, before?.length ?? 0);
        postMost = Math.max(postMost, after.length);
        if (!before || before.length < p.minPostSamples || after.length < p.minPostSamples) continue;
        enoughData = true;
        const floor = mannWhitneyFloor(after.length, before.length);
        smallestFloor = Math.min(smallestFloor, floor);
        if (floor < p.alpha) couldFail = true;
        const e = this.compared(w, name, metric, before, after, ended ? p.alpha : p.earlyAlpha);
        evidence.push({ signal: name, ...e });
        if (e.regressed) reasons.push(`${name}: ${e.detail}`);
      }
    }
    r.evidence = evidence;
    const peak = r.peakAnomaly;
    // Said beside a verdict that found no regression when a moment after the deploy was rare for
    // its series (at 0.5, a tick as rare as e^-15 among the series' own ticks: about where pages
    // start). A failed deploy's reasons are its page's words, and name what failed already.
    const unusual = peak && peak.score >= PEAK_ANOMALY_NOTE ? [`most unusual after the deploy (said, not judged): ${peak.signal} at ${new Date(peak.atMs).toISOString()}, anomaly score ${peak.score.toFixed(2)}`] : [];
    if (reasons.length > 0) {
      r.verdict = 'fail';
      r.reasons = reasons;
      r.decidedAtMs = timeMs;
    } else if (ended) {
      const superseded = r.supersededBy !== undefined ? `superseded by ${r.supersededBy} at ${new Date(r.windowEndsAtMs).toISOString()}` : undefined;
      const blind = r.blindTicks !== undefined && r.blindTicks * p.intervalMs >= p.windowMs / 2;
      if (!blind && w.signals.length > 0 && w.signals.every((name) => this.requestsOnly.has(name))) {
        // Requests alone: nothing to compare before and after, and no incident in the window. Said
        // "no pre-deploy baseline", every deploy of such a service was inconclusive, and the gates
        // (inconclusive: fail by default) rolled each one back.
        r.verdict = superseded ? 'superseded' : 'pass';
        r.reasons = [
          `no incident on ${namedFew(w.signals)} in the window; ${w.signals.length === 1 ? 'it watches' : 'they watch'} requests alone: no error or completion ratio to compare before and after`,
          ...(superseded ? [`${superseded}: judged on the window until then`] : []),
          ...unusual,
        ];
      } else if (enoughData && !couldFail) {
        r.verdict = superseded ? 'superseded' : 'inconclusive';
        r.reasons = [
          `${superseded ? `${superseded}: ` : ''}too few buckets to show a regression: ${postMost} post-deploy against ${preMost} pre-deploy, where even all after worse than all before gives p=${smallestFloor.toPrecision(2)}, not under deploys.alpha (${p.alpha}); lengthen deploys.window, or deploy after a longer baseline`,
          ...unusual,
        ];
      } else if (enoughData) {
        r.verdict = 'pass';
        r.reasons = ['no signal regressed in the window', ...(superseded ? [`${superseded}: judged on the window until then`] : []), ...unusual];
      } else {
        // Cut short by the next deploy, or recorded after its window: not starved of traffic. Say so.
        const tooLate = r.recordedAtMs !== undefined && r.recordedAtMs >= r.windowEndsAtMs;
        r.verdict = superseded ? 'superseded' : 'inconclusive';
        r.reasons = [
          superseded
            ? `${superseded}, before its window held enough to judge: ${postMost} post-deploy bucket(s) of ${(p.bucketTicks * p.intervalMs) / 1000}s seen, ${p.minPostSamples} needed (cut short, not starved of traffic)`
            : tooLate
              ? `recorded at ${new Date(r.recordedAtMs!).toISOString()}, after its window had ended: nothing was watched to judge`
              : windowBuckets(p) < p.minPostSamples
                ? `deploys.window (${p.windowMs / 1000}s) holds ${windowBuckets(p)} post-deploy bucket(s) of ${(p.bucketTicks * p.intervalMs) / 1000}s (detector.baselineResolution), fewer than the ${p.minPostSamples} a verdict compares: lengthen the window`
                : r.blindTicks !== undefined && postMost < p.minPostSamples && r.blindTicks * p.intervalMs >= p.windowMs / 2
                ? `no signal of the window read data at ${r.blindTicks} tick(s) (the source down or refusing: see stormwatch_source_errors_total; or no series yet), and the window was extended by as many up to its own length again: ${postMost} post-deploy bucket(s) seen, ${p.minPostSamples} needed; not a verdict on the deploy`
                : preMost < p.minPostSamples
                ? `no pre-deploy baseline to compare with: the signals held ${preMost} baseline bucket(s) when the deploy began, ${p.minPostSamples} needed (stormwatch or the series started shortly before it)`
                : `too little traffic in the window to judge: ${postMost} post-deploy bucket(s) of ${(p.bucketTicks * p.intervalMs) / 1000}s held ${p.minRequestsPerTick}+ requests, ${p.minPostSamples} needed${w.incidentTicks ? ` (${w.incidentTicks} tick(s) left out: they belonged to an incident that began before the deploy)` : ''}`,
        ];
      }
      r.decidedAtMs = timeMs;
    }
  }
}

/** The anomaly score from which the most unusual moment after a deploy is said in its reasons. */
export const PEAK_ANOMALY_NOTE = 0.5;

/**
 * How far apart two sources may date one rollout (plus a tick). Each dates it at another moment:
 * Flagger at its "New revision detected" event (or its first hook, once the canary is ready), Argo
 * at its notification, a pipeline when it posts, a marker when the new version is first scraped,
 * once new pods run. Kubernetes Deployments, Argo Rollouts and Flagger canaries give new pods 600 s
 * to become ready (progressDeadlineSeconds' default) before the rollout fails, and a scrape (1 min,
 * Prometheus' default) shows them after that: one rollout's reports lie within 11 minutes.
 */
export const TWIN_START_SKEW_MS = 11 * 60_000;

/**
 * How far apart two reports of rollouts start: 0 when either's span holds the other's. A report's
 * span is its start alone, or [startedAfterMs, startedAtMs] when its source was blind before it (a
 * marker back from a gap: the rollout began somewhere in between).
 */
export function startGap(a: Pick<DeployEvent, 'startedAtMs' | 'startedAfterMs'>, b: Pick<DeployEvent, 'startedAtMs' | 'startedAfterMs'>): number {
  return Math.max(0, (a.startedAfterMs ?? a.startedAtMs) - b.startedAtMs, (b.startedAfterMs ?? b.startedAtMs) - a.startedAtMs);
}

/** Whether `source` already reported this record's rollout. */
function reportedBy(r: DeployRecord, source: DeployEvent['source']): boolean {
  return r.source === source || r.sources?.includes(source) === true;
}

/**
 * Whether two deploys are in one environment. Every source gives one (the API, the CLI, Argo and
 * markers default to production, Flagger to the canary's namespace); a record without one counts
 * as environment '', which meets only others without one.
 */
function sameEnvironment(a: Pick<DeployEvent, 'environment'>, b: Pick<DeployEvent, 'environment'>): boolean {
  return (a.environment ?? '') === (b.environment ?? '');
}

function noComparisons(): Record<Metric, Map<string, Comparison>> {
  return { completion_ratio: new Map(), error_ratio: new Map() };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function compare(metric: Metric, pre: readonly number[], post: readonly number[], p: DeployWindowParams, alpha: number): Omit<SignalEvidence, 'signal'> {
  const worse = metric === 'completion_ratio' ? 'less' : 'greater';
  const test = mannWhitneyU(post, pre, worse);
  const preMedian = median(pre);
  const postMedian = median(post);
  const bigEnough = metric === 'completion_ratio' ? postMedian <= preMedian * (1 - p.funnelDropFraction) : postMedian - preMedian >= p.minErrorRatioIncrease;
  const regressed = test.pValue < alpha && bigEnough;
  const what = metric === 'completion_ratio' ? 'downstream completion' : 'error ratio';
  const pct = (x: number) => `${(x * 100).toPrecision(3)}%`;
  return {
    metric,
    preMedian,
    postMedian,
    pValue: test.pValue,
    nPre: pre.length,
    nPost: post.length,
    regressed,
    detail: `${what} ${pct(postMedian)} after vs ${pct(preMedian)} before (Mann-Whitney p=${test.pValue.toPrecision(2)}, n=${post.length}/${pre.length})${smallChange(test.pValue < alpha && !bigEnough, metric, p)}`,
  };
}

/**
 * Why a change the test finds is no regression: smaller than the change that counts. Said, since a
 * pass beside p=3.6e-8 reads as a contradiction. '' when the test found nothing.
 */
function smallChange(found: boolean, metric: Metric, p: DeployWindowParams): string {
  if (!found) return '';
  const floor = metric === 'completion_ratio' ? `a ${(p.funnelDropFraction * 100).toPrecision(2)}% relative drop` : `a rise of ${(p.minErrorRatioIncrease * 100).toPrecision(2)} points`;
  return `: a real change, under ${floor} that counts as a regression`;
}
