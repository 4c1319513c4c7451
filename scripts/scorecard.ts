// `npm run scorecard`: backtests every bundled scenario through the real pipeline and prints, per
// scenario, the alerts by kind, the detection delay, estimated vs true attempts per request, the
// client model named, and false pages. Exits 1 when a bundled scenario misses its expectations.
//
// `npm run scorecard -- --steps 1,5,15 --seeds 3` also re-simulates every scenario at other tick
// sizes and seeds (data nobody tuned on) and prints, per tick size, the distribution of detection
// delays, the scenarios that met their expectations, and false pages per day of fault-free data.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type StormwatchConfig, loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { FIXTURES_DIR, MODELS_DIR } from '../src/core/paths.js';
import type { AlertTransition } from '../src/core/types.js';
import type { TickResult } from '../src/pipeline.js';
import { runBacktest } from '../src/runner/backtest.js';
import { type ScenarioLabels, type ScenarioScore, scoreScenario } from '../src/scorecard/score.js';
import { scenarioLabelsOf } from '../src/sim/labels.js';
import { type Scenario, bundledScenarios } from '../src/sim/scenarios.js';
import { type RetryPolicy, simulate } from '../src/sim/simulate.js';

function baseConfig(): StormwatchConfig {
  return loadConfig(join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'));
}

export async function scoreAll(): Promise<ScenarioScore[]> {
  const dir = join(FIXTURES_DIR, 'scenarios');
  const base = baseConfig();
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

/** Re-simulates a scenario at another tick size and seed, in memory, and scores its backtest. */
export async function scoreVariant(scenario: Scenario, stepMs: number, seed: number): Promise<{ score: ScenarioScore; days: number }> {
  const spec = { ...scenario.spec, stepMs, seed };
  const result = simulate(spec);
  const labels = scenarioLabelsOf({ ...scenario, spec }, result, `${scenario.name}@${stepMs / 1000}s`);
  const snapshots = result.snapshots.map((s) => [s.timeMs, s.samples] as [number, typeof s.samples]);
  const transitions: AlertTransition[] = [];
  const ticks: TickResult[] = [];
  const config = { ...baseConfig(), intervalMs: stepMs };
  await runBacktest(config, { data: { snapshots, problems: [] }, logger: silentLogger, onTransition: (t) => transitions.push(t), onTick: (t) => ticks.push(t) });
  return { score: scoreScenario(labels, transitions, ticks), days: (spec.endMs - spec.startMs) / 86_400_000 };
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [row(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => row(r, widths))].join('\n') + '\n';
}

function quantiles(xs: number[]): string {
  if (xs.length === 0) return '-';
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `${q(0.5)} / ${q(0.9)} / ${s.at(-1)} s`;
}

async function variants(steps: number[], seeds: number): Promise<void> {
  const cargo = parseAllDocuments(readFileSync(join(MODELS_DIR, 'clients', 'cargo.yaml'), 'utf8'))
    .map((d) => d.toJS() as RetryPolicy)
    .find((p) => p.name === 'cargo')!;
  const rows: string[][] = [];
  const failures: string[] = [];
  /** Per fault scenario and tick size: the first critical incident alert's kinds and delays. */
  const perScenario = new Map<string, Map<number, { kinds: Set<string>; delays: number[] }>>();
  for (const stepS of steps) {
    const delays = new Map<string, number[]>();
    let met = 0;
    let runs = 0;
    let falsePages = 0;
    let quietDays = 0;
    for (const scenario of bundledScenarios(cargo)) {
      for (let k = 0; k < seeds; k++) {
        const { score, days } = await scoreVariant(scenario, stepS * 1000, scenario.spec.seed + 7919 * k);
        runs++;
        if (score.ok) met++;
        else failures.push(`${scenario.name} @${stepS}s seed+${k}: ${score.checks.filter((c) => !c.ok).map((c) => `${c.what} (${c.detail})`).join('; ')}`);
        falsePages += score.falsePages.length;
        if (scenario.spec.faults.length === 0) quietDays += days;
        const first = score.fired.filter((f) => f.severity === 'critical' && f.delaySeconds >= 0 && !f.alertname.includes('Deploy'))[0];
        if (scenario.expect.mustFire.length > 0) {
          const list = delays.get(scenario.name) ?? [];
          list.push(first ? first.delaySeconds : Number.POSITIVE_INFINITY);
          delays.set(scenario.name, list);
          const byStep = perScenario.get(scenario.name) ?? new Map<number, { kinds: Set<string>; delays: number[] }>();
          perScenario.set(scenario.name, byStep);
          const cell = byStep.get(stepS) ?? { kinds: new Set<string>(), delays: [] };
          byStep.set(stepS, cell);
          cell.kinds.add(first ? first.alertname.replace('Stormwatch', '') : 'none');
          if (first) cell.delays.push(first.delaySeconds);
        }
      }
    }
    const allDelays = [...delays.values()].flat();
    rows.push([
      `${stepS} s`,
      `${met}/${runs}`,
      quantiles(allDelays.filter(Number.isFinite)),
      String(allDelays.filter((d) => !Number.isFinite(d)).length),
      `${falsePages} in ${quietDays.toFixed(1)} quiet days (${(falsePages / Math.max(quietDays, 1e-9)).toFixed(3)}/day)`,
    ]);
    process.stderr.write(`  ${stepS} s ticks done\n`);
  }
  process.stdout.write(`\nVariants: every scenario re-simulated at each tick size with ${seeds} seed(s) (the bundled seed, then others)\n`);
  process.stdout.write(table(['ticks', 'scenarios met', 'page delay p50 / p90 / max', 'missed', 'false pages (all scenarios) per quiet day'], rows));
  const cellText = (c: { kinds: Set<string>; delays: number[] } | undefined) => {
    if (!c) return '-';
    const d = [...c.delays].sort((a, b) => a - b);
    return `${[...c.kinds].join('/')} ${d.length ? `${d[0]}-${d.at(-1)} s` : ''}`.trim();
  };
  process.stdout.write(`\nFirst page per fault scenario (kind, delay range over the seeds):\n`);
  process.stdout.write(table(['scenario', ...steps.map((t) => `${t} s ticks`)], [...perScenario].map(([name, byStep]) => [name, ...steps.map((t) => cellText(byStep.get(t)))])));
  if (failures.length > 0) process.stdout.write(`\nMissed expectations:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const scores = await scoreAll();
  const rows = scores.map((s) => [
    s.name,
    s.fired.map((f) => `${f.alertname.replace('Stormwatch', '')}(${f.severity})${Number.isNaN(f.delaySeconds) ? '' : ` @${f.delaySeconds}s`}`).join(', ') || '-',
    Number.isNaN(s.attemptsTruth) ? '-' : `${Number.isNaN(s.attemptsEstimate) ? 'not estimable' : s.attemptsEstimate.toFixed(2)} vs ${s.attemptsTruth.toFixed(2)}`,
    s.clientModel || '-',
    s.deploys.map((d) => `${d.verdict}${d.verdict === 'fail' ? ` @${d.decidedAfterSeconds}s` : ''}`).join(', ') || '-',
    String(s.falsePages.length),
    s.ok ? 'ok' : `FAIL: ${s.checks.filter((c) => !c.ok).map((c) => `${c.what} (${c.detail})`).join('; ')}`,
  ]);
  process.stdout.write(table(['scenario', 'alerts (kind @ delay from fault start)', 'attempts/request est vs true', 'client model', 'deploy verdicts', 'false pages', 'verdict'], rows));
  process.stdout.write(`\n${scores.filter((s) => s.ok).length}/${scores.length} scenarios meet their expectations (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  process.exitCode = scores.every((s) => s.ok) ? 0 : 1;
  const steps = arg('--steps');
  if (steps) await variants(steps.split(',').map(Number), Number(arg('--seeds') ?? 1));
}
