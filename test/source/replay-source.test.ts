import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/core/errors.js';
import { LabelSetCache, parseExposition } from '../../src/source/exposition.js';
import { ReplayColumnsBuilder, snapshotsOfColumns } from '../../src/source/replay-columns.js';
import { ReplaySource, loadReplayColumns, readReplayColumns } from '../../src/source/replay-source.js';
import type { SignalConfig } from '../../src/config/load.js';
import { parseSelector } from '../../src/core/selector.js';
import { mulberry32 } from '../../scripts/sim/random.js';

const dir = mkdtempSync(join(tmpdir(), 'stormwatch-replay-'));

/**
 * A replay file of about 2 MB written family by family, as OpenMetrics orders it, with label values
 * in several scripts (multi-byte UTF-8 falls across chunk boundaries), a sample without a timestamp
 * and a malformed line. Returns the text and the lines that must be reported.
 */
function replayText(seed: number): { text: string; badLines: number[] } {
  const random = mulberry32(seed);
  const pods = ['web-1', 'größe-2', '日本-3', 'ünïcödé-4', 'plain-5'];
  const lines = ['# TYPE r counter'];
  const badLines: number[] = [];
  for (const code of ['200', '500']) {
    for (let k = 0; k < 2_500; k++) {
      for (const pod of pods) lines.push(`r_total{code="${code}",pod="${pod}"} ${Math.floor(random() * 1e6)} ${1_689_811_200 + k * 15}`);
      if (k === 1_234 && code === '500') {
        lines.push('r_total{code="500",pod="late"} 3');
        badLines.push(lines.length);
        lines.push('r_total{code="500" 3 1689811215');
        badLines.push(lines.length);
      }
    }
  }
  lines.push('# EOF');
  return { text: `${lines.join('\n')}\n`, badLines };
}

/** The reference: the whole text parsed at once, each sample added to columns. */
function referenceColumns(text: string) {
  const builder = new ReplayColumnsBuilder();
  const lines: number[] = [];
  const result = parseExposition(text, {
    format: 'openmetrics',
    labelCache: new LabelSetCache(),
    onSample: (name, labels, value, ts, line) => (Number.isNaN(ts) ? lines.push(line) : builder.add(name, labels, ts, value)),
  });
  return { columns: builder.finish([]), problemLines: [...lines, ...result.problems.map((p) => p.line)].sort((a, b) => a - b) };
}

