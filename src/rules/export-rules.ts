// Exports the signals' detection as Prometheus recording and alerting rules, so Prometheus, Thanos
// Ruler or Mimir's ruler can evaluate them at any scale. Pure: config in, rule groups out.
//
// What the rules keep: per-signal rates, completion and error ratios, robust baselines (medians over
// the last hour, read from raw data with subqueries so they work from the first evaluation), the
// amplification ratio, and the incident kinds with the same thresholds. What they lose against the
// in-process detector is said in the README: no noise model (fixed factors instead of robust
// z-scores), baselines that only partly exclude an incident (the freshest `exclude` is left out),
// no client-model matching or explanation, no deploy windows.

import type { StormwatchConfig } from '../config/load.js';
import type { SignalInput } from '../core/types.js';
import { formatDuration, promqlDuration } from '../core/duration.js';
import { BAND_SIGMAS } from '../detectors/stats/band-floor.js';
import { STORM_MIN_MULTIPLIER } from '../decisions/storm-floor.js';

export interface RuleGroup {
  name: string;
  interval: string;
  rules: Record<string, unknown>[];
}

/** The freshest part of the baseline window left out, so an incident's start does not move its own baseline. */
export const BASELINE_EXCLUDE_MS = 5 * 60_000;

function rateExpr(config: StormwatchConfig, signal: StormwatchConfig['signals'][number], input: SignalInput): string | undefined {
  const spec = signal.inputs[input];
  if (!spec) return undefined;
  if (!spec.selector) return spec.query;
  // The Prometheus source's rate function and window; other sources: irate over four ticks (at least 1m).
  const fn = config.source.kind === 'prometheus' ? (config.source.rateFunction ?? 'irate') : 'irate';
  const window = config.source.kind === 'prometheus' ? (config.source.rateWindowMs ?? 60_000) : Math.max(60_000, 4 * config.intervalMs);
  const by = signal.by.length > 0 ? ` by (${signal.by.join(', ')})` : '';
  return `sum${by}(${fn}(${spec.selector.text}[${promqlDuration(window)}]))`;
}

/** `labels` without the keys in `keys`. */
function withoutKeys(labels: Record<string, string>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!keys.includes(k)) out[k] = v;
  return out;
}

/** Text that Prometheus's rule templating (Go text/template) prints as it is: each `{{` written as an action printing it. */
export function literalTemplate(text: string): string {
  return text.replaceAll('{{', '{{ "{{" }}');
}

function literalTemplates(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k] = literalTemplate(v);
  return out;
}

