// Exposition parsing beside both peers on the same pages in one process: CPU seconds (medians of
// interleaved runs) and the samples each parser returns, compared in full on every page.

import { createRequire } from 'node:module';
import { parseExposition } from '../src/source/exposition.js';
import { SampleDigest, cpuSecondsSince, gc, median } from './measure.js';
import { expositionPage } from './pages.js';
import { type BenchRow, fmt } from './table.js';

const require = createRequire(import.meta.url);

type PeerFamily = { name: string; metrics: { value: string; labels?: Record<string, string>; timestamp_ms?: string }[] };
type P2jMetrics = Record<string, { data: { labels: Record<string, string>; value: number; timestamp?: number }[] }>;

const ignoreSample = (): void => {};

interface Parser {
  name: string;
  /** Parses the page fully (every label built) and adds each sample to the digest when given. */
  parse(text: string, digest?: SampleDigest): Promise<number>;
}

function loadParsers(): { parsers: Parser[]; missing: string[] } {
  const parsers: Parser[] = [
    {
      name: 'stormwatch',
      async parse(text, digest) {
        // Without a digest, one callback for every run (a closure made per run would be a new object
        // each time, which the peers' wrappers do not pay).
        const onSample = digest ? (name: string, labels: Record<string, string>, value: number, ts: number) => digest.add(name, labels, value, ts) : ignoreSample;
        return parseExposition(text, { format: 'text', onSample }).samples;
      },
    },
  ];
  const missing: string[] = [];
  try {
    const pptf = require('parse-prometheus-text-format') as (text: string) => PeerFamily[];
    parsers.push({
      name: 'parse-prometheus-text-format',
      async parse(text, digest) {
        const families = pptf(text);
        let n = 0;
        for (const f of families) {
          n += f.metrics.length;
          if (digest) for (const m of f.metrics) digest.add(f.name, m.labels ?? {}, Number(m.value), m.timestamp_ms === undefined ? undefined : Number(m.timestamp_ms));
        }
        return n;
      },
    });
  } catch {
    missing.push('parse-prometheus-text-format');
  }
  try {
    const p2j = require('prom2javascript') as { getMetricsFromIterator(lines: Iterator<string>): Promise<P2jMetrics> };
    parsers.push({
      name: 'prom2javascript',
      async parse(text, digest) {
        // Its input is an iterator of lines; splitting is native and cheap, so the peer is not slowed.
        const metrics = await p2j.getMetricsFromIterator(text.split('\n')[Symbol.iterator]());
        let n = 0;
        for (const [name, m] of Object.entries(metrics)) {
          n += m.data.length;
          if (digest) for (const d of m.data) digest.add(name, d.labels, d.value, d.timestamp);
        }
        return n;
      },
    });
  } catch {
    missing.push('prom2javascript');
  }
  return { parsers, missing };
}

/** Rows for pages of `sizesMb` megabytes, interleaved runs of each parser: more for small pages. */
export async function benchParsers(sizesMb: readonly number[], quick: boolean): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const { parsers, missing } = loadParsers();
  for (const m of missing) rows.push({ what: `parser peer ${m}`, stormwatch: '', peer: 'not installable here: left out', note: '' });
  for (const mb of sizesMb) {
    const { text, samples } = expositionPage(mb * 1024 * 1024);
    // Identity first: every parser's full set of samples (names, labels, values, timestamps).
    const digests = new Map<string, string>();
    for (const p of parsers) {
      const d = new SampleDigest();
      const n = await p.parse(text, d);
      if (n !== samples) throw new Error(`${p.name}: ${n} samples on a page of ${samples}`);
      digests.set(p.name, d.value);
      gc();
    }
    const ours = digests.get('stormwatch')!;
    const same = [...digests].filter(([name]) => name !== 'stormwatch').map(([name, d]) => `${name}: ${d === ours ? 'identical' : 'DIFFERENT'}`);
    const cpu = new Map<string, number[]>(parsers.map((p) => [p.name, []]));
    // At least five interleaved rounds: both parsers' times move from round to round (collections,
    // the machine), and the ratio of each round's pair shows how far (printed beside the median).
    const runs = Math.max(quick ? 2 : 5, Math.round((quick ? 10 : 40) / mb));
    for (let r = 0; r < runs; r++) {
      for (const p of parsers) {
        gc();
        const c = process.cpuUsage();
        await p.parse(text);
        cpu.get(p.name)!.push(cpuSecondsSince(c));
      }
    }
    const oursS = median(cpu.get('stormwatch')!);
    const mbps = (s: number) => `${fmt(text.length / 1024 / 1024 / s)} MB/s`;
    rows.push({ what: `parse a ${mb} MB page (${fmt(samples)} samples, 6 label shapes), CPU`, stormwatch: `${fmt(oursS)} s, ${mbps(oursS)}`, peer: '', note: `samples: ${same.join(', ')}` });
    for (const p of parsers.slice(1)) {
      const s = median(cpu.get(p.name)!);
      // Three digits and a verdict: rounded to two, 4.96x printed as 5x, a missed target read as met.
      const target = p.name === 'prom2javascript' ? 2 : 5;
      const ratio = s / oursS;
      const rounds = cpu.get(p.name)!.map((t, r) => t / cpu.get('stormwatch')![r]!);
      const below = rounds.filter((x) => x < target).length;
      rows.push({
        what: `  vs ${p.name}`,
        stormwatch: '',
        peer: `${fmt(s)} s, ${mbps(s)}`,
        note: `${fmt(ratio, 3)}x (target ${target}x: ${ratio >= target ? 'met' : 'not met'}); each round's pair ${fmt(Math.min(...rounds), 3)}-${fmt(Math.max(...rounds), 3)}x, under ${target}x in ${below} of ${rounds.length}`,
      });
    }
  }
  return rows;
}
