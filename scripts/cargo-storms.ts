// `npm run cargo-storms -- [--intervals 1,5,15] [--reps N] [--versions cargo-1.95,cargo-1.65]
//                          [--scenarios broken-redirect,refused,static-503,closed-pool,organic-2x]
//                          [--max-minutes M] [--legacy-scenarios broken-redirect,closed-pool]
//                          [--name-within S] [--separate-static-target]`
//
// Measures detection delay on real cargo storms at several tick sizes: the scenarios of
// test/e2e/cargo-storm.test.ts (real `cargo fetch` clients, a loopback registry, a real Prometheus
// scraping it, stormwatch polling Prometheus), with the stormwatch tick and the Prometheus scrape
// interval both set to 1 s, 5 s or 15 s, N repetitions each, per cargo version found. Prints one
// line per run and then, per tick size, cargo and scenario, the distribution of the first critical
// page's delay from the fault's onset in data time, and of its kind. Loopback only; bounded: runs
// stop being started once --max-minutes (default 60) have passed. Needs `prometheus` and a cargo.
// STORMWATCH_BENCH_DEBUG=PATH writes each batch's stormwatch log, every tick's evidence included,
// to PATH.<batch>.log. --name-within S keeps each fault on until its storm's client has been named
// the same for 15 s, at most S seconds (as the test does with 60). STORMWATCH_CARGO_RECORD=DIR
// keeps each scenario's scraped samples (OpenMetrics, for `stormwatch backtest --input`) and what
// the registry saw (JSON) in DIR. --separate-static-target serves the static host's completions on
// a scrape target of its own, which Prometheus scrapes at its own phase in the interval (as two
// real services are): the completions of requests made between the two scrapes are counted a
// tick late.

import { writeFileSync } from 'node:fs';
import { detectCargo } from '../test/helpers/cargo-clients.js';
import { type BatchResult, SCENARIOS, type ScenarioName, type ScenarioResult, type ScenarioSpec, describeResult, expectedPage, mean, runBatch, scenario, timingFor } from '../test/helpers/cargo-storm-bench.js';

interface Options {
  intervals: number[];
  reps: number;
  versions: string[] | undefined;
  scenarios: ScenarioName[];
  /** Scenarios for a legacy cargo (default: the same as --scenarios). */
  legacyScenarios: ScenarioName[] | undefined;
  maxMinutes: number;
  nameWithinSeconds: number | undefined;
  separateStaticTarget: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { intervals: [1, 5, 15], reps: 1, versions: undefined, scenarios: [...SCENARIOS], legacyScenarios: undefined, maxMinutes: 60, nameWithinSeconds: undefined, separateStaticTarget: false };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const list = () => (value ?? '').split(',').map((v) => v.trim()).filter(Boolean);
    switch (argv[i]) {
      case '--intervals':
        options.intervals = list().map(Number);
        if (options.intervals.some((n) => ![1, 2, 3, 5, 10, 15, 20, 30].includes(n))) throw new Error('--intervals: seconds that divide a minute, e.g. 1,5,15');
        break;
      case '--reps':
        options.reps = Number(value);
        if (!Number.isInteger(options.reps) || options.reps < 1 || options.reps > 50) throw new Error('--reps: 1 to 50');
        break;
      case '--versions':
        options.versions = list();
        break;
      case '--scenarios':
        options.scenarios = list() as ScenarioName[];
        for (const s of options.scenarios) if (!SCENARIOS.includes(s)) throw new Error(`--scenarios: one of ${SCENARIOS.join(', ')}`);
        break;
      case '--legacy-scenarios':
        options.legacyScenarios = list() as ScenarioName[];
        for (const s of options.legacyScenarios) if (!SCENARIOS.includes(s)) throw new Error(`--legacy-scenarios: one of ${SCENARIOS.join(', ')}`);
        break;
      case '--max-minutes':
        options.maxMinutes = Number(value);
        if (!(options.maxMinutes > 0)) throw new Error('--max-minutes: a positive number');
        break;
      case '--name-within':
        options.nameWithinSeconds = Number(value);
        if (!(options.nameWithinSeconds > 0 && options.nameWithinSeconds <= 300)) throw new Error('--name-within: seconds, 1 to 300');
        break;
      case '--separate-static-target':
        options.separateStaticTarget = true;
        continue;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
    i++;
  }
  return options;
}

interface Row {
  intervalSeconds: number;
  result: ScenarioResult;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const detection = await detectCargo();
  for (const m of detection.missing) console.log(`skipping ${m.origin} cargo: ${m.reason}`);
  const cargos = detection.found.filter((c) => !options.versions || options.versions.includes(c.label));
  if (cargos.length === 0) {
    console.error(`no cargo to run (found: ${detection.found.map((c) => c.label).join(', ') || 'none'})`);
    return 2;
  }
  for (const c of cargos) console.log(`${c.label}: ${c.version} (${c.origin}, ${c.retryPolicy} retry policy, ${c.sparse ? 'sparse' : 'git'} index, libcurl ${c.libcurl}) at ${c.path}`);

