// `npm run bench`: stormwatch's speed and memory as a user meets them, all in, beside its peers in
// the same run. Each part runs in a process of its own (resident memory is its own); figures are
// CPU seconds (process.cpuUsage) and ratios. `--quick` runs smaller sizes. Asserts nothing.

import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES_DIR } from '../src/core/paths.js';
import { LARGE_FLEET_SEMI_SPACE_MB, SEMI_SPACE_FLAG } from '../src/core/young-generation.js';
import { type ColdStartFigures, benchColdStart, benchRestartProcess } from './cold-start.js';
import { type BacktestFigures, countSamples, medianRun, nodeStartUp, runBacktestProcess, runReplayFloor, writeSplitReplayConfig } from './backtest-bench.js';
import { writeReplayFile } from './pages.js';
import { referenceWork } from './reference-work.js';
import { benchParsers } from './parser-bench.js';
import { type RulesFigures, benchRules } from './rules-bench.js';
import { type SaveFigures, benchSave } from './save-bench.js';
import { type BenchRow, fmt, renderTable } from './table.js';
import { type MedianTick, type TickFigures, type TickSourceKind, benchTick, medianTick } from './tick-bench.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Whole-process runs of each main tick bench (10k and 100k series, both sources); the median is printed. */
const TICK_RUNS = 3;
const args = process.argv.slice(2);
const partIndex = args.indexOf('--part');

