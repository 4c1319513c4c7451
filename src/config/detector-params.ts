// Detector parameters as the config writes them (durations named without units) -> as detectors take them.

import type { DetectorParams } from '../detectors/evidence-detector.js';

type WrittenParams = { baselineWindow?: number; baselineResolution?: number; relearnAfter?: number } & Omit<Partial<DetectorParams>, 'baselineWindowMs' | 'baselineResolutionMs' | 'relearnAfterMs'>;

/** Maps preset or override keys (durations already in ms) to detector parameters; absent keys stay absent. */
export function toDetectorParams(p: WrittenParams): Partial<DetectorParams> {
  const { baselineWindow, baselineResolution, relearnAfter, ...rest } = p;
  const out: Partial<DetectorParams> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  if (baselineWindow !== undefined) out.baselineWindowMs = baselineWindow;
  if (baselineResolution !== undefined) out.baselineResolutionMs = baselineResolution;
  if (relearnAfter !== undefined) out.relearnAfterMs = relearnAfter;
  return out;
}