  // One scenario per batch: two storms of 3 builds/s at once (~33 failing cargo processes in
  // flight each) slow a 2-core machine until cargo's own retry schedule stretches.
  const batches: { intervalSeconds: number; specs: ScenarioSpec[] }[] = [];
  for (const intervalSeconds of options.intervals) {
    for (let rep = 0; rep < options.reps; rep++) {
      for (const cargo of cargos) {
        const names = cargo.retryPolicy === 'legacy' ? (options.legacyScenarios ?? options.scenarios) : options.scenarios;
        const specs = names.map((name) => scenario(name, cargo, 1 + rep * 10 + SCENARIOS.indexOf(name)));
        for (const spec of specs) batches.push({ intervalSeconds, specs: [spec] });
      }
    }
  }
  const timing = (intervalSeconds: number) => ({ ...timingFor(intervalSeconds), ...(options.nameWithinSeconds ? { nameWithinMs: options.nameWithinSeconds * 1000 } : {}), ...(options.separateStaticTarget ? { separateStaticTarget: true } : {}) });
  const estimateMs = batches.reduce((sum, b) => {
    const t = timing(b.intervalSeconds);
    return sum + t.warmMs + Math.max(t.observeMs, t.nameWithinMs ?? 0) + 12_000;
  }, 0);
  console.log(`${batches.length} batches, about ${Math.round(estimateMs / 60_000)} min (limit ${options.maxMinutes} min)`);

  const deadline = Date.now() + options.maxMinutes * 60_000;
  const rows: Row[] = [];
  let failures = 0;
  for (const [i, b] of batches.entries()) {
    const t = timing(b.intervalSeconds);
    if (Date.now() + t.warmMs + Math.max(t.observeMs, t.nameWithinMs ?? 0) + 12_000 > deadline) {
      console.log(`time limit: ${batches.length - i} batch(es) not run`);
      break;
    }
    let batch: BatchResult;
    try {
      batch = await runBatch(b.specs, t, (line) => console.log(`  [${b.intervalSeconds}s] ${line}`));
    } catch (error) {
      failures++;
      console.log(`  [${b.intervalSeconds}s] batch failed: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    if (process.env.STORMWATCH_BENCH_DEBUG) {
      const file = `${process.env.STORMWATCH_BENCH_DEBUG}.${i}.log`;
      writeFileSync(file, batch.stormwatchLog);
      console.log(`  [${b.intervalSeconds}s] stormwatch log: ${file}`);
    }
    for (const result of batch.results) {
      rows.push({ intervalSeconds: b.intervalSeconds, result });
      console.log(`  [${b.intervalSeconds}s] ${describeResult(result)}`);
    }
  }
  printTable(rows);
  return failures > 0 ? 1 : 0;
}

/** min / median / max, to a tenth (or `digits`). */
function spread(values: number[], digits = 1): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[0]!.toFixed(digits)} / ${sorted[Math.floor(sorted.length / 2)]!.toFixed(digits)} / ${sorted.at(-1)!.toFixed(digits)}`;
}

/** How often each value occurs, in order of first appearance. */
function counted(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function printTable(rows: Row[]): void {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = `${row.intervalSeconds}\u0000${row.result.spec.cargo.label}\u0000${row.result.spec.name}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const header = ['tick', 'cargo', 'scenario', 'runs', 'expected', 'first critical page: kind (count)', 'delay s: min / median / max', 's after the first scrape holding the fault', 'first page of any kind', 'req/build in fault', 'rate x', 'demand x', 'named at the end (count)'];
  const lines: string[][] = [];
  for (const group of groups.values()) {
    const r0 = group[0]!.result;
    const kinds = new Map<string, number>();
    const delays: number[] = [];
    const afterScrape: number[] = [];
    for (const { result } of group) {
      const kind = result.firstCritical?.alertname.replace(/^Stormwatch/, '') ?? 'none';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      if (result.delayMs !== undefined) delays.push(result.delayMs / 1000);
      if (result.firstCritical && result.firstFaultScrapeMs !== undefined) afterScrape.push((result.firstCritical.firedAtMs - result.firstFaultScrapeMs) / 1000);
    }
    const anyPage = group.map(({ result }) => {
      const first = result.pages.filter((p) => p.status === 'firing').sort((a, b) => a.firedAtMs - b.firedAtMs)[0];
      return first ? `${first.alertname.replace(/^Stormwatch/, '')}@${((first.firedAtMs - result.onsetMs) / 1000).toFixed(0)}s` : '-';
    });
    lines.push([
      `${group[0]!.intervalSeconds}s`,
      r0.spec.cargo.label,
      r0.spec.name,
      String(group.length),
      expectedPage(r0.spec)?.replace(/^Stormwatch/, '') ?? 'no critical',
      [...kinds].map(([k, n]) => `${k} (${n})`).join(', '),
      spread(delays),
      spread(afterScrape),
      anyPage.join(' '),
      mean(group.map(({ result }) => mean(result.harness.faultRequestsPerBuild))).toFixed(2),
      mean(group.map(({ result }) => result.harness.rateDuring / result.harness.rateBefore)).toFixed(2),
      spread(group.map(({ result }) => result.harness.demandDuring / result.harness.demandBefore), 2),
      [...counted(group.map(({ result }) => result.clientReading?.clientModel || 'none'))].map(([k, n]) => `${k} (${n})`).join(', '),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log('');
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exit(2);
  },
);
