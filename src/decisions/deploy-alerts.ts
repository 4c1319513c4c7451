// Alert transitions for deploys that failed their check and for failing smoke probes, rendered
// from alerts/definitions.yaml. Pure.

import type { AlertTransition, Labels } from '../core/types.js';
import type { DeployRecord } from '../deploys/types.js';
import type { AlertDefinitions } from './alert-decider.js';
import { fingerprint } from './fingerprint.js';
import { renderTemplate } from './template.js';

/** `because`: why a resolved one resolved (its resolved_because, as a signal's alert says its own). */
export function deployTransition(record: DeployRecord, status: 'firing' | 'resolved', timeMs: number, definitions: AlertDefinitions, commonLabels: Labels, externalURL: string, because?: string): AlertTransition {
  const def = definitions.deploy_regression;
  // The deploy's environment tells apart two failed deploys of one version (Flagger's canaries of
  // a service in two namespaces): with the same labels, one's page replaced the other's. Not
  // `environment`: alerting.labels often sets that one (the cluster's), which it would overwrite.
  const where: Labels = record.environment ? { deploy_environment: record.environment } : {};
  const labels: Labels = { ...commonLabels, alertname: def.alertname, service: record.service, version: record.version, ...where, severity: def.severity };
  const values = {
    service: record.service,
    version: record.version,
    environment: record.environment,
    deployId: record.id,
    reasons: record.reasons.join('; '),
    verdictURL: `${externalURL}/api/v1/deploys/${encodeURIComponent(record.id)}`,
  };
  const startsAtMs = record.decidedAtMs ?? timeMs;
  return {
    status,
    labels,
    annotations: {
      summary: renderTemplate(def.summary, values),
      description: renderTemplate(def.description, values),
      deploy_id: record.id,
      verdict: record.verdict,
      verdict_url: values.verdictURL,
      deployed_at: new Date(record.startedAtMs).toISOString(),
      ...(status === 'resolved' && because !== undefined ? { resolved_because: because } : {}),
    },
    fingerprint: fingerprint(labels),
    startsAtMs,
    ...(status === 'resolved' ? { endsAtMs: timeMs } : {}),
    evaluatedAtMs: timeMs,
  };
}

export interface ProbeOutcome {
  probe: string;
  service: string;
  /** The deploy environment probed (absent: every environment). */
  environment?: string;
  url: string;
  ok: boolean;
  /** What failed, naming the hop: "redirect to static.crates.iocrates: name does not resolve". */
  failure?: string;
}

export function probeTransition(outcome: ProbeOutcome, status: 'firing' | 'resolved', startsAtMs: number, timeMs: number, definitions: AlertDefinitions, commonLabels: Labels, failure: string): AlertTransition {
  const def = definitions.smoke_probe_failed;
  // No environment label: alerting.labels often sets one (the cluster's), which it would overwrite.
  const labels: Labels = { ...commonLabels, alertname: def.alertname, probe: outcome.probe, service: outcome.service, severity: def.severity };
  const values = { probe: outcome.probe, service: outcome.service, url: outcome.url, failure };
  return {
    status,
    labels,
    annotations: { summary: renderTemplate(def.summary, values), description: renderTemplate(def.description, values), failure },
    fingerprint: fingerprint(labels),
    startsAtMs,
    ...(status === 'resolved' ? { endsAtMs: timeMs } : {}),
    evaluatedAtMs: timeMs,
  };
}
