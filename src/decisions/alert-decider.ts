// Turns evaluations into alert transitions: one state machine per (signal, finding kind), labels
// that give the alert its identity and annotations that explain it. Pure: time comes in.

import type { AlertTransition, Evaluation, FindingKind, Labels, SignalSample } from '../core/types.js';
import { type AlertState, type HoldParams, INACTIVE, stepAlert } from './alert-state.js';
import { fingerprint } from './fingerprint.js';
import { formatFactor, formatPercent, formatRate } from './format.js';
import { renderTemplate } from './template.js';

export type Severity = 'info' | 'warning' | 'critical';

export interface AlertDefinition {
  alertname: string;
  severity: Severity;
  summary: string;
  description: string;
}

export type AlertDefinitions = Record<FindingKind, AlertDefinition>;

/** The names a definition's templates may use. */
export const TEMPLATE_VALUES = [
  'signal', 'observed', 'baseline', 'factor', 'score', 'since',
  'requests', 'requestsBaseline', 'requestsFactor', 'errorRatio', 'funnelRatio', 'funnelBaseline',
] as const;

export interface SignalIdentity {
  name: string;
  labels: Labels;
}

interface TrackedAlert {
  state: AlertState;
  labels: Labels;
  fingerprint: string;
  /** Set when the alert fires; kept for its resolved notification. */
  annotations: Labels;
  startsAtMs: number;
}

export class AlertDecider {
  private readonly alerts = new Map<string, TrackedAlert>();

  constructor(
    private readonly definitions: AlertDefinitions,
    private readonly hold: HoldParams,
    private readonly commonLabels: Labels = {},
  ) {}

  /** Feeds one signal's evaluations at data time `timeMs`; returns the alerts that changed state. */
  decide(signal: SignalIdentity, evaluations: readonly Evaluation[], sample: SignalSample, timeMs: number): AlertTransition[] {
    const transitions: AlertTransition[] = [];
    for (const evaluation of evaluations) {
      const key = `${signal.name}\u0000${evaluation.kind}`;
      let tracked = this.alerts.get(key);
      if (!tracked) {
        const definition = this.definitions[evaluation.kind];
        const labels: Labels = { ...this.commonLabels, ...signal.labels, alertname: definition.alertname, signal: signal.name, severity: definition.severity };
        tracked = { state: INACTIVE, labels, fingerprint: fingerprint(labels), annotations: {}, startsAtMs: Number.NaN };
        this.alerts.set(key, tracked);
      }
      const active = evaluation.status === 'unknown' ? undefined : evaluation.status === 'anomalous';
      const step = stepAlert(tracked.state, active, timeMs, this.hold);
      tracked.state = step.state;
      if (step.transition === 'firing') {
        tracked.startsAtMs = step.state.activeSinceMs;
        tracked.annotations = this.annotate(signal.name, evaluation, evaluations, sample, tracked.startsAtMs);
        transitions.push({ status: 'firing', labels: tracked.labels, annotations: tracked.annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.startsAtMs, evaluatedAtMs: timeMs });
      } else if (step.transition === 'resolved') {
        transitions.push({ status: 'resolved', labels: tracked.labels, annotations: tracked.annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.startsAtMs, endsAtMs: timeMs, evaluatedAtMs: timeMs });
      }
    }
    return transitions;
  }

  /** Alerts firing now, for the HTTP API. */
  firing(): { labels: Labels; annotations: Labels; fingerprint: string; startsAtMs: number }[] {
    const out = [];
    for (const tracked of this.alerts.values()) {
      if (tracked.state.phase === 'firing') out.push({ labels: tracked.labels, annotations: tracked.annotations, fingerprint: tracked.fingerprint, startsAtMs: tracked.state.activeSinceMs });
    }
    return out;
  }

  private annotate(signal: string, evaluation: Evaluation, all: readonly Evaluation[], sample: SignalSample, sinceMs: number): Labels {
    const definition = this.definitions[evaluation.kind];
    const rate = all.find((e) => e.kind === 'rate_spike');
    const funnel = all.find((e) => e.kind === 'funnel_drop');
    const isRatio = evaluation.kind === 'error_ratio' || evaluation.kind === 'funnel_drop';
    const fmt = isRatio ? formatPercent : formatRate;
    const values: Record<(typeof TEMPLATE_VALUES)[number], string> = {
      signal,
      observed: fmt(evaluation.observed),
      baseline: fmt(evaluation.baseline),
      factor: formatFactor(evaluation.observed / evaluation.baseline),
      score: Number.isFinite(evaluation.score) ? evaluation.score.toFixed(1) : 'n/a',
      since: new Date(sinceMs).toISOString(),
      requests: formatRate(sample.requests),
      requestsBaseline: formatRate(rate?.baseline ?? Number.NaN),
      requestsFactor: formatFactor(sample.requests / (rate?.baseline ?? Number.NaN)),
      errorRatio: formatPercent(sample.errors / sample.requests),
      funnelRatio: formatPercent(sample.downstream / sample.requests),
      funnelBaseline: formatPercent(funnel?.baseline ?? Number.NaN),
    };
    return {
      summary: renderTemplate(definition.summary, values),
      description: renderTemplate(definition.description, values),
      observed: String(evaluation.observed),
      baseline: String(evaluation.baseline),
      score: values.score,
    };
  }
}
