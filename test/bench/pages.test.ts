import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerFor, counterPage, expositionPage, routeProfiles, tickAnswers, tickCounts, tickRates, vectorAnswer, writeReplayFile } from '../../bench/pages.js';
import { mulberry32 } from '../../scripts/sim/random.js';
import { FakePrometheusAnswers, configFor } from '../../bench/tick-bench.js';
import { seriesIdOf } from '../../src/series/series-key.js';
import { SampleDigest } from '../../bench/measure.js';
import { parseExposition } from '../../src/source/exposition.js';

describe('bench inputs', () => {
  it('an exposition page has the size and the sample count it claims, every line valid, all six label shapes', () => {
    const { text, samples } = expositionPage(256 * 1024);
    const seen: Record<string, string>[] = [];
    const result = parseExposition(text, { format: 'text', onSample: (_n, labels) => seen.push(labels) });
    expect(result.problems).toEqual([]);
    expect(result.samples).toBe(samples);
    expect(text.length).toBeGreaterThanOrEqual(256 * 1024);
    expect(seen.some((l) => l.error?.includes('"') && l.error.includes('\n'))).toBe(true);
    expect(seen.some((l) => l.region === '東京')).toBe(true);
    expect(new Set(seen.map((l) => Object.keys(l).length))).toEqual(new Set([0, 2, 3, 5, 8]));
  });

  it("a tick's counts are whole numbers whose means are the route's rate and ratios", () => {
    // A route failing 0.04 requests a tick fails none or one, as its counter does, never a fraction.
    const profile = { route: '/r', rate: 0.5, errorRatio: 0.005, completionRatio: 0.98 };
    const random = mulberry32(3);
    const counts = new Float64Array(3);
    const sums = [0, 0, 0];
    const ticks = 40_000;
    for (let k = 0; k < ticks; k++) {
      tickCounts(profile, 15, random, counts);
      for (let j = 0; j < 3; j++) {
        expect(Number.isInteger(counts[j])).toBe(true);
        sums[j]! += counts[j]!;
      }
    }
    expect(sums[0]! / ticks).toBeCloseTo(7.5, 1);
    expect(sums[1]! / sums[0]!).toBeCloseTo(0.005, 3);
    expect(sums[2]! / sums[0]!).toBeCloseTo(0.98, 2);
    // The rates a tick's answers carry are those counts over 15 s.
    const rates = tickRates(routeProfiles(50), 4);
    for (const r of [...rates.requests, ...rates.errors, ...rates.downstream]) expect(Math.abs(r * 15 - Math.round(r * 15))).toBeLessThan(1e-9);
  });

  it('a Prometheus answer carries every route once with its rate', () => {
    const profiles = routeProfiles(3);
    const rates = tickRates(profiles, 0);
    const body = JSON.parse(vectorAnswer(profiles, rates.requests, 15_000).toString()) as { data: { result: { metric: { route: string }; value: [number, string] }[] } };
    expect(body.data.result.map((r) => [r.metric.route, Number(r.value[1]), r.value[0]])).toEqual(profiles.map((p, i) => [p.route, rates.requests[i], 15]));
  });

  it("each query stormwatch's Prometheus source makes for the bench's signal gets its own input's answer", async () => {
    const profiles = routeProfiles(5);
    const t0 = 1_700_000_000_000;
    const answers = tickAnswers(profiles, 2, t0, 15_000);
    expect(answerFor('sum by (route) (irate(app_requests_total{code=~"5.."}[1m]))', answers)).toBe(answers.errors);
    expect(answerFor('sum by (route) (irate(app_completions_total[1m]))', answers)).toBe(answers.downstream);
    expect(answerFor('sum by (route) (irate(app_requests_total[1m]))', answers)).toBe(answers.requests);
    // The queries the source really sends, answered as the answer server answers them.
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-test-'));
    try {
      const config = configFor(dir, 'prometheus');
      const fake = new FakePrometheusAnswers(profiles, t0);
      fake.prepare(2);
      const read = await fake.source(config.signals).read(t0 + 2 * 15_000);
      expect(read.errors).toEqual([]);
      const rates = tickRates(profiles, 2);
      const got = profiles.map((p) => read.frame.signals.get(seriesIdOf('api', { route: p.route })));
      expect(got).toEqual(profiles.map((_p, i) => ({ requests: rates.requests[i], errors: rates.errors[i], downstream: rates.downstream[i] })));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a counter page and a replay file hold three counters per route', async () => {
    const profiles = routeProfiles(4);
    const page = counterPage(profiles, tickRates(profiles, 1)).toString();
    expect(parseExposition(page, { format: 'text', onSample: () => {} }).samples).toBe(12);
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-bench-test-'));
    try {
      const file = join(dir, 'r.om');
      const written = await writeReplayFile(file, 4, 5, 15_000);
      const result = parseExposition(readFileSync(file, 'utf8'), { format: 'openmetrics', onSample: () => {} });
      expect([written, result.samples, result.problems.length, result.sawEof]).toEqual([60, 60, 0, true]);
      // Written series by series: the same samples, each series' lines together, in time order.
      const bySeries = join(dir, 's.om');
      expect(await writeReplayFile(bySeries, 4, 5, 15_000, 11, 'series')).toBe(60);
      const samplesOf = (text: string) => {
        const digest = new SampleDigest();
        const order: string[] = [];
        parseExposition(text, { format: 'openmetrics', onSample: (name, labels, value, ts) => (digest.add(name, labels, value, ts), order.push(`${name}${JSON.stringify(labels)}`)) });
        return { digest: digest.value, order };
      };
      const snapshots = samplesOf(readFileSync(file, 'utf8'));
      const series = samplesOf(readFileSync(bySeries, 'utf8'));
      expect(series.digest).toBe(snapshots.digest);
      expect(series.order.slice(0, 5).every((s) => s === series.order[0])).toBe(true);
      expect(snapshots.order[1]).not.toBe(snapshots.order[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SampleDigest', () => {
  it('ignores order and label order, and tells any other difference', () => {
    const digest = (samples: [string, Record<string, string>, number, number | undefined][]) => {
      const d = new SampleDigest();
      for (const s of samples) d.add(...s);
      return d.value;
    };
    const base = digest([['a', { x: '1', y: '2' }, 1, undefined], ['b', {}, 2, 5]]);
    expect(digest([['b', {}, 2, 5], ['a', { y: '2', x: '1' }, 1, undefined]])).toBe(base);
    expect(digest([['a', { x: '1', y: '3' }, 1, undefined], ['b', {}, 2, 5]])).not.toBe(base);
    expect(digest([['a', { x: '1', y: '2' }, 1, undefined], ['b', {}, 2, 6]])).not.toBe(base);
    expect(digest([['a', { x: '1', y: '2' }, 1, undefined]])).not.toBe(base);
  });
});