/** Runs one part in a fresh process (node started with `nodeFlags` too) and returns what it printed as JSON. */
function inChild<T>(part: string[], nodeFlags: readonly string[] = []): T {
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', ...nodeFlags, fileURLToPath(import.meta.url), '--part', ...part], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}

async function runPart(part: string[]): Promise<unknown> {
  switch (part[0]) {
    case 'parser':
      return benchParsers(part[1]!.split(',').map(Number), part[2] === 'quick');
    case 'tick':
      // Optional: a fourth word, the measured ticks (a developer's longer run; `-` or none: the
      // bench's), a fifth, detector.baselineResolution (the lever for large fleets, README "Scale";
      // `-` or none: the preset's), and a sixth, `gzip`: the source's compression.
      return benchTick(Number(part[1]), part[2] as TickSourceKind, undefined, part[3] === undefined || part[3] === '-' ? undefined : Number(part[3]), part[4] === undefined || part[4] === '-' ? undefined : part[4], part[5] === 'gzip' ? 'gzip' : undefined);
    case 'rules':
      return benchRules(Number(part[1]), Number(part[2]));
    case 'backtests':
      return benchBacktests(part[1] === 'quick');
    case 'restart':
      return benchSave(Number(part[1]), 4);
    case 'cold-start':
      return benchColdStart(Number(part[1]), part[2] === undefined ? undefined : Number(part[2]));
    case 'restart-process':
      return benchRestartProcess(Number(part[1]), part[2] === undefined ? undefined : Number(part[2]));
    default:
      throw new Error(`unknown bench part ${part[0]}`);
  }
}

/**
 * `stormwatch backtest` as whole processes: the bundled week, and a generated day (6 h with
 * `quick`) of 333 routes split by route. Alone: `node dist/bench/bench.js --part backtests [quick]`.
 */
async function benchBacktests(quick: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // The installed command (the bundle of scripts/bundle-cli.ts), as users run it.
  const cli = resolve(here, '..', 'bin', 'cli.js');
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-'));
  try {
    const week = join(FIXTURES_DIR, 'scenarios', 'seasonal-week.om.gz');
    // Each backtest run three times, the median by wall time, as its floor is: one run can be slowed
    // by the machine, and the range says so. (A bench started in the background of one sandbox's
    // shell started every child Node process slower: docs/scale-and-performance.md.)
    const weekSamples = countSamples(week);
    const weekFigures = medianRun(3, () => runBacktestProcess(cli, join(FIXTURES_DIR, 'configs', 'crates-2023-07-20.replay.yaml'), week, weekSamples));
    rows.push({ what: `backtest, a week of 15 s data (seasonal-week: 54 series, ${fmt(weekFigures.samples)} samples), whole process (median of 3)`, stormwatch: `${fmt(weekFigures.samples / weekFigures.wallS)} samples/s`, peer: 'target 2M/s', note: backtestNote(weekFigures) });
    rows.push(floorRow(week, weekFigures));
    const routes = 333;
    const ticks = quick ? 1440 : 5760;
    const file = join(dir, 'day.om');
    const samples = await writeReplayFile(file, routes, ticks, 15_000);
    const dayConfig = writeSplitReplayConfig(dir, file);
    const day = medianRun(3, () => runBacktestProcess(cli, dayConfig, undefined, samples));
    // Transitions alone, as `backtest` prints them: no --scores, no report, no deploys, so the
    // anomaly score is not computed (the week's config judges deploys and computes it).
    rows.push({ what: `backtest, ${quick ? '6 h' : 'a day'} of 15 s data, ${routes * 3} counter series (${routes} routes, split by route), ${fmt(samples)} samples, transitions only (no anomaly score computed), whole process (median of 3)`, stormwatch: `${fmt(day.samples / day.wallS)} samples/s`, peer: 'target 2M/s', note: backtestNote(day) });
    rows.push(floorRow(file, day));
    // The same samples written series by series, as OpenMetrics requires (a series' samples are not
    // interleaved with another's): no timestamp is complete before the last series, and the columns
    // are sorted by time at the end.
    const bySeries = join(dir, 'day-by-series.om');
    await writeReplayFile(bySeries, routes, ticks, 15_000, 11, 'series');
    rmSync(file);
    const seriesConfig = writeSplitReplayConfig(dir, bySeries, 'day-by-series.yaml');
    const seriesDay = medianRun(3, () => runBacktestProcess(cli, seriesConfig, undefined, samples));
    rows.push({ what: `the same day written series by series (as OpenMetrics requires: a series' samples together), transitions only, whole process (median of 3)`, stormwatch: `${fmt(seriesDay.samples / seriesDay.wallS)} samples/s`, peer: 'target 2M/s', note: backtestNote(seriesDay) });
    rows.push(floorRow(bySeries, seriesDay));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function backtestNote(f: BacktestFigures): string {
  const range = f.wallRangeS ? ` (the three: ${fmt(f.wallRangeS[0])}-${fmt(f.wallRangeS[1])} s)` : '';
  return `${fmt(f.wallS)} s wall${range}, ${fmt(f.cpuS)} s CPU (${fmt(f.samples / f.cpuS)} samples per CPU second), peak RSS ${fmt(f.peakRssBytes / 2 ** 20)} MiB, ${f.transitions} transitions`;
}

/**
 * How fast any backtest of `file` could be here: Node started and the file read and parsed as
 * `stormwatch backtest` reads it, nothing else (bench/replay-floor.ts), beside Node's start-up alone.
 */
function floorRow(file: string, backtest: BacktestFigures): BenchRow {
  const { floor, nodeStart } = runReplayFloor(resolve(here, 'replay-floor.js'), file, backtest.samples);
  return {
    what: '  its floor: a process that only starts and reads and parses the file as backtest does (median of 3)',
    stormwatch: `${fmt(floor.samples / floor.wallS)} samples/s`,
    peer: 'target 2M/s',
    note: `${fmt(floor.wallS)} s wall (the three: ${fmt(floor.wallRangeS![0])}-${fmt(floor.wallRangeS![1])} s), ${fmt(floor.cpuS)} s CPU, peak RSS ${fmt(floor.peakRssBytes / 2 ** 20)} MiB, of which Node's own start-up (node -e 0) ${fmt(nodeStart.wallS)} s wall; the rest of the backtest (rates, detection, decisions) ${fmt(backtest.wallS - floor.wallS)} s wall`,
  };
}

/**
 * `stormwatch run` started against eight days of history (cold-start.ts), cold or with a saved
 * state beside it: to running, and its memory as an operator sizes its container.
 */
function coldStartRow(f: ColdStartFigures, how: 'cold' | 'restart'): BenchRow {
  const mb = (b: number) => `${fmt(b / 1024 / 1024)} MB`;
  const read = f.seasonal ? `the week ${fmt(f.seasonal.points)} points at ${fmt(f.seasonal.stepMs / 60_000)} min in ${fmt(f.seasonal.seconds)} s, ` : '';
  const what =
    how === 'cold'
      ? `cold start, ${fmt(f.series)} series, Prometheus source holding 8 days: \`stormwatch run\` from spawn to running (the week, the hour of warm-up, the catch-up), whole process`
      : `restart, ${fmt(f.series)} series, state saved a tick before: \`stormwatch run\` from spawn to running (state.bin read, restored, the gap read), whole process`;
  return {
    what,
    stormwatch: `${fmt(f.startWallS)} s wall, ${fmt(f.startCpuS)} s CPU`,
    peer: '',
    note: `${read}history ${f.warmupFrames} frames; peak RSS ${mb(f.peakRssAtStartBytes)} by then, ${mb(f.peakRssBytes)} after ${f.liveTicks} live ticks, resident then ${mb(f.rssAfterTicksBytes)} (Node's default heap flags)`,
  };
}

/**
 * `referenceS`: the fixed piece of work's CPU seconds at the bench's start. The tick in its units
 * compares across machines and days (a slower machine's tick and fixed work grow together), where
 * its seconds do not.
 */
function tickRows(f: TickFigures | MedianTick, referenceS: number): BenchRow[] {
  const perEval = (s: number) => `${fmt(s)} s`;
  const median = 'runs' in f ? `median of ${f.runs} processes (the ${f.runs}: ${fmt(f.allInRangeS[0])}-${fmt(f.allInRangeS[1])} s); ` : '';
  const inReferenceUnits = referenceS > 0 ? `${fmt(f.allInCpuS / referenceS)} times the reference work; ` : '';
  return [
    {
      what: `tick all in, ${fmt(f.series)} series, ${f.source} source${f.resolution ? `, detector.baselineResolution ${f.resolution}` : ''}${f.compression ? `, compression ${f.compression} (answers gzipped)` : ''}${f.nodeFlags ? `, node ${f.nodeFlags}` : ''} (read + rates + detect + decide + UI + metrics + save/4)`,
      stormwatch: `${perEval(f.allInCpuS)} CPU`,
      peer: f.series >= 100_000 && !f.resolution && !f.compression ? 'target < 1 s CPU' : '',
      note: `${median}${inReferenceUnits}${fmt((f.allInCpuS / 15) * 100)}% of a core at 15 s; wall ${fmt(f.tickWallS)} s (save excluded); mean of ${f.ticks} ticks on two weeks of state, ${f.fullCollections} full collections among them${f.transitions > 0 ? `; ${f.transitions} alert transitions (not a steady state)` : ''}`,
    },
    { what: '  of which source read / step + UI + metrics / state save per minute / UI history save per 10 minutes', stormwatch: `${perEval(f.readCpuS)} / ${perEval(f.stepCpuS)} / ${perEval(f.saveCpuS)} / ${perEval(f.uiSaveCpuS)}`, peer: '', note: `state.bin ${fmt(f.stateBytes / 1024 / 1024)} MB; the save held the event loop ${fmt(f.saveHeldS)} s (encoding and writing; its syncs off it)` },
    { what: '  resident memory per series, steady state (RSS delta after GC)', stormwatch: `${fmt(f.rssPerSeries / 1024)} KB`, peer: f.series >= 10_000 && !f.resolution ? 'target < 2 KB' : '', note: `JS heap + buffers ${fmt(f.heapPerSeries / 1024)} KB/series; peak RSS ${fmt(f.peakRssBytes / 1024 / 1024)} MB` },
  ];
}

/** The CPU's family and model numbers from /proc/cpuinfo (`; family 26 model 2`): told apart where the model name is hidden. Empty elsewhere. */
function cpuFamily(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const family = /^cpu family\s*:\s*(\S+)/m.exec(info)?.[1];
    const model = /^model\s*:\s*(\S+)/m.exec(info)?.[1];
    return family !== undefined && model !== undefined ? ` (family ${family} model ${model})` : '';
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const quick = args.includes('--quick');
  const rows: BenchRow[] = [];
  const cpu = cpus();
  // Node's own start-up, here and at the end: the backtests and their floors include it, and a
  // bench started in the background of one sandbox's shell started every child Node process about
  // 0.1 s slower (docs/scale-and-performance.md, "Node's start-up at the end of a whole bench").
  const startUp = (f: BacktestFigures) => `${fmt(f.wallS)} s wall (the three: ${fmt(f.wallRangeS![0])}-${fmt(f.wallRangeS![1])} s)`;
  // A yardstick of the machine's speed (bench/reference-work.ts): its CPU model is often hidden.
  const reference = (r = referenceWork()) => `${fmt(r.seconds)} s CPU (the five: ${fmt(r.range[0])}-${fmt(r.range[1])} s)`;
  const referenceAtStart = referenceWork();
  process.stdout.write(`machine: ${cpu[0]?.model ?? 'unknown'} x ${cpu.length}${cpuFamily()}; node ${process.version} ${process.arch}; load average at start ${loadavg()[0]!.toFixed(1)}; Node's own start-up (node -e 0) ${startUp(nodeStartUp())}; reference work (2^20 doubles: their logs, a sort) ${reference(referenceAtStart)}${quick ? '; --quick' : ''}\n`);
  const section = (name: string, fn: () => void | Promise<void>) => {
    process.stderr.write(`bench: ${name}...\n`);
    return fn();
  };

  await section('parsers', () => {
    rows.push(...inChild<BenchRow[]>(['parser', (quick ? [1, 10] : [1, 10, 100]).join(','), quick ? 'quick' : 'full']));
  });
  const ticks = new Map<string, TickFigures>();
  // A large fleet's scrape ticks again with the young generation README "Scale" gives such a fleet
  // (Node started with it): its processes take turns with the default's. A Prometheus source's
  // gained nothing from it (docs/performance-rounds.md), so it is not run again.
  const fleet = quick ? 10_000 : 100_000;
  const largeFleetFlag = `${SEMI_SPACE_FLAG}=${LARGE_FLEET_SEMI_SPACE_MB}`;
  for (const n of quick ? [1_000, 10_000] : [10_000, 100_000]) {
    // Three processes a source, the two sources taking turns, and the median of each: the machine's
    // speed drifts by a fifth within minutes (the reference work's range), and one process can land
    // on a slow stretch or a fast one.
    const runs = { prometheus: [] as TickFigures[], scrape: [] as TickFigures[] };
    const tuned: TickFigures[] = [];
    for (let run = 1; run <= TICK_RUNS; run++) {
      for (const source of ['prometheus', 'scrape'] as const) {
        await section(`tick ${n} ${source} (${run} of ${TICK_RUNS})`, () => {
          runs[source].push(inChild<TickFigures>(['tick', String(n), source]));
        });
        if (n !== fleet || source !== 'scrape') continue;
        await section(`tick ${n} ${source}, node ${largeFleetFlag} (${run} of ${TICK_RUNS})`, () => {
          tuned.push({ ...inChild<TickFigures>(['tick', String(n), source], [largeFleetFlag]), nodeFlags: largeFleetFlag });
        });
      }
    }
    for (const source of ['prometheus', 'scrape'] as const) {
      const f = medianTick(runs[source]);
      ticks.set(`${n} ${source}`, f);
      rows.push(...tickRows(f, referenceAtStart.seconds));
    }
    if (tuned.length > 0) rows.push(...tickRows(medianTick(tuned), referenceAtStart.seconds));
  }
  // What a large fleet can trade: baselines in two-minute buckets (README, "Scale").
  await section(`tick ${fleet} prometheus, baselineResolution 2m`, () => {
    rows.push(...tickRows(inChild<TickFigures>(['tick', String(fleet), 'prometheus', '-', '2m']), referenceAtStart.seconds));
  });
  // What asking for gzipped answers costs (a source over a slow or metered link, README "Scale").
  await section(`tick ${fleet} prometheus, compression gzip`, () => {
    rows.push(...tickRows(inChild<TickFigures>(['tick', String(fleet), 'prometheus', '-', '-', 'gzip']), referenceAtStart.seconds));
  });
  const restartSeries = quick ? 10_000 : 100_000;
  await section(`restart ${restartSeries}`, () => {
    const r = inChild<SaveFigures>(['restart', String(restartSeries)]);
    rows.push({
      what: `restart at ${fmt(r.series)} series: state.bin read and checked + restore + the first tick's step (every detector rebuilt), CPU`,
      stormwatch: `${fmt(r.loadCpuS + r.restoreCpuS + r.firstStepCpuS)} s CPU`,
      peer: '',
      note: `load ${fmt(r.loadCpuS)} / restore ${fmt(r.restoreCpuS)} / first step ${fmt(r.firstStepCpuS)} s; the save before it ${fmt(r.saveCpuS)} s CPU, state.bin ${fmt(r.stateBytes / 1024 / 1024)} MB, in place after ${fmt(r.saveWallS)} s, the event loop held ${fmt(r.saveHeldS)} s (${fmt(r.syncSaveHeldS)} s with its syncs on it)`,
    });
  });
  const coldSeries = quick ? 1_000 : 10_000;
  await section(`cold start ${coldSeries}`, () => {
    rows.push(coldStartRow(inChild<ColdStartFigures>(['cold-start', String(coldSeries), '8']), 'cold'));
  });
  await section(`restart ${restartSeries} as a process`, () => {
    rows.push(coldStartRow(inChild<ColdStartFigures>(['restart-process', String(restartSeries), '8']), 'restart'));
  });
  const ruleRoutes = quick ? 1_000 : 10_000;
  await section(`rules in Prometheus, ${ruleRoutes} routes`, () => {
    try {
      const r = inChild<RulesFigures>(['rules', String(ruleRoutes), '2']);
      const ours = ticks.get(`${ruleRoutes} prometheus`);
      const oursS = ours ? ours.allInCpuS + r.inputsCpuS : Number.NaN;
      rows.push({
        what: `${fmt(r.routes)} series, one evaluation: stormwatch tick all in + Prometheus answering its 3 input queries, vs Prometheus 2.42 evaluating the ${r.recordingRules} exported recording rules`,
        stormwatch: `${fmt(oursS)} s CPU (${fmt(ours?.allInCpuS ?? Number.NaN)} + ${fmt(r.inputsCpuS)})`,
        peer: `${fmt(r.rulesCpuS)} s CPU`,
        note: `${fmt(r.rulesCpuS / oursS, 2)}x; rules as instant queries at the last of 70 min backfilled (${fmt(r.samples)} samples); the 4 alerting rules (joins of recorded series) left out`,
      });
    } catch (error) {
      rows.push({ what: `Prometheus rules, ${ruleRoutes} routes`, stormwatch: '', peer: `not measured: ${(error as Error).message.split('\n')[0]}`, note: '' });
    }
  });
  await section('backtests', async () => {
    rows.push(...(await benchBacktests(quick)));
  });
  process.stdout.write(`${renderTable(rows)}\nload average at the end ${loadavg()[0]!.toFixed(1)} (other work on the machine stretches wall times; CPU seconds much less); Node's own start-up at the end ${startUp(nodeStartUp())}; reference work at the end ${reference()}.\npeers in the same run: parse-prometheus-text-format, prom2javascript (parsers). Tick sources read over loopback HTTP as stormwatch run reads them (the fetch made of the source's settings: undici's request, the body read raw), from a server in a process of its own (its CPU not counted).\n`);
}

if (partIndex >= 0) {
  const result = await runPart(args.slice(partIndex + 1));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  await main();
}
