import { describe, expect, it } from 'vitest';
import { SnapshotFrameBuilder } from '../../src/series/snapshot-frames.js';
import { parseSelector } from '../../src/core/selector.js';

function snapshot(b: SnapshotFrameBuilder, t: number, samples: [string, Record<string, string>, number][]) {
  b.begin();
  for (const [name, labels, value] of samples) b.offer(name, labels, value);
  return b.end(t);
}

describe('SnapshotFrameBuilder', () => {
  it("names the errors selectors whose metric no series has had, not those whose metric has no error yet", () => {
    const b = new SnapshotFrameBuilder([
      { name: 'api', by: [], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{code=~"5.."}') } },
      { name: 'web', by: [], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_request_total{code=~"5.."}') } },
      { name: 'any', by: [], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('{__name__=~"errs?_total"}') } },
    ]);
    expect(b.absentErrorMetrics().map((a) => a.signal)).toEqual(['api', 'web']);
    snapshot(b, 0, [['http_requests_total', { code: '200' }, 1]]);
    expect(b.absentErrorMetrics()).toEqual([{ signal: 'web', metric: 'http_request_total', selector: 'http_request_total{code=~"5.."}' }]);
  });

  it('names the errors selectors requiring a label no series of their metric has had (a misspelt label), with the labels seen', () => {
    const b = new SnapshotFrameBuilder([
      { name: 'api', by: [], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{status=~"5..", job!="batch"}') } },
      { name: 'web', by: [], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{code=~"5.."}') } },
    ]);
    snapshot(b, 0, [
      ['http_requests_total', { code: '200', route: '/a' }, 1],
      ['http_requests_total', { code: '200', route: '/b', status: '' }, 1],
    ]);
    // web's code is there (no 5xx yet is not a problem); api's status is not (an empty value is no label).
    expect(b.absentErrorMetrics()).toEqual([
      { signal: 'api', metric: 'http_requests_total', selector: 'http_requests_total{status=~"5..", job!="batch"}', missingLabels: ['status'], labelsSeen: ['code', 'route'] },
    ]);
    snapshot(b, 10_000, [
      ['http_requests_total', { code: '200', route: '/a' }, 2],
      ['http_requests_total', { status: '200', route: '/c' }, 1],
    ]);
    expect(b.absentErrorMetrics()).toEqual([]);
  });

  it('splits a signal by labels: one series per label set, vanished ones read as no data, never zero traffic', () => {
    const b = new SnapshotFrameBuilder([{ name: 'api', by: ['route'], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{code=~"5.."}') } }]);
    snapshot(b, 0, [
      ['http_requests_total', { route: '/a', code: '200', pod: '1' }, 100],
      ['http_requests_total', { route: '/a', code: '200', pod: '2' }, 100],
      ['http_requests_total', { route: '/b', code: '500', pod: '1' }, 10],
    ]);
    const f = snapshot(b, 10_000, [
      ['http_requests_total', { route: '/a', code: '200', pod: '1' }, 150],
      ['http_requests_total', { route: '/a', code: '200', pod: '2' }, 130],
    ]);
    expect([...f.series!.entries()]).toEqual([
      ['api{route="/a"}', { signal: 'api', labels: { route: '/a' } }],
      ['api{route="/b"}', { signal: 'api', labels: { route: '/b' } }],
    ]);
    expect(f.signals.get('api{route="/a"}')).toEqual({ requests: 8, errors: 0, downstream: Number.NaN });
    expect(f.signals.get('api{route="/b"}')).toEqual({ requests: Number.NaN, errors: 0, downstream: Number.NaN });
  });

  it('feeds one series to every group it matches: two inputs of a signal and another signal', () => {
    const b = new SnapshotFrameBuilder([
      { name: 'api', by: ['route'], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{code="500"}') } },
      { name: 'all', inputs: { requests: parseSelector('http_requests_total') } },
    ]);
    snapshot(b, 0, [['http_requests_total', { route: '/b', code: '500' }, 10]]);
    const f = snapshot(b, 10_000, [['http_requests_total', { route: '/b', code: '500' }, 30]]);
    expect(f.signals.get('api{route="/b"}')).toEqual({ requests: 2, errors: 2, downstream: Number.NaN });
    expect(f.signals.get('all')!.requests).toBe(2);
  });

  it('forgets a label set unseen for longer than the forget time', () => {
    const b = new SnapshotFrameBuilder([{ name: 'api', by: ['pod'], inputs: { requests: parseSelector('r_total') } }], [], 60_000);
    snapshot(b, 0, [['r_total', { pod: 'a' }, 1], ['r_total', { pod: 'b' }, 1]]);
    expect([...snapshot(b, 30_000, [['r_total', { pod: 'a' }, 2]]).signals.keys()]).toEqual(['api{pod="a"}', 'api{pod="b"}']);
    expect([...snapshot(b, 90_000, [['r_total', { pod: 'a' }, 3]]).signals.keys()]).toEqual(['api{pod="a"}']);
  });

  it('collects deploy-marker series', () => {
    const b = new SnapshotFrameBuilder([], [{ name: 'build', selector: parseSelector('build_info') }]);
    const f = snapshot(b, 0, [['build_info', { version: '1.2' }, 1], ['other', {}, 1]]);
    expect(f.markers!.get('build')).toEqual([{ labels: { version: '1.2' }, value: 1 }]);
  });
});

describe('SnapshotFrameBuilder with label sets resolved once', () => {
  it('builds the same frames from shared frozen label sets as from fresh objects, a forgotten group included', () => {
    const signals = [{ name: 'api', by: ['route'], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{code=~"5.."}') } }];
    const fresh = new SnapshotFrameBuilder(signals, [], 30_000);
    const shared = new SnapshotFrameBuilder(signals, [], 30_000);
    const a = Object.freeze({ route: '/a', code: '200' });
    const b = Object.freeze({ route: '/b', code: '500' });
    // /b goes away for longer than the forget time and comes back: its group is made anew.
    const plan: [number, [Record<string, string>, number][]][] = [
      [0, [[a, 10], [b, 1]]],
      [10_000, [[a, 20], [b, 3]]],
      [20_000, [[a, 30]]],
      [60_000, [[a, 40]]],
      [70_000, [[a, 50], [b, 4]]],
      [80_000, [[a, 60], [b, 9]]],
    ];
    for (const [t, samples] of plan) {
      const viaFresh = snapshot(fresh, t, samples.map(([l, v]) => ['http_requests_total', { ...l }, v]));
      const viaShared = snapshot(shared, t, samples.map(([l, v]) => ['http_requests_total', l, v]));
      expect(viaShared).toEqual(viaFresh);
    }
    expect(snapshot(shared, 90_000, [['http_requests_total', b, 12]]).signals.get('api{route="/b"}')!.requests).toBeCloseTo(0.3);
  });

  it('gives a series a counter again when a compaction let its member go while its label set was kept: the same frames as from fresh objects', () => {
    // One signal fed by pods: 80 of them, then one alone (past 2 × 1 + 64 members, those that missed
    // the snapshot are let go), then two come back, each with the label set object it had.
    const signals = [{ name: 'api', inputs: { requests: parseSelector('r_total') } }];
    const fresh = new SnapshotFrameBuilder(signals);
    const shared = new SnapshotFrameBuilder(signals);
    const pods = Array.from({ length: 80 }, (_, k) => Object.freeze({ pod: `p${k}` }));
    const plan: [number, [number, number][]][] = [
      [0, pods.map((_, k): [number, number] => [k, 100])],
      [10_000, [[0, 110]]],
      [20_000, [[0, 120]]],
      [30_000, [[0, 130], [1, 105], [2, 7]]],
      [40_000, [[0, 140], [1, 115], [2, 17]]],
      [50_000, [[0, 150], [1, 125], [2, 27]]],
    ];
    const rates: number[] = [];
    for (const [t, samples] of plan) {
      const viaFresh = snapshot(fresh, t, samples.map(([k, v]) => ['r_total', { ...pods[k]! }, v]));
      const viaShared = snapshot(shared, t, samples.map(([k, v]) => ['r_total', pods[k]!, v]));
      expect(viaShared).toEqual(viaFresh);
      rates.push(viaShared.signals.get('api')!.requests);
    }
    // 79 pods gone at 10 s: unknown. Back at 30 s, p1 and p2 read as first seen (105 and 7, each at
    // most p0's increment of 10), then as series of their own again: 10 + 10 + 10 each 10 s.
    expect(rates).toEqual([Number.NaN, Number.NaN, 1, (10 + 10 + 7) / 10, 3, 3]);
  });

  it('builds the same frames from series offered by number as from label sets, a forgotten group included', () => {
    const signals = [{ name: 'api', by: ['route'], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{code=~"5.."}') } }];
    const markers = [{ name: 'build', selector: parseSelector('build_info') }];
    const byLabels = new SnapshotFrameBuilder(signals, markers, 30_000);
    const byNumber = new SnapshotFrameBuilder(signals, markers, 30_000);
    const series: { name: string; labels: Record<string, string> }[] = [
      { name: 'http_requests_total', labels: { route: '/a', code: '200' } },
      { name: 'http_requests_total', labels: { route: '/b', code: '500' } },
      { name: 'build_info', labels: { version: '1' } },
      { name: 'other_total', labels: {} },
    ];
    // /b goes away for longer than the forget time and comes back: its group is made anew.
    const plan: [number, [number, number][]][] = [
      [0, [[0, 10], [1, 1], [2, 1], [3, 5]]],
      [10_000, [[0, 20], [1, 3], [2, 1]]],
      [20_000, [[0, 30]]],
      [60_000, [[0, 40], [3, 9]]],
      [70_000, [[0, 50], [1, 4], [2, 1]]],
      [80_000, [[1, 9], [0, 60]]],
      [90_000, [[1, 12]]],
    ];
    for (const [t, samples] of plan) {
      const viaLabels = snapshot(byLabels, t, samples.map(([id, v]) => [series[id]!.name, { ...series[id]!.labels }, v]));
      byNumber.begin();
      for (const [id, v] of samples) byNumber.offerSeries(id, series[id]!, v);
      expect(byNumber.end(t)).toEqual(viaLabels);
    }
  });

  it('reads the same frames whatever order a page lists its series in, and as series come and go between scrapes', () => {
    const signals = [{ name: 'api', by: ['route'], inputs: { requests: parseSelector('http_requests_total'), errors: parseSelector('http_requests_total{code=~"5.."}'), downstream: parseSelector('done_total') } }];
    const plain = new SnapshotFrameBuilder(signals, [], 30_000);
    const frozen = new SnapshotFrameBuilder(signals, [], 30_000);
    // Frozen label sets, one object each, as a parser's LabelSetCache hands them out.
    const series: [string, Readonly<Record<string, string>>][] = [];
    for (let r = 0; r < 12; r++) {
      series.push(['http_requests_total', Object.freeze({ route: `/${r}`, code: '200' })], ['http_requests_total', Object.freeze({ route: `/${r}`, code: '500' })]);
      series.push(['done_total', Object.freeze({ route: `/${r}` })]);
    }
    const totals = series.map(() => 0);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 40; k++) {
      // Most scrapes list the same series in the same order; some swap two, some leave series out
      // (the sequence's places shift), some list them all in a new order.
      const order = series.map((_, i) => i);
      const change = random();
      if (change < 0.15) order.sort(() => random() - 0.5);
      else if (change < 0.3) {
        const i = Math.floor(random() * order.length);
        const j = Math.floor(random() * order.length);
        [order[i], order[j]] = [order[j]!, order[i]!];
      } else if (change < 0.45) order.splice(Math.floor(random() * order.length), 1 + Math.floor(random() * 4));
      plain.begin();
      frozen.begin();
      for (const i of order) {
        totals[i]! += Math.floor(random() * 20);
        const [name, labels] = series[i]!;
        // A repeated sample of a series now and then: only the first counts, in both.
        const repeats = random() < 0.05 ? 2 : 1;
        for (let r = 0; r < repeats; r++) {
          expect(frozen.offerOnce(name, labels, totals[i]! + r, i)).toEqual(plain.offerOnce(name, { ...labels }, totals[i]! + r, i));
        }
      }
      expect(frozen.end(k * 10_000)).toEqual(plain.end(k * 10_000));
    }
  });

  it('offers a series once a snapshot: later samples of the same name and label set are dropped with the first one\'s line, frozen (from a label cache) or not', () => {
    const b = new SnapshotFrameBuilder([{ name: 'api', by: ['pod'], inputs: { requests: parseSelector('a_total'), errors: parseSelector('b_total') } }]);
    const pod = Object.freeze({ pod: 'a' });
    const page = (values: number[]) => {
      b.begin();
      const firstLines = [
        b.offerOnce('a_total', pod, values[0]!, 1),
        b.offerOnce('b_total', pod, values[1]!, 2),
        b.offerOnce('a_total', pod, 999, 3),
        b.offerOnce('b_total', pod, 999, 4),
        b.offerOnce('c_total', pod, 5, 5),
        b.offerOnce('a_total', { pod: 'b' }, values[2]!, 6),
        b.offerOnce('a_total', { pod: 'b' }, 999, 7),
      ];
      return { firstLines, frame: b.end(values[3]!) };
    };
    const first = page([100, 1, 50, 0]);
    expect(first.firstLines).toEqual([undefined, undefined, 1, 2, undefined, undefined, 6]);
    // The next snapshot offers each series afresh; rates come from the first samples only (never the 999s).
    const second = page([130, 4, 80, 10_000]);
    expect(second.firstLines).toEqual([undefined, undefined, 1, 2, undefined, undefined, 6]);
    expect(second.frame.signals.get('api{pod="a"}')).toEqual({ requests: 3, errors: 0.3, downstream: Number.NaN });
    expect(second.frame.signals.get('api{pod="b"}')).toEqual({ requests: 3, errors: 0, downstream: Number.NaN });
  });
});

