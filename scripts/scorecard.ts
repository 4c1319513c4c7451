// `npm run scorecard`: backtests every bundled scenario through the real pipeline and prints, per
// scenario, the alerts by kind, the detection delay, estimated vs true attempts per request, the
// client model named, and false pages. Exits 1 when a bundled scenario misses its expectations.
//
// `npm run scorecard -- --steps 1,5,15 --seeds 3` also re-simulates every scenario at other tick
// sizes and seeds (data nobody tuned on) and prints, per tick size, the distribution of detection
// delays, the scenarios that met their expectations, and false pages per day of fault-free data.
// `--seed-offset K` starts at the K-th seed (seed + 7919·K) instead of the bundled one: seeds nobody
// has looked at yet. `--traffic X` and `--noise X` scale every variant's demand and its wobble by X
// (scripts/sim/scale.ts): the same incidents at load levels nobody tuned on.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type StormwatchConfig, loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { FIXTURES_DIR, MODELS_DIR } from '../src/core/paths.js';
import type { AlertTransition } from '../src/core/types.js';
import { retriesAtOnce } from '../src/detectors/plateau-prior.js';
import { runBacktest } from '../src/runner/backtest.js';
import { type ClientReading, type ClientVerdict, incidentReadings, judgeReading, readingAt } from './scorecard/client-truth.js';
import { SCORECARD_USAGE, parseScorecardOptions, wantsHelp } from './scorecard/options.js';
import { type ScenarioLabels, type ScenarioScore, type ScoredTick, scoreScenario, scoredTick } from './scorecard/score.js';
import { scenarioLabelsOf } from './sim/labels.js';
import { type Scenario, bundledScenarios } from './sim/scenarios.js';
import { mulberry32 } from './sim/random.js';
import { type SpecScale, UNSCALED, scaleSpec } from './sim/scale.js';
import { NOISE_MEMORY_S, type RetryPolicy, atOnceRetriesSent as atOnceRetriesSentFor, simulate } from './sim/simulate.js';
import { bestCaseWithin } from './scorecard/demand-bound.js';

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
    const ticks: ScoredTick[] = [];
    await runBacktest({ ...base, source: { kind: 'replay', file: join(dir, labels.file) } }, { logger: silentLogger, onTransition: (t) => transitions.push(t), onTick: (t) => ticks.push(scoredTick(t)) });
    scores.push(scoreScenario(labels, transitions, ticks));
  }
  return scores;
}

/** Re-simulates a scenario at another tick size, seed and demand, in memory, and scores its backtest. */
export async function scoreVariant(scenario: Scenario, stepMs: number, seed: number, scale: SpecScale = UNSCALED): Promise<{ score: ScenarioScore; days: number }> {
  const spec = { ...scaleSpec(scenario.spec, scale), stepMs, seed };
  const result = simulate(spec);
  const labels = scenarioLabelsOf({ ...scenario, spec }, result, `${scenario.name}@${stepMs / 1000}s`);
  const snapshots = result.snapshots.map((s) => [s.timeMs, s.samples] as [number, typeof s.samples]);
  const transitions: AlertTransition[] = [];
  const ticks: ScoredTick[] = [];
  const config = { ...baseConfig(), intervalMs: stepMs };
  await runBacktest(config, { data: { snapshots, problems: [] }, logger: silentLogger, onTransition: (t) => transitions.push(t), onTick: (t) => ticks.push(scoredTick(t)) });
  return { score: scoreScenario(labels, transitions, ticks), days: (spec.endMs - spec.startMs) / 86_400_000 };
}

/** A receiver's reading: client and attempts per request with its interval. */
function readingText(r: ClientReading | undefined): string {
  if (!r) return '-';
  const attempts = Number.isFinite(r.attempts) ? `${r.attempts.toFixed(2)} (${r.attemptsLow.toFixed(2)}-${r.attemptsHigh.toFixed(2)})` : 'not estimable';
  return `${r.model || 'none'}, ${attempts}`;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [row(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => row(r, widths))].join('\n') + '\n';
}

/** `xs` at each of `points` (0: the minimum, 1: the maximum), to two digits, joined by " / ". */
function atQuantiles(xs: number[], points: number[]): string {
  if (xs.length === 0) return '-';
  const s = [...xs].sort((a, b) => a - b);
  return points.map((p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2)).join(' / ');
}

function quantiles(xs: number[]): string {
  if (xs.length === 0) return '-';
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `${q(0.5)} / ${q(0.9)} / ${s.at(-1)} s`;
}

