// The pipeline on split signals and shards: each label set watched on its own, replicas sharing
// the series between them and raising the same alerts with the same fingerprints.

import { describe, expect, it } from 'vitest';
import { loadBundledClientModels, loadBundledModels } from '../src/config/load.js';
import type { AlertTransition, Frame, Labels, SeriesInfo, SignalSample } from '../src/core/types.js';
import { Pipeline, type PipelineConfig, type Shard, type TickResult, inShard } from '../src/pipeline.js';
import { FrameSamples, SeriesIndex } from '../src/series/frame-samples.js';
import { mulberry32, normal, poisson } from '../scripts/sim/random.js';
import { WallClock } from '../src/core/wall-clock.js';
import { parseSelector } from '../src/core/selector.js';
import { emptySample } from '../src/core/types.js';
import type { DeployRecord } from '../src/deploys/types.js';
import { ReplaySource, readReplayFile } from '../src/source/replay-source.js';
import { replayConfig, scenarioFile } from './helpers/scenarios.js';

const { presets, definitions } = loadBundledModels();
const config: PipelineConfig = {
  intervalMs: 15_000,
  detector: presets.default!,
  alerting: { forMs: 15_000, keepFiringForMs: 60_000, labels: {}, externalURL: 'http://x', receiver: 'r' },
  definitions,
  signals: [
    {
      name: 'api',
      labels: { team: 'web' },
      by: ['route'],
      clients: loadBundledClientModels(),
      inputs: { requests: { selector: parseSelector('r'), query: '' }, downstream: { selector: parseSelector('d'), query: '' } },
    },
  ],
};

const ROUTES = Array.from({ length: 20 }, (_, i) => `/route/${i}`);

/** 40 minutes of healthy traffic on 20 routes; from minute 30, nothing completes on /route/7. */
function frames(): Frame[] {
  const out: Frame[] = [];
  for (let k = 0; k < 160; k++) {
    const signals = new Map<string, SignalSample>();
    const series = new Map<string, SeriesInfo>();
    for (const [i, route] of ROUTES.entries()) {
      const id = `api{route="${route}"}`;
      const requests = 100 + i * 10 + ((k * 7 + i) % 5);
      const broken = route === '/route/7' && k >= 120;
      signals.set(id, { requests, errors: 0, downstream: broken ? 0 : requests * 0.999 });
      series.set(id, { signal: 'api', labels: { route } });
    }
    out.push({ timeMs: k * 15_000, signals, series });
  }
  return out;
}

function run(shard?: Shard): { transitions: AlertTransition[]; series: number } {
  const p = new Pipeline(config, shard);
  const transitions = frames().flatMap((f) => p.step(f).transitions);
  return { transitions, series: p.seriesCount };
}

