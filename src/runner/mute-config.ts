// The mute stage's configuration (decisions/mute-stage.ts) from a stormwatch configuration:
// maintenance windows, inhibition rules, the silences, and the recurring surges
// (`alerting.muteRecurring`), each read on its signal's time zone (`detector.timeZone`).

import type { StormwatchConfig } from '../config/load.js';
import type { MuteConfig } from '../decisions/mute-stage.js';
import type { Silence } from '../decisions/silences.js';

export function muteConfig(config: StormwatchConfig, silences: () => readonly Silence[]): MuteConfig {
  const base: MuteConfig = { windows: config.maintenanceWindows ?? [], inhibitRules: config.inhibitRules ?? [], silences };
  if (config.alerting.muteRecurring === false) return base;
  const zones = new Map(config.signals.map((s) => [s.name, (s.detector ?? config.detector).timeZone]));
  return { ...base, recurring: new Set([config.definitions.organic_surge.alertname]), timeZoneOf: (labels) => zones.get(labels.signal ?? '') };
}
