// Turns assessments into alert transitions. Each signal has two alerts: its incident (a retry
// storm, an outage or an error regression; the kind is decided when it fires and kept until it
// resolves, since labels are an alert's identity) and an informational organic-surge alert.
// Pure: time comes in.

import type { AlertTransition, Labels } from '../core/types.js';
import { type AlertReading, changedMaterially, readingOf, receding } from './alert-refresh.js';
import { type AlertState, type HoldParams, INACTIVE, stepAlert } from './alert-state.js';
import type { AlertKind, Assessment } from './assessment.js';
import { STORM_MIN_MULTIPLIER } from './storm-floor.js';
import { copyAssessment } from './series-assessment.js';
import { explain, explainAftermath } from './explain.js';
import { fingerprint } from './fingerprint.js';
import { formatCompletion, formatFactor, formatPercent, formatRate } from './format.js';
import { renderTemplate } from './template.js';

export type Severity = 'info' | 'warning' | 'critical';

export interface AlertDefinition {
  alertname: string;
  severity: Severity;
  summary: string;
  description: string;
}

export type DefinitionKind = AlertKind | 'deploy_regression' | 'smoke_probe_failed';
export type AlertDefinitions = Record<DefinitionKind, AlertDefinition>;

/** How far a live tick's time may stray from its place in the schedule (half the shortest interval, 1 s). */
const TICK_JITTER_MS = 500;

/** The names a definition's templates may use. */
export const TEMPLATE_VALUES = [
  'signal', 'since', 'explanation', 'requests', 'requestsBaseline', 'multiplier', 'failingAttempts', 'failingRequests',
  'attemptsPerRequest', 'clientModel', 'logicalDemand', 'completion', 'completionBaseline', 'errorRatio', 'errorRatioBaseline', 'failing', 'ratios',
] as const;
export const DEPLOY_TEMPLATE_VALUES = ['service', 'version', 'environment', 'deployId', 'reasons', 'verdictURL'] as const;
export const PROBE_TEMPLATE_VALUES = ['probe', 'service', 'url', 'failure'] as const;

/** The template values each definition may use. */
export function templateValuesFor(kind: DefinitionKind): readonly string[] {
  if (kind === 'deploy_regression') return DEPLOY_TEMPLATE_VALUES;
  if (kind === 'smoke_probe_failed') return PROBE_TEMPLATE_VALUES;
  return TEMPLATE_VALUES;
}
type TemplateValues = Record<(typeof TEMPLATE_VALUES)[number], string>;

export interface SignalIdentity {
  /** The series id: the signal's name, or name{labels} for a series of a split signal. */
  id: string;
  /** The signal's name (the `signal` label). */
  name: string;
  /** The signal's labels and the series' group labels. */
  labels: Labels;
  /** The signal's own `for` / `keepFiringFor`, when it overrides the config-wide ones. */
  hold?: HoldParams;
  /** The signal's own classifyWithin, when it overrides it. */
  classifyWithinMs?: number;
  /** Extra annotations on the signal's alerts (runbook_url); they win over computed ones. */
  annotations?: Labels;
  /** How unusual its tick is, in [0, 1] (NaN: no check could judge it). */
  readonly anomalyScore?: number;
  /** The highest score of the anomaly episode the tick belongs to (0: none open). */
  readonly anomalyEpisodePeak?: number;
  /** Sets a floor under this tick's anomaly score (see AlertDecider's holdScore). */
  holdAnomalyScore?(floor: number): void;
}

interface TrackedAlert {
  state: AlertState;
  /** Set when the alert fires (its kind is chosen then); kept for its resolved notification. */
  labels: Labels;
  fingerprint: string;
  annotations: Labels;
  startsAtMs: number;
  /** First tick of a healthy funnel with requests still amplified (a storm outliving its cause). */
  healthySinceMs?: number;
  /** The kind it fired as, the reading last sent, when, and how many updates so far. */
  kind?: AlertKind;
  reading?: AlertReading;
  lastSentMs?: number;
  updates?: number;
  /** Data time of the first tick of a run of unjudged ones (no data, nothing to judge) while firing, and whether it was said. */
  unjudgedSinceMs?: number;
  unjudgedSaid?: boolean;
  /** An incident's highest anomaly score since its condition first held, or since the anomaly episode it began in (see holdScore). */
  peakScore?: number;
}