describe('Pipeline', () => {
  it('watches each label set of a split signal on its own', () => {
    const { transitions, series } = run();
    expect(series).toBe(20);
    expect(transitions.map((t) => [t.status, t.labels.alertname, t.labels.route, t.labels.signal, t.labels.team])).toEqual([['firing', 'StormwatchOutage', '/route/7', 'api', 'web']]);
  });

  it('forgets a series gone from the frames for over two hours, unless it is alerting', () => {
    const p = new Pipeline(config);
    const all = frames();
    for (const f of all.slice(0, 100)) p.step(f);
    expect(p.seriesCount).toBe(20);
    // Only /route/0 keeps reporting for the next 2 h 30 min.
    for (let k = 100; k < 100 + 600; k++) {
      const id = 'api{route="/route/0"}';
      p.step({ timeMs: k * 15_000, signals: new Map([[id, { requests: 100, errors: 0, downstream: 99.9 }]]), series: new Map([[id, { signal: 'api', labels: { route: '/route/0' } }]]) });
    }
    expect(p.seriesCount).toBe(1);
  });

  it('hands a forgotten series’ state to a series that comes later, which judges as it would in a new pipeline; the old report keeps its numbers', () => {
    const p = new Pipeline(config);
    const all = frames();
    let last: TickResult | undefined;
    for (const f of all.slice(0, 100)) last = p.step(f);
    const goneId = 'api{route="/route/3"}';
    const gone = last!.signals.get(goneId)!;
    const numbers = (r: TickResult['signals'] extends ReadonlyMap<string, infer R> ? R : never) => r.evaluations.map((e) => [e.kind, e.status, e.observed, e.baseline, e.sigma, e.evidence, e.threshold]);
    const keep = 'api{route="/route/0"}';
    const only = (k: number): Frame => ({ timeMs: k * 15_000, signals: new Map([[keep, { requests: 100, errors: 0, downstream: 99.9 }]]), series: new Map([[keep, { signal: 'api', labels: { route: '/route/0' } }]]) });
    for (let k = 100; k < 700; k++) p.step(only(k));
    expect(p.seriesCount).toBe(1);
    // Its last tick watched (data missing: unknown, the thresholds still its own).
    const before = numbers(gone);
    const sampleBefore = [gone.sample.requests, gone.sample.errors, gone.sample.downstream];
    expect(before.every(([, status, , , , , threshold]) => status === 'unknown' || Number.isFinite(threshold))).toBe(true);
    // Nineteen new routes take the nineteen released regions; a pipeline of their own sees the same frames.
    const fresh = new Pipeline(config);
    const newcomer = (k: number): Frame => {
      const f = all[k - 600]!;
      const signals = new Map<string, SignalSample>();
      const series = new Map<string, SeriesInfo>();
      for (const [id, s] of f.signals as Map<string, SignalSample>) {
        const route = id === keep ? '/route/0' : id.replace('api{route="/route/', '').replace('"}', '');
        const newId = id === keep ? keep : `api{route="/new/${route}"}`;
        signals.set(newId, s);
        series.set(newId, { signal: 'api', labels: { route: id === keep ? '/route/0' : `/new/${route}` } });
      }
      return { timeMs: k * 15_000, signals, series };
    };
    let reused: TickResult | undefined;
    let alone: TickResult | undefined;
    for (let k = 700; k < 760; k++) {
      const f = newcomer(k);
      reused = p.step(f);
      const withoutKept: Frame = { timeMs: f.timeMs, signals: new Map([...(f.signals as Map<string, SignalSample>)].filter(([id]) => id !== keep)), series: new Map([...f.series!].filter(([id]) => id !== keep)) };
      alone = fresh.step(withoutKept);
    }
    expect(p.seriesCount).toBe(20);
    for (const route of ROUTES.slice(1)) {
      const id = `api{route="/new/${route.replace('/route/', '')}"}`;
      expect(numbers(reused!.signals.get(id)!), id).toEqual(numbers(alone!.signals.get(id)!));
      expect(reused!.signals.get(id)!.evaluations.some((e) => e.status === 'normal')).toBe(true);
    }
    // The forgotten series' last report still reads its own numbers, not a newcomer's.
    expect(numbers(gone)).toEqual(before);
    expect([gone.sample.requests, gone.sample.errors, gone.sample.downstream]).toEqual(sampleBefore);
  });

  it('watches saved series again at a restart, and forgets those not seen again within two hours; an alerting one once its alert resolves unjudged', () => {
    const all = frames();
    const before = new Pipeline(config);
    for (const f of all.slice(0, 130)) before.step(f);
    expect(before.firing().map((a) => a.labels.route)).toEqual(['/route/7']);
    const saved = before.snapshot(all[129]!.timeMs);
    const restarted = new Pipeline(config);
    restarted.restore(saved);
    // After the restart, /route/3 and /route/7 (its alert firing) never report again.
    const gone = new Set(['api{route="/route/3"}', 'api{route="/route/7"}']);
    const waiting = () => Object.keys(restarted.snapshot(0).detectors).filter((id) => gone.has(id)).sort();
    const last = all[129]!;
    const tick = (k: number) => {
      const signals = new Map([...last.signals].filter(([id]) => !gone.has(id)));
      const series = new Map([...last.series!].filter(([id]) => !gone.has(id)));
      return restarted.step({ timeMs: last.timeMs + k * 15_000, signals, series });
    };
    for (let k = 1; k <= 480; k++) tick(k);
    // Two hours on, both are still watched (as no data) and saved; a tick later only the alerting one is.
    expect(waiting()).toEqual([...gone].sort());
    expect(restarted.seriesCount).toBe(20);
    // The alerting one's alert resolves then, unjudged for two hours (alert-decider.ts), saying so;
    // the next tick forgets its series too.
    expect(tick(481).transitions.map((t) => [t.status, t.labels.route, t.annotations.resolved_because !== undefined])).toEqual([['resolved', '/route/7', true]]);
    expect(waiting()).toEqual(['api{route="/route/7"}']);
    expect(Object.keys(restarted.snapshot(0).ramps!)).not.toContain('api{route="/route/3"}');
    expect(restarted.firing()).toEqual([]);
    expect(restarted.seriesCount).toBe(19);
    tick(482);
    expect(waiting()).toEqual([]);
    expect(restarted.seriesCount).toBe(18);
    // A saved state no split signal of this config makes (a signal since removed) waits two hours too.
    const other = new Pipeline(config);
    other.restore({ ...saved, detectors: { ...saved.detectors, 'gone{route="/x"}': saved.detectors['api{route="/route/3"}'] } });
    const waitingOther = () => Object.keys(other.snapshot(0).detectors).filter((id) => id.startsWith('gone'));
    const otherTick = (k: number) => other.step({ timeMs: last.timeMs + k * 15_000, signals: last.signals, series: last.series });
    otherTick(480);
    expect(waitingOther()).toEqual(['gone{route="/x"}']);
    otherTick(481);
    expect(waitingOther()).toEqual([]);
  });

  it("after a restart, a series keeps the source's label set once the source gives the same one, not a second copy read from its saved id", () => {
    // What the pipeline holds per series is private; read here only to check what it keeps.
    const labelsOf = (p: Pipeline, id: string) => (p as unknown as { watched: Map<string, { labels: Labels }> }).watched.get(id)!.labels;
    const all = frames();
    const id = 'api{route="/route/7"}';
    for (const signalLabels of [{}, { team: 'web' }] as Labels[]) {
      const c: PipelineConfig = { ...config, signals: [{ ...config.signals[0]!, labels: signalLabels }] };
      const before = new Pipeline(c);
      for (const f of all.slice(0, 130)) before.step(f);
      const restarted = new Pipeline(c);
      restarted.restore(before.snapshot(all[129]!.timeMs));
      expect(labelsOf(restarted, id)).toEqual({ ...signalLabels, route: '/route/7' });
      const frame = all[130]!;
      restarted.step(frame);
      const source = frame.series!.get(id)!.labels;
      if (Object.keys(signalLabels).length === 0) expect(labelsOf(restarted, id)).toBe(source);
      else expect(labelsOf(restarted, id)).toEqual({ team: 'web', route: '/route/7' });
      // The alert restored at the restart still carries the series' labels.
      expect(restarted.firing().map((a) => [a.labels.route, a.labels.team])).toEqual([['/route/7', signalLabels.team]]);
    }
  });

  it('splits series between shards, and the shard that holds a series raises the same alert', () => {
    const all = run();
    const shards = [0, 1, 2].map((index) => run({ index, count: 3 }));
    expect(shards.reduce((n, s) => n + s.series, 0)).toBe(20);
    expect(shards.every((s) => s.series > 0)).toBe(true);
    const sharded = shards.flatMap((s) => s.transitions);
    expect(sharded.map((t) => t.fingerprint)).toEqual(all.transitions.map((t) => t.fingerprint));
    expect(shards.findIndex((s) => s.transitions.length > 0)).toBe([0, 1, 2].find((i) => inShard('api{route="/route/7"}', { index: i, count: 3 })));
  });

  it('resolves at its first tick a restored alert of a series another shard judges now (restarted with another --shard), saying so; the shard that judges it keeps it firing', () => {
    const all = frames();
    const before = new Pipeline(config);
    for (const f of all.slice(0, 130)) before.step(f);
    expect(before.firing().map((a) => a.labels.route)).toEqual(['/route/7']);
    const saved = before.snapshot(all[129]!.timeMs);
    const owner = [0, 1, 2].find((i) => inShard('api{route="/route/7"}', { index: i, count: 3 }))!;
    for (const index of [0, 1, 2]) {
      const shard = new Pipeline(config, { index, count: 3 });
      const { unconfigured } = shard.restore(structuredClone(saved));
      const transitions = shard.step(all[130]!).transitions;
      if (index === owner) {
        expect(unconfigured).toEqual([]);
        expect(transitions).toEqual([]);
        expect(shard.firing().map((a) => a.labels.route)).toEqual(['/route/7']);
      } else {
        expect(unconfigured.map((a) => a.labels.route)).toEqual(['/route/7']);
        expect(transitions.map((t) => [t.status, t.labels.route])).toEqual([['resolved', '/route/7']]);
        expect(transitions[0]!.annotations.resolved_because).toContain('judged by another shard');
        expect(shard.firing()).toEqual([]);
      }
    }
  });
});

