// A restart from saved state is exact: a pipeline saved mid-bucket and mid-incident, loaded and
// restored, judges the rest of the day exactly as the one that never stopped.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/types.js';
import { Pipeline, type TickResult } from '../../src/pipeline.js';
import { DeferredState, toColumns } from '../../src/runner/state-columns.js';
import { loadState, saveDecided, saveState } from '../../src/runner/state-file.js';
import { ReplaySource, readReplayFile } from '../../src/source/replay-source.js';
import { replayConfig, scenarioFile } from '../helpers/scenarios.js';

/** What a tick decided, in a comparable form (NaN and all). */
const decided = (r: TickResult) => JSON.stringify({ t: r.timeMs, transitions: r.transitions, signals: [...r.signals] }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

describe('restart from saved state', () => {
  it.each([
    ['in the middle of a baseline bucket (a partial bucket saved)', '2023-07-20T12:10:15Z', false, 'binary'],
    ['three minutes into an incident, its alert firing', '2023-07-20T12:20:15Z', true, 'binary'],
    ['three minutes into an incident, in the JSON file of an older stormwatch (columns, tail records in nats)', '2023-07-20T12:20:15Z', true, 'older JSON'],
  ])('continues exactly as a pipeline that never stopped, saved %s', async (_what, at, firing, format) => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const data = readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect'));
    const frames: Frame[] = [];
    for await (const f of new ReplaySource(data, config.signals, config.deploys?.markers ?? []).history(-Infinity, Infinity)) frames.push(f);
    let cut = frames.findIndex((f) => f.timeMs === Date.parse(at));
    expect(cut).toBeGreaterThan(0);
    const steady = new Pipeline(config);
    for (const f of frames.slice(0, cut)) steady.step(f);
    // Before the incident, go on to the next tick that leaves a bucket half full (within a minute).
    for (let k = 0; !firing && k < 4 && !JSON.stringify(steady.snapshot(0).detectors).includes('"partial"'); k++) steady.step(frames[cut++]!);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-restart-'));
    try {
      const file = join(dir, 'state.json');
      const snapshot = steady.snapshot(frames[cut - 1]!.timeMs);
      if (!firing) expect(JSON.stringify(snapshot.detectors)).toContain('"partial"');
      if (format === 'binary') {
        // Saved as runner/live.ts saves: each series' state written as it is encoded.
        saveState(file, (section) => steady.snapshot(frames[cut - 1]!.timeMs, section));
      } else {
        // As the JSON saves before the binary file wrote it: base64 columns, tail records as values in nats.
        const older = JSON.parse(JSON.stringify(snapshot)) as typeof snapshot;
        for (const state of Object.values(older.detectors) as Record<string, { codes?: number[]; values?: number[] }>[]) {
          for (const tail of [state.tail!, state.driftTail!]) {
            tail.values = tail.codes!.map((q) => Math.expm1(q / 2048));
            delete tail.codes;
          }
        }
        writeFileSync(file, JSON.stringify({ ...older, detectors: toColumns(older.detectors), ramps: toColumns(older.ramps!) }));
      }
      const loaded = loadState(file);
      expect(loaded.quarantined).toEqual([]);
      // The columns load back to exactly what the snapshot gives through JSON.
      // (A binary file's entries stay in its columns until restored: JSON builds them.)
      if (format === 'binary') expect(JSON.parse(JSON.stringify(loaded.snapshot!.detectors))).toEqual(JSON.parse(JSON.stringify(snapshot.detectors)));
      expect(JSON.parse(JSON.stringify(loaded.snapshot!.ramps))).toEqual(JSON.parse(JSON.stringify(snapshot.ramps)));
      expect(steady.firing().length > 0).toBe(firing);
      const restarted = new Pipeline(config);
      restarted.restore(loaded.snapshot!);
      expect(restarted.firing()).toEqual(steady.firing());
      for (const f of frames.slice(cut)) expect(decided(restarted.step(f))).toBe(decided(steady.step(f)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("watches a split signal's saved series again at once, from states left in the file's columns, each tick as if never stopped (one missing as no data)", () => {
    const base = replayConfig('crates-2023-07-20-broken-redirect');
    const config = { ...base, signals: [{ ...base.signals[0]!, name: 'api', by: ['route'] }] };
    const routes = ['/a', '/b', '/c'];
    // 40 minutes of traffic on three routes; /c is missing from minute 20 to 30, then back.
    const frames: Frame[] = [];
    for (let k = 0; k < 160; k++) {
      const signals = new Map<string, { requests: number; errors: number; downstream: number }>();
      const series = new Map<string, { signal: string; labels: Record<string, string> }>();
      for (const [i, route] of routes.entries()) {
        if (route === '/c' && k >= 80 && k < 120) continue;
        const requests = 200 + 40 * i + ((k * 7 + i) % 9);
        signals.set(`api{route="${route}"}`, { requests, errors: (k + i) % 3, downstream: requests * 0.998 });
        series.set(`api{route="${route}"}`, { signal: 'api', labels: { route } });
      }
      frames.push({ timeMs: 1_700_000_000_000 + k * 15_000, signals, series });
    }
    const steady = new Pipeline(config);
    for (const f of frames.slice(0, 100)) steady.step(f);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-restart-'));
    try {
      const file = join(dir, 'state.bin');
      saveState(file, (section) => steady.snapshot(frames[99]!.timeMs, section));
      const loaded = loadState(file).snapshot!;
      expect(Object.keys(loaded.detectors).sort()).toEqual(routes.map((r) => `api{route="${r}"}`));
      const deferred = [...Object.values(loaded.detectors), ...Object.values(loaded.ramps!)];
      for (const state of deferred) expect(state).toBeInstanceOf(DeferredState);
      const asJson = (x: unknown) => JSON.stringify(x);
      const [loadedDetectors, loadedRamps] = [asJson(loaded.detectors), asJson(loaded.ramps)];
      const restarted = new Pipeline(config);
      restarted.restore(loaded);
      expect(restarted.seriesCount).toBe(3);
      // Each loaded state was read for the last time by the restore: its file's memory may go.
      for (const state of deferred) expect(() => (state as DeferredState).snapshot()).toThrow(/read after it was restored/);
      // Saved again before the next frame: the same states.
      const again = join(dir, 'again', 'state.bin');
      saveState(again, (section) => restarted.snapshot(frames[99]!.timeMs, section));
      expect(asJson(loadState(again).snapshot!.detectors)).toBe(loadedDetectors);
      expect(asJson(loadState(again).snapshot!.ramps)).toBe(loadedRamps);
      // Every tick as if never stopped: /c reads as no data until it comes back twenty ticks later.
      for (const f of frames.slice(100)) expect(decided(restarted.step(f))).toBe(decided(steady.step(f)));
      expect(restarted.seriesCount).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('restart after a kill between a page and the next state save', () => {
  it('resumes the page decided after the save (decided.json): no resolve, no second page with a new startsAt', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const data = readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect'));
    const frames: Frame[] = [];
    for await (const f of new ReplaySource(data, config.signals, config.deploys?.markers ?? []).history(-Infinity, Infinity)) frames.push(f);
    const steady = new Pipeline(config);
    let paged = -1;
    for (let k = 0; k < frames.length && paged < 0; k++) {
      // The state as the last save before the page left it (saves are asynchronous and coalesced).
      if (steady.step(frames[k]!).transitions.some((t) => t.status === 'firing' && t.update === undefined)) paged = k;
    }
    expect(paged).toBeGreaterThan(0);
    const page = steady.firing()[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-decided-'));
    try {
      const file = join(dir, 'state.bin');
      const before = new Pipeline(config);
      for (const f of frames.slice(0, paged)) before.step(f);
      saveState(file, (section) => before.snapshot(frames[paged - 1]!.timeMs, section));
      // What live.ts writes before the page's notification goes out.
      saveDecided(file, frames[paged]!.timeMs, steady.decisionsSnapshot());
      const loaded = loadState(file);
      expect(loaded.fromDecided).toBe(true);
      const restarted = new Pipeline(config);
      restarted.restore(loaded.snapshot!);
      expect(restarted.firing()).toEqual(steady.firing());
      // The incident goes on for minutes: the page is neither resolved nor raised again.
      for (const f of frames.slice(paged + 1, paged + 13)) {
        for (const t of restarted.step(f).transitions.filter((x) => x.fingerprint === page.fingerprint)) {
          expect(t.status).toBe('firing');
          expect(t.startsAtMs).toBe(page.startsAtMs);
        }
      }
      expect(restarted.firing().map((a) => [a.fingerprint, a.startsAtMs])).toContainEqual([page.fingerprint, page.startsAtMs]);
      // Without decided.json the restart resumes the state before the page, and pages it again.
      const older = new Pipeline(config);
      older.restore(JSON.parse(JSON.stringify(before.snapshot(frames[paged - 1]!.timeMs))));
      const again = frames.slice(paged, paged + 13).flatMap((f) => older.step(f).transitions).filter((t) => t.status === 'firing' && t.labels.alertname === page.labels.alertname);
      expect(again.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the state file\'s alerts when decided.json is older than the save', () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-decided-'));
    try {
      const file = join(dir, 'state.bin');
      saveDecided(file, 1000, { alerts: [['x', { stale: true }]], deploys: [], markers: {}, probes: [] });
      saveState(file, new Pipeline(config).snapshot(2000));
      const loaded = loadState(file);
      expect(loaded.fromDecided).toBeUndefined();
      expect(loaded.snapshot!.alerts).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('restart from saved state: every firing alert', () => {
  it("lists the failed deploy's and the failing probe's alerts among the firing, before and after a restart, as they fired", async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const data = readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect'));
    const steady = new Pipeline(config);
    const fired = new Map<string, string>();
    let lastMs = 0;
    for await (const f of new ReplaySource(data, config.signals, config.deploys?.markers ?? []).history(-Infinity, Infinity)) {
      for (const t of steady.step(f).transitions) if (t.status === 'firing') fired.set(t.labels.alertname!, t.fingerprint);
      lastMs = f.timeMs;
      if (fired.has('StormwatchDeployRegression')) break;
    }
    const probe = steady.recordProbe({ probe: 'home', service: 'crates-io', url: 'https://static.example/', ok: false, failure: 'name does not resolve' }, lastMs)[0]!;
    const expected = [...fired.values(), probe.fingerprint].sort();
    expect(fired.has('StormwatchDeployRegression')).toBe(true);
    expect(steady.firing().map((a) => a.fingerprint).sort()).toEqual(expected);
    const restarted = new Pipeline(config);
    restarted.restore(JSON.parse(JSON.stringify(steady.snapshot(lastMs))));
    expect(restarted.firing()).toEqual(steady.firing());
    expect(restarted.firing().find((a) => a.fingerprint === probe.fingerprint)).toEqual({ labels: probe.labels, annotations: probe.annotations, fingerprint: probe.fingerprint, startsAtMs: probe.startsAtMs });
  });
});