/**
 * A firing alert whose series cannot be judged (no data: a query that went empty, every target
 * down; or too little to judge) stays firing - nobody can say the incident is over - and says so
 * once it has lasted UNJUDGED_SAID_AFTER_MS (an update with `unjudged_since`); data back says so
 * too. After UNJUDGED_RESOLVE_AFTER_MS it resolves, saying why: a series gone for good (a route
 * removed, a pod set scaled away) kept its page firing, and its memory, for ever. Two hours is
 * when a split series' group is forgotten (FORGET_GROUP_AFTER_MS).
 */
export const UNJUDGED_SAID_AFTER_MS = 5 * 60_000;
export const UNJUDGED_RESOLVE_AFTER_MS = 2 * 3_600_000;

export interface FiringAlert {
  labels: Labels;
  annotations: Labels;
  fingerprint: string;
  startsAtMs: number;
}

/** How long an incident whose kind is unclear may wait for it, and the tick interval. */
export interface ClassifyParams {
  withinMs: number;
}

/**
 * Requests must stay amplified this long after the failure checks turn healthy before the storm
 * is said to have outlived its cause: a cargo retry chain drains in ~11 s, pip's in ~8 s.
 */
export const AFTERMATH_AFTER_MS = 30_000;

/** A firing incident is refreshed at most every `minIntervalMs`, and only when its reading changed materially. */
export interface UpdateParams {
  minIntervalMs: number;
}

export class AlertDecider {
  private readonly alerts = new Map<string, TrackedAlert>();
  /** Alerts tracked per series id: a series with none and nothing wrong needs no key or lookup. */
  private readonly trackedPerSeries = new Map<string, number>();

  constructor(
    private readonly definitions: AlertDefinitions,
    private readonly hold: HoldParams,
    private readonly commonLabels: Labels = {},
    private readonly classify: ClassifyParams = { withinMs: 0 },
    private readonly updates: UpdateParams = { minIntervalMs: 30_000 },
  ) {}

  /** Feeds one signal's assessment at data time `timeMs`; returns the alerts that changed state. */
  decide(signal: SignalIdentity, assessment: Assessment, timeMs: number): AlertTransition[] {
    // The healthy path at 100k series: no alert of the series tracked and none to start.
    if (assessment.failing !== true && assessment.surge !== true && !this.trackedPerSeries.has(signal.id)) return [];
    const out: AlertTransition[] = [];
    const key = `${signal.id}\u0000incident`;
    const incident = this.alerts.get(key);
    const firing = incident?.state.phase === 'firing';
    // The cause is gone but requests stay amplified: the incident is not over, and it is no surge.
    const outliving = firing && assessment.failing === false && assessment.surge === true && assessment.requests / assessment.requestsBaseline >= STORM_MIN_MULTIPLIER;
    if (!outliving && incident) delete incident.healthySinceMs;
    const healthySinceMs = outliving ? (incident!.healthySinceMs ??= timeMs) : Number.NaN;
    if (outliving && timeMs - healthySinceMs >= AFTERMATH_AFTER_MS) {
      const aftermath = { healthySinceMs, multiplier: assessment.requests / assessment.requestsBaseline };
      this.step(key, signal, { ...copyAssessment(assessment), aftermath, explanation: explainAftermath(signal.id, assessment, aftermath) }, true, () => assessment.kind, timeMs, out);
    } else {
      this.step(key, signal, assessment, assessment.failing, () => assessment.kind, timeMs, out);
    }
    this.step(`${signal.id}\u0000surge`, signal, assessment, firing && assessment.surge === true ? false : assessment.surge, () => 'organic_surge', timeMs, out);
    this.holdScore(key, signal, timeMs);
    return out;
  }

