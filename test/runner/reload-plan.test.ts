// Reloading a configuration: the plan (pure), and a live loop reading a loopback scrape target
// reloaded in place: a bad file is refused and the old configuration keeps running; unchanged
// signals keep their baselines, changed ones start afresh.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import type { Frame } from '../../src/core/types.js';
import { Pipeline, type PipelineSnapshot } from '../../src/pipeline.js';
import { carrySnapshot, planReload, signalOfSeries } from '../../src/runner/reload-plan.js';
import { type LiveHandle, startLive } from '../../src/runner/live.js';
import { STATE_FILE_NAME, loadState } from '../../src/runner/state-file.js';

let handle: LiveHandle | undefined;
let server: Server | undefined;
afterEach(async () => {
  await handle?.stop(1000);
  handle = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A scrape target whose counters grow by 100 requests (1 error) per scrape. */
async function target(): Promise<string> {
  let n = 0;
  server = createServer((_, res) => {
    n++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(['a', 'b', 'c'].map((m) => `${m}_requests_total ${n * 100}\n${m}_errors_total ${n}\n`).join(''));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

function configText(url: string, dir: string, signals: string): string {
  // Hourly: only the test's own tick() calls run.
  return `interval: 1h\nsource:\n  scrape:\n    url: ${url}\ndelivery:\n  outboxDir: ${dir}\nsignals:\n${signals}`;
}
const signal = (name: string, extra = '') => `  - name: ${name}\n    requests: ${name}_requests_total\n    errors: ${name}_errors_total\n${extra}`;

describe('planReload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-plan-'));
  const file = (text: string) => {
    const f = join(mkdtempSync(join(dir, 'c-')), 'c.yaml');
    writeFileSync(f, text);
    return loadConfig(f);
  };
  const url = 'http://127.0.0.1:9/metrics';
  const old = file(configText(url, dir, signal('a') + signal('b') + signal('gone')));

  it('keeps unchanged signals, resets changed and removed ones, and names what changed', () => {
    const next = file(configText(url, dir, signal('a') + signal('b', '    detector: { baselineWindow: 2h }\n') + signal('c')));
    const plan = planReload(old, next);
    expect(plan.needsRestart).toEqual([]);
    expect([...plan.resetSignals].sort()).toEqual(['b', 'gone']);
    expect([...plan.addedSignals]).toEqual(['c']);
    expect([...plan.removedSignals]).toEqual(['gone']);
    expect(plan.changed).toEqual(['signals']);
    expect(plan.sourceChanged).toBe(true);
    expect(plan.notifierChanged).toBe(false);
  });

  it('a new alerting label rebuilds the notifier only; a new interval reschedules and resets every baseline', () => {
    const labelled = file(`${configText(url, dir, signal('a') + signal('b') + signal('gone'))}alerting:\n  labels: { team: web }\n`);
    expect(planReload(old, labelled)).toMatchObject({ notifierChanged: true, sourceChanged: false, scheduleChanged: false, changed: ['alerting'] });
    // A sink's URL rotated is said as the sinks'.
    const withSink = (path: string) => file(`${configText(url, dir, signal('a'))}sinks:\n  - name: hook\n    webhook:\n      url: http://127.0.0.1:9/${path}\n`);
    expect(planReload(withSink('old'), withSink('new'))).toMatchObject({ notifierChanged: true, changed: ['sinks'] });
    const faster = file(configText(url, dir, signal('a') + signal('b') + signal('gone')).replace('interval: 1h', 'interval: 30m'));
    const plan = planReload(old, faster);
    expect(plan.scheduleChanged).toBe(true);
    expect([...plan.resetSignals].sort()).toEqual(['a', 'b', 'gone']);
  });

  it('a new time zone keeps every baseline: the restore moves the weekly profiles to it', () => {
    const zoned = file(`${configText(url, dir, signal('a') + signal('b', '    detector: { timeZone: Asia/Kolkata }\n') + signal('gone'))}detector:\n  timeZone: Europe/Berlin\n`);
    const plan = planReload(old, zoned);
    expect([...plan.resetSignals]).toEqual([]);
    expect(plan.changed).toContain('detector');
  });

  it('keeps the baselines of a signal whose thresholds or sensitivity change: they read the same baselines otherwise', () => {
    const tuned = file(configText(url, dir, signal('a', '    detector: { falseAlarmsPerYear: 0.05, spikeFactor: 5, collapseFactor: 0.2, minErrorRatioIncrease: 0.05, funnelDropFraction: 0.1, relearnAfter: 1h }\n') + signal('b') + signal('gone')));
    const plan = planReload(old, tuned);
    expect([...plan.resetSignals]).toEqual([]);
    expect(plan.changed).toContain('signals');
    for (const shape of ['baselineWindow: 2h', 'baselineResolution: 5m', 'minBaselinePoints: 50']) {
      expect([...planReload(old, file(configText(url, dir, signal('a', `    detector: { ${shape} }\n`) + signal('b') + signal('gone')))).resetSignals], shape).toEqual(['a']);
    }
  });

  it('refuses what only a restart can change', () => {
    const moved = file(`${configText(url, join(dir, 'elsewhere'), signal('a'))}server:\n  listen: 127.0.0.1:9999\n`);
    expect(planReload(old, moved).needsRestart).toEqual(['server.listen', 'delivery.outboxDir']);
  });

  it('carries baselines of kept signals (split series too) and drops alerts of removed signals', () => {
    const snapshot: PipelineSnapshot = {
      version: 1,
      savedAtMs: 0,
      detectors: { a: { x: 1 }, 'b{route="/"}': { x: 2 }, gone: { x: 3 } },
      alerts: [['a\u0000incident', {}], ['gone\u0000incident', {}]],
    };
    const plan = planReload(old, file(configText(url, dir, signal('a') + signal('b', '    by: [route]\n'))));
    const carried = carrySnapshot(snapshot, plan);
    expect(Object.keys(carried.detectors)).toEqual(['a']);
    expect((carried.alerts as [string][]).map(([k]) => k)).toEqual(['a\u0000incident']);
    expect(signalOfSeries('b{route="/"}')).toBe('b');
  });
});

describe('a reload mid-incident', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-storm-'));
  const file = (text: string) => {
    const f = join(mkdtempSync(join(dir, 'c-')), 'c.yaml');
    writeFileSync(f, text);
    return loadConfig(f);
  };
  const yaml = (detector: string) => configText('http://127.0.0.1:9/metrics', dir, signal('downloads', detector)).replace('interval: 1h', 'interval: 15s');
  /** Ten healthy minutes, then half of all requests failing at three times the rate, until tick `healsAt`. */
  const frame = (k: number, healsAt: number): Frame => ({
    timeMs: k * 15_000,
    signals: new Map([['downloads', k >= 40 && k < healsAt ? { requests: 3000 + (k % 7) * 10, errors: 1500, downstream: Number.NaN } : { requests: 1000 + (k % 5) * 10, errors: 2, downstream: Number.NaN }]]),
  });

  it("keeps a signal's alert firing while the incident goes on when its sensitivity changes, and resolves it when the incident ends", () => {
    const old = file(yaml(''));
    const next = file(yaml('    detector: { falseAlarmsPerYear: 0.05 }\n'));
    const healsAt = 200;
    const before = new Pipeline(old);
    const fired = Array.from({ length: 44 }, (_, k) => before.step(frame(k, healsAt)).transitions).flat();
    expect(fired.map((t) => t.status)).toEqual(['firing']);
    // As the live loop reloads: the plan, the state carried, a pipeline of the new configuration.
    const after = new Pipeline(next);
    after.restore(carrySnapshot(before.snapshot(43 * 15_000), planReload(old, next)));
    const during = Array.from({ length: healsAt - 44 }, (_, i) => after.step(frame(44 + i, healsAt)).transitions).flat();
    expect(during.filter((t) => t.status === 'resolved')).toEqual([]);
    expect(after.firing().map((a) => a.fingerprint)).toEqual([fired[0]!.fingerprint]);
    // Judged all along (not held as unjudged), and resolved on health once the storm ends.
    expect(during.some((t) => t.annotations.unjudged_since !== undefined)).toBe(false);
    const healed = Array.from({ length: 20 }, (_, i) => after.step(frame(healsAt + i, healsAt)).transitions).flat();
    expect(healed.filter((t) => t.status === 'resolved').map((t) => t.fingerprint)).toEqual([fired[0]!.fingerprint]);
  });
});

describe('live reload', () => {
  it('refuses a bad file and keeps running; applies a good one, keeping the baselines of unchanged signals', async () => {
    const url = await target();
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-reload-'));
    const file = join(dir, 'stormwatch.yaml');
    writeFileSync(file, configText(url, dir, signal('a') + signal('b')));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    handle = await startLive(loadConfig(file), { logger, loadConfig: () => loadConfig(file) });
    for (let i = 0; i < 6; i++) await handle.tick();

    writeFileSync(file, configText(url, dir, `${signal('a')}  - name: b\n    requests: 'sum(b_requests_total'\n`));
    const refused = await handle.reload();
    // The file named, as check-config names it (a file moved away said only "cannot read file: ENOENT").
    expect(refused).toEqual({ ok: false, error: `invalid configuration in ${file}`, problems: [expect.stringMatching(/^signals\[1\]\.requests: .* \(line 12\)$/)] });
    expect(lines.find((l) => l.msg === 'configuration reload refused; the running configuration stays')).toMatchObject({ file });
    await handle.tick();
    expect(await handle.metrics.registry.getSingleMetric('stormwatch_ticks_total')!.get()).toMatchObject({ values: [{ value: 7, labels: { outcome: 'ok' } }] });

    // b's baseline window changes and c is new: a keeps what it learnt, b starts again like c.
    writeFileSync(file, configText(url, dir, signal('a') + signal('b', '    detector: { baselineWindow: 2h }\n') + signal('c')));
    expect(await handle.reload()).toEqual({ ok: true, changed: ['signals'] });
    await handle.stop(1000);
    handle = undefined;
    // Read as a restart reads it (the file holds per-series state as columns).
    const saved = JSON.parse(JSON.stringify(loadState(join(dir, STATE_FILE_NAME)).snapshot!)) as PipelineSnapshot;
    expect(Object.keys(saved.detectors).sort()).toEqual(['a', 'b', 'c']);
    expect(saved.detectors.b).toEqual(saved.detectors.c);
    expect(saved.detectors.a).not.toEqual(saved.detectors.c);
    const reloaded = lines.find((l) => l.msg === 'configuration reloaded');
    expect(reloaded).toMatchObject({ baselinesReset: ['b'], signalsAdded: ['c'], signalsRemoved: [] });
  });
});