describe('loadReplayColumns', () => {
  const { text, badLines } = replayText(7);
  const plain = join(dir, 'week.om');
  const gzipped = join(dir, 'week.om.gz');
  writeFileSync(plain, text);
  writeFileSync(gzipped, gzipSync(text));

  it('reads a plain and a gzipped file, streamed in chunks, as the whole text parsed at once', async () => {
    const reference = referenceColumns(text);
    expect(Buffer.byteLength(text)).toBeGreaterThan(4 << 18);
    for (const columns of [await loadReplayColumns(plain), await loadReplayColumns(gzipped), readReplayColumns(plain), readReplayColumns(gzipped)]) {
      expect(snapshotsOfColumns(columns)).toEqual(snapshotsOfColumns(reference.columns));
      expect(columns.problems.map((p) => p.line)).toEqual(reference.problemLines);
    }
  });

  it('names the line of each sample it cannot use', async () => {
    const columns = await loadReplayColumns(gzipped);
    expect(columns.problems.map((p) => p.line)).toEqual(badLines);
    expect(columns.problems[0]!.message).toContain('need a timestamp');
  });

  it('refuses a gzipped file cut short, naming the file', async () => {
    const whole = gzipSync(text);
    const cut = join(dir, 'cut.om.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await loadReplayColumns(cut).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toBe(`replay ${cut}: gzip: unexpected end of file (Z_BUF_ERROR)`);
  });

  it('refuses a file that is not there or not gzip after its magic number, naming the file', async () => {
    const missing = join(dir, 'missing.om');
    await expect(loadReplayColumns(missing)).rejects.toThrow(`replay ${missing}: no such file (ENOENT)`);
    const directory = join(dir, 'a-directory.om');
    mkdirSync(directory);
    await expect(loadReplayColumns(directory)).rejects.toThrow(`replay ${directory}: a directory, not a file (EISDIR)`);
    const notGzip = join(dir, 'not.gz');
    writeFileSync(notGzip, Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip')]));
    await expect(loadReplayColumns(notGzip)).rejects.toThrow(new RegExp(`^replay ${notGzip}: gzip: .*\\(Z_DATA_ERROR\\)$`));
  });

  it('says when the file has no "# EOF" line (cut short without gzip)', async () => {
    const cut = join(dir, 'cut.om');
    writeFileSync(cut, text.slice(0, text.length >> 1));
    const columns = await loadReplayColumns(cut);
    expect(columns.problems[0]).toEqual({ line: 0, message: 'no "# EOF" line: the file may be truncated' });
    // An empty file is not one cut short: its only problem is that it holds nothing (the caller's error).
    const empty = join(dir, 'empty.om');
    writeFileSync(empty, '');
    expect((await loadReplayColumns(empty)).problems).toEqual([]);
  });

  it('keeps none of the text of a file written series by series (each series begins in a piece of its own)', async () => {
    // As OpenMetrics requires: every sample of one series, then the next. Each series' text
    // (about 100 KB) is longer than a parsed piece (64 KB), so every series is first met in a new
    // piece; a name or message cut from a piece and kept with the columns keeps all 64 KB of it.
    const series = 160;
    const lines = ['# TYPE app_requests counter'];
    for (let s = 0; s < series; s++) {
      for (let k = 0; k < 2_000; k++) lines.push(`app_requests_total{code="200",route="/api/v1/route-${s}"} ${k * 7 + s} ${1_689_811_200 + k * 15}`);
      // Problems the parser (a malformed line) and the reader (no timestamp) report, spread likewise.
      if (s % 2 === 0) lines.push(`app_requests_total{code="200",route="/api/v1/route-${s}"} 3`);
      if (s % 2 === 1) lines.push(`app_requests_total{code="200",route="/api/v1/route-${s}"} 3 1689811215 12`);
    }
    lines.push('# EOF');
    const file = join(dir, 'series-by-series.om');
    const text = `${lines.join('\n')}\n`;
    writeFileSync(file, text);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const columns = await loadReplayColumns(file);
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(columns.series.length).toBe(series);
    expect(columns.problems.filter((p) => p.message.includes('need a timestamp'))).toHaveLength(series / 2);
    expect(columns.problems.filter((p) => p.message.includes('unexpected text after the timestamp'))).toHaveLength(series / 2);
    expect(snapshotsOfColumns(columns)[1]![1]).toHaveLength(series);
    // Pieces held: one per series and one per problem, 10 and 10 MB; the series and problems themselves: tens of KB.
    expect(text.length).toBeGreaterThan(series * (64 << 10));
    expect(retained).toBeLessThan(2 << 20);
  });

  it('reads the output of promtool tsdb dump as the same samples as the OpenMetrics it came from', async () => {
    // The dump writes series by series, the name among the labels, timestamps in milliseconds.
    const series = [
      { om: 'r_total{code="200",pod="größe-2"}', dump: '{__name__="r_total", code="200", pod="größe-2"}' },
      { om: 'r_total{code="500",pod="größe-2"}', dump: '{__name__="r_total", code="500", pod="größe-2"}' },
      { om: 'c_total', dump: '{__name__="c_total"}' },
    ];
    const om = ['# TYPE r counter', '# TYPE c counter'];
    const dump: string[] = [];
    for (let k = 0; k < 3_000; k++) for (const s of series) om.push(`${s.om} ${k * 3} ${1_689_811_200 + k * 15}`);
    for (const s of series) for (let k = 0; k < 3_000; k++) dump.push(`${s.dump} ${k * 3} ${(1_689_811_200 + k * 15) * 1000}`);
    dump.push('{__name__="r_total", code="200", pod="größe-2"} NaN 1689856215000');
    const omFile = join(dir, 'from.om');
    const dumpFile = join(dir, 'dump.txt');
    writeFileSync(omFile, `${om.join('\n')}\n# EOF\n`);
    writeFileSync(dumpFile, `${dump.join('\n')}\n`);
    writeFileSync(`${dumpFile}.gz`, gzipSync(`${dump.join('\n')}\n`));
    const expected = snapshotsOfColumns(await loadReplayColumns(omFile));
    for (const read of [await loadReplayColumns(dumpFile), await loadReplayColumns(`${dumpFile}.gz`), readReplayColumns(dumpFile)]) {
      expect(snapshotsOfColumns(read)).toEqual(expected);
      // No terminator is asked of a dump; the stale marker (NaN) is the one problem, on its line.
      expect(read.problems).toEqual([{ line: 9_001, message: 'r_total: value NaN is not a finite number; sample skipped' }]);
    }
  });
});

describe('replay files as they come', () => {
  const lines = (rows: string[]) => `${rows.join('\n')}\n`;
  const om = lines(['# TYPE r counter', 'r_total{pod="a"} 10 1689811200', 'r_total{pod="b"} 20 1689811200', 'r_total{pod="a"} 25 1689811215', 'r_total{pod="b"} 50 1689811215', '# EOF']);
  const write = (name: string, text: string | Buffer) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('reads a file through a pipe (no size, no reads at a position)', async () => {
    const fifo = join(dir, 'pipe.om');
    execFileSync('mkfifo', [fifo]);
    const plain = write('plain.om', om);
    // Another process writes it (the read blocks this one's event loop until the pipe has data).
    spawn('sh', ['-c', `cat '${plain}' > '${fifo}'`], { stdio: 'ignore' });
    const columns = await loadReplayColumns(fifo);
    expect(snapshotsOfColumns(columns)).toEqual(snapshotsOfColumns(await loadReplayColumns(plain)));
  });

  it('reads past a byte order mark: the first line is kept', async () => {
    const columns = await loadReplayColumns(write('bom.om', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(om)])));
    expect(columns.problems).toEqual([]);
    expect(columns.values.length).toBe(4);
  });

  it('keeps the first of two samples of a series at one timestamp, and names the second\'s line', async () => {
    const twice = lines(['r_total{pod="a"} 10 1689811200', 'r_total{pod="a"} 10 1689811200', 'r_total{pod="a"} 99 1689811200', 'r_total{pod="a"} 25 1689811215', '# EOF']);
    const columns = await loadReplayColumns(write('twice.om', twice));
    expect([...columns.values]).toEqual([10, 25]);
    expect(columns.problems).toEqual([
      { line: 2, message: 'r_total{pod="a"}: a second sample at 2023-07-20T00:00:00.000Z; the first is kept' },
      { line: 3, message: 'r_total{pod="a"}: a second sample at 2023-07-20T00:00:00.000Z; the first is kept' },
    ]);
  });

  it('refuses, naming its line, a sample older than its series\' latest (out of order, as Prometheus refuses it) and a duplicate lines after the first', async () => {
    const text = lines([
      'r_total{pod="a"} 10 1689811200',
      'r_total{pod="b"} 10 1689811200',
      'r_total{pod="a"} 25 1689811215',
      'r_total{pod="b"} 25 1689811215',
      // Sorted into place, a counter that went back read as a reset, then a 500x surge.
      'r_total{pod="a"} 9000 1689811207',
      'r_total{pod="a"} 40 1689811230',
      'r_total{pod="b"} 40 1689811230',
      'r_total{pod="a"} 25 1689811215',
      '# EOF',
    ]);
    const columns = await loadReplayColumns(write('disorder.om', text));
    expect(snapshotsOfColumns(columns).map(([t, samples]) => [t, samples.map((x) => x.value)])).toEqual([
      [Date.parse('2023-07-20T00:00:00Z'), [10, 10]],
      [Date.parse('2023-07-20T00:00:15Z'), [25, 25]],
      [Date.parse('2023-07-20T00:00:30Z'), [40, 40]],
    ]);
    expect(columns.problems).toEqual([
      { line: 5, message: 'r_total{pod="a"}: a sample at 2023-07-20T00:00:07.000Z after one at 2023-07-20T00:00:15.000Z (out of order, as Prometheus refuses it); skipped' },
      { line: 8, message: 'r_total{pod="a"}: a sample at 2023-07-20T00:00:15.000Z after one at 2023-07-20T00:00:30.000Z (out of order, as Prometheus refuses it); skipped' },
    ]);
  });

  it("refuses a watched counter's negative value by its line", async () => {
    const columns = await loadReplayColumns(write('negative.om', lines(['r_total{pod="a"} 10 1689811200', 'r_total{pod="a"} -5 1689811215', 'r_total{pod="a"} 25 1689811230', '# EOF'])));
    expect([...columns.values]).toEqual([10, 25]);
    expect(columns.problems).toEqual([{ line: 2, message: 'r_total: value -5 is negative, which a counter never is; sample skipped' }]);
  });

  it('reads timestamps written in the other unit as that unit, and refuses times outside 1970-9999 by line', async () => {
    const seconds = await loadReplayColumns(write('s.om', om));
    // Milliseconds where OpenMetrics wants seconds (the text format's unit, /federate's).
    const ms = await loadReplayColumns(write('ms.om', om.replace(/ (1689811\d+)$/gm, ' $1000')));
    expect([...ms.timesMs]).toEqual([...seconds.timesMs]);
    // Seconds in a dump, whose unit is milliseconds.
    const dump = await loadReplayColumns(write('s.dump', lines(['{__name__="r_total", pod="a"} 10 1689811200', '{__name__="r_total", pod="a"} 25 1689811215'])));
    expect([...dump.timesMs]).toEqual([Date.parse('2023-07-20T00:00:00Z'), Date.parse('2023-07-20T00:00:15Z')]);
    const far = await loadReplayColumns(write('far.om', om.replace('r_total{pod="b"} 50 1689811215', 'r_total{pod="b"} 50 1e20')));
    expect(far.problems).toEqual([{ line: 5, message: 'r_total: timestamp 100000000000000000000 is before 1970 or after 9999 in seconds and in milliseconds; sample skipped' }]);
    expect(far.values.length).toBe(3);
  });

  it('reads on past the # EOF of the first of two files joined together, and says so on the line after it', async () => {
    const second = om.replace(/1689811215/g, '1689811245').replace(/1689811200/g, '1689811230');
    const columns = await loadReplayColumns(write('joined.om', om + second));
    expect(columns.values.length).toBe(8);
    expect(columns.problems).toEqual([{ line: 7, message: 'content after # EOF (files joined together?): read on' }]);
  });

  it('cuts input quoted in a problem to what a log line holds', async () => {
    const long = 'x'.repeat(100_000);
    const columns = await loadReplayColumns(write('long.om', lines([`${long}1 2 3 4`, '# EOF'])));
    expect(columns.problems[0]!.message.length).toBeLessThan(300);
    expect(columns.problems[0]!.message).toContain('(100001 characters)');
  });
});