describe('Pipeline: reports rewritten each tick', () => {
  it("keeps one report per series and rewrites all of it: nothing of a failing tick's reading survives a gap", () => {
    const p = new Pipeline(config);
    const all = frames();
    const id = 'api{route="/route/7"}';
    let failing: TickResult | undefined;
    for (const f of all.slice(0, 126)) failing = p.step(f);
    const report = failing!.signals.get(id)!;
    // The failing tick as read before the next step: a failure with its run, estimate and sentence.
    expect(report.assessment.failing).toBe(true);
    expect(report.assessment.explanation).not.toBe('');
    expect(report.evaluations.find((e) => e.kind === 'rate_spike')!.run).toBeDefined();
    expect(report.sample.requests).toBeGreaterThan(0);
    const other = failing!.signals.get('api{route="/route/3"}')!;
    expect(other).not.toBe(report);
    expect(other.evaluations).not.toBe(report.evaluations);
    // Next tick the series is missing: its report is the same object, every field this tick's.
    const gap = all[126]!;
    const signals = new Map(gap.signals as Map<string, SignalSample>);
    signals.delete(id);
    const next = p.step({ ...gap, signals });
    expect(next.signals.get(id)).toBe(report);
    const { requests, errors, downstream } = report.sample;
    expect({ requests, errors, downstream }).toEqual({ requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN });
    expect(report.evaluations.map((e) => [e.kind, e.status, e.reason, e.run, e.evidence])).toEqual([
      ['rate_spike', 'unknown', 'no data', undefined, Number.NaN],
      ['rate_drop', 'unknown', 'no data', undefined, Number.NaN],
      ['funnel_drop', 'unknown', 'no data', undefined, Number.NaN],
    ]);
    expect(report.assessment.failing).toBeUndefined();
    expect(report.assessment.estimate).toBeUndefined();
    expect(report.assessment.explanation).toBe('');
    expect(Number.isNaN(report.anomalyScore)).toBe(true);
  });
});

