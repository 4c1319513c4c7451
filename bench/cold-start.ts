// `stormwatch run` started cold, as a user starts it, against a Prometheus holding eight days of
// the bench's routes (bench/history-server.ts, a process of its own: a real Prometheus holding
// eight days of 10k series needs a backfill of many minutes and gigabytes). The process reads the
// week into its seasonal profiles, the hour of warm-up into its baselines and the minutes those
// took, then ticks. Measured from outside, as an operator sizing its container would: wall and CPU
// seconds (/proc/PID/stat) until it says it is running, its peak resident set (VmHWM) by then and
// after `liveTicks` live ticks, and its resident set then (VmRSS).
//
// `--part restart-process` starts it the same way with a saved state beside it, as after a restart.
//
//   node dist/bench/bench.js --part cold-start|restart-process N [LIVE_TICKS]

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pipeline } from '../src/pipeline.js';
import { STATE_FILE_NAME, saveState } from '../src/runner/state-file.js';
import { startChildServer } from './child-server.js';
import { gc } from './measure.js';
import { routeProfiles } from './pages.js';
import { configFor, restoreSteadyState } from './tick-bench.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface ColdStartFigures {
  series: number;
  /** What the start-up log said it read: the seasonal history (step, points, seconds) and the warm-up's frames. */
  seasonal: { stepMs: number; points: number; seconds: number } | undefined;
  warmupFrames: number;
  /** From the spawn to "stormwatch running" (the first live tick comes at the next multiple of 15 s). */
  startWallS: number;
  startCpuS: number;
  peakRssAtStartBytes: number;
  liveTicks: number;
  peakRssBytes: number;
  rssAfterTicksBytes: number;
}

/** Resident set now and at its peak (bytes), and CPU seconds so far, of process `pid`; undefined once it is gone. */
function sample(pid: number, ticksPerSecond: number): { rss: number; hwm: number; cpuS: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpuS: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond };
  } catch {
    return undefined;
  }
}

/** The signal of the bench (tick-bench.ts's configFor), read from the Prometheus at `url`. */
function runConfig(dir: string, url: string): string {
  const file = join(dir, 'stormwatch.yaml');
  writeFileSync(
    file,
    `interval: 15s\nsource:\n  prometheus:\n    url: ${url}\n    timeout: 120s\nsignals:\n  - name: api\n    by: [route]\n    requests: 'app_requests_total'\n    errors: 'app_requests_total{code=~"5.."}'\n    downstream: 'app_completions_total'\n`,
  );
  return file;
}

export async function benchColdStart(n: number, liveTicks = 2): Promise<ColdStartFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-cold-'));
  try {
    return await measureStart(n, dir, liveTicks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same start with a saved state beside it, as after a restart (a deploy of stormwatch, a node
 * drained): every route's state as after two weeks of ticks (aged-state.ts), saved a tick ago by
 * this process as `stormwatch run` saves it. The start loads and restores it, reads the minute or so
 * since from history, and ticks.
 */
export async function benchRestartProcess(n: number, liveTicks = 2): Promise<ColdStartFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-restart-'));
  try {
    const savedAtMs = Math.floor(Date.now() / 15_000) * 15_000 - 15_000;
    // In a function of its own: nothing of the saving pipeline stays reachable in this process.
    const save = () => {
      const config = configFor(dir, 'prometheus');
      const pipeline = new Pipeline(config);
      restoreSteadyState(pipeline, config, routeProfiles(n), savedAtMs);
      saveState(join(dir, 'state', STATE_FILE_NAME), (section) => pipeline.snapshot(savedAtMs, section));
    };
    save();
    gc();
    return await measureStart(n, dir, liveTicks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts `stormwatch run` with `dir/state` as its state dir against a history server of `n` routes, and measures it (see the file's comment). */
async function measureStart(n: number, dir: string, liveTicks: number): Promise<ColdStartFigures> {
  const upstream = await startChildServer(join(here, 'history-server.js'), [String(n)]);
  let run: ChildProcess | undefined;
  try {
    const config = runConfig(dir, upstream.url);
    const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const started = performance.now();
    // The installed command (the bundle of scripts/bundle-cli.ts), with Node's default flags.
    run = spawn(process.execPath, [resolve(here, '..', 'bin', 'cli.js'), 'run', '--config', config, '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const pid = run.pid!;
    const log: Record<string, unknown>[] = [];
    let rest = '';
    run.stderr!.on('data', (c: Buffer) => {
      rest += c.toString('utf8');
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        try {
          log.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // Not a log line (a Node warning): not what is measured.
        }
      }
    });
    const find = (msg: string) => log.find((l) => l.msg === msg);
    let last = sample(pid, ticksPerSecond);
    let startWallS = Number.NaN;
    let atStart: typeof last;
    let url: string | undefined;
    const deadline = Date.now() + 30 * 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const now = sample(pid, ticksPerSecond);
      if (!now) throw new Error(`stormwatch exited during the cold start: ${JSON.stringify(log.slice(-3))}`);
      last = now;
      if (Number.isNaN(startWallS) && find('stormwatch running')) {
        startWallS = (performance.now() - started) / 1000;
        atStart = now;
        url = String(find('http server listening')!.url);
      }
      if (url) {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        let ticks = 0;
        for (const m of metrics.matchAll(/^stormwatch_ticks_total\{outcome="[a-z]+"\} (\d+)/gm)) ticks += Number(m[1]);
        if (ticks >= liveTicks) break;
      }
    }
    if (!atStart || !last) throw new Error('stormwatch did not start within 30 minutes');
    const seasonal = find('seasonal profiles warmed from history') as { stepMs: number; points: number; seconds: number } | undefined;
    const warmed = find('baselines warmed from history') as { frames?: number } | undefined;
    return {
      series: n,
      seasonal: seasonal ? { stepMs: seasonal.stepMs, points: seasonal.points, seconds: seasonal.seconds } : undefined,
      warmupFrames: warmed?.frames ?? 0,
      startWallS,
      startCpuS: atStart.cpuS,
      peakRssAtStartBytes: atStart.hwm,
      liveTicks,
      peakRssBytes: last.hwm,
      rssAfterTicksBytes: last.rss,
    };
  } finally {
    if (run) await stopped(run);
    upstream.stop();
  }
}

/**
 * Stops `run` and waits for it to exit: on SIGTERM it saves its state into the directory the bench
 * removes next (a removal racing the save failed with ENOTEMPTY). SIGKILL after 60 s.
 */
async function stopped(run: ChildProcess): Promise<void> {
  if (run.exitCode !== null || run.signalCode !== null) return;
  const exited = new Promise((r) => run.once('exit', r));
  run.kill('SIGTERM');
  const killer = setTimeout(() => run.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(killer);
}
