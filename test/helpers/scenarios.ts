// Loads a bundled scenario's labels and a config that reads it, for scenario tests.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StormwatchConfig, loadConfig } from '../../src/config/load.js';
import { FIXTURES_DIR } from '../../src/core/paths.js';
import type { AlertTransition } from '../../src/core/types.js';
import { runBacktest } from '../../src/runner/backtest.js';
import { silentLogger } from '../../src/core/log.js';

import type { ScenarioLabels } from '../../scripts/scorecard/score.js';

export function scenarioLabels(name: string): ScenarioLabels {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, 'scenarios', `${name}.json`), 'utf8')) as ScenarioLabels;
}

export function scenarioFile(name: string): string {
  return join(FIXTURES_DIR, 'scenarios', scenarioLabels(name).file);
}

/** The bundled replay config, pointed at another scenario file. */
export function replayConfig(name: string): StormwatchConfig {
  const config = loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
  return { ...config, source: { kind: 'replay', file: scenarioFile(name) } };
}

export async function replayTransitions(config: StormwatchConfig): Promise<AlertTransition[]> {
  const out: AlertTransition[] = [];
  await runBacktest(config, { logger: silentLogger, onTransition: (t) => out.push(t) });
  return out;
}

/** A compact, comparable form of a transition. */
export function brief(t: AlertTransition): string {
  return `${t.status} ${t.labels.alertname} starts=${new Date(t.startsAtMs).toISOString()} at=${new Date(t.evaluatedAtMs).toISOString()}`;
}
