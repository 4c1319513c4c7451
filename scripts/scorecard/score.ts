// Scores a backtest of a labelled scenario: which alerts fired, how soon after the fault, how
// close the amplification estimate came to the simulated truth, and any page outside the faults.
// Pure: the scorecard script and the scenario tests share it.

import type { AlertTransition } from '../../src/core/types.js';
import type { DeployRecord } from '../../src/deploys/types.js';
import type { TickResult } from '../../src/pipeline.js';
import { type ClientReading, incidentReadings, readingAt } from './client-truth.js';

export interface ScenarioLabels {
  name: string;
  file: string;
  startsAt?: string;
  endsAt?: string;
  faults: { kind: string; startsAt: string; endsAt: string; attemptsPerLogicalRequest: number; logicalRatePerSecond?: number; apiRatePerSecond?: number }[];
  deploys: string[];
  /** The data's tick (15 s when not given: the bundled scenarios'). */
  stepSeconds?: number;
  expect: {
    mustFire: { alertname: string; withinSeconds: number; attemptsTolerance?: number; clientModel?: string; holdsSeconds?: number }[];
    deployVerdicts?: Record<string, { verdict: string; withinSeconds?: number }>;
    pageFreeOutsideFaultsSeconds: number;
    outlivesCause?: { withinSeconds: number };
  };
  /** The client the simulation ran (the truth for the client model named). */
  client?: string;
}

export interface FiredAlert {
  alertname: string;
  severity: string;
  firedAt: string;
  /** From the first fault's start; NaN without a fault. */
  delaySeconds: number;
  attemptsAtFiring: number;
  clientModel: string;
}

export interface ScenarioScore {
  name: string;
  fired: FiredAlert[];
  /** Median estimate of attempts per logical request over the first fault window's failing ticks. */
  attemptsEstimate: number;
  attemptsTruth: number;
  /** The client model named best most often over the same ticks. */
  clientModel: string;
  /** What the first incident's page said, and what a receiver held 60 s after the fault's onset (page + updates). */
  atFiring?: ClientReading;
  after60s?: ClientReading;
  /** Each deploy's final verdict, and how long after the deploy it came. */
  deploys: { startedAt: string; version: string; verdict: string; decidedAfterSeconds: number }[];
  falsePages: FiredAlert[];
  anomaly: AnomalySeparation;
  checks: { what: string; ok: boolean; detail: string }[];
  ok: boolean;
}

const PAGING = new Set(['critical', 'warning']);

/**
 * What the score reads of a tick, kept as the backtest runs (a tick's reports are rewritten by the
 * next step): its deploys and, per failing series with an estimate, the attempts and client named.
 */
export interface ScoredTick {
  timeMs: number;
  deploys: DeployRecord[];
  estimates: { attemptsPerRequest: number; model: string | undefined }[];
  /** The highest anomaly score among the tick's series; NaN when none has one. */
  anomaly: number;
}

export function scoredTick(tick: TickResult): ScoredTick {
  const estimates: ScoredTick['estimates'] = [];
  let anomaly = Number.NaN;
  for (const report of tick.signals.values()) {
    const est = report.assessment.estimate;
    if (report.assessment.failing && est) estimates.push({ attemptsPerRequest: est.attemptsPerRequest, model: est.matches[0]?.model });
    if (report.anomalyScore !== undefined && !(report.anomalyScore <= anomaly)) anomaly = report.anomalyScore;
  }
  return { timeMs: tick.timeMs, deploys: tick.deploys, estimates, anomaly };
}

/** How far the anomaly score set a scenario's incidents apart from its healthy ticks. */
export interface AnomalySeparation {
  /** The highest score of a healthy tick (outside every fault and the 10 minutes after it); NaN: none scored. */
  healthyMax: number;
  /** Per fault, the highest score in its first minute (NaN: no tick scored). */
  incidentPeaks: number[];
  /** Per fault, the median score of its ticks from its start to its end: what a dashboard shows through it (NaN: none scored). */
  incidentMedians: number[];
}

/** After a fault's end, ticks are not healthy for this long: a recovery and the retries that drain are the incident's. */
const AFTER_FAULT_MS = 600_000;
/** An incident's peak is read over its first minute: what a dashboard shows while the page is decided. */
const INCIDENT_PEAK_MS = 60_000;