describe('Pipeline: frames of columns', () => {
  /**
   * The frames above as columns (series/frame-samples.ts), with routes that drop out and come back:
   * while the set of series stays the same the frames share one index, and each new set gets a new
   * index in a shuffled order, so a series' slot moves.
   */
  function columnFrames(seed: number): { columns: Frame[]; maps: Frame[] } {
    const random = mulberry32(seed);
    const columns: Frame[] = [];
    const maps: Frame[] = [];
    let index: SeriesIndex | undefined;
    let members = '';
    for (const f of frames()) {
      // Most ticks keep the last set; some lose a few routes (a gap), never /route/7's outage.
      const keep = [...f.signals.keys()].filter((id) => id.includes('/route/7"') || random() > (f.timeMs % 7 === 0 ? 0.3 : 0));
      if (keep.join() !== members || random() < 0.05) {
        index = new SeriesIndex();
        for (const id of [...keep].sort(() => random() - 0.5)) index.add(id);
        members = keep.join();
      }
      const samples = new FrameSamples(index!);
      const map = new Map<string, SignalSample>();
      for (const id of keep) {
        const s = f.signals.get(id)!;
        samples.put(index!.slotOf(id)!, s.requests, s.errors, s.downstream);
        map.set(id, s);
      }
      const series = new Map([...f.series!].filter(([id]) => map.has(id)));
      columns.push({ timeMs: f.timeMs, signals: samples, series });
      maps.push({ timeMs: f.timeMs, signals: map, series });
    }
    return { columns, maps };
  }

  /** Everything a tick decided, in a form two runs compare by. */
  /**
   * What a tick decided and reported, copied as it stands (a tick's reports and evaluations are
   * rewritten by the next step); evaluations by their values, not by where a detector keeps them.
   */
  function decided(r: TickResult): unknown {
    return JSON.parse(JSON.stringify({ transitions: r.transitions.map((t) => [t.status, t.fingerprint, t.labels.alertname]), signals: [...r.signals].map(([id, s]) => [id, s.sample, s.evaluations, s.assessment.kind, s.anomalyScore]) }));
  }

  it('warms from history deciding nothing, and hands back what a chart draws of each frame', () => {
    const p = new Pipeline(config);
    const all = frames();
    let brokenScore = 0;
    for (const [k, f] of all.slice(0, 130).entries()) {
      const reports = p.warm(f);
      expect(reports.size).toBe(20);
      if (k >= 120) brokenScore = Math.max(brokenScore, reports.get('api{route="/route/7"}')!.anomalyScore!);
    }
    // The broken route's funnel, read from history: judged anomalous, its onset scored as unusual,
    // and no alert (history decides nothing).
    const broken = p.warm(all[130]!).get('api{route="/route/7"}')!;
    expect(broken.sample.downstream).toBe(0);
    expect(broken.evaluations.find((e) => e.kind === 'funnel_drop')!.status).toBe('anomalous');
    expect(brokenScore).toBeGreaterThan(0.5);
    expect(p.firing()).toEqual([]);
    // A series the frame lacks has no report in it.
    const gap = all[131]!;
    (gap.signals as Map<string, SignalSample>).delete('api{route="/route/3"}');
    const reports = p.warm(gap);
    expect(reports.size).toBe(19);
    expect(reports.has('api{route="/route/3"}')).toBe(false);
  });

  it('reads a frame of columns by each series\' slot as it reads the same samples by id, as series come and go', () => {
    for (const seed of [1, 2, 3]) {
      const { columns, maps } = columnFrames(seed);
      expect(new Set(columns.map((f) => (f.signals as FrameSamples).index)).size).toBeGreaterThan(3);
      const byColumns = new Pipeline(config);
      const byId = new Pipeline(config);
      // The first ten minutes warm the baselines (and the seasonal profiles) only.
      for (const f of columns.slice(0, 40)) byColumns.warm(f);
      for (const f of maps.slice(0, 40)) byId.warm(f);
      expect(byColumns.warmProfiles(columns[40]!, 60_000)).toBe(byId.warmProfiles(maps[40]!, 60_000));
      const a = columns.slice(40).map((f) => decided(byColumns.step(f)));
      const b = maps.slice(40).map((f) => decided(byId.step(f)));
      expect(a).toEqual(b);
      expect(a.some((t) => (t as { transitions: unknown[] }).transitions.length > 0)).toBe(true);
    }
  });
});

describe('Pipeline: per-signal overrides', () => {
  /** 30 minutes healthy, then nothing completes downstream, the same on every signal. */
  function sameFrames(names: string[]): Frame[] {
    return Array.from({ length: 130 }, (_, k) => ({
      timeMs: k * 15_000,
      signals: new Map(names.map((n) => [n, { requests: 200 + ((k * 7) % 5), errors: 0, downstream: k >= 120 ? 0 : 199 }] as [string, SignalSample])),
    }));
  }
  const signal = (name: string, extra: Partial<PipelineConfig['signals'][number]> = {}): PipelineConfig['signals'][number] => ({
    name,
    labels: {},
    by: [],
    clients: loadBundledClientModels(),
    inputs: { requests: { selector: parseSelector('r'), query: '' }, downstream: { selector: parseSelector('d'), query: '' } },
    ...extra,
  });

  it('a signal with its own `for`, annotations and detector parameters is decided by them; the others by the config-wide ones', () => {
    const p = new Pipeline({
      ...config,
      signals: [
        signal('plain'),
        signal('patient', { forMs: 60_000, annotations: { runbook_url: 'https://runbooks.example/patient' } }),
        // Needs more baseline points than 30 minutes hold: still warming up, so silent.
        signal('quiet', { detector: { ...presets.default!, minBaselinePoints: 10_000 } }),
      ],
    });
    const firing = sameFrames(['plain', 'patient', 'quiet']).flatMap((f) => p.step(f).transitions).filter((t) => t.status === 'firing');
    expect(firing.map((t) => [t.labels.signal, (t.evaluatedAtMs - t.startsAtMs) / 1000, t.annotations.runbook_url])).toEqual([
      ['plain', 15, undefined],
      ['patient', 60, 'https://runbooks.example/patient'],
    ]);
  });
});

