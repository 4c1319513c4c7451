// `npm run seam-replay -- [DIR...]`: the first critical page of every recorded real-cargo storm and
// closed pool (fixtures/recorded/ by default, or the recording directories given: pairs of NAME.om
// and NAME.json as STORMWATCH_CARGO_RECORD writes them), replayed the way `stormwatch run` meets
// them live: history up to the last whole tick before a seam, read with warm(), then live ticks
// from one tick after it (the tick at the seam is never read). The seam is put at 8 places, 10 to
// 24 s before the onset, because where it falls decides how many 5 s buckets the young rate
// baseline rests on, and so how noisy its scale is. Prints, per recording, the kind and the delay
// from the onset (data time) at each seam, then the distribution for storms and for closed pools.
// Settings as the live test's (fixtures/configs/recorded-cargo.replay.yaml). For the storms it also
// follows the alert to the fault's end and counts the runs whose last update named the client
// that ran (cargo for cargo ≥ 1.70's retry policy, cargo-legacy for the legacy one), read its
// attempts per request within 10 % of the registry's own count, and held that count in its interval.
//
// --raise A,B adds A and B download requests to each closed pool's first two scrapes after the
// onset (recorded-om.ts): a pool whose in-flight retries lift its first failing ticks more than
// the recordings' did (a CI run's pool read 1.8x, then 1.4x).
//
// --lag Q [--lag-seeds K] replays each recording K times (default 3) with a fraction Q of each
// scrape's completions counted at the next scrape (recorded-om.ts): the static host scraped as a
// target of its own, at another phase of the interval than the registry.
//
// --history-copies N plays N copies of each recording's healthy stretch before it (recorded-om.ts),
// all read as history: how the same storms page on minutes of history rather than half a minute
// (a young detector's baselines and dispersions differ from a settled one's).

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.js';
import { FIXTURES_DIR } from '../src/core/paths.js';
import { Pipeline } from '../src/pipeline.js';
import { ReplaySource, readReplayColumns } from '../src/source/replay-source.js';
import { withExtraRequests, withHealthyHistory, withLateCompletions } from './recorded-om.js';

const SEAM_LEADS_S = [10, 12, 14, 16, 18, 20, 22, 24];
const TICK_MS = 1000;
const HISTORY_MS = 200_000;
const OBSERVE_MS = 15_000;

interface Recording {
  scenario: string;
  onset: string;
  faultEnd?: string;
  cargo?: { retryPolicy?: string };
  truthAttemptsPerRequest?: number;
}

const { values, positionals: dirs } = parseArgs({ options: { raise: { type: 'string' }, lag: { type: 'string' }, 'lag-seeds': { type: 'string' }, 'history-copies': { type: 'string' } }, allowPositionals: true });
const historyCopies = Number(values['history-copies'] ?? 0);
if (!(Number.isInteger(historyCopies) && historyCopies >= 0 && historyCopies <= 100)) throw new Error(`--history-copies: 0 to 100, got ${values['history-copies']}`);
const lag = values.lag === undefined ? undefined : Number(values.lag);
if (lag !== undefined && !(lag >= 0 && lag < 1)) throw new Error(`--lag: a fraction of a tick, 0 to 1, got ${values.lag}`);
const lagSeeds = lag === undefined ? 1 : Number(values['lag-seeds'] ?? 3);
if (!(Number.isInteger(lagSeeds) && lagSeeds >= 1 && lagSeeds <= 20)) throw new Error(`--lag-seeds: 1 to 20, got ${values['lag-seeds']}`);
const raise = values.raise === undefined ? undefined : values.raise.split(',').map(Number);
if (raise && !raise.every((n) => Number.isFinite(n) && n >= 0)) throw new Error(`--raise: expected counts like 10,6, got ${values.raise}`);
const scratch = mkdtempSync(join(tmpdir(), 'stormwatch-seam-'));
const config = loadConfig(join(FIXTURES_DIR, 'configs', 'recorded-cargo.replay.yaml'));
const delays: Record<'storm' | 'pool', number[]> = { storm: [], pool: [] };
const kinds: Record<'storm' | 'pool', Map<string, number>> = { storm: new Map(), pool: new Map() };
/** Per client that ran: storms replayed, and the names their last update gave. */
const named = new Map<string, { runs: number; names: Map<string, number>; within10: number; held: number; withTruth: number }>();
/** The named client's share (client_model_share) of each storm's last update, and whether the name was right: how well the share is calibrated. */
const shares: { share: number; right: boolean }[] = [];

