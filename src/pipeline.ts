// One tick of stormwatch: a frame of rates in -> detectors -> alert decisions -> transitions out.
// Pure: no I/O and no clock, so a live loop, a backtest and a test drive it the same way.

import type { StormwatchConfig } from './config/load.js';
import type { AlertTransition, Evaluation, Frame, SignalInput, SignalSample } from './core/types.js';
import { AlertDecider, type SignalIdentity } from './decisions/alert-decider.js';
import { type Assessment, assess } from './decisions/assess.js';
import type { ClientModel } from './detectors/retry-amplification.js';
import { BaselineDetector } from './detectors/baseline-detector.js';
import type { Detector } from './detectors/detector.js';

export interface SignalReport {
  sample: SignalSample;
  evaluations: Evaluation[];
  assessment: Assessment;
}

export interface TickResult {
  timeMs: number;
  transitions: AlertTransition[];
  signals: Map<string, SignalReport>;
}

interface WatchedSignal {
  identity: SignalIdentity;
  detector: Detector;
  clients: ClientModel[];
}

export interface PipelineSnapshot {
  version: 1;
  savedAtMs: number;
  detectors: Record<string, unknown>;
  alerts: unknown;
}

export type PipelineConfig = Pick<StormwatchConfig, 'intervalMs' | 'detector' | 'alerting' | 'signals' | 'definitions'>;

export class Pipeline {
  private readonly watched: WatchedSignal[];
  private readonly decider: AlertDecider;

  constructor(config: PipelineConfig) {
    this.watched = config.signals.map((signal) => ({
      identity: { name: signal.name, labels: signal.labels },
      detector: new BaselineDetector(config.detector, {
        intervalMs: config.intervalMs,
        inputs: new Set(Object.keys(signal.inputs) as SignalInput[]),
      }),
      clients: signal.clients,
    }));
    this.decider = new AlertDecider(config.definitions, { forMs: config.alerting.forMs, keepFiringForMs: config.alerting.keepFiringForMs }, config.alerting.labels);
  }

  /** Runs detectors and decisions on one frame. Signals missing from the frame count as gaps. */
  step(frame: Frame): TickResult {
    const result: TickResult = { timeMs: frame.timeMs, transitions: [], signals: new Map() };
    for (const { identity, detector, clients } of this.watched) {
      const sample = frame.signals.get(identity.name) ?? { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN };
      const evaluations = detector.observe(sample, frame.timeMs);
      const assessment = assess(identity.name, sample, evaluations, clients);
      result.signals.set(identity.name, { sample, evaluations, assessment });
      result.transitions.push(...this.decider.decide(identity, assessment, frame.timeMs));
    }
    return result;
  }

  /** Feeds history to the detectors' baselines only: no alert can start from warm-up data. */
  warm(frame: Frame): void {
    for (const { identity, detector } of this.watched) {
      const sample = frame.signals.get(identity.name);
      if (sample) detector.observe(sample, frame.timeMs);
    }
  }

  firing() {
    return this.decider.firing();
  }

  /** Everything a restart needs to resume mid-incident: baselines and firing alerts. */
  snapshot(savedAtMs: number): PipelineSnapshot {
    return {
      version: 1,
      savedAtMs,
      detectors: Object.fromEntries(this.watched.map((w) => [w.identity.name, w.detector.snapshot()])),
      alerts: this.decider.snapshot(),
    };
  }

  /** Restores what fits: signals that still exist get their baselines back; firing alerts stay firing. */
  restore(snapshot: PipelineSnapshot): { signals: number } {
    if (snapshot?.version !== 1) return { signals: 0 };
    let signals = 0;
    for (const w of this.watched) if (w.detector.restore(snapshot.detectors?.[w.identity.name])) signals++;
    this.decider.restore(snapshot.alerts);
    return { signals };
  }
}