export function exportRules(config: StormwatchConfig): { groups: RuleGroup[] } {
  const interval = formatDuration(config.intervalMs);
  const step = formatDuration(config.intervalMs);
  const exclude = formatDuration(BASELINE_EXCLUDE_MS);
  const groups: RuleGroup[] = [];
  for (const signal of config.signals) {
    // A signal's own overrides (detector parameters, `for`, `keepFiringFor`, annotations) as the detector reads them.
    const d = signal.detector ?? config.detector;
    const window = formatDuration(d.baselineWindowMs);
    const forMs = signal.forMs ?? config.alerting.forMs;
    const keepFiringForMs = signal.keepFiringForMs ?? config.alerting.keepFiringForMs;
    const sel = `{signal="${signal.name}"}`;
    // A split signal records one series per label set: conditions join on those labels, so each
    // route (say) is judged against its own baseline; an unsplit one has a single series.
    const on = signal.by.length > 0 ? `on(${['signal', ...signal.by].join(', ')})` : 'on()';
    // A split signal's own labels win over fixed ones of the same name, as in stormwatch's alerts
    // (pipeline.ts): a fixed `service` over `by: [service]` gave every group one label set, and
    // Prometheus failed the recording rule at every evaluation.
    const labels = withoutKeys({ ...config.alerting.labels, ...signal.labels }, signal.by);
    labels.signal = signal.name;
    const requests = rateExpr(config, signal, 'requests')!;
    const errors = rateExpr(config, signal, 'errors');
    const downstream = rateExpr(config, signal, 'downstream');
    const baseline = (expr: string) => `quantile_over_time(0.5, (${expr})[${window}:${step}] offset ${exclude})`;
    const rules: Record<string, unknown>[] = [
      { record: 'stormwatch:requests:rate', expr: requests, labels },
      { record: 'stormwatch:requests:baseline', expr: baseline(requests), labels },
      { record: 'stormwatch:amplification:ratio', expr: `stormwatch:requests:rate${sel} / stormwatch:requests:baseline${sel}`, labels },
    ];
    const failing: string[] = [];
    if (downstream) {
      const completion = `(${downstream}) / (${requests})`;
      rules.push(
        { record: 'stormwatch:completion:ratio', expr: completion, labels },
        { record: 'stormwatch:completion:baseline', expr: baseline(completion), labels },
      );
      failing.push(`stormwatch:completion:ratio${sel} < ${1 - d.funnelDropFraction} * stormwatch:completion:baseline${sel}`);
    }
    if (errors) {
      // No error series yet reads as zero errors (per label set when split).
      const ratio = signal.by.length > 0 ? `((${errors}) or (${requests}) * 0) / (${requests})` : `((${errors}) or vector(0)) / (${requests})`;
      rules.push(
        { record: 'stormwatch:errors:ratio', expr: ratio, labels },
        { record: 'stormwatch:errors:baseline', expr: baseline(ratio), labels },
      );
      failing.push(`stormwatch:errors:ratio${sel} > stormwatch:errors:baseline${sel} + ${d.minErrorRatioIncrease}`);
    }
    const minRate = d.minRequestsPerTick / (config.intervalMs / 1000);
    const traffic = `stormwatch:requests:baseline${sel} >= ${minRate}`;
    // `and` binds tighter than `or` in PromQL: the failure conditions are grouped first.
    const failingExpr = failing.length > 0 ? `(((${failing.join(') or (')})) and ${on} (${traffic}))` : undefined;
    const amp = `stormwatch:amplification:ratio${sel}`;
    // The detector counts a collapse only below the band of one tick's count as well as the factor
    // (detectors/stats/band-floor.ts); the rules know the counting part of that band,
    // BAND_SIGMAS/√(requests a tick), not the demand's own wobble.
    const tickCount = `(stormwatch:requests:baseline${sel} * ${config.intervalMs / 1000})`;
    const collapseFloor = `clamp_max(exp(-${BAND_SIGMAS} / sqrt(${tickCount})), ${d.collapseFactor})`;
    const defs = config.definitions;
    const alert = (kind: 'retry_storm' | 'outage' | 'error_regression' | 'organic_surge', expr: string, summary: string) => ({
      alert: defs[kind].alertname,
      expr,
      for: formatDuration(forMs),
      ...(keepFiringForMs > 0 ? { keep_firing_for: formatDuration(keepFiringForMs) } : {}),
      // An alerting rule's labels and annotations are Go templates to Prometheus: the configured
      // text is kept literal, as stormwatch's own alerts show it.
      labels: literalTemplates({ ...labels, severity: defs[kind].severity }),
      annotations: { ...literalTemplates(signal.annotations ?? {}), summary, description: `${summary} (rule exported by stormwatch from signal ${signal.name}; value {{ $value | printf "%.3g" }}).` },
    });
    // Retries multiply requests by at most 1/(1 − f) while a share f of attempts fails
    // (decisions/storm-floor.ts): a rise past the storm floor is a storm only where f could make it.
    const canStorm: string[] = [];
    const shareFor = 1 - 1 / STORM_MIN_MULTIPLIER;
    if (downstream) canStorm.push(`stormwatch:completion:ratio${sel} <= ${Number((1 - shareFor).toFixed(6))} * stormwatch:completion:baseline${sel}`);
    if (errors) canStorm.push(`stormwatch:errors:ratio${sel} >= stormwatch:errors:baseline${sel} + ${Number(shareFor.toFixed(6))}`);
    const canStormExpr = `((${canStorm.join(') or (')}))`;
    const stormRise = `(${amp} > ${STORM_MIN_MULTIPLIER})`;
    if (failingExpr) {
      rules.push(
        alert('retry_storm', `${failingExpr} and ${on} ${stormRise} and ${on} ${canStormExpr}`, `${signal.name}: requests above baseline while they fail: clients are retrying`),
        alert('error_regression', `${failingExpr} and ${on} ((${amp} <= ${STORM_MIN_MULTIPLIER} and ${amp} >= 0.9) or (${stormRise} unless ${on} ${canStormExpr}))`, `${signal.name}: requests fail with no sign of retry amplification`),
        alert('outage', `(${failingExpr} and ${on} (${amp} < 0.9)) or (${amp} <= ${on} ${collapseFloor} and ${on} (${traffic}))`, `${signal.name}: traffic collapsed or a client pool is stuck`),
      );
    } else {
      rules.push(alert('outage', `${amp} <= ${on} ${collapseFloor} and ${on} (${traffic})`, `${signal.name}: traffic collapsed`));
    }
    rules.push(alert('organic_surge', `${amp} >= ${d.spikeFactor}${failingExpr ? ` unless ${on} ${failingExpr}` : ''}`, `${signal.name}: requests well above baseline, success intact`));
    groups.push({ name: `stormwatch-${signal.name}`, interval, rules });
  }
  return { groups };
}
