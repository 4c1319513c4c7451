// The state save, load and restore at N series, as `stormwatch run` does them, apart from the tick:
// the tick bench's steady state (every series its own full baselines), a few real ticks through the
// Prometheus source, then R saves (state.bin with fsync, .prev kept), a load and a restore into a
// fresh pipeline. `--profile FILE` writes a CPU profile of the saves alone (node:inspector) and prints
// the functions taking the most self time. Asserts nothing but that the restore finds every series.
//
//   node --expose-gc --max-old-space-size=8192 dist/bench/save-bench.js N [SAVES] [--profile FILE] [--keep STATE_FILE]

import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline } from '../src/pipeline.js';
import { STATE_FILE_NAME, loadState, saveState, saveStateAsync } from '../src/runner/state-file.js';
import { cpuSecondsSince, gc, median } from './measure.js';
import { routeProfiles } from './pages.js';
import { FakePrometheusAnswers, configFor, restoreSteadyState } from './tick-bench.js';

const INTERVAL_MS = 15_000;

export interface SaveFigures {
  series: number;
  saves: number;
  /** CPU seconds of each save (median, min, max), the first one apart (it encodes what later saves reuse). */
  firstSaveCpuS: number;
  saveCpuS: number;
  saveCpuMinS: number;
  saveCpuMaxS: number;
  saveWallS: number;
  /** Wall seconds a save held the event loop as run makes it (its syncs off it), and the same save made by saveState, all on it; medians. */
  saveHeldS: number;
  syncSaveHeldS: number;
  stateBytes: number;
  /** loadState (read, check) and Pipeline.restore of what it gave, CPU seconds. */
  loadCpuS: number;
  restoreCpuS: number;
  /** The restored pipeline's first step: it restores each split series' detector as it admits it. */
  firstStepCpuS: number;
  restoredSeries: number;
}

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
  timeDeltas?: number[];
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
}

/**
 * The functions with the most self time over the profiles, as "ms  %  name  file:line". Samples are
 * of the main thread's wall time (a blocking fsync counts); the inspector's own `dispatch` (which
 * hands the profile over) and idle time are left out.
 */
function topSelf(profiles: readonly Profile[], top = 25): string[] {
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const profile of profiles) {
    const byNode = new Map<number, number>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
    for (const node of profile.nodes) {
      const f = node.callFrame;
      if ((f.functionName === 'dispatch' && f.url === '') || f.functionName === '(idle)') continue;
      const us = byNode.get(node.id) ?? 0;
      total += us;
      const key = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    }
  }
  const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [`total ${(total / 1000).toFixed(0)} ms sampled`, ...rows.map(([k, us]) => `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`)];
}

export async function benchSave(n: number, saves: number, profileFile?: string, keepFile?: string): Promise<SaveFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-save-'));
  try {
    const config = configFor(dir, 'prometheus');
    const routes = routeProfiles(n);
    const t0 = 1_700_000_000_000;
    const answers = new FakePrometheusAnswers(routes, t0);
    const prepare = (k: number) => answers.prepare(k);
    const stateFile = join(config.delivery.outboxDir, STATE_FILE_NAME);
    // The saving process's pipeline and source live in this function only: gone before the restart
    // is measured, as after a real restart (the process that saved holds nothing of the new one's heap).
    const saving = async () => {
      const live = answers.source(config.signals);
      const pipeline = new Pipeline(config);
      restoreSteadyState(pipeline, config, routes, t0);
      const session = profileFile ? new Session() : undefined;
      if (session) {
        session.connect();
        await post(session, 'Profiler.enable');
        await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
      }
      const profiles: Profile[] = [];
      const cpu: number[] = [];
      const wall: number[] = [];
      const held: number[] = [];
      const syncHeld: number[] = [];
      let stateBytes = 0;
      // A tick between saves, as live: the states change (a save cannot just repeat the last one's bytes).
      for (let k = 0; k <= saves; k++) {
        prepare(k);
        const read = await live.read(t0 + k * INTERVAL_MS);
        pipeline.step(read.frame);
        answers.release();
        gc();
        const profiled = session && k > 0;
        if (profiled) await post(session, 'Profiler.start');
        // The same save with its syncs on the event loop (saveState), for comparison: first at every
        // other save (the second of two saves of one state finds its encoding warm).
        const syncFirst = k % 2 === 0;
        const saveSync = () => {
          const w2 = performance.now();
          saveState(stateFile, (section) => pipeline.snapshot(t0 + k * INTERVAL_MS, section));
          syncHeld.push((performance.now() - w2) / 1000);
        };
        if (syncFirst && k > 0) saveSync();
        const c = process.cpuUsage();
        const w = performance.now();
        // As runner/live.ts saves.
        const pending = saveStateAsync(stateFile, (section) => pipeline.snapshot(t0 + k * INTERVAL_MS, section));
        held.push((performance.now() - w) / 1000);
        stateBytes = await pending;
        cpu.push(cpuSecondsSince(c));
        wall.push((performance.now() - w) / 1000);
        if (profiled) profiles.push((await post<{ profile: Profile }>(session, 'Profiler.stop')).profile);
        if (!syncFirst || k === 0) saveSync();
      }
      if (session) {
        writeFileSync(profileFile!, JSON.stringify(profiles.at(-1)));
        process.stderr.write(`${topSelf(profiles).join('\n')}\n`);
        session.disconnect();
      }
      return { cpu, wall, held, syncHeld, stateBytes };
    };
    const { cpu, wall, held, syncHeld, stateBytes } = await saving();
    if (keepFile) copyFileSync(stateFile, keepFile);
    gc();
    const c1 = process.cpuUsage();
    const loaded = loadState(stateFile);
    const loadCpuS = cpuSecondsSince(c1);
    if (!loaded.snapshot || loaded.quarantined.length > 0) throw new Error(`state did not load whole: ${JSON.stringify(loaded.quarantined)}`);
    const fresh = new Pipeline(config);
    const c2 = process.cpuUsage();
    fresh.restore(loaded.snapshot);
    const restoreCpuS = cpuSecondsSince(c2);
    // Split series wait for their first frame, which restores each detector as it admits it.
    prepare(saves + 1);
    const read = await answers.source(config.signals).read(t0 + (saves + 1) * INTERVAL_MS);
    const c3 = process.cpuUsage();
    fresh.step(read.frame);
    const firstStepCpuS = cpuSecondsSince(c3);
    const later = [...cpu.slice(1)];
    return {
      series: n,
      saves,
      firstSaveCpuS: cpu[0]!,
      saveCpuS: median(later),
      saveCpuMinS: Math.min(...later),
      saveCpuMaxS: Math.max(...later),
      saveWallS: median(wall.slice(1)),
      saveHeldS: median(held.slice(1)),
      syncSaveHeldS: median(syncHeld.slice(1)),
      stateBytes: stateBytes || statSync(stateFile).size,
      loadCpuS,
      restoreCpuS,
      firstStepCpuS,
      restoredSeries: fresh.seriesCount,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args.length > 0 && process.argv[1]?.endsWith('save-bench.js')) {
  const profileAt = args.indexOf('--profile');
  const profileFile = profileAt >= 0 ? args.splice(profileAt, 2)[1] : undefined;
  const keepAt = args.indexOf('--keep');
  const keepFile = keepAt >= 0 ? args.splice(keepAt, 2)[1] : undefined;
  const figures = await benchSave(Number(args[0]), Number(args[1] ?? 4), profileFile, keepFile);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