describe('ReplaySource frames', () => {
  const signal: SignalConfig = {
    name: 'api',
    labels: {},
    inputs: { requests: { selector: parseSelector('api_requests_total'), query: '' }, downstream: { selector: parseSelector('static_requests_total'), query: '' } },
    clients: [],
    by: [],
  };
  /** Two jobs scraped `offsetS` apart each 15 s round, both counting 10 requests a second. */
  const twoJobs = (offsetS: number, rounds = 8, skipStaticAt = -1) => {
    const rows: string[] = [];
    for (let k = 0; k < rounds; k++) {
      const t = 1_689_811_200 + 15 * k;
      rows.push(`api_requests_total{pod="a"} ${150 * k} ${t}`);
      if (k !== skipStaticAt) rows.push(`static_requests_total{pod="s"} ${150 * k} ${t + offsetS}`);
    }
    return `${rows.join('\n')}\n# EOF\n`;
  };
  const frames = async (text: string, stepMs: number) => {
    const file = join(dir, `jobs-${Math.random()}.om`);
    writeFileSync(file, text);
    const out: { timeMs: number; requests: number; downstream: number }[] = [];
    for await (const f of new ReplaySource(await loadReplayColumns(file), [signal]).history(-Infinity, Infinity, stepMs)) {
      const s = f.signals.get('api')!;
      out.push({ timeMs: f.timeMs, requests: s.requests, downstream: s.downstream ?? Number.NaN });
    }
    return out;
  };

  it('reads two jobs scraped 7 s apart as one frame a round, at the later time, both known', async () => {
    const read = await frames(twoJobs(7), 15_000);
    expect(read.length).toBe(8);
    expect(read.map((f) => f.timeMs - read[0]!.timeMs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => k * 15_000));
    expect(read[0]!.timeMs).toBe(Date.parse('2023-07-20T00:00:07Z'));
    for (const f of read.slice(1)) {
      expect(f.requests).toBeCloseTo(10, 10);
      expect(f.downstream).toBeCloseTo(10, 10);
    }
  });

  it('gives a frame a timestamp when the file steps by the interval, or finer, as before', async () => {
    const aligned = await frames(twoJobs(0), 15_000);
    expect(aligned.map((f) => f.timeMs)).toEqual(Array.from({ length: 8 }, (_, k) => Date.parse('2023-07-20T00:00:00Z') + k * 15_000));
    // Without a step each timestamp is a frame of its own (a job half the time).
    expect((await frames(twoJobs(7), 0)).length).toBe(16);
  });

  it('reads a round whose second job was not scraped as missing downstream data, not as zero', async () => {
    const read = await frames(twoJobs(7, 8, 4), 15_000);
    expect(read.length).toBe(8);
    expect(read[4]!.downstream).toBeNaN();
    expect(read[5]!.downstream).toBeCloseTo(10, 10);
  });
});