  /**
   * While a series' incident condition holds (its alert pending or firing), its anomaly score reads
   * at least the highest it read since the condition first held. The score ranks news (an onset, a
   * clear new high) and falls back within minutes of each: a 13-minute storm read 0.13-0.18 after
   * its first minute, a harmless surge's level, on every dashboard and chart while its page was
   * open; and a storm at 1 s ticks dipped to 0.45 while its kind was settled (classifyWithin), a
   * tick before it paged. Not while the alert only lingers (keepFiringFor), not over a NaN (no check
   * could judge the tick: unknown stays unknown), and not for a surge, which pages nobody. The
   * peak lives on the tracked alert: a quiet series pays nothing. It starts from the anomaly
   * episode the condition's first tick belongs to: a collapse's first tick is its most surprising
   * (0.73 at 1 s ticks) and its evidence holds the condition from the next (0.23).
   */
  private holdScore(key: string, signal: SignalIdentity, timeMs: number): void {
    const tracked = this.alerts.get(key);
    if (!tracked) return;
    const score = signal.anomalyScore;
    if (tracked.peakScore === undefined && signal.anomalyEpisodePeak !== undefined && signal.anomalyEpisodePeak > 0) tracked.peakScore = signal.anomalyEpisodePeak;
    if (score !== undefined && score > (tracked.peakScore ?? Number.NEGATIVE_INFINITY)) tracked.peakScore = score;
    else if (tracked.state.lastActiveMs >= timeMs && tracked.peakScore !== undefined) signal.holdAnomalyScore?.(tracked.peakScore);
  }

  /** Firing alerts as plain data: pending ones simply start again after a restart. */
  snapshot(): [string, TrackedAlert][] {
    return [...this.alerts].filter(([, t]) => t.state.phase === 'firing');
  }

  restore(entries: unknown): void {
    if (!Array.isArray(entries)) return;
    for (const [key, t] of entries as [string, TrackedAlert][]) {
      if (typeof key === 'string' && t?.state?.phase === 'firing' && typeof t.fingerprint === 'string') {
        if (!this.alerts.has(key)) this.countTracked(seriesOfKey(key), 1);
        if (typeof t.peakScore !== 'number') delete t.peakScore;
        this.alerts.set(key, t);
      }
    }
  }

  /** Firing alerts of the series `gone` picks (by series id). */
  firingOf(gone: (seriesId: string) => boolean): FiringAlert[] {
    const out: FiringAlert[] = [];
    for (const [key, t] of this.alerts) if (t.state.phase === 'firing' && gone(seriesOfKey(key))) out.push({ labels: t.labels, annotations: t.annotations, fingerprint: t.fingerprint, startsAtMs: t.startsAtMs });
    return out;
  }

  /**
   * Resolves at `timeMs` every alert of the series `gone` picks: no tick will judge them again (a
   * signal renamed or removed while its alert fired), and one kept would fire for ever.
   */
  resolveSeries(gone: (seriesId: string) => boolean, timeMs: number, because: (seriesId: string) => string = () => SIGNAL_REMOVED): AlertTransition[] {
    const out: AlertTransition[] = [];
    for (const [key, t] of this.alerts) {
      const id = seriesOfKey(key);
      if (!gone(id)) continue;
      this.alerts.delete(key);
      this.countTracked(id, -1);
      if (t.state.phase === 'firing') {
        const annotations = { ...t.annotations, resolved_because: because(id) };
        out.push({ status: 'resolved', labels: t.labels, annotations, fingerprint: t.fingerprint, startsAtMs: t.startsAtMs, endsAtMs: timeMs, evaluatedAtMs: timeMs });
      }
    }
    return out;
  }

  /** Whether any alert of the series is pending or firing. */
  hasActive(seriesId: string): boolean {
    return this.alerts.has(`${seriesId}\u0000incident`) || this.alerts.has(`${seriesId}\u0000surge`);
  }

  /** The incident alert of a signal, when it is firing: its name, start and summary as it reads now. */
  incidentOf(signal: string): { alertname: string; startsAtMs: number; summary: string } | undefined {
    const t = this.alerts.get(`${signal}\u0000incident`);
    return t?.state.phase === 'firing' ? { alertname: t.labels.alertname ?? '', startsAtMs: t.startsAtMs, summary: t.annotations.summary ?? '' } : undefined;
  }