describe('Pipeline: time zones', () => {
  const MIN = 60_000;
  const berlin = { ...presets.default!, timeZone: 'Europe/Berlin' };
  const single = (detector = presets.default!): PipelineConfig => ({
    ...config,
    detector,
    signals: [{ name: 'web', labels: {}, by: [], clients: loadBundledClientModels(), inputs: { requests: { selector: parseSelector('r'), query: '' } } }],
  });
  /** Requests a second on a 5x cycle with its peak at 15:00 UTC. */
  const rate = (t: number) => 100 * (1 + (2 / 3) * Math.cos((2 * Math.PI * ((t / 3_600_000) % 24 - 15)) / 24));
  const frameAt = (t: number): Frame => ({ timeMs: t, signals: new Map([['web', { requests: rate(t) * 15, errors: 0, downstream: Number.NaN }]]) });
  const start = Date.parse('2023-07-03T00:00:00Z');
  /** Eight days of profile at 5-minute steps, then 40 minutes of ticks ending on the morning ramp (09:40 UTC). */
  function learnt(detector = presets.default!): { pipeline: Pipeline; nowMs: number } {
    const pipeline = new Pipeline(single(detector));
    let t = start;
    for (; t < start + 8 * 1440 * MIN; t += 5 * MIN) pipeline.warmProfiles(frameAt(t), 5 * MIN);
    t += 9 * 60 * MIN;
    for (const end = t + 40 * MIN; t < end; t += 15_000) pipeline.step(frameAt(t));
    return { pipeline, nowMs: t };
  }
  /** What the rate checks expect of the next tick (requests a tick). */
  const expected = (p: Pipeline, t: number) => p.step(frameAt(t)).signals.get('web')!.evaluations.find((e) => e.kind === 'rate_spike')!.baseline;

  it('a restart with a new zone moves what the profiles learnt to its clock: the next tick expects what it expected before', () => {
    const { pipeline, nowMs } = learnt();
    const saved = JSON.parse(JSON.stringify(pipeline.snapshot(nowMs)));
    expect(saved.timeZones).toEqual({ web: 'UTC' });
    const same = new Pipeline(single());
    same.restore(structuredClone(saved));
    const moved = new Pipeline(single(berlin));
    moved.restore(structuredClone(saved));
    // Read as if learnt in Berlin's hours (the state lies about its zone): the ramp two hours late.
    const unmoved = new Pipeline(single(berlin));
    unmoved.restore({ ...structuredClone(saved), timeZones: { web: 'Europe/Berlin' } });
    const before = expected(same, nowMs);
    expect(before / 15).toBeCloseTo(rate(nowMs), -1);
    expect(Math.abs(expected(moved, nowMs) / before - 1)).toBeLessThan(1e-6);
    // The trailing hour's level makes up most of a profile two hours late; what is left is the ramp's bend.
    expect(Math.abs(expected(unmoved, nowMs) / before - 1)).toBeGreaterThan(0.01);
    expect(moved.snapshot(nowMs).timeZones).toEqual({ web: 'Europe/Berlin' });
  });

  it("follows the zone's clocks across a daylight-saving change: the week's cycle an hour later in UTC raises no rate alarm; read in UTC hours it does", () => {
    const world = new WallClock('Europe/Berlin');
    const tick = 60_000;
    const from = Date.parse('2023-10-09T00:00:00Z');
    const change = Date.parse('2023-10-29T01:00:00Z');
    /** Minutes with a rate check alarmed in the four days after the clocks went back. */
    function alarmedAfter(seed: number, detector: typeof presets.default): number {
      const base = single(detector);
      const inputs = { requests: base.signals[0]!.inputs.requests, errors: base.signals[0]!.inputs.requests };
      const p = new Pipeline({ ...base, intervalMs: tick, signals: [{ ...base.signals[0]!, inputs }] });
      const random = mulberry32(seed);
      let wobble = 0;
      let alarmed = 0;
      for (let t = from; t < change + 4 * 1440 * MIN; t += tick) {
        // A 5x day/night cycle peaking at 15:00 on Berlin's clocks, weekends (there) at half, a
        // wandering demand (AR(1) in log, σ 0.07, two minutes' memory), Poisson counts.
        const wall = world.wallMs(t);
        const day = Math.floor(wall / (1440 * MIN)) % 7;
        const weekend = day === 2 || day === 3 ? 0.5 : 1;
        wobble = Math.exp(-0.5) * wobble + Math.sqrt(1 - Math.exp(-1)) * 0.07 * normal(random);
        const cycle = 1 + (2 / 3) * Math.cos((2 * Math.PI * ((wall / 3_600_000) % 24 - 15)) / 24);
        const requests = poisson(random, (50 * cycle * weekend * Math.exp(wobble) * tick) / 1000);
        const report = p.step({ timeMs: t, signals: new Map([['web', { requests, errors: poisson(random, requests * 0.005), downstream: Number.NaN }]]) }).signals.get('web')!;
        if (t >= change && report.evaluations.some((e) => e.kind.startsWith('rate_') && e.status === 'anomalous')) alarmed++;
      }
      return alarmed;
    }
    for (const seed of [1, 2, 3]) {
      // The weekend's end, at midnight there, comes an hour later in UTC than the profile learnt.
      expect(alarmedAfter(seed, berlin), `seed ${seed}`).toBeLessThanOrEqual(5);
      expect(alarmedAfter(seed, presets.default!), `seed ${seed}`).toBeGreaterThan(30);
    }
  });
});

describe('Pipeline: restored alerts of signals no longer configured', () => {
  const inputs = { requests: { selector: parseSelector('r'), query: '' }, errors: { selector: parseSelector('e'), query: '' } };
  const signalNamed = (name: string, by: string[] = []) => ({ name, labels: {}, by, clients: loadBundledClientModels(), inputs });
  const withSignals = (...signals: ReturnType<typeof signalNamed>[]): PipelineConfig => ({ ...config, alerting: { ...config.alerting, forMs: 0 }, signals });
  /** Ten healthy minutes, then half of all requests failing, on each series named. */
  const frame = (k: number, ids: string[]): Frame => ({
    timeMs: k * 15_000,
    signals: new Map(ids.map((id) => [id, k >= 40 ? { requests: 3000, errors: 1500, downstream: Number.NaN } : { requests: 1000 + (k % 5) * 10, errors: 2, downstream: Number.NaN }])),
    series: new Map(ids.filter((id) => id.includes('{')).map((id) => [id, { signal: id.slice(0, id.indexOf('{')), labels: { route: '/' } }])),
  });

  it('resolves them once at the first tick after a restart; alerts of signals still configured keep firing', () => {
    const before = new Pipeline(withSignals(signalNamed('downloads'), signalNamed('api'), signalNamed('split', ['route'])));
    const ids = ['downloads', 'api', 'split{route="/"}'];
    for (let k = 0; k < 44; k++) before.step(frame(k, ids));
    expect(before.firing().map((a) => a.labels.signal).sort()).toEqual(['api', 'downloads', 'split']);
    const snapshot = JSON.parse(JSON.stringify(before.snapshot(43 * 15_000))) as ReturnType<Pipeline['snapshot']>;

    // `downloads` renamed `dl`, `split` split by another label: their alerts belong to no series now.
    const after = new Pipeline(withSignals(signalNamed('dl'), signalNamed('api'), signalNamed('split', ['path'])));
    const restored = after.restore(snapshot);
    const gone = before.firing().filter((a) => a.labels.signal !== 'api');
    const first = after.step(frame(44, ['dl', 'api']));
    expect(first.transitions.map((t) => [t.status, t.fingerprint, t.startsAtMs, t.endsAtMs])).toEqual(gone.map((a) => ['resolved', a.fingerprint, a.startsAtMs, 44 * 15_000]));
    // Named at the restore, for the log.
    expect(restored.unconfigured?.map((a) => a.labels.signal).sort()).toEqual(['downloads', 'split']);
    expect(after.firing().map((a) => a.labels.signal)).toEqual(['api']);
    // Once: later ticks send nothing more of them.
    for (let k = 45; k < 50; k++) expect(after.step(frame(k, ['dl', 'api'])).transitions.filter((t) => t.labels.signal !== 'api' && t.labels.signal !== 'dl')).toEqual([]);
  });
});

