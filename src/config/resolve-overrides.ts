// Resolves each signal's own overrides onto the config-wide detector and alerting: a signal's
// detector is its preset (or the top-level detector) with its parameters changed.

import type { DetectorParams } from '../detectors/evidence-detector.js';
import type { SignalConfig } from './config-types.js';
import { toDetectorParams } from './detector-params.js';
import type { ResolveContext } from './resolve-context.js';

export function applySignalOverrides(ctx: ResolveContext, signals: SignalConfig[], presets: Record<string, DetectorParams>, detector: DetectorParams): SignalConfig[] {
  return signals.map((signal, i) => {
    const raw = ctx.raw.signals[i]!;
    const out: SignalConfig = { ...signal };
    if (raw.detector) {
      const { preset, ...params } = raw.detector;
      const base = preset === undefined ? detector : presets[preset];
      if (!base) ctx.at(['signals', i, 'detector', 'preset'], `unknown preset ${JSON.stringify(preset)}; known: ${Object.keys(presets).join(', ')}`);
      // The time zone is the traffic's and holding error bursts the user's choice, not a preset's
      // tuning: a signal naming a preset keeps the config's.
      else out.detector = { ...base, ...(detector.timeZone !== undefined ? { timeZone: detector.timeZone } : {}), ...(detector.holdErrorBursts !== undefined ? { holdErrorBursts: detector.holdErrorBursts } : {}), ...toDetectorParams(params) };
    }
    const a = raw.alerting;
    if (a) {
      if (a.for !== undefined) out.forMs = a.for;
      if (a.keepFiringFor !== undefined) out.keepFiringForMs = a.keepFiringFor;
      if (a.classifyWithin !== undefined) out.classifyWithinMs = a.classifyWithin;
      if (Object.keys(a.annotations).length > 0) out.annotations = a.annotations;
    }
    return out;
  });
}
