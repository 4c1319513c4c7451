// `stormwatch backtest` as a user runs it: a whole process (start-up, reading and parsing the file,
// counter rates, detection, decisions, transitions printed), timed from outside with the CPU
// seconds the shell's `times` reports for it.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface BacktestFigures {
  samples: number;
  wallS: number;
  cpuS: number;
  transitions: number;
  /** The process's peak resident set (its maxRSS as it exits). */
  peakRssBytes: number;
  /** The fastest and slowest of the runs by wall time, when several were made. */
  wallRangeS?: [number, number];
}

/** The run of median wall time among `runs` runs, with the range of their wall times. */
export function medianRun(runs: number, run: () => BacktestFigures): BacktestFigures {
  const all = Array.from({ length: runs }, run).sort((a, b) => a.wallS - b.wallS);
  return { ...all[Math.floor((all.length - 1) / 2)]!, wallRangeS: [all[0]!.wallS, all.at(-1)!.wallS] };
}

/** Samples (non-comment lines) of a replay file, gzipped or not. */
export function countSamples(file: string): number {
  const bytes = readFileSync(file);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('latin1');
  let n = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    if (end > pos && text.charCodeAt(pos) !== 35) n++;
    pos = end + 1;
  }
  return n;
}

/** Runs `node cli.js backtest --config CONFIG [--input FILE]` and measures the whole process. */
export function runBacktestProcess(cli: string, config: string, input: string | undefined, samples: number): BacktestFigures {
  const args = ['backtest', '--config', config, ...(input ? ['--input', input] : [])];
  // The transitions go to a temp file (never beside the config: that may be in the repository).
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-out-'));
  const outFile = join(dir, 'transitions.jsonl');
  try {
    const figures = measureProcess([cli, ...args], outFile, samples);
    const transitions = readFileSync(outFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).length;
    return { ...figures, transitions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor under a backtest of `input` (bench/replay-floor.ts as a whole process: start-up, the
 * file read and parsed, nothing else), and under that Node's own start-up (`node -e 0`), each
 * the median of three runs by wall time. Throws when the floor did not read all `samples`.
 */
export function runReplayFloor(floorScript: string, input: string, samples: number): { floor: BacktestFigures; nodeStart: BacktestFigures } {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-out-'));
  const outFile = join(dir, 'out.txt');
  try {
    const floor = medianRun(3, () => {
      const f = measureProcess([floorScript, input], outFile, samples);
      const read = Number(readFileSync(outFile, 'utf8').trim());
      if (read !== samples) throw new Error(`replay-floor read ${read} samples of ${input}, the file holds ${samples}`);
      return f;
    });
    return { floor, nodeStart: nodeStartUp() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Node's own start-up (`node -e 0`), the median of three runs by wall time, with the range: read
 * at a whole bench's start and end, it shows whether the way the bench was started, or its parts,
 * slow every process it starts (each backtest row pays it once a process).
 */
export function nodeStartUp(): BacktestFigures {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-out-'));
  try {
    return medianRun(3, () => measureProcess(['-e', '0'], join(dir, 'out.txt'), 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Preloaded into a measured process: writes its peak resident set as it exits (Node's maxRSS, in
 * KB), to the file named by STORMWATCH_BENCH_PEAK_FILE. Nothing else runs before the process's own code.
 */
const PEAK_PRELOAD = `process.on('exit', () => require('node:fs').writeFileSync(process.env.STORMWATCH_BENCH_PEAK_FILE, String(process.resourceUsage().maxRSS)));\n`;

/** Runs `node ARGS > outFile` in a shell and measures the whole process (transitions left 0). */
function measureProcess(nodeArgs: string[], outFile: string, samples: number): BacktestFigures {
  const peakDir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-peak-'));
  try {
    const preload = join(peakDir, 'peak.cjs');
    writeFileSync(preload, PEAK_PRELOAD);
    const peakFile = join(peakDir, 'peak-kb');
    const figures = measureWhole(['--require', preload, ...nodeArgs], outFile, samples, { STORMWATCH_BENCH_PEAK_FILE: peakFile });
    const peakKb = Number(readFileSync(peakFile, 'utf8'));
    if (!(peakKb > 0)) throw new Error(`no peak resident set read from ${peakFile}`);
    return { ...figures, peakRssBytes: peakKb * 1024 };
  } finally {
    rmSync(peakDir, { recursive: true, force: true });
  }
}

function measureWhole(nodeArgs: string[], outFile: string, samples: number, env: Record<string, string>): Omit<BacktestFigures, 'peakRssBytes'> {
  const args = nodeArgs.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const t = performance.now();
  // `times` prints the shell's own and its children's user and system time; the child's is line 2.
  const out = execFileSync('bash', ['-c', `node ${args} > "$OUT" 2>/dev/null; times`], { encoding: 'utf8', env: { ...process.env, ...env, OUT: outFile }, maxBuffer: 1 << 20 });
  const wallS = (performance.now() - t) / 1000;
  const child = out.trim().split('\n').at(-1)!.split(/\s+/);
  const seconds = (s: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(s);
    if (!m) throw new Error(`unexpected times output: ${out}`);
    return Number(m[1]) * 60 + Number(m[2]);
  };
  return { samples, wallS, cpuS: seconds(child[0]!) + seconds(child[1]!), transitions: 0 };
}

/** A config that splits one signal by route over a replay file of `writeReplayFile`. */
export function writeSplitReplayConfig(dir: string, file: string, name = 'day.yaml'): string {
  const config = join(dir, name);
  writeFileSync(
    config,
    `interval: 15s\nsource:\n  replay:\n    file: ${file}\ndelivery:\n  outboxDir: ${join(dir, 'state')}\nsignals:\n  - name: api\n    by: [route]\n    requests: 'app_requests_total'\n    errors: 'app_requests_total{code=~"5.."}'\n    downstream: 'app_completions_total'\n`,
  );
  return config;
}