  private countTracked(seriesId: string, change: 1 | -1): void {
    const n = (this.trackedPerSeries.get(seriesId) ?? 0) + change;
    if (n > 0) this.trackedPerSeries.set(seriesId, n);
    else this.trackedPerSeries.delete(seriesId);
  }

  /**
   * Fingerprints of incident alerts firing at `timeMs` whose condition did not hold then: kept
   * firing only by keepFiringFor (or not judged). An alert held back by a muting is not released
   * for them: a rollback that ends an inhibiting deploy alert would page a regression it just fixed.
   */
  lingering(timeMs: number): Set<string> {
    const out = new Set<string>();
    for (const t of this.alerts.values()) if (t.state.phase === 'firing' && t.state.lastActiveMs < timeMs) out.add(t.fingerprint);
    return out;
  }

  /** Alerts firing now, for the HTTP API. */
  firing(): FiringAlert[] {
    const out: FiringAlert[] = [];
    for (const t of this.alerts.values()) {
      if (t.state.phase === 'firing') out.push({ labels: t.labels, annotations: t.annotations, fingerprint: t.fingerprint, startsAtMs: t.startsAtMs });
    }
    return out;
  }

  private step(key: string, signal: SignalIdentity, assessment: Assessment, active: boolean | undefined, kindNow: () => AlertKind, timeMs: number, out: AlertTransition[]): void {
    let tracked = this.alerts.get(key);
    if (!tracked) {
      // Most series are quiet: an alert is only tracked from the moment its condition holds.
      if (active !== true) return;
      tracked = { state: INACTIVE, labels: {}, fingerprint: '', annotations: {}, startsAtMs: Number.NaN };
      this.alerts.set(key, tracked);
      this.countTracked(signal.id, 1);
    }
    if (tracked.state.phase === 'firing' && this.unjudged(key, tracked, signal, active, timeMs, out)) return;
    // An unsettled kind waits, for at most classifyWithin from the onset. Live ticks are stamped when
    // they run, a few ms either way: a tick 14,993 ms after the onset is the one 15 s after it (it
    // waited a whole tick more, 68 s instead of 53 s at 15 s ticks).
    const elapsed = tracked.state.phase === 'pending' ? timeMs - tracked.state.activeSinceMs : 0;
    const wait = key.endsWith('\u0000incident') && assessment.settled === false && elapsed + TICK_JITTER_MS < (signal.classifyWithinMs ?? this.classify.withinMs);
    // A collapse judged traffic moved stays so while it lasts (moved-traffic.ts): nothing to flap
    // back, so its incident resolves at once, not keepFiringFor later.
    const hold = signal.hold ?? this.hold;
    const step = stepAlert(tracked.state, active, timeMs, assessment.trafficMoved === true && key.endsWith('\u0000incident') ? { ...hold, keepFiringForMs: 0 } : hold, wait);
    tracked.state = step.state;
    if (step.state === INACTIVE) {
      this.alerts.delete(key);
      this.countTracked(signal.id, -1);
    }
    if (step.transition === 'firing') {
      const definition = this.definitions[kindNow()];
      tracked.labels = { ...this.commonLabels, ...signal.labels, alertname: definition.alertname, signal: signal.name, severity: definition.severity };
      tracked.fingerprint = fingerprint(tracked.labels);
      tracked.startsAtMs = step.state.activeSinceMs;
      tracked.annotations = { ...annotate(definition, signal.id, assessment, tracked.startsAtMs, '', kindNow() === 'organic_surge'), ...signal.annotations };
      tracked.kind = kindNow();
      tracked.reading = readingOf(assessment);
      tracked.lastSentMs = timeMs;
      tracked.updates = 0;
      out.push({ status: 'firing', labels: tracked.labels, annotations: tracked.annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.startsAtMs, evaluatedAtMs: timeMs });
    } else if (step.transition === null && step.state.phase === 'firing' && active === true && key.endsWith('\u0000incident')) {
      this.refresh(tracked, signal, assessment, timeMs, out);
    } else if (step.transition === 'resolved') {
      const annotations = { ...tracked.annotations, resolved_because: healthySaid(assessment, Number(tracked.annotations.requests_baseline_per_second ?? Number.NaN)) };
      out.push({ status: 'resolved', labels: tracked.labels, annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.startsAtMs, endsAtMs: timeMs, evaluatedAtMs: timeMs });
    }
  }

