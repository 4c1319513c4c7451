// `npm run nab`: runs stormwatch's own pipeline (replay backtest, evidence detector, seasonal
// profile, alert decisions) over the NAB series in ../shared/nab-dev (or --nab DIR), writes NAB
// result files for the anomaly score and for the pages, and scores them with NAB's scorer
// (score.mjs there): the anomaly score with each profile's threshold swept as NAB does, the pages
// at a fixed threshold (a page is a detection at the tick it starts to fire; its updates are the
// same incident and no detection, see isPage). One configuration for all
// series (fixtures/configs/nab.replay.yaml, detector defaults): nothing is tuned per file.
//
// The ten series are split in two halves, fixed before any design choice was measured: a design
// half (what the score's design was looked at on) and a held-out half (reported, not looked at
// while designing). Scores are printed for both halves and for all ten.
//
// With --more NAB_DIR (a checkout of numenta/NAB: data/ and labels/combined_windows.json), the
// NAB series outside the ten are run too and scored by the same scorer: the 8 request-rate-like
// ones (REQUEST_RATE_LIKE) and every readable one (files NAB stores with repeated timestamps or
// negative values are skipped and named).
//
//   npm run nab [-- --nab DIR] [--out DIR] [--more NAB_DIR] [--detail]
//
// --detail also writes, per series, each tick's rate, expectation, σ, z, rate alarms and score
// (OUT/detail/<file>: what the score and the baseline did around a window), and prints the
// standard profile's per-file breakdown (windows hit, false rows, where each window was found).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { FIXTURES_DIR } from '../src/core/paths.js';
import { runBacktest } from '../src/runner/backtest.js';
import { NAB_DETAIL_HEADER, isPage, nabDetailRow, nabReplayData, nabResultCsv, parseNabCsv } from './scorecard/nab.js';

/** Chosen by file name before anything was measured: one of each kind in each half where there are two. */
export const DESIGN_HALF = [
  'realKnownCause/nyc_taxi.csv',
  'realTweets/Twitter_volume_AAPL.csv',
  'realTweets/Twitter_volume_GOOG.csv',
  'realAWSCloudwatch/ec2_network_in_257a54.csv',
  'artificialNoAnomaly/art_daily_no_noise.csv',
];
export const HELD_OUT_HALF = [
  'realTweets/Twitter_volume_AMZN.csv',
  'realTweets/Twitter_volume_FB.csv',
  'realTweets/Twitter_volume_IBM.csv',
  'artificialWithAnomaly/art_load_balancer_spikes.csv',
  'artificialNoAnomaly/art_noisy.csv',
];
/** NAB series outside the ten that are request-rate-like (counts per period), reported apart with --more. */
export const REQUEST_RATE_LIKE = [
  'realTweets/Twitter_volume_CRM.csv',
  'realTweets/Twitter_volume_CVS.csv',
  'realTweets/Twitter_volume_KO.csv',
  'realTweets/Twitter_volume_PFE.csv',
  'realTweets/Twitter_volume_UPS.csv',
  'realAWSCloudwatch/elb_request_count_8c0756.csv',
  'realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv',
  'realAWSCloudwatch/ec2_disk_write_bytes_c0d644.csv',
];
const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

interface Scored {
  [profile: string]: { score: number; threshold?: number };
}

async function runSeries(nabDir: string, file: string, scoresDir: string, pagesDir: string, detailDir?: string): Promise<{ rows: number; pages: number }> {
  const series = parseNabCsv(readFileSync(join(nabDir, 'data', file), 'utf8'), file);
  const base = loadConfig(join(FIXTURES_DIR, 'configs', 'nab.replay.yaml'));
  const config = { ...base, intervalMs: series.stepMs };
  const scores = new Map<number, number>();
  const pages = new Map<number, number>();
  let detail = NAB_DETAIL_HEADER;
  await runBacktest(config, {
    data: nabReplayData(series),
    logger: silentLogger,
    onTick: (r) => {
      const report = r.signals.get('nab');
      if (report) scores.set(r.timeMs, report.anomalyScore ?? Number.NaN);
      if (report && detailDir) detail += nabDetailRow(r.timeMs, series.stepMs, report.sample.requests, report.evaluations, report.anomalyScore);
    },
    onTransition: (t) => {
      if (isPage(t)) pages.set(t.evaluatedAtMs, 1);
    },
  });
  for (const [dir, values] of [[scoresDir, scores], [pagesDir, pages]] as const) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), nabResultCsv(series, values));
  }
  if (detailDir) {
    mkdirSync(dirname(join(detailDir, file)), { recursive: true });
    writeFileSync(join(detailDir, file), detail);
  }
  return { rows: series.timesMs.length, pages: pages.size };
}

function score(nabDir: string, resultsDir: string, only: string[], threshold?: number, dataRoot?: string): Scored {
  const where = dataRoot ? ['--data', join(dataRoot, 'data'), '--windows', join(dataRoot, 'labels', 'combined_windows.json')] : ['--root', nabDir];
  const args = [join(nabDir, 'score.mjs'), resultsDir, ...where, '--json', '--only', only.join(',')];
  if (threshold !== undefined) args.push('--threshold', String(threshold));
  const out = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 })) as unknown;
  return scoresOf(out);
}

