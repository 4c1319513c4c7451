// Builds' `stormwatch backtest` side by side: the bench's generated day (333 routes split by route,
// 15 s ticks; `--hours` of it) backtested as a whole process by each build's bundled command in
// turn, round after round (each in the other order), so that whatever else slows the machine slows every build alike. Prints
// each build's CPU seconds (user + system, median, fastest and slowest of the rounds), its wall
// seconds and its transitions (builds that decide alike print the same). Measures what the
// detection of one build costs against another's: the floor (start-up, read, parse) is in each.
// A development tool.
//
//   node dist/bench/backtest-ab.js [--hours 6] [--rounds 8] CHECKOUT...
//
// Each CHECKOUT is a built checkout (`npm run build`: its dist/bin/cli.js), e.g. a worktree of
// another commit beside this one.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BacktestFigures, runBacktestProcess, writeSplitReplayConfig } from './backtest-bench.js';
import { median } from './measure.js';
import { writeReplayFile } from './pages.js';

export interface BuildSummary {
  build: string;
  cpuS: { median: number; min: number; max: number };
  wallS: number;
  /** Every round's count of transitions (one value when every round decided alike). */
  transitions: number[];
}

/** A build's rounds summed up: CPU's median and range, the median wall time, the distinct transition counts. */
export function summariseRounds(build: string, rounds: readonly BacktestFigures[]): BuildSummary {
  if (rounds.length === 0) throw new Error(`no rounds of ${build}`);
  const cpu = rounds.map((r) => r.cpuS);
  return {
    build,
    cpuS: { median: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu) },
    wallS: median(rounds.map((r) => r.wallS)),
    transitions: [...new Set(rounds.map((r) => r.transitions))].sort((a, b) => a - b),
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { hours: { type: 'string' }, rounds: { type: 'string' } }, allowPositionals: true });
  const hours = Number(values.hours ?? 6);
  const rounds = Number(values.rounds ?? 8);
  if (!(hours > 0 && hours <= 24 && Number.isInteger(rounds) && rounds >= 1 && rounds <= 100)) throw new Error('--hours: more than 0, at most 24; --rounds: 1 to 100');
  if (positionals.length === 0) throw new Error('usage: backtest-ab.js [--hours 6] [--rounds 8] CHECKOUT...');
  const clis = positionals.map((c) => {
    const cli = join(resolve(c), 'dist', 'bin', 'cli.js');
    if (!existsSync(cli)) throw new Error(`${c}: no dist/bin/cli.js (build it with npm run build)`);
    return cli;
  });
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-backtest-ab-'));
  try {
    const file = join(dir, 'day.om');
    const samples = await writeReplayFile(file, 333, Math.round(hours * 240), 15_000);
    const config = writeSplitReplayConfig(dir, file);
    const runs: BacktestFigures[][] = clis.map(() => []);
    // Each round in the other order than the one before: no build always follows the same one.
    for (let r = 0; r < rounds; r++) {
      const order = clis.map((_, i) => (r % 2 === 0 ? i : clis.length - 1 - i));
      for (const i of order) runs[i]!.push(runBacktestProcess(clis[i]!, config, undefined, samples));
    }
    const summaries = positionals.map((build, i) => summariseRounds(build, runs[i]!));
    console.log(JSON.stringify({ hours, rounds, samples, builds: summaries }, null, 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