  /**
   * A firing alert's run of unjudged ticks (see UNJUDGED_SAID_AFTER_MS): said once it has lasted,
   * said to be over when a tick is judged again, and resolved when it has lasted too long (then
   * true: the alert is gone).
   */
  private unjudged(key: string, tracked: TrackedAlert, signal: SignalIdentity, active: boolean | undefined, timeMs: number, out: AlertTransition[]): boolean {
    const update = () => {
      tracked.lastSentMs = timeMs;
      tracked.updates = (tracked.updates ?? 0) + 1;
      out.push({ status: 'firing', labels: tracked.labels, annotations: tracked.annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.startsAtMs, evaluatedAtMs: timeMs, update: tracked.updates });
    };
    if (active !== undefined) {
      if (tracked.unjudgedSinceMs === undefined) return false;
      const said = tracked.unjudgedSaid;
      delete tracked.unjudgedSinceMs;
      delete tracked.unjudgedSaid;
      if (said) {
        const { unjudged_since: _, ...annotations } = tracked.annotations;
        tracked.annotations = annotations;
        update();
      }
      return false;
    }
    const since = (tracked.unjudgedSinceMs ??= timeMs);
    if (timeMs - since >= UNJUDGED_RESOLVE_AFTER_MS) {
      const annotations = { ...tracked.annotations, unjudged_since: new Date(since).toISOString(), resolved_because: `not judged since ${new Date(since).toISOString()} (no data, or too little to judge): stormwatch no longer sees the incident, it cannot say it is over` };
      this.alerts.delete(key);
      this.countTracked(signal.id, -1);
      out.push({ status: 'resolved', labels: tracked.labels, annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.startsAtMs, endsAtMs: timeMs, evaluatedAtMs: timeMs });
      return true;
    }
    if (!tracked.unjudgedSaid && timeMs - since >= UNJUDGED_SAID_AFTER_MS) {
      tracked.unjudgedSaid = true;
      tracked.annotations = { ...tracked.annotations, unjudged_since: new Date(since).toISOString() };
      update();
    }
    return false;
  }