describe("Pipeline: traffic moved between a split signal's series", () => {
  const withErrors: PipelineConfig = {
    ...config,
    signals: [{ ...config.signals[0]!, inputs: { ...config.signals[0]!.inputs, errors: { selector: parseSelector('e'), query: '' } } }],
  };
  type Move = 'to a new route' | 'over the others' | 'lost' | 'to a new route and back';
  const HOUR = 240;

  /**
   * Four routes of 150-250 requests a second with demand wobbling (each route's and a shared one,
   * 5 % each, two minutes of memory) for two hours; then /r/0's traffic moves (or is lost) at once.
   * A new route's counter has a rate from its second tick (`newAfter` ticks after the move). "and
   * back": /r/0 takes it back an hour on. `moverRate`: /r/0's own level. `listedBefore`: the new
   * route is listed a tick before its first rate (a counter's first sample).
   */
  function moveFrames(move: Move, seed: number, ticks = 3 * HOUR, newAfter = 1, moverRate = 150, listedBefore = false): Frame[] {
    const random = mulberry32(seed);
    const phi = Math.exp(-15 / 120);
    const step = Math.sqrt(1 - phi * phi) * 0.05;
    const own = [0, 0, 0, 0];
    let shared = 0;
    const out: Frame[] = [];
    for (let k = 0; k < ticks; k++) {
      shared = phi * shared + step * normal(random);
      const moved = k >= 2 * HOUR && !(move === 'to a new route and back' && k >= 3 * HOUR);
      const signals = new Map<string, SignalSample>();
      const series = new Map<string, SeriesInfo>();
      const add = (route: string, rate: number) => {
        const n = poisson(random, rate * 15);
        const errors = poisson(random, n * 0.001);
        signals.set(`api{route="${route}"}`, { requests: n / 15, errors: errors / 15, downstream: (n - errors) / 15 });
        series.set(`api{route="${route}"}`, { signal: 'api', labels: { route } });
      };
      let lost = 0;
      for (let i = 0; i < 4; i++) {
        own[i] = phi * own[i]! + step * normal(random);
        const level = (i === 0 ? moverRate : 150 + 33 * i) * Math.exp(own[i]! + shared);
        if (i === 0 && moved) lost = level;
        add(`/r/${i}`, i === 0 && moved ? 0 : level + (move === 'over the others' && k >= 2 * HOUR ? lost / 3 : 0));
      }
      if (move.startsWith('to a new route') && k >= 2 * HOUR + newAfter) add('/new', moved ? lost : 0);
      else if (move.startsWith('to a new route') && listedBefore && k === 2 * HOUR + newAfter - 1) {
        // Its counter's first sample: the series is listed, without a rate yet.
        signals.set('api{route="/new"}', { requests: Number.NaN, errors: Number.NaN, downstream: Number.NaN });
        series.set('api{route="/new"}', { signal: 'api', labels: { route: '/new' } });
      }
      out.push({ timeMs: Date.UTC(2024, 0, 8) + k * 15_000, signals, series });
    }
    return out;
  }

  const outages = (transitions: AlertTransition[]) => transitions.filter((t) => t.labels.alertname === 'StormwatchOutage').map((t) => [t.status, t.labels.route]);

  it('pages no outage on a route whose traffic moved at once to a new route or to the others, and says why; an outage of the same route pages and stays firing', () => {
    for (let seed = 1; seed <= 4; seed++) {
      for (const move of ['to a new route', 'over the others'] as const) {
        const p = new Pipeline(withErrors);
        const results = moveFrames(move, seed).map((f) => {
          const r = p.step(f);
          return { transitions: r.transitions, movedTraffic: r.movedTraffic };
        });
        expect(outages(results.flatMap((r) => r.transitions)), `${move}, seed ${seed}`).toEqual([]);
        // Said once, with what was read: the route's loss, the total's change and its spread.
        const said = results.flatMap((r) => r.movedTraffic ?? []);
        expect(said.map((m) => [m.series, m.signal])).toEqual([['api{route="/r/0"}', 'api']]);
        expect(said[0]!.lost).toBeGreaterThan(100);
        expect(Math.abs(said[0]!.totalChange)).toBeLessThan(said[0]!.lost);
        expect(said[0]!.spread).toBeGreaterThan(0);
        const report = p.step(moveFrames(move, seed, 3 * HOUR + 1).at(-1)!).signals.get('api{route="/r/0"}')!;
        expect(report.evaluations.find((e) => e.kind === 'rate_drop')!.status).toBe('anomalous');
        expect(report.assessment.failing).toBe(false);
        expect(report.assessment.explanation).toMatch(/other series took what it lost: traffic moved, not lost/);
      }
      const p = new Pipeline(withErrors);
      const transitions = moveFrames('lost', seed).flatMap((f) => p.step(f).transitions);
      expect(outages(transitions), `lost, seed ${seed}`).toEqual([['firing', '/r/0']]);
      expect(p.firing().map((a) => [a.labels.alertname, a.labels.route])).toEqual([['StormwatchOutage', '/r/0']]);
    }
  });

  it("takes a small route's traffic on a new route as moved, where the total is too noisy to tell; spread over the others, it pages", () => {
    for (let seed = 1; seed <= 3; seed++) {
      const toNew = new Pipeline(withErrors);
      expect(outages(moveFrames('to a new route', seed, 2 * HOUR + 40, 1, 15).flatMap((f) => toNew.step(f).transitions)), `seed ${seed}`).toEqual([]);
      const spread = new Pipeline(withErrors);
      expect(outages(moveFrames('over the others', seed, 2 * HOUR + 40, 1, 15).flatMap((f) => spread.step(f).transitions)), `seed ${seed}`).toEqual([['firing', '/r/0']]);
    }
  });

  it('pages nothing when the traffic moves back an hour later (the new route collapsing into the old one)', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const p = new Pipeline(withErrors);
      const transitions = moveFrames('to a new route and back', seed, 4 * HOUR).flatMap((f) => p.step(f).transitions);
      expect(outages(transitions), `seed ${seed}`).toEqual([]);
    }
  });

  it('judges a move at the first live ticks after a warm-up from history (the totals and levels read from it)', () => {
    const all = moveFrames('to a new route', 2);
    const warmed = new Pipeline(withErrors);
    for (const f of all.slice(0, 2 * HOUR)) warmed.warm(f);
    // The first live tick is the move's.
    expect(outages(all.slice(2 * HOUR).flatMap((f) => warmed.step(f).transitions))).toEqual([]);
  });

  it('resolves an outage paged before the new route had a rate at the tick it is judged moved (not keepFiringFor later), saying why', () => {
    const p = new Pipeline(withErrors);
    const results = moveFrames('to a new route', 2, 2 * HOUR + 20, 2).map((f) => p.step(f));
    const transitions = results.flatMap((r) => r.transitions);
    expect(outages(transitions)).toEqual([
      ['firing', '/r/0'],
      ['resolved', '/r/0'],
    ]);
    const resolved = transitions.at(-1)!;
    expect(resolved.annotations.resolved_because).toMatch(/^its traffic moved to the signal's other series, whose total held: not lost; requests 0\/s/);
    expect(resolved.evaluatedAtMs).toBe(results.find((r) => r.movedTraffic !== undefined)!.timeMs);
  });

  it('with `for: 0s` (and classifyWithin 15 s, the defaults), waits a tick for a series that appeared without a rate yet before paging a collapse; not listed, the collapse pages and resolves', () => {
    const now: PipelineConfig = { ...withErrors, alerting: { ...withErrors.alerting, forMs: 0, classifyWithinMs: 15_000 } };
    const listed = new Pipeline(now);
    expect(outages(moveFrames('to a new route', 2, 2 * HOUR + 20, 1, 150, true).flatMap((f) => listed.step(f).transitions))).toEqual([]);
    const unlisted = new Pipeline(now);
    expect(outages(moveFrames('to a new route', 2, 2 * HOUR + 20, 1, 150, false).flatMap((f) => unlisted.step(f).transitions))).toEqual([
      ['firing', '/r/0'],
      ['resolved', '/r/0'],
    ]);
  });

  it('keeps a move across a restart (saved in the state), where the new route has since learnt its traffic', () => {
    const all = moveFrames('to a new route', 5, 4 * HOUR);
    const before = new Pipeline(withErrors);
    for (const f of all.slice(0, 3 * HOUR)) before.step(f);
    const saved = JSON.parse(JSON.stringify(before.snapshot(all[3 * HOUR - 1]!.timeMs))) as ReturnType<Pipeline['snapshot']>;
    expect(Object.keys(saved.movedTraffic ?? {})).toEqual(['api{route="/r/0"}']);
    const restarted = new Pipeline(withErrors);
    restarted.restore(saved);
    expect(outages(all.slice(3 * HOUR).flatMap((f) => restarted.step(f).transitions))).toEqual([]);
    // Without what was saved of the move, the restart pages the old route: the new one's baseline holds its traffic now.
    const forgetful = new Pipeline(withErrors);
    forgetful.restore({ ...saved, movedTraffic: {} });
    expect(outages(all.slice(3 * HOUR).flatMap((f) => forgetful.step(f).transitions))).toEqual([['firing', '/r/0']]);
  });
});