/** score.mjs's per-file breakdown of the standard profile at its swept threshold (hits, false rows, where each window was first detected). */
function perFile(nabDir: string, resultsDir: string, only: string[], dataRoot?: string): string {
  const where = dataRoot ? ['--data', join(dataRoot, 'data'), '--windows', join(dataRoot, 'labels', 'combined_windows.json')] : ['--root', nabDir];
  const text = execFileSync(process.execPath, [join(nabDir, 'score.mjs'), resultsDir, ...where, '--per-file', '--only', only.join(',')], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const start = text.indexOf('per-file (standard');
  if (start < 0) return '';
  const end = text.indexOf('\n\n', start);
  return text.slice(start, end < 0 ? undefined : end);
}

/** The per-profile normalised corpus scores (and swept thresholds) of score.mjs's --json output. */
function scoresOf(json: unknown): Scored {
  const profiles = (json as { profiles?: Record<string, { normalized?: unknown; threshold?: unknown }> }).profiles ?? {};
  const found: Scored = {};
  for (const p of PROFILES) {
    const x = profiles[p];
    if (typeof x?.normalized === 'number') found[p] = { score: x.normalized, ...(typeof x.threshold === 'number' ? { threshold: x.threshold } : {}) };
  }
  return found;
}

function fmt(s: Scored): string[] {
  return PROFILES.map((p) => (s[p] ? `${s[p]!.score.toFixed(1)}${s[p]!.threshold !== undefined ? ` (t=${s[p]!.threshold!.toPrecision(3)})` : ''}` : '-'));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { nab: { type: 'string' }, out: { type: 'string' }, more: { type: 'string' }, detail: { type: 'boolean' } } });
  const nabDir = values.nab ?? join(process.cwd(), '..', 'shared', 'nab-dev');
  const outDir = values.out ?? mkdtempSync(join(tmpdir(), 'stormwatch-nab-'));
  const scoresDir = join(outDir, 'anomaly-score');
  const pagesDir = join(outDir, 'pages');
  const started = Date.now();
  for (const file of [...DESIGN_HALF, ...HELD_OUT_HALF]) {
    const r = await runSeries(nabDir, file, scoresDir, pagesDir, values.detail ? join(outDir, 'detail') : undefined);
    process.stdout.write(`${file}: ${r.rows} rows, ${r.pages} page(s)\n`);
  }
  const rows: string[][] = [];
  for (const [name, only] of [['design half (5)', DESIGN_HALF], ['held-out half (5)', HELD_OUT_HALF], ['all ten', [...DESIGN_HALF, ...HELD_OUT_HALF]]] as const) {
    rows.push([`anomaly score, threshold swept: ${name}`, ...fmt(score(nabDir, scoresDir, [...only]))]);
    rows.push([`pages (a page = a detection): ${name}`, ...fmt(score(nabDir, pagesDir, [...only], 0.5))]);
  }
  if (values.more) {
    const ten = new Set([...DESIGN_HALF, ...HELD_OUT_HALF]);
    const readable: string[] = [];
    const dataDir = join(values.more, 'data');
    if (!existsSync(join(values.more, 'labels', 'combined_windows.json'))) throw new Error(`${values.more}: expected a NAB checkout with labels/combined_windows.json`);
    for (const category of readdirSync(dataDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
      for (const name of readdirSync(join(dataDir, category)).filter((f) => f.endsWith('.csv')).sort()) {
        const file = `${category}/${name}`;
        if (ten.has(file)) continue;
        try {
          const r = await runSeries(values.more, file, join(outDir, 'more', 'anomaly-score'), join(outDir, 'more', 'pages'), values.detail ? join(outDir, 'more', 'detail') : undefined);
          readable.push(file);
          process.stdout.write(`${file}: ${r.rows} rows, ${r.pages} page(s)\n`);
        } catch (e) {
          process.stdout.write(`${file}: skipped (${(e as Error).message})\n`);
        }
      }
    }
    const rateLike = REQUEST_RATE_LIKE.filter((f) => readable.includes(f));
    for (const [name, only] of [[`request-rate-like outside the ten (${rateLike.length})`, rateLike], [`all readable outside the ten (${readable.length})`, readable]] as const) {
      rows.push([`anomaly score, threshold swept: ${name}`, ...fmt(score(nabDir, join(outDir, 'more', 'anomaly-score'), only, undefined, values.more))]);
      rows.push([`pages (a page = a detection): ${name}`, ...fmt(score(nabDir, join(outDir, 'more', 'pages'), only, 0.5, values.more))]);
    }
  }
  if (values.detail) {
    process.stdout.write(`\nthe ten, ${perFile(nabDir, scoresDir, [...DESIGN_HALF, ...HELD_OUT_HALF])}\n`);
    if (values.more) {
      const rateLike = REQUEST_RATE_LIKE.filter((f) => existsSync(join(outDir, 'more', 'anomaly-score', f)));
      process.stdout.write(`\nthe request-rate-like outside the ten, ${perFile(nabDir, join(outDir, 'more', 'anomaly-score'), rateLike, values.more)}\n`);
    }
    process.stdout.write(`per-tick detail (rate, expected, σ, z, rate alarms, score) in ${join(outDir, 'detail')}\n`);
  }
  const header = ['what', ...PROFILES];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`\nNAB scores (0 = never fires, 100 = perfect); results in ${outDir}; ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

await main();
