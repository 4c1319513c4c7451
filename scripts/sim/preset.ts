// The detector parameters a development script runs with: a bundled preset by name
// (models/detector-presets.yaml), the default as a config without `detector:` runs.

import { loadBundledModels } from '../../src/config/load.js';
import type { DetectorParams } from '../../src/detectors/evidence-detector.js';

/** The preset `name` (`default` when undefined); an error naming the presets there are otherwise. */
export function presetParams(name: string | undefined): DetectorParams {
  const presets = loadBundledModels().presets;
  const chosen = presets[name ?? 'default'];
  if (!chosen) throw new Error(`--preset: one of ${Object.keys(presets).join(', ')}`);
  return chosen;
}
