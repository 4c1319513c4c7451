// `npm run scorecard`: backtests every bundled scenario through the real pipeline and prints, per
// scenario, the alerts by kind, the detection delay, estimated vs true attempts per request, the
// client model named, and false pages. Exits 1 when a scenario misses its expectations.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { FIXTURES_DIR } from '../src/core/paths.js';
import type { AlertTransition } from '../src/core/types.js';
import type { TickResult } from '../src/pipeline.js';
import { runBacktest } from '../src/runner/backtest.js';
import { type ScenarioLabels, type ScenarioScore, scoreScenario } from '../src/scorecard/score.js';

export async function scoreAll(): Promise<ScenarioScore[]> {
  const dir = join(FIXTURES_DIR, 'scenarios');
  const base = loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
  const scores: ScenarioScore[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const labels = JSON.parse(readFileSync(join(dir, file), 'utf8')) as ScenarioLabels;
    const transitions: AlertTransition[] = [];
    const ticks: TickResult[] = [];
    await runBacktest({ ...base, source: { kind: 'replay', file: join(dir, labels.file) } }, { logger: silentLogger, onTransition: (t) => transitions.push(t), onTick: (t) => ticks.push(t) });
    scores.push(scoreScenario(labels, transitions, ticks));
  }
  return scores;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const scores = await scoreAll();
  const header = ['scenario', 'alerts (kind @ delay from fault start)', 'attempts/request est vs true', 'client model', 'deploy verdicts', 'false pages', 'verdict'];
  const rows = scores.map((s) => [
    s.name,
    s.fired.map((f) => `${f.alertname.replace('Stormwatch', '')}(${f.severity})${Number.isNaN(f.delaySeconds) ? '' : ` @${f.delaySeconds}s`}`).join(', ') || '-',
    Number.isNaN(s.attemptsTruth) ? '-' : `${s.attemptsEstimate.toFixed(2)} vs ${s.attemptsTruth.toFixed(2)}`,
    s.clientModel || '-',
    s.deploys.map((d) => `${d.verdict}${d.verdict === 'fail' ? ` @${d.decidedAfterSeconds}s` : ''}`).join(', ') || '-',
    String(s.falsePages.length),
    s.ok ? 'ok' : `FAIL: ${s.checks.filter((c) => !c.ok).map((c) => `${c.what} (${c.detail})`).join('; ')}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  process.stdout.write(`${row(header, widths)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${row(r, widths)}\n`);
  process.stdout.write(`\n${scores.filter((s) => s.ok).length}/${scores.length} scenarios meet their expectations (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  process.exitCode = scores.every((s) => s.ok) ? 0 : 1;
}
