// End to end: a signal added by a reload, or to the configuration between two runs, reads its
// history from a real Prometheus (two hours backfilled by promtool) as a fresh start does, so it
// judges at its first tick rather than after the baseline's twenty minutes; the signals that kept
// their baselines read nothing again, or only the gap since the saved state.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { historyRunConfig, prometheusWithHistory, stopChild } from '../helpers/prometheus.js';

const MIN = 60_000;
/** Requests per second of each counter. */
const RATES = { a: 20, b: 50, c: 80 } as const;

/** Two hours of three counters at 15 s samples, ending 15 s ago. */
function history(nowMs: number): string {
  const end = Math.floor(nowMs / 15_000) * 15_000 - 15_000;
  let out = '';
  for (const [name, rate] of Object.entries(RATES)) {
    out += `# HELP ${name}_requests Requests served.\n# TYPE ${name}_requests counter\n`;
    for (let t = end - 120 * MIN, total = 0; t <= end; t += 15_000, total += rate * 15) out += `${name}_requests_total ${total} ${t / 1000}\n`;
  }
  return `${out}# EOF\n`;
}

function writeConfig(file: string, url: string, signals: (keyof typeof RATES)[]): void {
  writeFileSync(file, historyRunConfig(url, '0s', signals));
}

/** The rate check's baseline of `signal` on /metrics (requests a second), once it has one. */
async function baselineOf(url: string, signal: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const pattern = new RegExp(`stormwatch_signal_baseline\\{signal="${signal}",check="rate_spike"\\} ([\\d.e+-]+)`);
  while (Date.now() < deadline) {
    const found = pattern.exec(await (await fetch(`${url}/metrics`)).text());
    if (found && Number.isFinite(Number(found[1]))) return Number(found[1]);
    await new Promise((r) => setTimeout(r, 250));
  }
  return Number.NaN;
}

/** Every log line with this message. */
function logs(p: CliProcess, msg: string): Record<string, unknown>[] {
  return p
    .stderr()
    .split('\n')
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        return parsed.msg === msg ? [parsed] : [];
      } catch {
        return [];
      }
    });
}

describe('warming the signals a reload or a restart adds', () => {
  const prometheus = prometheusWithHistory('stormwatch-reload-warm-', history);

  it('a signal added by a reload judges at once from its history; one added between runs too, while the others resume', async () => {
    const config = join(prometheus.dir, 'stormwatch.yaml');
    const state = mkdtempSync(join(prometheus.dir, 'state-'));
    writeConfig(config, prometheus.url, ['a']);
    let p = spawnCli(['run', '--config', config, '--state-dir', state]);
    try {
      const listening = String((await p.waitForLog('http server listening', 30_000)).url);
      expect(await baselineOf(listening, 'a', 20_000)).toBeCloseTo(RATES.a, 0);
      writeConfig(config, prometheus.url, ['a', 'b']);
      p.child.kill('SIGHUP');
      await p.waitForLog('configuration reloaded', 30_000);
      // Twenty one-minute buckets before it judges, when learnt live: here, its first tick.
      expect(await baselineOf(listening, 'b', 20_000)).toBeCloseTo(RATES.b, 0);
      const warmed = logs(p, 'baselines warmed from history');
      expect(warmed.map((l) => l.signals)).toEqual([['a'], ['b']]);
      expect(warmed[1]!.frames).toBeGreaterThan(600);
    } finally {
      await stopChild(p.child);
    }

    // Restarted 12 s later with a third signal: it reads the whole warm-up, the two saved ones only the gap.
    await new Promise((r) => setTimeout(r, 12_000));
    writeConfig(config, prometheus.url, ['a', 'b', 'c']);
    p = spawnCli(['run', '--config', config, '--state-dir', state]);
    try {
      const listening = String((await p.waitForLog('http server listening', 30_000)).url);
      expect(await baselineOf(listening, 'c', 20_000)).toBeCloseTo(RATES.c, 0);
      expect(await baselineOf(listening, 'b', 5_000)).toBeCloseTo(RATES.b, 0);
      const warmed = logs(p, 'baselines warmed from history');
      expect(warmed.map((l) => l.signals)).toEqual([['c'], ['a', 'b']]);
      expect(warmed[0]!.frames).toBeGreaterThan(600);
      expect(warmed[1]!.frames).toBeGreaterThanOrEqual(1);
      expect(warmed[1]!.frames).toBeLessThan(10);
    } finally {
      await stopChild(p.child);
    }
  }, 120_000);
});