  /**
   * Re-reads a firing incident as evidence accumulates: the same alert (labels, fingerprint,
   * startsAt) with new annotations, sent as an update when the reading changed materially and the
   * last one is at least `minIntervalMs` old.
   */
  private refresh(tracked: TrackedAlert, signal: SignalIdentity, assessment: Assessment, timeMs: number, out: AlertTransition[]): void {
    const kind = tracked.kind;
    if (!kind || !tracked.reading) return;
    // A client once named stays the incident's client when a later reading fits none (a storm
    // ebbing, demand moving under it) or comes from a failure receding (the tick a fault ends,
    // half recovered, reads as pip's partial failure): its numbers still go out, and the receiver
    // keeps the name, told what the latest reading says.
    const fresh = readingOf(assessment);
    const carried = carriedModel(tracked.reading.model, fresh.model, receding(tracked.reading, fresh));
    const reading = carried ? { ...fresh, model: carried } : fresh;
    // A change of state (the cause gone, or back) goes out at once; re-estimates, the first client
    // named among them, wait their turn: a ramp of two or three ticks can still favour the wrong one.
    const stateChanged = reading.state !== tracked.reading.state;
    // A tick whose failing fraction nobody could read (no request in it) re-reads nothing: its
    // estimate takes the unknown fraction for none, and a 1 s storm of whole builds has such ticks.
    if (!stateChanged && assessment.failureUnread === true) return;
    if (!stateChanged && timeMs - (tracked.lastSentMs ?? Number.NEGATIVE_INFINITY) < this.updates.minIntervalMs) return;
    if (!changedMaterially(tracked.reading, reading)) return;
    // The alert keeps the kind it fired as; its sentence is told in that kind, of the client it names.
    const told = carried ? withClientFirst(assessment, carried) : assessment;
    let sentence = told.aftermath || (told === assessment && assessment.kind === kind) ? told.explanation : explain(signal.id, told, kind);
    const est = assessment.estimate;
    if (carried && !est?.matches.some((m) => m.model === carried)) sentence = `${sentence.replace(/\.$/, '')}; ${carried}, named earlier, stays the incident's client.`;
    const explained = sentence === assessment.explanation ? assessment : { ...copyAssessment(told), explanation: sentence };
    // A reading whose interval reaches no amplification (M's low end under 1.05) is matched to no
    // client because it may be no storm at all, not because it contradicts one: said as such.
    const why = est?.clientUndecided ? 'cannot tell the clients that fit apart' : fresh.model !== '' ? `favours ${fresh.model} as the failure recedes` : est && !est.amplified ? 'cannot tell retries from none' : 'fits no client model';
    const named: Labels = carried ? { client_model: carried, client_model_note: `named ${carried} earlier; the latest reading ${why}` } : {};
    tracked.annotations = { ...annotate(this.definitions[kind], signal.id, explained, tracked.startsAtMs, carried), ...named, ...signal.annotations };
    tracked.reading = reading;
    tracked.lastSentMs = timeMs;
    tracked.updates = (tracked.updates ?? 0) + 1;
    out.push({ status: 'firing', labels: tracked.labels, annotations: tracked.annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.startsAtMs, evaluatedAtMs: timeMs, update: tracked.updates });
  }
}

/**
 * The client an incident keeps naming though the latest reading does not name it ('' when none is
 * kept): the one named before, when the reading names none or reads a failure receding.
 */
function carriedModel(named: string, fresh: string, recedingNow: boolean): string {
  if (named === '' || fresh === named) return '';
  return fresh === '' || recedingNow ? named : '';
}

/**
 * The assessment with `model` first among the clients that fit (its share with it), so the
 * sentence is told of the client the incident names; as it was when that client does not fit.
 */
function withClientFirst(a: Assessment, model: string): Assessment {
  const est = a.estimate;
  const i = est ? est.matches.findIndex((m) => m.model === model) : -1;
  if (!est || i <= 0) return a;
  const first = <T>(xs: readonly T[]) => [xs[i]!, ...xs.slice(0, i), ...xs.slice(i + 1)];
  const { clientUndecided: _, ...rest } = est;
  return { ...copyAssessment(a), estimate: { ...rest, matches: first(est.matches), ...(est.shares ? { shares: first(est.shares) } : {}) } };
}

/**
 * What fails, in the words of the check that says most: ", 63% of requests complete downstream" for
 * a funnel losing requests, ", 5% of requests fail" for errors (a funnel break is not "36.8% of
 * requests fail" while errors stay at 0.5%). '' when neither can be read (a tick without requests).
 */
function failingSaid(a: Assessment): string {
  const lost = Number.isFinite(a.completion) && a.completionBaseline > 0 ? Math.max(0, 1 - a.completion / a.completionBaseline) : Number.NaN;
  const errors = Number.isFinite(a.errorRatio) && Number.isFinite(a.errorRatioBaseline) ? Math.max(0, a.errorRatio - a.errorRatioBaseline) : Number.NaN;
  if (Number.isFinite(lost) && !(errors > lost)) return `, ${formatCompletion(a.completion)} of requests complete downstream`;
  if (Number.isFinite(errors)) return `, ${formatPercent(a.errorRatio)} of requests fail`;
  const f = a.estimate?.failingAttempts ?? Number.NaN;
  return Number.isFinite(f) && !Number.isFinite(a.completionBaseline) ? `, ${formatPercent(f)} of requests fail` : '';
}

/**
 * The ratios the signal has, each beside its baseline, as a sentence: " Error ratio 5% (baseline
 * 0.1%); downstream completion 40% (baseline 99.9%)." A ratio the signal does not watch is left
 * out, not said as "n/a"; '' when it watches none.
 */