async function variants(steps: number[], seeds: number, seedOffset: number, scale: SpecScale): Promise<void> {
  const policies = parseAllDocuments(readFileSync(join(MODELS_DIR, 'clients', 'cargo.yaml'), 'utf8')).map((d) => d.toJS() as RetryPolicy);
  const cargo = policies.find((p) => p.name === 'cargo')!;
  const legacy = policies.find((p) => p.name === 'cargo-legacy')!;
  const rows: string[][] = [];
  const anomalyRows: string[][] = [];
  const failures: string[] = [];
  /** Per fault scenario and tick size: the first critical incident alert's kinds and delays. */
  const perScenario = new Map<string, Map<number, { kinds: Set<string>; delays: number[] }>>();
  for (const stepS of steps) {
    const delays = new Map<string, number[]>();
    let met = 0;
    let runs = 0;
    let falsePages = 0;
    let quietDays = 0;
    const healthyMaxima: number[] = [];
    const incidentPeaks: number[] = [];
    const incidentMedians: number[] = [];
    for (const scenario of bundledScenarios(cargo, legacy)) {
      for (let k = seedOffset; k < seedOffset + seeds; k++) {
        const { score, days } = await scoreVariant(scenario, stepS * 1000, scenario.spec.seed + 7919 * k, scale);
        runs++;
        if (score.ok) met++;
        else failures.push(`${scenario.name} @${stepS}s seed+${k}: ${score.checks.filter((c) => !c.ok).map((c) => `${c.what} (${c.detail})`).join('; ')}`);
        falsePages += score.falsePages.length;
        if (!Number.isNaN(score.anomaly.healthyMax)) healthyMaxima.push(score.anomaly.healthyMax);
        incidentPeaks.push(...score.anomaly.incidentPeaks.map((p) => (Number.isNaN(p) ? 0 : p)));
        incidentMedians.push(...score.anomaly.incidentMedians.map((p) => (Number.isNaN(p) ? 0 : p)));
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
    // One threshold for every run at this tick size, as a dashboard's or NAB's: the incidents whose
    // first minute scores above every healthy tick of every run.
    const highestHealthy = Math.max(...healthyMaxima);
    anomalyRows.push([
      `${stepS} s`,
      atQuantiles(healthyMaxima, [0.5, 1]),
      atQuantiles(incidentPeaks, [0, 0.5]),
      `${incidentPeaks.filter((p) => p > highestHealthy).length}/${incidentPeaks.length}`,
      atQuantiles(incidentMedians, [0, 0.5]),
    ]);
    process.stderr.write(`  ${stepS} s ticks done\n`);
  }
  process.stdout.write(`\nVariants: every scenario re-simulated at each tick size with ${seeds} seed(s) (${seedOffset === 0 ? 'the bundled seed, then others' : `seed + 7919·k for k = ${seedOffset}..${seedOffset + seeds - 1}`})${scale.traffic !== 1 || scale.noise !== 1 ? `, demand ×${scale.traffic} and its wobble ×${scale.noise}` : ''}\n`);
  process.stdout.write(table(['ticks', 'scenarios met', 'page delay p50 / p90 / max', 'missed', 'false pages (all scenarios) per quiet day'], rows));
  const cellText = (c: { kinds: Set<string>; delays: number[] } | undefined) => {
    if (!c) return '-';
    const d = [...c.delays].sort((a, b) => a - b);
    return `${[...c.kinds].join('/')} ${d.length ? `${d[0]}-${d.at(-1)} s` : ''}`.trim();
  };
  process.stdout.write(`\nAnomaly score: each run's highest healthy tick (outside the faults and the 10 minutes after each), each fault's highest score in its first minute and its median score from its start to its end (0: none scored)\n`);
  process.stdout.write(table(['ticks', 'highest healthy, per run: p50 / max', 'fault\'s first minute: min / p50', 'faults above every healthy tick', 'fault\'s median through it: min / p50'], anomalyRows));
  process.stdout.write(`\nFirst page per fault scenario (kind, delay range over the seeds):\n`);
  process.stdout.write(table(['scenario', ...steps.map((t) => `${t} s ticks`)], [...perScenario].map(([name, byStep]) => [name, ...steps.map((t) => cellText(byStep.get(t)))])));
  if (failures.length > 0) process.stdout.write(`\nMissed expectations:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
}

/** A full failure of cargo-like traffic: one run of the client-truth acceptance. */
export interface ClientCase {
  client: RetryPolicy;
  stepMs: number;
  noiseSigma: number;
  cratesPerBuild: number;
  seed: number;
  /** For a client retrying at once: the share of its retries a failing build sends (simulate.ts). */
  atOnceRetriesSent?: number;
  /** The client models the signal declares (`clients:`); default every bundled one. */
  declared?: readonly string[];
}

/** Seconds after the onset at which the reading is judged again (the page may be refreshed by then). */
export const SETTLED_AFTER_S = 60;

/** Simulates one full failure (after a deploy, as on 2023-07-20) and judges the page and the reading 60 s after onset. */
export async function scoreClientCase(c: ClientCase): Promise<{ atFiring: ClientVerdict; settled: ClientVerdict; truth: number; delaySeconds: number }> {
  const startMs = Date.parse('2023-07-21T10:00:00Z');
  const onsetMs = startMs + 2 * 3_600_000 + 7_000;
  const spec = {
    seed: c.seed, startMs, endMs: onsetMs + 20 * 60_000, stepMs: c.stepMs, logicalRatePerSecond: 960, seasonAmplitude: 0.3, peakHourUtc: 15, noiseSigma: c.noiseSigma,
    surges: [], apiPods: 3, deploysMs: [onsetMs - 7_000], cratesPerBuild: c.cratesPerBuild,
    ...(c.atOnceRetriesSent === undefined ? {} : { atOnceRetriesSent: c.atOnceRetriesSent }),
    faults: [{ kind: 'broken-redirect' as const, startMs: onsetMs, endMs: onsetMs + 10 * 60_000, failFraction: 1 }], client: c.client,
  };
  const result = simulate(spec);
  const transitions: AlertTransition[] = [];
  const snapshots = result.snapshots.map((s) => [s.timeMs, s.samples] as [number, typeof s.samples]);
  const base = baseConfig();
  const signals = c.declared ? base.signals.map((sig) => ({ ...sig, clients: sig.clients.filter((m) => c.declared!.includes(m.name)) })) : base.signals;
  await runBacktest({ ...base, signals, intervalMs: c.stepMs }, { data: { snapshots, problems: [] }, logger: silentLogger, onTransition: (t) => transitions.push(t) });
  const readings = incidentReadings(transitions, (t) => t.labels.severity === 'critical' && !(t.labels.alertname ?? '').includes('Deploy'));
  const truth = { client: c.client.name, attemptsPerRequest: result.truths[0]!.attemptsPerLogicalRequest };
  return {
    atFiring: judgeReading(readings[0], truth, 0.1),
    settled: judgeReading(readingAt(readings, onsetMs + SETTLED_AFTER_S * 1000), truth, 0.1),
    truth: truth.attemptsPerRequest,
    delaySeconds: readings[0] ? (readings[0].evaluatedAtMs - onsetMs) / 1000 : Number.NaN,
  };
}

/**
 * `--clients SEEDS`: cargo and cargo-legacy full failures, 4-100 crates per build, 15 s and 5 s
 * ticks, default and 3x noise. `--client-seed-offset K` starts at the K-th seed instead of the
 * first, so a change can be designed on some seeds and reported on others. `--declare a,b` has
 * the signal declare those client models (`clients:`), as a crate registry's operator would.
 */
async function clientTruth(seeds: number, offset = 0, declared?: readonly string[]): Promise<void> {
  const policies = parseAllDocuments(readFileSync(join(MODELS_DIR, 'clients', 'cargo.yaml'), 'utf8')).map((d) => d.toJS() as RetryPolicy);
  const rows: string[][] = [];
  const pct = (n: number, of: number) => `${n}/${of} (${Math.round((100 * n) / of)} %)`;
  const spread = (xs: number[]) => {
    const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
    if (s.length === 0) return '-';
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    const f = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
    return `${f(s[0]!)} / ${f(q(0.1))} / ${f(q(0.5))} / ${f(q(0.9))} / ${f(s.at(-1)!)} %`;
  };
  // An interval that holds the truth says little when it is wide: its high end over its low end.
  const widths = (xs: number[]) => {
    const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
    if (s.length === 0) return '-';
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return `${q(0.5).toFixed(2)} / ${q(0.9).toFixed(2)} / ${s.at(-1)!.toFixed(2)}`;
  };
  for (const name of ['cargo', 'cargo-legacy']) {
    const client = policies.find((p) => p.name === name)!;
    for (const stepMs of [15_000, 5_000]) {
      for (const noise of [1, 3]) {
        const runs = [];
        for (let k = 0; k < seeds; k++) {
          // Builds of 4 to 100 crates, spread over the seeds.
          const cratesPerBuild = 4 + Math.round((96 * k) / Math.max(1, seeds - 1));
          const seed = 1000 + 7919 * (offset + k);
          // A client retrying at once sends a share of its retries that depends on round trips
          // (measured on loopback): off the measured curve by up to ±25 %, drawn per seed.
          const atOnceRetriesSent = retriesAtOnce(client.delaysSeconds) ? Math.min(1, atOnceRetriesSentFor(cratesPerBuild) * Math.exp(0.5 * (mulberry32(seed ^ 0x5eed)() - 0.5))) : undefined;
          runs.push(await scoreClientCase({ client, stepMs, noiseSigma: 0.05 * noise, cratesPerBuild, seed, ...(atOnceRetriesSent === undefined ? {} : { atOnceRetriesSent }), ...(declared ? { declared } : {}) }));
        }
        const names = (v: ClientVerdict[]) => [...new Set(v.map((x) => x.model || 'none'))].map((m) => `${m} ${v.filter((x) => (x.model || 'none') === m).length}`).join(', ');
        rows.push([
          name, `${stepMs / 1000} s`, `${noise}x`,
          pct(runs.filter((r) => r.atFiring.named).length, runs.length), pct(runs.filter((r) => r.atFiring.close).length, runs.length), spread(runs.map((r) => r.atFiring.error)),
          pct(runs.filter((r) => r.settled.named).length, runs.length), pct(runs.filter((r) => r.settled.close).length, runs.length), spread(runs.map((r) => r.settled.error)),
          pct(runs.filter((r) => r.settled.covered).length, runs.length), widths(runs.map((r) => r.settled.width)), names(runs.map((r) => r.settled)),
        ]);
        process.stderr.write(`  ${name} ${stepMs / 1000} s ${noise}x noise done\n`);
      }
    }
  }
  process.stdout.write(`\nClient truth: full failures, ${seeds} seeds per case from seed offset ${offset} (4-100 crates per build), clients ${declared ? `declared: ${declared.join(', ')}` : 'not declared (every bundled model)'}; "60 s" is what a receiver held ${SETTLED_AFTER_S} s after onset (page + updates)\n`);
  process.stdout.write(table(['client', 'ticks', 'noise', 'named @firing', 'within 10 % @firing', 'error @firing min/p10/p50/p90/max', 'named @60 s', 'within 10 % @60 s', 'error @60 s min/p10/p50/p90/max', 'interval holds truth @60 s', 'interval high/low @60 s p50/p90/max', 'named @60 s'], rows));
  // What no estimator can beat when the plateau does not pin attempts per request (demand-bound.ts).
  const bound = (noise: number, fromS: number) => Math.round(100 * bestCaseWithin({ sigma: 0.05 * noise, memoryS: NOISE_MEMORY_S, fromS, toS: SETTLED_AFTER_S, tolerance: 0.1, runs: 20_000, seed: 1 }));
  process.stdout.write(`\nBest case for a client whose plateau is not pinned (cargo-legacy): demand and its process known exactly up to the onset, the plateau read over the first ${SETTLED_AFTER_S} s (after the first 15 s): within 10 % in ${bound(1, 0)} % (${bound(1, 15)} %) of runs at the bundled noise, ${bound(3, 0)} % (${bound(3, 15)} %) at 3x\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(SCORECARD_USAGE);
    process.exit(0);
  }
  const options = parseScorecardOptions(process.argv.slice(2));
  const scores = await scoreAll();
  const rows = scores.map((s) => [
    s.name,
    s.fired.map((f) => `${f.alertname.replace('Stormwatch', '')}(${f.severity})${Number.isNaN(f.delaySeconds) ? '' : ` @${f.delaySeconds}s`}`).join(', ') || '-',
    Number.isNaN(s.attemptsTruth) ? '-' : `${Number.isNaN(s.attemptsEstimate) ? 'not estimable' : s.attemptsEstimate.toFixed(2)} vs ${s.attemptsTruth.toFixed(2)}`,
    s.clientModel || '-',
    readingText(s.atFiring),
    readingText(s.after60s),
    s.deploys.map((d) => `${d.verdict}${d.verdict === 'fail' ? ` @${d.decidedAfterSeconds}s` : ''}`).join(', ') || '-',
    String(s.falsePages.length),
    s.ok ? 'ok' : `FAIL: ${s.checks.filter((c) => !c.ok).map((c) => `${c.what} (${c.detail})`).join('; ')}`,
  ]);
  process.stdout.write(table(['scenario', 'alerts (kind @ delay from fault start)', 'attempts/request est vs true', 'client model', 'page: client, attempts', '60 s after onset', 'deploy verdicts', 'false pages', 'verdict'], rows));
  process.stdout.write(`\n${scores.filter((s) => s.ok).length}/${scores.length} scenarios meet their expectations (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  process.exitCode = scores.every((s) => s.ok) ? 0 : 1;
  if (options.clientSeeds > 0) await clientTruth(options.clientSeeds, options.clientSeedOffset, options.declared);
  if (options.steps) await variants(options.steps, options.seeds, options.seedOffset, options.scale);
}