describe('Pipeline: deploy markers', () => {
  it("dates a marker's version seen after the source was down as begun in the gap: Flagger's record of that rollout is its twin, not superseded by it", async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const frames: Frame[] = [];
    for await (const f of new ReplaySource(readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect')), config.signals, config.deploys?.markers ?? []).history(-Infinity, Infinity)) frames.push(f);
    // Where the build-info marker sees the scenario's deploy with the source up throughout.
    const seeing = new Pipeline(config);
    const at = frames.findIndex((f) => seeing.step(f).deploys.some((d) => d.source === 'marker'));
    expect(at).toBeGreaterThan(4);
    // The source down from the tick before that deploy for 13 minutes (a failed read: every input
    // unknown, no marker series), Flagger's "New revision detected" at its first blind tick.
    const blindFrom = at - 1;
    const back = blindFrom + 52;
    expect(back).toBeLessThan(frames.length);
    const flagger = { id: 'flagger:production:crates-io:c0ffee00', service: 'crates-io', version: 'c0ffee00', environment: config.deploys!.markers[0]!.environment, startedAtMs: frames[blindFrom]!.timeMs, source: 'flagger' as const, opaqueVersion: true };
    const p = new Pipeline(config);
    for (const f of frames.slice(0, blindFrom)) p.step(f);
    p.addDeploy(flagger, flagger.startedAtMs);
    for (let i = blindFrom; i < back; i++) p.step({ timeMs: frames[i]!.timeMs, signals: new Map(config.signals.map((s) => [s.name, emptySample()])) });
    // Back 13 minutes after Flagger's start, beyond the 11 a rollout takes to show: the marker's
    // last look was before it, so the version began within the gap.
    const seen = p.step(frames[back]!);
    const record = seen.deploys.find((d) => d.id === flagger.id);
    expect(record).toMatchObject({ sources: ['flagger', 'marker'], verdict: 'pending' });
    expect(record!.supersededBy).toBeUndefined();
    expect(record!.aliases).toEqual([`crates-io-${frames[back]!.timeMs}`]);
    expect(seen.deploys.filter((d) => d.source === 'marker')).toEqual([]);
  });

  it('records a deploy its markers see in the history read at a restart, on what is left of its window; learns one whose window has passed, or any without deploysOpenAtMs (a backtest\'s past)', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const frames: Frame[] = [];
    for await (const f of new ReplaySource(readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect')), config.signals, config.deploys?.markers ?? []).history(-Infinity, Infinity)) frames.push(f);
    const records = (p: Pipeline) => (p.snapshot(0).deploys as { record: DeployRecord }[]).map((d) => d.record);
    const verdicts = (p: Pipeline) => records(p).map((r) => [r.id, r.verdict]);
    // Watching throughout, the first deploy is seen at frame `at`.
    const watching = new Pipeline(config);
    const at = frames.findIndex((f) => watching.step(f).deploys.some((d) => d.source === 'marker'));
    for (const f of frames.slice(at + 1)) watching.step(f);
    const firstId = `crates-io-${frames[at]!.timeMs}`;
    expect(verdicts(watching)[0]).toEqual([firstId, 'pass']);
    // Saved a minute before it, down until two minutes after: the gap is read as history at start.
    const before = new Pipeline(config);
    for (const f of frames.slice(0, at - 4)) before.step(f);
    const saved = JSON.stringify(before.snapshot(frames[at - 5]!.timeMs));
    const restartAt = (deploysOpenAtMs?: number) => {
      const p = new Pipeline(config);
      p.restore(JSON.parse(saved) as ReturnType<Pipeline['snapshot']>);
      for (const f of frames.slice(at - 4, at + 8)) p.warm(f, deploysOpenAtMs === undefined ? {} : { deploysOpenAtMs });
      return p;
    };
    const restarted = restartAt(frames[at + 8]!.timeMs);
    const first = restarted.step(frames[at + 8]!);
    expect(first.deploys.map((d) => [d.id, d.startedAtMs, d.verdict])).toEqual([[firstId, frames[at]!.timeMs, 'pending']]);
    for (const f of frames.slice(at + 9)) restarted.step(f);
    // The same deploys and verdicts as watching throughout; the first judged on two buckets fewer.
    expect(verdicts(restarted)).toEqual(verdicts(watching));
    expect(records(restarted)[0]!.evidence[0]!.nPost).toBe(records(watching)[0]!.evidence[0]!.nPost - 2);
    // Its window over by the time of the read, or no time given: learnt, not recorded.
    for (const late of [restartAt(frames[at]!.timeMs + config.deploys!.windowMs), restartAt()]) {
      expect(late.step(frames[at + 8]!).deploys).toEqual([]);
      expect(records(late).map((r) => r.id)).not.toContain(firstId);
    }
  });

  it('resolves a failed deploy\'s alert at the first step when the history read at a restart shows the rollback that replaced it', async () => {
    const config = replayConfig('crates-2023-07-20-broken-redirect');
    const frames: Frame[] = [];
    for await (const f of new ReplaySource(readReplayFile(scenarioFile('crates-2023-07-20-broken-redirect')), config.signals, config.deploys?.markers ?? []).history(-Infinity, Infinity)) frames.push(f);
    // Watching throughout: the second deploy fails and alerts; the third (its rollback) resolves that alert.
    const watching = new Pipeline(config);
    const markerDeploys: number[] = [];
    const resolvedAt: number[] = [];
    frames.forEach((f, i) => {
      const r = watching.step(f);
      if (r.deploys.some((d) => d.source === 'marker' && d.startedAtMs === f.timeMs)) markerDeploys.push(i);
      if (r.transitions.some((t) => t.status === 'resolved' && t.labels.alertname === 'StormwatchDeployRegression')) resolvedAt.push(i);
    });
    expect(markerDeploys).toHaveLength(3);
    const rollback = markerDeploys[2]!;
    expect(resolvedAt).toEqual([rollback]);
    // Saved a minute before the rollback, its alert firing; down until two minutes after it.
    const before = new Pipeline(config);
    for (const f of frames.slice(0, rollback - 4)) before.step(f);
    expect(before.firing().map((a) => a.labels.alertname)).toContain('StormwatchDeployRegression');
    const restarted = new Pipeline(config);
    restarted.restore(JSON.parse(JSON.stringify(before.snapshot(frames[rollback - 5]!.timeMs))) as ReturnType<Pipeline['snapshot']>);
    for (const f of frames.slice(rollback - 4, rollback + 8)) restarted.warm(f, { deploysOpenAtMs: frames[rollback + 8]!.timeMs });
    const first = restarted.step(frames[rollback + 8]!);
    expect(first.transitions.filter((t) => t.labels.alertname === 'StormwatchDeployRegression').map((t) => [t.status, t.labels.version])).toEqual([['resolved', '1.102.0']]);
    expect(restarted.firing().map((a) => a.labels.alertname)).not.toContain('StormwatchDeployRegression');
  });
});