function ratiosSaid(a: Assessment): string {
  const parts: string[] = [];
  if (Number.isFinite(a.errorRatioBaseline)) parts.push(`error ratio ${formatPercent(a.errorRatio)} (baseline ${formatPercent(a.errorRatioBaseline)})`);
  if (Number.isFinite(a.completionBaseline)) parts.push(`downstream completion ${formatCompletion(a.completion)} (baseline ${formatCompletion(a.completionBaseline)})`);
  if (parts.length === 0) return '';
  const text = parts.join('; ');
  return ` ${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** Why an alert of a signal removed or renamed resolves (resolveSeries). */
export const SIGNAL_REMOVED = 'its signal was removed or renamed (a reload): no tick judges it any more, it cannot say the incident is over';

/**
 * Why a resolved alert resolved, with the readings of the tick that resolved it: "healthy again:
 * requests 61.2/s, 1.02x what is expected, error ratio 0.4% (baseline 0.3%)". Its firing
 * annotations stay as they were (what the incident was, as Alertmanager keeps them); without this
 * a resolved surge repeated "requests at 1.6x" and nothing said what was read at its end. Where
 * the expectation moved since it fired (`firedBaseline`, a surge's new level learnt as normal),
 * both are said: "1.13x" alone read as traffic back to what it was, at 2.5x that.
 */
export function healthySaid(a: Assessment, firedBaseline = Number.NaN): string {
  const parts: string[] = [];
  if (Number.isFinite(a.requests) && a.requestsBaseline > 0) {
    const moved = firedBaseline > 0 && Math.abs(Math.log(a.requestsBaseline / firedBaseline)) > Math.log(1.5);
    parts.push(`requests ${formatRate(a.requests)}, ${formatFactor(a.requests / a.requestsBaseline)} what is expected${moved ? ` (${formatRate(a.requestsBaseline)} now, ${formatRate(firedBaseline)} when it fired: the level since is learnt as normal)` : ''}`);
  }
  if (Number.isFinite(a.errorRatio) && Number.isFinite(a.errorRatioBaseline)) parts.push(`error ratio ${formatPercent(a.errorRatio)} (baseline ${formatPercent(a.errorRatioBaseline)})`);
  if (Number.isFinite(a.completion) && Number.isFinite(a.completionBaseline)) parts.push(`downstream completion ${formatCompletion(a.completion)} (baseline ${formatCompletion(a.completionBaseline)})`);
  // A collapse the signal's other series made up for (moved-traffic.ts) is over, not healthy.
  if (a.trafficMoved) return `its traffic moved to the signal's other series, whose total held: not lost${parts.length > 0 ? `; ${parts.join(', ')}` : ''}`;
  return parts.length === 0 ? 'healthy again' : `healthy again: ${parts.join(', ')}`;
}

/** The series id of an alert key (`id\u0000incident` or `id\u0000surge`). */
function seriesOfKey(key: string): string {
  const end = key.lastIndexOf('\u0000');
  return end < 0 ? key : key.slice(0, end);
}

/** The annotations of a retry reading, not an organic surge's. */
const SURGE_UNSAID = [
  'failing_attempts',
  'failing_requests',
  'attempts_per_request',
  'attempts_per_request_low',
  'attempts_per_request_high',
  'attempts_per_request_note',
  'logical_demand_per_second',
  'logical_demand_low_per_second',
  'logical_demand_high_per_second',
  'regime',
  'client_model',
  'client_models_fitting',
  'client_model_share',
  'client_model_note',
] as const;

