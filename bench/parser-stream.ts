// The scrape source's parse of a /metrics page whole against the same page streamed in chunks
// (exposition-stream.ts), interleaved in one process: CPU seconds, medians, and the samples'
// digest of each, which must agree. `node --expose-gc dist/bench/parser-stream.js [MB] [runs]`.

import { ExpositionStream } from '../src/source/exposition-stream.js';
import { parseExposition } from '../src/source/exposition.js';
import { SampleDigest, cpuSecondsSince, gc, median } from './measure.js';
import { expositionPage } from './pages.js';

const megabytes = Number(process.argv[2] ?? 20);
const runs = Number(process.argv[3] ?? 7);
const bytes = Buffer.from(expositionPage(megabytes * 1e6).text, 'utf8');

const ways: Record<string, (digest: SampleDigest) => void> = {
  whole: (digest) => void parseExposition(bytes.toString('utf8'), { format: 'text', onSample: (n, l, v, t) => digest.add(n, l, v, t) }),
  ...Object.fromEntries(
    [16_384, 65_536].map((chunk) => [
      `streamed ${chunk / 1024} KB chunks`,
      (digest: SampleDigest) => {
        const stream = new ExpositionStream({ format: 'text', onSample: (n, l, v, t) => digest.add(n, l, v, t) });
        for (let at = 0; at < bytes.length; at += chunk) stream.push(bytes.subarray(at, at + chunk));
        stream.end();
      },
    ]),
  ),
};
const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
const digests = new Set<string>();
for (let r = 0; r < runs; r++) {
  for (const [name, parse] of Object.entries(ways)) {
    gc();
    const digest = new SampleDigest();
    const c = process.cpuUsage();
    parse(digest);
    cpu[name]!.push(cpuSecondsSince(c));
    digests.add(digest.value);
  }
}
process.stdout.write(`page ${(bytes.length / 1e6).toFixed(1)} MB, ${runs} interleaved runs, Node ${process.version}\n`);
for (const [name, xs] of Object.entries(cpu)) process.stdout.write(`  ${name}: ${median(xs).toFixed(3)} s CPU (median)\n`);
process.stdout.write(digests.size === 1 ? `  samples identical (${[...digests][0]})\n` : `  SAMPLES DIFFER: ${[...digests].join(', ')}\n`);
process.exitCode = digests.size === 1 ? 0 : 1;
