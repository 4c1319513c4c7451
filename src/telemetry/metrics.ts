// stormwatch's own metrics, on a dedicated prom-client Registry (never the global one).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SOURCE_ERROR_REASONS, type SourceError } from '../core/errors.js';
import type { TickResult } from '../pipeline.js';
import type { DeliveryEvent } from '../sinks/deliverer.js';
import { bandOf } from '../ui/band.js';
import { anomalyScore } from '../detectors/stats/anomaly-score.js';
import { rateBand } from '../report/scores-csv.js';

/** Above this many series, per-series gauges (value, baseline, score) are not exported. */
export const MAX_SERIES_GAUGES = 1000;

export class StormwatchMetrics {
  readonly registry = new Registry();
  readonly ticks = new Counter({ name: 'stormwatch_ticks_total', help: 'Ticks run, by outcome (ok, or degraded when a source read failed).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly ticksSkipped = new Counter({ name: 'stormwatch_ticks_skipped_total', help: 'Ticks skipped because the previous one, or a reload reading history, was still running.', registers: [this.registry] });
  readonly tickDuration = new Histogram({ name: 'stormwatch_tick_duration_seconds', help: 'Wall time of one tick: read, detect, decide.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [this.registry] });
  readonly sourceErrors = new Counter({ name: 'stormwatch_source_errors_total', help: 'Failed source reads, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly expositionProblems = new Counter({ name: 'stormwatch_exposition_problems_total', help: 'Exposition lines skipped as malformed or non-finite.', registers: [this.registry] });
  readonly signalValue = new Gauge({ name: 'stormwatch_signal_value', help: 'Latest per-second rate of a signal input.', labelNames: ['signal', 'input'] as const, registers: [this.registry] });
  readonly heldRate = new Gauge({ name: 'stormwatch_signal_held_rate', help: 'Per-second rate a signal input reads from held rates of series missing from the source (Prometheus: their targets\' scrapes fail, or they left a page still scraped; a scraped page: they left it while their neighbours did not take their load over, errors with their pod\'s traffic): an estimate, not a reading.', labelNames: ['signal', 'input'] as const, registers: [this.registry] });
  readonly noData = new Gauge({ name: 'stormwatch_signal_no_data', help: 'A configured signal input that has read no data in any of its series for a while (1), or has data (0): nothing can be judged on it.', labelNames: ['signal', 'input'] as const, registers: [this.registry] });
  readonly signalBaseline = new Gauge({ name: 'stormwatch_signal_baseline', help: 'Baseline a check compares against (a rate for rate checks, a ratio for ratio checks).', labelNames: ['signal', 'check'] as const, registers: [this.registry] });
  readonly bandLow = new Gauge({ name: 'stormwatch_signal_band_low', help: 'Lower edge of the band a check judges against: baseline and z robust sigmas (multiplicative for rate checks).', labelNames: ['signal', 'check'] as const, registers: [this.registry] });
  readonly bandHigh = new Gauge({ name: 'stormwatch_signal_band_high', help: 'Upper edge of the band a check judges against: baseline and z robust sigmas (multiplicative for rate checks).', labelNames: ['signal', 'check'] as const, registers: [this.registry] });
  readonly anomalyScore = new Gauge({ name: 'stormwatch_anomaly_score', help: 'How unusual the latest tick is, in [0, 1], on one scale for every series: its tail surprise V* among the series own ticks as V*/(V*+15 nats), 0.5 for a tick as rare as e^-15; while an incident of the series holds, at least its highest since the incident began. Absent while no check can judge.', labelNames: ['signal'] as const, registers: [this.registry] });
  readonly signalBand = new Gauge({ name: 'stormwatch_signal_band', help: 'Request rate band from the seasonal expectation: lower and upper bound, 3 sigma of one tick (multiplicative).', labelNames: ['signal', 'bound'] as const, registers: [this.registry] });
  readonly amplification = new Gauge({ name: 'stormwatch_amplification_factor', help: 'Attempt-rate multiplier M: requests over their baseline.', labelNames: ['signal'] as const, registers: [this.registry] });
  readonly failingAttempts = new Gauge({ name: 'stormwatch_failing_attempts_ratio', help: 'Estimated fraction of attempts failing (errors or lost downstream completions) above baseline.', labelNames: ['signal'] as const, registers: [this.registry] });
  readonly collapsesMoved = new Counter({ name: 'stormwatch_collapses_moved_total', help: "Collapses of a split signal's series judged traffic moved to the signal's other series (their total held), and so not paged, by signal.", labelNames: ['signal'] as const, registers: [this.registry] });
  readonly alertTransitions = new Counter({ name: 'stormwatch_alert_transitions_total', help: 'Alerts that started firing or resolved.', labelNames: ['alertname', 'status'] as const, registers: [this.registry] });
  readonly notificationAttempts = new Counter({ name: 'stormwatch_notification_attempts_total', help: 'Notification send attempts by sink and outcome (ok, or why it failed).', labelNames: ['sink', 'outcome'] as const, registers: [this.registry] });
  readonly notifications = new Counter({ name: 'stormwatch_notifications_total', help: 'Notifications finished, by sink and outcome (delivered or gave_up).', labelNames: ['sink', 'outcome'] as const, registers: [this.registry] });
  readonly notificationBackoff = new Histogram({ name: 'stormwatch_notification_backoff_seconds', help: 'Delays chosen before retrying a failed notification.', labelNames: ['sink'] as const, buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300], registers: [this.registry] });
  readonly outboxPending = new Gauge({ name: 'stormwatch_outbox_pending', help: 'Notifications written to the outbox and not yet delivered or given up.', labelNames: ['sink'] as const, registers: [this.registry] });
  readonly probes = new Counter({ name: 'stormwatch_probes_total', help: 'Smoke probe runs by probe and outcome (ok, failed).', labelNames: ['probe', 'outcome'] as const, registers: [this.registry] });
  readonly seriesWatched = new Gauge({ name: 'stormwatch_series_watched', help: 'Series this replica watches (a split signal has one per label set).', registers: [this.registry] });
  readonly scrapeDuplicates = new Counter({ name: 'stormwatch_scrape_duplicate_samples_total', help: 'Samples of a series already on the same scraped page: dropped, the first kept (as Prometheus does).', registers: [this.registry] });
  readonly quarantined = new Counter({ name: 'stormwatch_quarantined_total', help: 'Invalid saved data moved aside at start, by what (outbox_line, state_file).', labelNames: ['what'] as const, registers: [this.registry] });
  readonly httpRefused = new Counter({ name: 'stormwatch_http_refused_total', help: 'HTTP requests refused with a 4xx, by reason.', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly stateWrites = new Counter({ name: 'stormwatch_state_writes_total', help: 'Writes of the state file, state.bin (bursts of changes share one write).', registers: [this.registry] });
  readonly stateBytes = new Gauge({ name: 'stormwatch_state_bytes', help: 'Size of the last state file written.', registers: [this.registry] });
  readonly stateSaveDuration = new Histogram({
    name: 'stormwatch_state_save_seconds',
    help: 'Wall time of a state save, by part: event_loop (encoding and writing, while the event loop waits), in_place (until the file is synced and in place).',
    labelNames: ['part'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly deployRecords = new Gauge({ name: 'stormwatch_deploy_records', help: 'Deploy records kept (pruned by age and count).', registers: [this.registry] });
  readonly reloads = new Counter({ name: 'stormwatch_config_reloads_total', help: 'Configuration reloads (SIGHUP, POST /-/reload), by outcome (applied, refused).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly notificationsMuted = new Counter({ name: 'stormwatch_alerts_muted_total', help: 'Alert transitions decided but not delivered, by reason (silence, maintenance, inhibited, held).', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly seasonalHistory = new Gauge({ name: 'stormwatch_seasonal_history_seconds', help: 'History read into the seasonal profiles by the latest read (at the start, or a reload adding signals; seconds of data), by how it ended: complete, budget (stopped at its 60 s), failed (the rest is learnt live).', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly lastTickTime = new Gauge({ name: 'stormwatch_last_tick_timestamp_seconds', help: 'Data time of the last completed tick.', registers: [this.registry] });

  /** `zThreshold`: the detector's, so the exported band is the one alerts are judged by. */
  constructor(
    withProcessMetrics = true,
    private readonly zThreshold = 4,
  ) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
    // Every reason from the start: a zero is a fact, and rate() needs the series before it moves.
    for (const reason of SOURCE_ERROR_REASONS) this.sourceErrors.inc({ reason }, 0);
    for (const what of ['outbox_line', 'state_file']) this.quarantined.inc({ what }, 0);
  }

  recordTick(result: TickResult, durationSeconds: number, errors: readonly SourceError[], problems: number, duplicates = 0): void {
    this.ticks.inc({ outcome: errors.length > 0 ? 'degraded' : 'ok' });
    this.tickDuration.observe(durationSeconds);
    for (const error of errors) this.sourceErrors.inc({ reason: error.reason });
    if (problems - duplicates > 0) this.expositionProblems.inc(problems - duplicates);
    if (duplicates > 0) this.scrapeDuplicates.inc(duplicates);
    this.lastTickTime.set(result.timeMs / 1000);
    this.seriesWatched.set(result.signals.size);
    for (const m of result.movedTraffic ?? []) this.collapsesMoved.inc({ signal: m.signal });
    // Per-series gauges for a handful of series; at scale they would cost more than the detection.
    if (result.signals.size > MAX_SERIES_GAUGES) return this.recordTransitions(result);
    for (const [signal, report] of result.signals) {
      for (const input of ['requests', 'errors', 'downstream'] as const) {
        const value = report.sample[input];
        // No data removes the series rather than showing the last rate as if it were still read.
        if (Number.isFinite(value)) this.signalValue.set({ signal, input }, value);
        else this.signalValue.remove({ signal, input });
      }
      const a = report.assessment;
      const multiplier = a.requests / a.requestsBaseline;
      // A tick without requests read says nothing of either: absent, not the last value or a calm 0.
      if (Number.isFinite(multiplier)) this.amplification.set({ signal }, multiplier);
      else this.amplification.remove({ signal });
      if (Number.isFinite(report.sample.requests)) this.failingAttempts.set({ signal }, a.estimate?.failingAttempts ?? 0);
      else this.failingAttempts.remove({ signal });
      for (const e of report.evaluations) {
        if (Number.isFinite(e.baseline)) this.signalBaseline.set({ signal, check: e.kind }, e.baseline);
        const band = bandOf(e, this.zThreshold);
        if (Number.isFinite(band.low)) {
          this.bandLow.set({ signal, check: e.kind }, band.low);
          this.bandHigh.set({ signal, check: e.kind }, band.high);
        }
      }
      // Unknown (warm-up, no data) removes the series rather than showing a calm 0.
      const score = report.anomalyScore ?? anomalyScore(report.evaluations);
      if (Number.isFinite(score)) this.anomalyScore.set({ signal }, score);
      else this.anomalyScore.remove({ signal });
      const rate = rateBand(report.evaluations);
      if (Number.isFinite(rate.lower)) {
        this.signalBand.set({ signal, bound: 'lower' }, rate.lower);
        this.signalBand.set({ signal, bound: 'upper' }, rate.upper);
      }
    }
    this.recordTransitions(result);
  }

  private recordTransitions(result: TickResult): void {
    for (const t of result.transitions) this.alertTransitions.inc({ alertname: t.labels.alertname ?? '', status: t.status });
  }

  /**
   * Drops every series' gauges (a reload removed or reset signals): the next tick sets those still
   * watched, and a removed signal's last rate is not exported as if still read.
   */
  forgetSeriesGauges(): void {
    for (const g of [this.signalValue, this.heldRate, this.noData, this.signalBaseline, this.bandLow, this.bandHigh, this.anomalyScore, this.signalBand, this.amplification, this.failingAttempts]) g.reset();
  }

  /** The held rates of this tick (none: the gauge is empty). */
  recordHeld(held: readonly { signal: string; input: string; rate: number }[]): void {
    this.heldRate.reset();
    for (const h of held) this.heldRate.set({ signal: h.signal, input: h.input }, h.rate);
  }

  /** Every configured signal input (0), those noticed without data (1); inputs no longer configured are dropped. */
  recordNoData(inputs: readonly { signal: string; input: string }[], missing: readonly { signal: string; input: string }[]): void {
    this.noData.reset();
    for (const i of inputs) this.noData.set({ signal: i.signal, input: i.input }, 0);
    for (const m of missing) this.noData.set({ signal: m.signal, input: m.input }, 1);
  }

  recordDelivery(event: DeliveryEvent): void {
    switch (event.kind) {
      case 'attempt':
        this.notificationAttempts.inc({ sink: event.sink, outcome: event.outcome });
        break;
      case 'backoff':
        this.notificationBackoff.observe({ sink: event.sink }, event.delayMs / 1000);
        break;
      case 'delivered':
        this.notifications.inc({ sink: event.sink, outcome: 'delivered' });
        break;
      case 'gave_up':
        this.notifications.inc({ sink: event.sink, outcome: 'gave_up' });
        break;
    }
  }
}