export function anomalySeparation(labels: ScenarioLabels, ticks: readonly ScoredTick[]): AnomalySeparation {
  const faults = labels.faults.map((f) => ({ start: Date.parse(f.startsAt), end: Date.parse(f.endsAt) }));
  let healthyMax = Number.NaN;
  const incidentPeaks = faults.map(() => Number.NaN);
  const during = faults.map((): number[] => []);
  for (const t of ticks) {
    if (Number.isNaN(t.anomaly)) continue;
    let healthy = true;
    faults.forEach((f, i) => {
      if (t.timeMs >= f.start && t.timeMs <= f.end + AFTER_FAULT_MS) healthy = false;
      if (t.timeMs >= f.start && t.timeMs < f.start + INCIDENT_PEAK_MS && !(t.anomaly <= incidentPeaks[i]!)) incidentPeaks[i] = t.anomaly;
      if (t.timeMs >= f.start && t.timeMs < f.end) during[i]!.push(t.anomaly);
    });
    if (healthy && !(t.anomaly <= healthyMax)) healthyMax = t.anomaly;
  }
  return { healthyMax, incidentPeaks, incidentMedians: during.map(median) };
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function scoreScenario(labels: ScenarioLabels, transitions: readonly AlertTransition[], ticks: readonly ScoredTick[]): ScenarioScore {
  const faults = labels.faults.map((f) => ({ start: Date.parse(f.startsAt), end: Date.parse(f.endsAt) }));
  const first = faults[0];
  const graceMs = labels.expect.pageFreeOutsideFaultsSeconds * 1000;
  const fired: FiredAlert[] = transitions
    // An update re-reads an incident already paged for: not a new alert.
    .filter((t) => t.status === 'firing' && t.update === undefined)
    .map((t) => ({
      alertname: t.labels.alertname ?? '',
      severity: t.labels.severity ?? '',
      firedAt: new Date(t.evaluatedAtMs).toISOString(),
      delaySeconds: first ? (t.evaluatedAtMs - first.start) / 1000 : Number.NaN,
      attemptsAtFiring: Number(t.annotations.attempts_per_request ?? Number.NaN),
      clientModel: t.annotations.client_model ?? '',
    }));
  const falsePages = fired.filter((f) => {
    const ms = Date.parse(f.firedAt);
    return PAGING.has(f.severity) && !faults.some((x) => ms >= x.start && ms <= x.end + graceMs);
  });
  const estimates: number[] = [];
  const modelVotes = new Map<string, number>();
  if (first) {
    for (const tick of ticks) {
      // Skip the first 30 s: retry chains take ~11 s to fill and a tick spans 15 s.
      if (tick.timeMs < first.start + 30_000 || tick.timeMs > first.end) continue;
      for (const est of tick.estimates) {
        if (Number.isFinite(est.attemptsPerRequest)) estimates.push(est.attemptsPerRequest);
        if (est.model) modelVotes.set(est.model, (modelVotes.get(est.model) ?? 0) + 1);
      }
    }
  }
  const attemptsEstimate = median(estimates);
  const clientModel = [...modelVotes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const attemptsTruth = labels.faults[0]?.attemptsPerLogicalRequest ?? Number.NaN;

  const checks: ScenarioScore['checks'] = [];
  for (const want of labels.expect.mustFire) {
    const hit = fired.find((f) => f.alertname === want.alertname && f.delaySeconds >= 0);
    checks.push({
      what: `${want.alertname} within ${want.withinSeconds}s`,
      ok: hit !== undefined && hit.delaySeconds <= want.withinSeconds,
      detail: hit ? `fired after ${hit.delaySeconds}s` : 'never fired',
    });
    if (hit && want.holdsSeconds !== undefined) {
      // Firing without a break for as long as the fault lasts: an incident is never learnt as normal.
      const firingAt = Date.parse(hit.firedAt);
      const resolved = transitions.find((t) => t.status === 'resolved' && t.labels.alertname === want.alertname && t.evaluatedAtMs > firingAt);
      const heldSeconds = ((resolved?.evaluatedAtMs ?? Number.POSITIVE_INFINITY) - firingAt) / 1000;
      checks.push({ what: `${want.alertname} holds ${want.holdsSeconds}s`, ok: heldSeconds >= want.holdsSeconds, detail: `held ${heldSeconds}s` });
    }
    if (want.attemptsTolerance !== undefined) {
      const error = Math.abs(attemptsEstimate - attemptsTruth) / attemptsTruth;
      checks.push({
        what: `attempts per request within ${want.attemptsTolerance * 100}%`,
        ok: error <= want.attemptsTolerance,
        detail: `estimate ${attemptsEstimate.toFixed(2)} vs truth ${attemptsTruth.toFixed(2)} (${(error * 100).toFixed(1)}% off)`,
      });
    }
    if (want.clientModel !== undefined) {
      checks.push({
        what: `client model ${want.clientModel}`,
        // Judged over the incident: the firing tick may come before the client's retry chains have
        // all arrived (pages now fire on the first tick of evidence), when its ramp, not its plateau, is seen.
        ok: clientModel === want.clientModel,
        detail: `named ${hit?.clientModel || 'none'} at firing, ${clientModel || 'none'} most often`,
      });
    }
  }
  // Whatever else a scenario asks: no message, page or update, ever says fewer than one attempt per
  // request (a request is tried at least once; fewer attempts than demand is "not estimable").
  const belowOne = transitions.filter((t) => t.status === 'firing' && ['attempts_per_request', 'attempts_per_request_low'].some((k) => t.annotations[k] !== undefined && Number(t.annotations[k]) < 1));
  checks.push({ what: 'no message says fewer than one attempt per request', ok: belowOne.length === 0, detail: belowOne.length === 0 ? 'none' : `${belowOne.length}, first ${belowOne[0]!.annotations.attempts_per_request} at ${new Date(belowOne[0]!.evaluatedAtMs).toISOString()}` });
  // Nor a point estimate of logical demand outside its own interval.
  const outsideOwn = transitions.filter((t) => {
    const read = (k: string) => Number(t.annotations[k] ?? Number.NaN);
    const d = read('logical_demand_per_second');
    const low = read('logical_demand_low_per_second');
    const high = read('logical_demand_high_per_second');
    return t.status === 'firing' && (d < low * 0.999 || d > high * 1.001);
  });
  checks.push({ what: 'no logical demand outside its own interval', ok: outsideOwn.length === 0, detail: outsideOwn.length === 0 ? 'none' : `${outsideOwn.length}, first ${outsideOwn[0]!.annotations.logical_demand_per_second} (${outsideOwn[0]!.annotations.logical_demand_low_per_second}-${outsideOwn[0]!.annotations.logical_demand_high_per_second}) at ${new Date(outsideOwn[0]!.evaluatedAtMs).toISOString()}` });
  const records = new Map<string, DeployRecord>();
  for (const tick of ticks) for (const r of tick.deploys) records.set(r.id, r);
  const deploys = [...records.values()].map((r) => ({
    startedAt: new Date(r.startedAtMs).toISOString(),
    version: r.version,
    verdict: r.verdict,
    decidedAfterSeconds: r.decidedAtMs === undefined ? Number.NaN : (r.decidedAtMs - r.startedAtMs) / 1000,
  }));
  for (const [at, want] of Object.entries(labels.expect.deployVerdicts ?? {})) {
    // A marker is seen at the first tick at or after the deploy: within one step (a deploy at
    // 12:01:10 is seen at 12:01:30 with 30 s ticks).
    const stepMs = (labels.stepSeconds ?? 15) * 1000;
    const got = deploys.find((d) => Date.parse(d.startedAt) >= Date.parse(at) && Date.parse(d.startedAt) < Date.parse(at) + stepMs);
    const inTime = want.withinSeconds === undefined || (got !== undefined && got.decidedAfterSeconds <= want.withinSeconds);
    checks.push({
      what: `deploy at ${at}: ${want.verdict}${want.withinSeconds === undefined ? '' : ` within ${want.withinSeconds}s`}`,
      ok: got?.verdict === want.verdict && inTime,
      detail: got ? `${got.verdict} after ${got.decidedAfterSeconds}s` : 'no such deploy seen',
    });
  }
  // A storm that outlived its cause: said when expected (soon after the fault's end), never otherwise.
  const aftermath = transitions.find((t) => t.status === 'firing' && t.annotations.aftermath !== undefined);
  const wantAftermath = labels.expect.outlivesCause;
  if (wantAftermath && first) {
    const after = aftermath ? (aftermath.evaluatedAtMs - first.end) / 1000 : Number.NaN;
    checks.push({ what: `storm outlived its cause within ${wantAftermath.withinSeconds}s of the fix`, ok: after >= 0 && after <= wantAftermath.withinSeconds, detail: aftermath ? `said ${after}s after the fix` : 'never said' });
  } else {
    checks.push({ what: 'no storm said to outlive its cause', ok: aftermath === undefined, detail: aftermath ? `said at ${new Date(aftermath.evaluatedAtMs).toISOString()}` : 'none' });
  }
  const readings = incidentReadings(transitions, (t) => PAGING.has(t.labels.severity ?? '') && !(t.labels.alertname ?? '').includes('Deploy'));
  const after60s = first ? readingAt(readings, first.start + 60_000) : undefined;
  checks.push({ what: 'no page outside the faults', ok: falsePages.length === 0, detail: falsePages.map((f) => `${f.alertname} at ${f.firedAt}`).join(', ') || 'none' });
  return { name: labels.name, fired, attemptsEstimate, attemptsTruth, clientModel, ...(readings[0] ? { atFiring: readings[0] } : {}), ...(after60s ? { after60s } : {}), deploys, falsePages, anomaly: anomalySeparation(labels, ticks), checks, ok: checks.every((c) => c.ok) };
}