for (const dir of dirs.length > 0 ? dirs : [join(FIXTURES_DIR, 'recorded')]) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const rec = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Recording;
    const onsetMs = Date.parse(rec.onset);
    const group = rec.scenario === 'closed-pool' ? 'pool' : 'storm';
    const recorded = readFileSync(join(dir, file.replace(/\.json$/, '.om')), 'utf8');
    const row: string[] = [];
    /** Per storm replay, the last update's client, its share and attempts per request. */
    const lastReadings: string[] = [];
    for (let lagSeed = 1; lagSeed <= lagSeeds; lagSeed++) {
      let om = raise && group === 'pool' ? withExtraRequests(recorded, onsetMs, raise) : recorded;
      om = withHealthyHistory(om, onsetMs, historyCopies);
      if (lag !== undefined) om = withLateCompletions(om, lag, 7919 * lagSeed);
      const omPath = join(scratch, 'replayed.om');
      writeFileSync(omPath, om);
      const source = new ReplaySource(readReplayColumns(omPath), config.signals, []);
      const firstMs = Number(om.split('\n').find((l) => l.length > 0 && !l.startsWith('#'))!.split(' ')[2]) * 1000;
      for (const leadS of SEAM_LEADS_S) {
        const pipeline = new Pipeline(config);
        const seamMs = Math.floor((onsetMs - leadS * 1000) / TICK_MS) * TICK_MS;
        for await (const frame of source.history(Math.min(seamMs - HISTORY_MS, firstMs - 1000), seamMs)) pipeline.warm(frame);
        let page: { kind: string; delayS: number } | undefined;
        let lastName = 'none';
        let last: Record<string, string> = {};
        const followToMs = group === 'storm' && rec.faultEnd ? Date.parse(rec.faultEnd) : onsetMs + OBSERVE_MS;
        for await (const frame of source.history(seamMs + TICK_MS + 200, Math.max(followToMs, onsetMs + OBSERVE_MS))) {
          const ts = pipeline.step(frame).transitions.filter((x) => x.status === 'firing' && x.labels.severity === 'critical');
          for (const t of ts) {
            lastName = t.annotations?.client_model || 'none';
            last = t.annotations ?? {};
          }
          const t = ts[0];
          if (t && !page && frame.timeMs <= onsetMs + OBSERVE_MS) page = { kind: (t.labels.alertname ?? '').replace('Stormwatch', ''), delayS: (frame.timeMs - onsetMs) / 1000 };
          if (page && frame.timeMs >= followToMs) break;
        }
        if (group === 'storm') {
          const client = rec.cargo?.retryPolicy === 'legacy' ? 'cargo-legacy' : 'cargo';
          const tally = named.get(client) ?? { runs: 0, names: new Map<string, number>(), within10: 0, held: 0, withTruth: 0 };
          tally.runs++;
          const truth = rec.truthAttemptsPerRequest;
          if (truth !== undefined) {
            const [estimate, low, high] = [last.attempts_per_request, last.attempts_per_request_low, last.attempts_per_request_high].map(Number) as [number, number, number];
            tally.withTruth++;
            if (Math.abs(estimate - truth) <= 0.1 * truth) tally.within10++;
            if (low <= truth && truth <= high) tally.held++;
          }
          tally.names.set(lastName, (tally.names.get(lastName) ?? 0) + 1);
          const share = Number(last.client_model_share);
          lastReadings.push(`${lastName}${Number.isFinite(share) ? ` ${share.toFixed(2)}` : ''} ${Number(last.attempts_per_request).toFixed(2)}`);
          if (lastName !== 'none' && Number.isFinite(share)) shares.push({ share, right: lastName === client });
          named.set(client, tally);
        }
        const kind = page?.kind ?? 'none';
        kinds[group].set(kind, (kinds[group].get(kind) ?? 0) + 1);
        delays[group].push(page?.delayS ?? Number.POSITIVE_INFINITY);
        row.push(page ? `${page.kind} ${page.delayS.toFixed(1)}` : 'none');
      }
    }
    console.log(`${file.replace(/\.json$/, '').padEnd(50)} ${row.join(', ')}`);
    if (lastReadings.length > 0) console.log(`${''.padEnd(50)} last update: ${lastReadings.join(', ')}${rec.truthAttemptsPerRequest !== undefined ? ` (truth ${rec.truthAttemptsPerRequest.toFixed(2)})` : ''}`);
  }
}

rmSync(scratch, { recursive: true, force: true });

for (const group of ['storm', 'pool'] as const) {
  const d = delays[group].sort((a, b) => a - b);
  if (d.length === 0) continue;
  const q = (p: number) => d[Math.floor(p * (d.length - 1))]!.toFixed(1);
  const kindList = [...kinds[group]].map(([k, n]) => `${k} ${n}`).join(', ');
  const what = group === 'storm' ? 'storms' : raise ? `closed pools raised by ${raise.join(', ')}` : 'closed pools';
  if (group === 'storm') {
    const bins = [
      [0.5, 0.7],
      [0.7, 0.9],
      [0.9, 1.0001],
    ] as const;
    const calibration = bins.flatMap(([lo, hi]) => {
      const inBin = shares.filter((x) => x.share >= lo && x.share < hi);
      if (inBin.length === 0) return [];
      const meanShare = inBin.reduce((sum, x) => sum + x.share, 0) / inBin.length;
      return [`${lo.toFixed(1)}-${Math.min(hi, 1).toFixed(1)}: ${inBin.filter((x) => x.right).length} of ${inBin.length} right (mean share ${meanShare.toFixed(2)})`];
    });
    if (calibration.length > 0) console.log(`the named client's share of the likelihood against how often the name was right: ${calibration.join('; ')}`);
    for (const [client, { runs, names, within10, held, withTruth }] of named) {
      const others = [...names].filter(([n]) => n !== client).map(([n, k]) => `${n} ${k}`).join(', ');
      console.log(`${client} storms: the last update before the fault ended named ${client} in ${names.get(client) ?? 0} of ${runs}${others ? ` (${others})` : ''}; attempts per request within 10 % of the registry's count in ${within10} of ${withTruth}, its interval holding the count in ${held}`);
    }
  }
  console.log(`${what}${lag !== undefined ? ` (completions late with probability ${lag}, ${lagSeeds} seeds)` : ''}: ${d.length} replays, first page p50 / p90 / max ${q(0.5)} / ${q(0.9)} / ${q(1)} s, over 5 s ${d.filter((x) => x > 5).length}, over 6 s ${d.filter((x) => x > 6).length}; kinds: ${kindList}`);
}