/** Human-readable summary and description from the definition's templates, plus machine-readable numbers. */
export function annotate(definition: AlertDefinition, signal: string, a: Assessment, sinceMs: number, carried = '', surge = false): Labels {
  const est = a.estimate;
  // A client is named only when it is likelier than the others that fit together, or when the
  // incident keeps the one it named (`carried`).
  const first = est?.matches[0];
  const best = carried ? { model: carried } : est?.clientUndecided ? undefined : first;
  const values: TemplateValues = {
    signal,
    since: new Date(sinceMs).toISOString(),
    explanation: a.explanation,
    requests: formatRate(a.requests),
    requestsBaseline: formatRate(a.requestsBaseline),
    // Without an estimate (nothing interesting enough to model), the tick's own ratio.
    multiplier: formatFactor(est?.multiplier ?? a.requests / a.requestsBaseline),
    failingAttempts: formatPercent(est?.failingAttempts ?? Number.NaN),
    failingRequests: formatPercent(est?.failingRequests ?? Number.NaN),
    attemptsPerRequest: est && Number.isFinite(est.attemptsPerRequest) ? est.attemptsPerRequest.toFixed(2) : est?.notEstimable ? 'not estimable' : 'n/a',
    clientModel: best ? best.model : est?.clientUndecided ? 'not yet told apart' : est && !est.amplified && a.kind === 'retry_storm' ? 'too early to tell' : 'none',
    logicalDemand: formatRate(est?.logicalDemand ?? Number.NaN),
    completion: formatCompletion(a.completion),
    completionBaseline: formatCompletion(a.completionBaseline),
    // What fails, in the words of the signal's inputs: a signal without downstream has no completion.
    failing: failingSaid(a),
    errorRatio: formatPercent(a.errorRatio),
    errorRatioBaseline: formatPercent(a.errorRatioBaseline),
    ratios: ratiosSaid(a),
  };
  const num = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '' : String(Number(x.toPrecision(6))));
  const annotations: Labels = {
    // A storm that outlived its cause is no longer failing: the storm's summary ("while 0% of
    // attempts fail") would read as a contradiction.
    summary: a.aftermath ? `${signal}: retry storm outlived its cause, requests still ${formatFactor(a.aftermath.multiplier)} baseline while failures are back to baseline` : renderTemplate(definition.summary, values),
    description: renderTemplate(definition.description, values),
    since: values.since,
    requests_per_second: num(a.requests),
    requests_baseline_per_second: num(a.requestsBaseline),
    multiplier: num(est?.multiplier),
    multiplier_low: num(est?.multiplierLow),
    multiplier_high: num(est?.multiplierHigh),
    failing_attempts: num(est?.failingAttempts),
    failing_requests: num(est?.failingRequests),
    attempts_per_request: num(est?.attemptsPerRequest),
    attempts_per_request_low: num(est?.attemptsPerRequestLow),
    attempts_per_request_high: num(est?.attemptsPerRequestHigh),
    attempts_per_request_note: est?.notEstimable ? `not estimable: ${est.notEstimable}` : '',
    logical_demand_per_second: num(est?.logicalDemand),
    logical_demand_low_per_second: num(est?.logicalDemandLow),
    logical_demand_high_per_second: num(est?.logicalDemandHigh),
    completion_ratio: num(a.completion),
    completion_baseline: num(a.completionBaseline),
    error_ratio: num(a.errorRatio),
    error_ratio_baseline: num(a.errorRatioBaseline),
    regime: est?.regime ?? '',
    client_model: best?.model ?? '',
    client_models_fitting: est?.matches.map((m) => m.model).join(',') ?? '',
    // The named client's share of the likelihood of those that fit (0-1): how sure the name is.
    client_model_share: best && first?.model === best.model && !est?.clientUndecided && est?.shares ? num(est.shares[0]!) : '',
    client_model_note: est?.ambiguity ?? '',
    aftermath: a.aftermath ? `storm outlived its cause: failures healthy since ${new Date(a.aftermath.healthySinceMs).toISOString()}, requests still ${formatFactor(a.aftermath.multiplier)}` : '',
  };
  // A surge is demand served fine: the retry model's reading of it (its rise as attempts per
  // request, its demand as the baseline's) told Alertmanager and Faro it was retries.
  if (surge) for (const k of SURGE_UNSAID) delete annotations[k];
  // Empty values say nothing: leave them out.
  for (const [k, v] of Object.entries(annotations)) if (v === '') delete annotations[k];
  return annotations;
}
